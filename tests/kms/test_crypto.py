"""The cryptographic operations: symmetric Encrypt/Decrypt/ReEncrypt with encryption
context, data keys and pairs, GenerateRandom, RSA encryption, signatures checked with
the public key, HMAC, ECDH."""
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .conftest import arn, code, error_of, message, status

# -- symmetric -------------------------------------------------------------------------------------


def test_encrypt_and_decrypt_without_key_id(kms, key):
    out = kms.encrypt(KeyId=key, Plaintext=b"attack at dawn")
    assert out["KeyId"] == arn(key) and out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert b"attack at dawn" not in out["CiphertextBlob"]
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"])
    assert back["Plaintext"] == b"attack at dawn"
    assert back["KeyId"] == arn(key) and back["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert back["KeyMaterialId"] == kms.describe_key(KeyId=key)["KeyMetadata"]["CurrentKeyMaterialId"]
    # The same plaintext twice is two different blobs (a fresh nonce each time).
    assert kms.encrypt(KeyId=key, Plaintext=b"attack at dawn")["CiphertextBlob"] != out["CiphertextBlob"]


def test_encryption_context_is_bound(kms, key):
    blob = kms.encrypt(KeyId=key, Plaintext=b"p", EncryptionContext={"tenant": "a", "purpose": "x"})["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "x", "tenant": "a"})["Plaintext"] == b"p"
    for wrong in (None, {"tenant": "b", "purpose": "x"}, {"tenant": "a"}, {"tenant": "a", "purpose": "x", "more": "y"}):
        kwargs = {} if wrong is None else {"EncryptionContext": wrong}
        err = error_of(kms.decrypt, CiphertextBlob=blob, **kwargs)
        assert code(err) == "InvalidCiphertextException" and status(err) == 400


def test_decrypt_with_another_key_id_is_incorrect_key(kms, key):
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
    err = error_of(kms.decrypt, CiphertextBlob=blob, KeyId=other)
    assert code(err) == "IncorrectKeyException"


def test_tampered_or_foreign_ciphertext_is_invalid(kms, key):
    blob = bytearray(kms.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"])
    blob[-1] ^= 1
    assert code(error_of(kms.decrypt, CiphertextBlob=bytes(blob))) == "InvalidCiphertextException"
    assert code(error_of(kms.decrypt, CiphertextBlob=b"not a kms ciphertext at all")) == "InvalidCiphertextException"


def test_plaintext_size_limits(kms, key):
    assert kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=key, Plaintext=b"x" * 4096)["CiphertextBlob"])[
        "Plaintext"] == b"x" * 4096


def test_wrong_key_usage(kms):
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    err = error_of(kms.encrypt, KeyId=signing, Plaintext=b"x")
    assert code(err) == "InvalidKeyUsageException"
    assert message(err) == f"{arn(signing)} key usage is SIGN_VERIFY which is not valid for Encrypt."
    assert code(error_of(kms.generate_data_key, KeyId=signing, KeySpec="AES_256")) == "InvalidKeyUsageException"
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    err = error_of(kms.sign, KeyId=symmetric, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert code(err) == "InvalidKeyUsageException"
    assert code(error_of(kms.generate_mac, KeyId=symmetric, Message=b"m",
                         MacAlgorithm="HMAC_SHA_256")) == "InvalidKeyUsageException"


def test_re_encrypt_moves_ciphertext_between_keys_and_contexts(kms, key):
    dest = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"moving", EncryptionContext={"a": "1"})["CiphertextBlob"]
    out = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"a": "1"}, DestinationKeyId=dest,
                         DestinationEncryptionContext={"b": "2"})
    assert out["SourceKeyId"] == arn(key) and out["KeyId"] == arn(dest)
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"b": "2"})["Plaintext"] == b"moving"
    assert code(error_of(kms.decrypt, CiphertextBlob=out["CiphertextBlob"])) == "InvalidCiphertextException"
    err = error_of(kms.re_encrypt, CiphertextBlob=blob, DestinationKeyId=dest)
    assert code(err) == "InvalidCiphertextException"


# -- data keys and randomness ---------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs,size", [({"KeySpec": "AES_256"}, 32), ({"KeySpec": "AES_128"}, 16),
                                         ({"NumberOfBytes": 1}, 1), ({"NumberOfBytes": 1024}, 1024)])
def test_generate_data_key(kms, key, kwargs, size):
    out = kms.generate_data_key(KeyId=key, EncryptionContext={"f": "g"}, **kwargs)
    assert len(out["Plaintext"]) == size and out["KeyId"] == arn(key)
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"f": "g"})["Plaintext"] == \
        out["Plaintext"]


