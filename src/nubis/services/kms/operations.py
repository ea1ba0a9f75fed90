"""KMS's cryptographic operations: encrypt and decrypt, data keys, random
bytes, signatures, MACs and key agreement."""
from __future__ import annotations

import hmac
import os

from cryptography.exceptions import UnsupportedAlgorithm

from ...protocol.errors import ServiceError

from ..base import RequestContext
from . import crypto, specs
from . import errors as e
from .store import Key

MAX_PLAINTEXT = 4096
DATA_KEY_SPECS = {"AES_128": 16, "AES_256": 32}


def _dry_run(params: dict) -> None:
    if params.get("DryRun"):
        raise e.dry_run()


def _blob(params: dict, member: str, hi: int, wire: str | None = None) -> bytes:
    value = e.required(params, member)
    e.length(value, wire or member[0].lower() + member[1:], 1, hi)
    return value


def _context(params: dict, member: str = "EncryptionContext") -> dict | None:
    ctx = params.get(member)
    if ctx is not None and not all(isinstance(k, str) and isinstance(v, str) for k, v in ctx.items()):
        raise e.validation(f"{member} must map strings to strings")
    return ctx


class Operations:
    # -- helpers ------------------------------------------------------------------------------------

    def _current_material(self, key: Key) -> bytes:
        material = self.store.material(key.id, key.version)
        if material is None:
            raise e.invalid_state(f"{key.arn} is pending import.")
        return material

    def _encrypt_with(self, key: Key, algorithm: str | None, plaintext: bytes, context: dict | None) -> tuple[bytes, str]:
        algorithm = algorithm or specs.SYMMETRIC
        e.enum(algorithm, "encryptionAlgorithm", specs.ALL_ENCRYPTION + ("SM2PKE",))
        if key.spec == specs.SYMMETRIC:
            if algorithm != specs.SYMMETRIC:
                raise e.invalid_usage(key.arn, key.usage, f"Encrypt with {algorithm}")
            return crypto.seal(key.id, key.version, self._current_material(key), plaintext, context), algorithm
        if algorithm not in specs.RSA_ENCRYPTION:
            raise e.invalid_usage(key.arn, key.usage, f"Encrypt with {algorithm}")
        if context:
            raise e.validation("EncryptionContext is not supported for asymmetric KMS keys.")
        if len(plaintext) > crypto.rsa_max_plaintext(key.spec, algorithm):
            raise e.validation(f"Plaintext of {len(plaintext)} bytes is too long for {key.spec} with {algorithm}.")
        return crypto.rsa_encrypt(self._current_material(key), algorithm, plaintext), algorithm

    def _decrypt_with(self, ctx: RequestContext, params: dict, blob: bytes, key_member: str, algorithm_member: str,
                      context: dict | None, operation: str) -> tuple[Key, bytes, str, str | None]:
        """(key, plaintext, algorithm, key material id) of a ciphertext blob."""
        algorithm = params.get(algorithm_member) or specs.SYMMETRIC
        e.enum(algorithm, algorithm_member[0].lower() + algorithm_member[1:], specs.ALL_ENCRYPTION + ("SM2PKE",))
        if algorithm != specs.SYMMETRIC:
            if params.get(key_member) is None:
                raise e.validation(f"{key_member} is required to decrypt with an asymmetric KMS key.")
            key = self._key(ctx, params, key_member)
            self._usable(key, operation, specs.ENCRYPT_DECRYPT)
            if key.spec not in specs.RSA_SIZES or algorithm not in specs.RSA_ENCRYPTION:
                raise e.invalid_usage(key.arn, key.usage, f"{operation} with {algorithm}")
            try:
                return key, crypto.rsa_decrypt(self._current_material(key), algorithm, blob), algorithm, None
            except crypto.BadCiphertext:
                raise e.invalid_ciphertext() from None
        try:
            key_id, version = crypto.blob_key(blob)
        except crypto.BadCiphertext:
            raise e.invalid_ciphertext() from None
        named = self._key(ctx, params, key_member) if params.get(key_member) is not None else None
        if named is not None and named.id != key_id:
            raise e.incorrect_key()
        key = named or self.store.find(ctx.region, key_id)
        if key is None:
            raise e.not_found(f"Key '{self._arn(ctx, key_id)}' does not exist")
        self._usable(key, operation, specs.ENCRYPT_DECRYPT)
        material = self.store.material(key.id, version)
        if material is None:
            raise e.invalid_ciphertext()
        try:
            plaintext = crypto.open_blob(material, blob, context)
        except crypto.BadCiphertext:
            raise e.invalid_ciphertext() from None
        return key, plaintext, algorithm, self._material_id(key, version)

    # -- encrypt and decrypt ---------------------------------------------------------------------------

    def encrypt(self, ctx: RequestContext, params: dict) -> dict:
        plaintext = _blob(params, "Plaintext", MAX_PLAINTEXT)
        context = _context(params)
        key = self._key(ctx, params)
        self._usable(key, "Encrypt", specs.ENCRYPT_DECRYPT)
        blob, algorithm = self._encrypt_with(key, params.get("EncryptionAlgorithm"), plaintext, context)
        _dry_run(params)
        self._used(ctx, key, "Encrypt")
        return {"CiphertextBlob": blob, "KeyId": key.arn, "EncryptionAlgorithm": algorithm}

    def decrypt(self, ctx: RequestContext, params: dict) -> dict:
        blob = _blob(params, "CiphertextBlob", 6144)
        key, plaintext, algorithm, material_id = self._decrypt_with(
            ctx, params, blob, "KeyId", "EncryptionAlgorithm", _context(params), "Decrypt")
        _dry_run(params)
        self._used(ctx, key, "Decrypt")
        out = {"KeyId": key.arn, "Plaintext": plaintext, "EncryptionAlgorithm": algorithm}
        if material_id:
            out["KeyMaterialId"] = material_id
        return out

    def re_encrypt(self, ctx: RequestContext, params: dict) -> dict:
        blob = _blob(params, "CiphertextBlob", 6144)
        e.required(params, "DestinationKeyId")
        source, plaintext, source_algorithm, source_material = self._decrypt_with(
            ctx, params, blob, "SourceKeyId", "SourceEncryptionAlgorithm", _context(params, "SourceEncryptionContext"),
            "ReEncryptFrom")
        dest = self._key(ctx, params, "DestinationKeyId")
        self._usable(dest, "ReEncryptTo", specs.ENCRYPT_DECRYPT)
        new_blob, dest_algorithm = self._encrypt_with(dest, params.get("DestinationEncryptionAlgorithm"), plaintext,
                                                      _context(params, "DestinationEncryptionContext"))
        _dry_run(params)
        self._used(ctx, source, "ReEncrypt")
        self._used(ctx, dest, "ReEncrypt")
        out = {"CiphertextBlob": new_blob, "SourceKeyId": source.arn, "KeyId": dest.arn,
               "SourceEncryptionAlgorithm": source_algorithm, "DestinationEncryptionAlgorithm": dest_algorithm}
        if source_material:
            out["SourceKeyMaterialId"] = source_material
        if dest.spec == specs.SYMMETRIC:
            out["DestinationKeyMaterialId"] = self._material_id(dest, dest.version)
        return out

    # -- data keys -----------------------------------------------------------------------------------

    def _symmetric_for(self, ctx: RequestContext, params: dict, operation: str) -> Key:
        key = self._key(ctx, params)
        self._usable(key, operation, specs.ENCRYPT_DECRYPT)
        if key.spec != specs.SYMMETRIC:
            raise e.invalid_usage(key.arn, f"{key.usage} ({key.spec})", operation)
        return key

    def _data_key(self, ctx: RequestContext, params: dict, operation: str) -> tuple[Key, bytes, bytes]:
        spec, n = params.get("KeySpec"), params.get("NumberOfBytes")
        if (spec is None) == (n is None):
            raise e.validation("Please specify either number of bytes or key spec.")
        if spec is not None:
            e.enum(spec, "keySpec", tuple(DATA_KEY_SPECS))
            n = DATA_KEY_SPECS[spec]
        else:
            e.in_range(n, "numberOfBytes", 1, 1024)
        context = _context(params)
        key = self._symmetric_for(ctx, params, operation)
        plaintext = os.urandom(n)
        blob = crypto.seal(key.id, key.version, self._current_material(key), plaintext, context)
        _dry_run(params)
        return key, plaintext, blob

    def generate_data_key(self, ctx: RequestContext, params: dict) -> dict:
        key, plaintext, blob = self._data_key(ctx, params, "GenerateDataKey")
        self._used(ctx, key, "GenerateDataKey")
        return {"CiphertextBlob": blob, "Plaintext": plaintext, "KeyId": key.arn,
                "KeyMaterialId": self._material_id(key, key.version)}

    def generate_data_key_without_plaintext(self, ctx: RequestContext, params: dict) -> dict:
        key, _, blob = self._data_key(ctx, params, "GenerateDataKeyWithoutPlaintext")
        self._used(ctx, key, "GenerateDataKeyWithoutPlaintext")
        return {"CiphertextBlob": blob, "KeyId": key.arn, "KeyMaterialId": self._material_id(key, key.version)}

    def _data_key_pair(self, ctx: RequestContext, params: dict, operation: str) -> dict:
        pair_spec = e.required(params, "KeyPairSpec")
        if pair_spec in ("SM2", "ECC_NIST_EDWARDS25519"):
            raise e.unsupported(f"nubis does not support KeyPairSpec {pair_spec}.")
        e.enum(pair_spec, "keyPairSpec", specs.DATA_KEY_PAIR_SPECS)
        context = _context(params)
        key = self._symmetric_for(ctx, params, operation)
        private, public = crypto.data_key_pair(pair_spec)
        blob = crypto.seal(key.id, key.version, self._current_material(key), private, context)
        _dry_run(params)
        self._used(ctx, key, operation)
        return {"PrivateKeyCiphertextBlob": blob, "PrivateKeyPlaintext": private, "PublicKey": public,
                "KeyId": key.arn, "KeyPairSpec": pair_spec, "KeyMaterialId": self._material_id(key, key.version)}

    def generate_data_key_pair(self, ctx: RequestContext, params: dict) -> dict:
        return self._data_key_pair(ctx, params, "GenerateDataKeyPair")

    def generate_data_key_pair_without_plaintext(self, ctx: RequestContext, params: dict) -> dict:
        out = self._data_key_pair(ctx, params, "GenerateDataKeyPairWithoutPlaintext")
        del out["PrivateKeyPlaintext"]
        return out

    def generate_random(self, ctx: RequestContext, params: dict) -> dict:
        n = params.get("NumberOfBytes")
        if n is None:
            raise e.validation("Please specify number of bytes.")
        e.in_range(n, "numberOfBytes", 1, 1024)
        if params.get("CustomKeyStoreId") is not None:
            self._random_from_store(ctx, params["CustomKeyStoreId"])
        return {"Plaintext": os.urandom(n)}

    # -- asymmetric keys --------------------------------------------------------------------------------

    def get_public_key(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        if key.spec == specs.SYMMETRIC or key.spec in specs.HMAC_BYTES:
            raise e.unsupported(f"{key.arn} key spec is {key.spec} which is not valid for GetPublicKey.")
        if key.state == "Disabled":
            raise e.disabled(key.arn)
        self._settled(key)
        return {"KeyId": key.arn, "PublicKey": crypto.public_der(self._current_material(key)),
                "CustomerMasterKeySpec": key.spec, "KeySpec": key.spec, "KeyUsage": key.usage,
                **specs.algorithms(key.spec, key.usage)}

    def _signing(self, ctx: RequestContext, params: dict, operation: str) -> tuple[Key, str, bytes, bool]:
        message = _blob(params, "Message", 4096)
        algorithm = e.required(params, "SigningAlgorithm")
        e.enum(algorithm, "signingAlgorithm", specs.ALL_SIGNING + ("SM2DSA", "ED25519_SHA_512",
                                                                 "ED25519_PH_SHA_512", "ML_DSA_SHAKE_256"))
        message_type = params.get("MessageType") or "RAW"
        e.enum(message_type, "messageType", ("RAW", "DIGEST", "EXTERNAL_MU"))
        key = self._key(ctx, params)
        self._usable(key, operation, specs.SIGN_VERIFY)
        if algorithm not in specs.algorithms(key.spec, key.usage)["SigningAlgorithms"]:
            raise e.invalid_usage(key.arn, f"{key.usage} ({key.spec})", f"{operation} with {algorithm}")
        if message_type == "EXTERNAL_MU":
            raise e.invalid_usage(key.arn, key.usage, f"{operation} with MessageType EXTERNAL_MU")
        digest = message_type == "DIGEST"
        if digest and len(message) != crypto.digest_size(algorithm):
            raise e.validation(f"Digest is invalid length for algorithm {algorithm}.")
        return key, algorithm, message, digest

    def sign(self, ctx: RequestContext, params: dict) -> dict:
        key, algorithm, message, digest = self._signing(ctx, params, "Sign")
        signature = crypto.sign(self._current_material(key), algorithm, message, digest)
        _dry_run(params)
        self._used(ctx, key, "Sign")
        return {"KeyId": key.arn, "Signature": signature, "SigningAlgorithm": algorithm}

    def verify(self, ctx: RequestContext, params: dict) -> dict:
        key, algorithm, message, digest = self._signing(ctx, params, "Verify")
        signature = _blob(params, "Signature", 6144)
        valid = crypto.verify(self._current_material(key), algorithm, message, signature, digest)
        _dry_run(params)
        if not valid:
            raise ServiceError("KMSInvalidSignatureException", "")
        self._used(ctx, key, "Verify")
        return {"KeyId": key.arn, "SignatureValid": True, "SigningAlgorithm": algorithm}

    # -- HMAC keys --------------------------------------------------------------------------------------

    def _mac(self, ctx: RequestContext, params: dict, operation: str) -> tuple[Key, str, bytes]:
        message = _blob(params, "Message", 4096)
        algorithm = e.required(params, "MacAlgorithm")
        e.enum(algorithm, "macAlgorithm", specs.ALL_MAC)
        key = self._key(ctx, params)
        self._usable(key, operation, specs.GENERATE_VERIFY_MAC)
        if specs.MAC_ALGORITHM[key.spec] != algorithm:
            raise e.invalid_usage(key.arn, f"{key.usage} ({key.spec})", f"{operation} with {algorithm}")
        return key, algorithm, crypto.mac(self._current_material(key), algorithm, message)

    def generate_mac(self, ctx: RequestContext, params: dict) -> dict:
        key, algorithm, mac = self._mac(ctx, params, "GenerateMac")
        _dry_run(params)
        self._used(ctx, key, "GenerateMac")
        return {"Mac": mac, "MacAlgorithm": algorithm, "KeyId": key.arn}

    def verify_mac(self, ctx: RequestContext, params: dict) -> dict:
        given = _blob(params, "Mac", 6144)
        key, algorithm, mac = self._mac(ctx, params, "VerifyMac")
        _dry_run(params)
        if not hmac.compare_digest(mac, given):
            raise ServiceError("KMSInvalidMacException", "")
        self._used(ctx, key, "VerifyMac")
        return {"KeyId": key.arn, "MacValid": True, "MacAlgorithm": algorithm}

    # -- key agreement -------------------------------------------------------------------------------------

    def derive_shared_secret(self, ctx: RequestContext, params: dict) -> dict:
        algorithm = e.required(params, "KeyAgreementAlgorithm")
        e.enum(algorithm, "keyAgreementAlgorithm", ("ECDH",))
        peer = _blob(params, "PublicKey", 8192)
        key = self._key(ctx, params)
        self._usable(key, "DeriveSharedSecret", specs.KEY_AGREEMENT)
        try:
            secret = crypto.ecdh(self._current_material(key), peer)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise e.validation("PublicKey is not a DER-encoded X.509 SubjectPublicKeyInfo on the key's curve.") from None
        _dry_run(params)
        self._used(ctx, key, "DeriveSharedSecret")
        return {"KeyId": key.arn, "SharedSecret": secret, "KeyAgreementAlgorithm": algorithm,
                "KeyOrigin": key.origin}
