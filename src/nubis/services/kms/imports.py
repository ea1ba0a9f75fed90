"""Imported key material (keys with Origin EXTERNAL).

GetParametersForImport hands out an RSA wrapping public key and a one-use
import token, valid 24 hours; ImportKeyMaterial unwraps the material with
the matching private key (RSAES_OAEP_SHA_1/256, RSAES_PKCS1_V1_5, or
RSA_AES_KEY_WRAP_SHA_1/256: an OAEP-wrapped AES key, then RFC 5649 key wrap).
The same material may be imported again after it expired or was deleted;
different material may not.
"""
from __future__ import annotations

import hashlib
import os

from cryptography.hazmat.primitives import keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ...protocol.errors import ServiceError
from ..base import RequestContext
from . import crypto, specs
from . import errors as e
from .store import Key

WRAPPING_ALGORITHMS = ("RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1",
                       "RSA_AES_KEY_WRAP_SHA_256", "SM2PKE")
WRAPPING_SPECS = ("RSA_2048", "RSA_3072", "RSA_4096", "SM2")
PARAMETERS_VALID = 86400.0
# Imported HMAC material may be longer than the spec's size (developer guide, "Importing key material").
HMAC_RANGE = {"HMAC_224": (28, 64), "HMAC_256": (32, 64), "HMAC_384": (48, 128), "HMAC_512": (64, 128)}
EXPIRE_KIND = "kms:expire"


def _unwrap(private: rsa.RSAPrivateKey, algorithm: str, wrapped: bytes) -> bytes:
    if algorithm == "RSAES_PKCS1_V1_5":
        return private.decrypt(wrapped, padding.PKCS1v15())
    h = specs.hash_of(algorithm)
    oaep = padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return private.decrypt(wrapped, oaep)
    n = private.key_size // 8
    aes_key = private.decrypt(wrapped[:n], oaep)
    return keywrap.aes_key_unwrap_with_padding(aes_key, wrapped[n:])


def _material_fits(key: Key, material: bytes) -> bool:
    if key.spec == specs.SYMMETRIC:
        return len(material) == 32
    if key.spec in HMAC_RANGE:
        lo, hi = HMAC_RANGE[key.spec]
        return lo <= len(material) <= hi
    return crypto.spec_of_private(material) == key.spec


class Imports:
    def _external(self, key: Key) -> None:
        if key.origin != "EXTERNAL":
            raise e.unsupported(f"{key.arn} origin is {key.origin} which is not valid for this operation.")
        self._not_pending_deletion(key)

    def get_parameters_for_import(self, ctx: RequestContext, params: dict) -> dict:
        algorithm = e.required(params, "WrappingAlgorithm")
        e.enum(algorithm, "wrappingAlgorithm", WRAPPING_ALGORITHMS)
        wrapping_spec = e.required(params, "WrappingKeySpec")
        e.enum(wrapping_spec, "wrappingKeySpec", WRAPPING_SPECS)
        key = self._key(ctx, params)
        self._external(key)
        if "SM2" in (algorithm, wrapping_spec) or algorithm == "SM2PKE":
            raise e.unsupported("nubis does not support SM2 wrapping keys.")
        private = rsa.generate_private_key(public_exponent=65537, key_size=specs.RSA_SIZES[wrapping_spec])
        token = os.urandom(32)
        valid_to = self.clock.now() + PARAMETERS_VALID
        self.store.save_import(key.id, token.hex(), algorithm, private.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), valid_to)
        public = private.public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
        return {"KeyId": key.arn, "ImportToken": token, "PublicKey": public, "ParametersValidTo": valid_to}

    def import_key_material(self, ctx: RequestContext, params: dict) -> dict:
        token = e.required(params, "ImportToken")
        wrapped = e.required(params, "EncryptedKeyMaterial")
        e.length(wrapped, "encryptedKeyMaterial", 1, 6144)
        model = params.get("ExpirationModel")
        e.enum(model, "expirationModel", ("KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE"))
        valid_to = params.get("ValidTo")
        if model is None:
            model = "KEY_MATERIAL_EXPIRES" if valid_to is not None else "KEY_MATERIAL_DOES_NOT_EXPIRE"
        if model == "KEY_MATERIAL_EXPIRES" and valid_to is None:
            raise e.validation("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
        if model == "KEY_MATERIAL_DOES_NOT_EXPIRE" and valid_to is not None:
            raise e.validation("A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE")
        key = self._key(ctx, params)
        self._external(key)
        pending = self.store.pending_import(key.id)
        if pending is None or pending[0] != token.hex():
            raise ServiceError("InvalidImportTokenException", "The import token is invalid for this KMS key.")
        _, algorithm, wrapping_der, token_valid_to = pending
        now = self.clock.now()
        if now > token_valid_to:
            raise ServiceError("ExpiredImportTokenException", "The import token has expired.")
        until = valid_to.timestamp() if valid_to is not None else None
        if until is not None and until <= now:
            raise e.validation("The validTo date must be in the future.")
        try:
            material = _unwrap(serialization.load_der_private_key(wrapping_der, None), algorithm, wrapped)
        except (ValueError, keywrap.InvalidUnwrap):
            raise e.invalid_ciphertext() from None
        if not _material_fits(key, material):
            raise ServiceError("IncorrectKeyMaterialException",
                               f"The key material is not valid for a KMS key with KeySpec {key.spec}.")
        digest = hashlib.sha256(material).hexdigest()
        if key.material_digest is not None and key.material_digest != digest:
            raise ServiceError("IncorrectKeyMaterialException", "The key material in the request is not the same "
                               "key material that was previously imported into this KMS key.")
        material_id = hashlib.sha256(f"{key.id}/{digest}".encode()).hexdigest()
        with self.db.transaction():
            self.store.add_material(key, 0, material_id, material, now, None)
            self.db.execute("DELETE FROM kms_imports WHERE key_id = ?", (key.id,))
            key.material_digest = digest
            key.version = 0
            key.expiration_model = model
            key.valid_to = until
            if key.state == "PendingImport":
                key.state = "Enabled"
            self.store.save(key)
            if until is not None:
                self.scheduler.at(until, EXPIRE_KIND, {"key": key.id}, key=key.id)
            else:
                self.scheduler.cancel(EXPIRE_KIND, key.id)
        return {"KeyId": key.arn, "KeyMaterialId": material_id}

    def _forget_material(self, key: Key) -> str | None:
        material_id = self._material_id(key, 0)
        with self.db.transaction():
            self.store.drop_materials(key.id)
            key.version = -1
            key.valid_to = None
            key.expiration_model = None
            if key.state != "PendingDeletion":
                key.state = "PendingImport"
            self.store.save(key)
            self.scheduler.cancel(EXPIRE_KIND, key.id)
        return material_id

    def delete_imported_key_material(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        self._external(key)
        material_id = self._forget_material(key)
        out = {"KeyId": key.arn}
        if material_id:
            out["KeyMaterialId"] = material_id
        return out

    def _expire_due(self, payload: dict) -> None:
        key = self.store.keys.get(payload.get("key", ""))
        if key is None or key.valid_to is None or key.valid_to > self.clock.now() + 1e-6:
            return
        self._forget_material(key)