def test_a_data_key_encrypts_locally(kms, key):
    dk = kms.generate_data_key(KeyId=key, KeySpec="AES_256")
    sealed = AESGCM(dk["Plaintext"]).encrypt(b"\0" * 12, b"local data", None)
    recovered = kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"]
    assert AESGCM(recovered).decrypt(b"\0" * 12, sealed, None) == b"local data"


def test_generate_data_key_arguments(kms, key):
    for kwargs in ({}, {"KeySpec": "AES_256", "NumberOfBytes": 32}):
        assert code(error_of(kms.generate_data_key, KeyId=key, **kwargs)) == "ValidationException"
    assert code(error_of(kms.generate_data_key, KeyId=key, NumberOfBytes=1025)) == "ValidationException"


def test_generate_data_key_without_plaintext(kms, key):
    out = kms.generate_data_key_without_plaintext(KeyId=key, KeySpec="AES_128")
    assert "Plaintext" not in out
    assert len(kms.decrypt(CiphertextBlob=out["CiphertextBlob"])["Plaintext"]) == 16


@pytest.mark.parametrize("spec", ["RSA_2048", "ECC_NIST_P256", "ECC_SECG_P256K1"])
def test_generate_data_key_pair(kms, key, spec):
    out = kms.generate_data_key_pair(KeyId=key, KeyPairSpec=spec, EncryptionContext={"k": "v"})
    assert out["KeyPairSpec"] == spec and out["KeyId"] == arn(key)
    private = serialization.load_der_private_key(out["PrivateKeyPlaintext"], None)
    public = serialization.load_der_public_key(out["PublicKey"])
    assert private.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo) == out["PublicKey"]
    assert isinstance(public, rsa.RSAPublicKey if spec.startswith("RSA") else ec.EllipticCurvePublicKey)
    assert kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"], EncryptionContext={"k": "v"})[
        "Plaintext"] == out["PrivateKeyPlaintext"]
    bare = kms.generate_data_key_pair_without_plaintext(KeyId=key, KeyPairSpec=spec)
    assert "PrivateKeyPlaintext" not in bare and bare["PublicKey"]


def test_generate_random(kms):
    a, b = (kms.generate_random(NumberOfBytes=64)["Plaintext"] for _ in range(2))
    assert len(a) == 64 and a != b
    assert len(kms.generate_random(NumberOfBytes=1024)["Plaintext"]) == 1024
    assert code(error_of(kms.generate_random, NumberOfBytes=1025)) == "ValidationException"


