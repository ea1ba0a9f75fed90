"""Key specs: which usages each allows and which algorithms each offers.

From the developer guide's "Key spec reference": symmetric keys encrypt,
RSA keys encrypt or sign, NIST curves sign or agree on keys, secp256k1 only
signs, HMAC keys only make MACs.
"""
from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"
SIGN_VERIFY = "SIGN_VERIFY"
GENERATE_VERIFY_MAC = "GENERATE_VERIFY_MAC"
KEY_AGREEMENT = "KEY_AGREEMENT"

SYMMETRIC = "SYMMETRIC_DEFAULT"
RSA_SIZES = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
CURVES = {"ECC_NIST_P256": ec.SECP256R1, "ECC_NIST_P384": ec.SECP384R1, "ECC_NIST_P521": ec.SECP521R1,
          "ECC_SECG_P256K1": ec.SECP256K1}
HMAC_BYTES = {"HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64}

USAGES = {SYMMETRIC: (ENCRYPT_DECRYPT,),
          **{s: (ENCRYPT_DECRYPT, SIGN_VERIFY) for s in RSA_SIZES},
          "ECC_NIST_P256": (SIGN_VERIFY, KEY_AGREEMENT), "ECC_NIST_P384": (SIGN_VERIFY, KEY_AGREEMENT),
          "ECC_NIST_P521": (SIGN_VERIFY, KEY_AGREEMENT), "ECC_SECG_P256K1": (SIGN_VERIFY,),
          **{s: (GENERATE_VERIFY_MAC,) for s in HMAC_BYTES}}

ALL_KEY_USAGES = (SIGN_VERIFY, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT)
# Specs the model knows and nubis cannot make (no SM2 or ML-DSA in ``cryptography``).
UNSUPPORTED_SPECS = ("SM2", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ECC_NIST_EDWARDS25519")

RSA_ENCRYPTION = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")
RSA_SIGNING = ("RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
               "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512")
ECDSA = {"ECC_NIST_P256": "ECDSA_SHA_256", "ECC_NIST_P384": "ECDSA_SHA_384", "ECC_NIST_P521": "ECDSA_SHA_512",
         "ECC_SECG_P256K1": "ECDSA_SHA_256"}
MAC_ALGORITHM = {"HMAC_224": "HMAC_SHA_224", "HMAC_256": "HMAC_SHA_256", "HMAC_384": "HMAC_SHA_384",
                 "HMAC_512": "HMAC_SHA_512"}

HASHES = {"SHA_1": hashes.SHA1, "SHA_224": hashes.SHA224, "SHA_256": hashes.SHA256,
          "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}

ALL_SIGNING = RSA_SIGNING + ("ECDSA_SHA_256", "ECDSA_SHA_384", "ECDSA_SHA_512")
ALL_ENCRYPTION = (SYMMETRIC,) + RSA_ENCRYPTION
ALL_MAC = tuple(MAC_ALGORITHM.values())
DATA_KEY_PAIR_SPECS = tuple(RSA_SIZES) + tuple(CURVES)


def hash_of(algorithm: str) -> hashes.HashAlgorithm:
    """``RSASSA_PSS_SHA_256`` / ``HMAC_SHA_384`` / ``RSAES_OAEP_SHA_1`` -> the hash."""
    return HASHES[algorithm[algorithm.index("SHA_"):]]()


def algorithms(spec: str, usage: str) -> dict:
    """The KeyMetadata members naming what a key of this spec and usage can do."""
    out: dict = {}
    if usage == ENCRYPT_DECRYPT:
        out["EncryptionAlgorithms"] = [SYMMETRIC] if spec == SYMMETRIC else list(RSA_ENCRYPTION)
    elif usage == SIGN_VERIFY:
        out["SigningAlgorithms"] = list(RSA_SIGNING) if spec in RSA_SIZES else [ECDSA[spec]]
    elif usage == GENERATE_VERIFY_MAC:
        out["MacAlgorithms"] = [MAC_ALGORITHM[spec]]
    elif usage == KEY_AGREEMENT:
        out["KeyAgreementAlgorithms"] = ["ECDH"]
    return out