# -- RSA encryption ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm,hash_cls", [("RSAES_OAEP_SHA_1", hashes.SHA1), ("RSAES_OAEP_SHA_256", hashes.SHA256)])
def test_encrypt_with_the_public_key_then_decrypt(kms, algorithm, hash_cls):
    key = kms.create_key(KeySpec="RSA_3072", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    got = kms.get_public_key(KeyId=key)
    assert got["KeySpec"] == "RSA_3072" and got["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    public = serialization.load_der_public_key(got["PublicKey"])
    oaep = padding.OAEP(mgf=padding.MGF1(hash_cls()), algorithm=hash_cls(), label=None)
    blob = public.encrypt(b"outside secret", oaep)
    out = kms.decrypt(CiphertextBlob=blob, KeyId=key, EncryptionAlgorithm=algorithm)
    assert out["Plaintext"] == b"outside secret" and out["EncryptionAlgorithm"] == algorithm
    # ... and KMS's own RSA ciphertext decrypts with KMS.
    blob = kms.encrypt(KeyId=key, Plaintext=b"inside", EncryptionAlgorithm=algorithm)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, KeyId=key, EncryptionAlgorithm=algorithm)["Plaintext"] == b"inside"


def test_rsa_encryption_rules(kms):
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    assert code(error_of(kms.encrypt, KeyId=key, Plaintext=b"x")) == "InvalidKeyUsageException"
    # RSA_2048 with OAEP SHA-256 holds at most 190 bytes.
    kms.encrypt(KeyId=key, Plaintext=b"x" * 190, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    err = error_of(kms.encrypt, KeyId=key, Plaintext=b"x" * 191, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert code(err) == "ValidationException"
    blob = kms.encrypt(KeyId=key, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    err = error_of(kms.decrypt, CiphertextBlob=blob, KeyId=key, EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert code(err) == "InvalidCiphertextException"


def test_get_public_key_of_a_symmetric_key_is_unsupported(kms, key):
    assert code(error_of(kms.get_public_key, KeyId=key)) == "UnsupportedOperationException"


# -- signatures -----------------------------------------------------------------------------------------------

SIGNING = [("RSA_2048", a) for a in ("RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
                                     "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384",
                                     "RSASSA_PKCS1_V1_5_SHA_512")] + [
    ("ECC_NIST_P256", "ECDSA_SHA_256"), ("ECC_NIST_P384", "ECDSA_SHA_384"), ("ECC_NIST_P521", "ECDSA_SHA_512"),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256")]
HASH = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def _check_locally(public, algorithm, message, signature, prehashed=False):
    h = HASH[algorithm[-3:]]()
    chosen = Prehashed(h) if prehashed else h
    if algorithm.startswith("RSASSA_PSS"):
        public.verify(signature, message, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), chosen)
    elif algorithm.startswith("RSASSA_PKCS1"):
        public.verify(signature, message, padding.PKCS1v15(), chosen)
    else:
        public.verify(signature, message, ec.ECDSA(chosen))


@pytest.mark.parametrize("spec,algorithm", SIGNING)
def test_sign_and_verify(kms, spec, algorithm):
    key = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
    out = kms.sign(KeyId=key, Message=b"the message", SigningAlgorithm=algorithm)
    assert out["KeyId"] == arn(key) and out["SigningAlgorithm"] == algorithm
    _check_locally(public, algorithm, b"the message", out["Signature"])
    assert kms.verify(KeyId=key, Message=b"the message", Signature=out["Signature"],
                      SigningAlgorithm=algorithm)["SignatureValid"] is True
    err = error_of(kms.verify, KeyId=key, Message=b"another message", Signature=out["Signature"],
                   SigningAlgorithm=algorithm)
    assert code(err) == "KMSInvalidSignatureException"


def test_sign_a_digest(kms):
    key = kms.create_key(KeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
    digest = hashlib.sha384(b"big document").digest()
    sig = kms.sign(KeyId=key, Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_384")["Signature"]
    _check_locally(public, "ECDSA_SHA_384", digest, sig, prehashed=True)
    # A digest signature is a signature of the message itself.
    assert kms.verify(KeyId=key, Message=b"big document", Signature=sig,
                      SigningAlgorithm="ECDSA_SHA_384")["SignatureValid"] is True
    err = error_of(kms.sign, KeyId=key, Message=b"short", MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_384")
    assert code(err) == "ValidationException"
    assert message(err) == "Digest is invalid length for algorithm ECDSA_SHA_384."


def test_signing_algorithm_must_suit_the_key(kms):
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    err = error_of(kms.sign, KeyId=key, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert code(err) == "InvalidKeyUsageException"
    err = error_of(kms.sign, KeyId=key, Message=b"m", SigningAlgorithm="ECDSA_SHA_384")
    assert code(err) == "InvalidKeyUsageException"


# -- HMAC -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec,algorithm,size", [("HMAC_224", "HMAC_SHA_224", 28), ("HMAC_256", "HMAC_SHA_256", 32),
                                                 ("HMAC_384", "HMAC_SHA_384", 48), ("HMAC_512", "HMAC_SHA_512", 64)])
def test_generate_and_verify_mac(kms, spec, algorithm, size):
    key = kms.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    out = kms.generate_mac(KeyId=key, Message=b"token body", MacAlgorithm=algorithm)
    assert len(out["Mac"]) == size and out["MacAlgorithm"] == algorithm and out["KeyId"] == arn(key)
    assert kms.generate_mac(KeyId=key, Message=b"token body", MacAlgorithm=algorithm)["Mac"] == out["Mac"]
    assert kms.verify_mac(KeyId=key, Message=b"token body", MacAlgorithm=algorithm,
                          Mac=out["Mac"])["MacValid"] is True
    err = error_of(kms.verify_mac, KeyId=key, Message=b"token bodY", MacAlgorithm=algorithm, Mac=out["Mac"])
    assert code(err) == "KMSInvalidMacException"


def test_mac_algorithm_must_match_the_key(kms):
    key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    err = error_of(kms.generate_mac, KeyId=key, Message=b"m", MacAlgorithm="HMAC_SHA_512")
    assert code(err) == "InvalidKeyUsageException"


# -- key agreement ------------------------------------------------------------------------------------------------


def test_derive_shared_secret(kms):
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
    ours = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
    theirs = ec.generate_private_key(ec.SECP256R1())
    peer = theirs.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    out = kms.derive_shared_secret(KeyId=key, KeyAgreementAlgorithm="ECDH", PublicKey=peer)
    assert out["SharedSecret"] == theirs.exchange(ec.ECDH(), ours)
    assert out["KeyOrigin"] == "AWS_KMS"
    wrong_curve = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    err = error_of(kms.derive_shared_secret, KeyId=key, KeyAgreementAlgorithm="ECDH", PublicKey=wrong_curve)
    assert code(err) == "ValidationException"
