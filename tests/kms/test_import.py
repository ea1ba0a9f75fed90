"""Keys with Origin EXTERNAL: GetParametersForImport, ImportKeyMaterial (wrapped by the
test with the public wrapping key), expiry on the clock, DeleteImportedKeyMaterial."""
import datetime
import hashlib
import hmac
import os

import pytest
from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from .conftest import DAY, arn, code, error_of


def wrap(params, material, algorithm):
    public = serialization.load_der_public_key(params["PublicKey"])
    if algorithm == "RSAES_PKCS1_V1_5":
        return public.encrypt(material, padding.PKCS1v15())
    h = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    oaep = padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return public.encrypt(material, oaep)
    aes = os.urandom(32)
    return public.encrypt(aes, oaep) + keywrap.aes_key_wrap_with_padding(aes, material)


def import_material(kms, key, material, algorithm="RSAES_OAEP_SHA_256", spec="RSA_2048", **kwargs):
    params = kms.get_parameters_for_import(KeyId=key, WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
    return kms.import_key_material(KeyId=key, ImportToken=params["ImportToken"],
                                   EncryptedKeyMaterial=wrap(params, material, algorithm), **kwargs)


@pytest.fixture
def external(kms):
    return kms.create_key(Origin="EXTERNAL", Description="byok")["KeyMetadata"]["KeyId"]


def test_an_external_key_waits_for_its_material(kms, external):
    md = kms.describe_key(KeyId=external)["KeyMetadata"]
    assert md["Origin"] == "EXTERNAL" and md["KeyState"] == "PendingImport" and md["Enabled"] is False
    err = error_of(kms.encrypt, KeyId=external, Plaintext=b"x")
    assert code(err) == "KMSInvalidStateException"


@pytest.mark.parametrize("algorithm,spec", [("RSAES_OAEP_SHA_256", "RSA_2048"), ("RSAES_OAEP_SHA_1", "RSA_3072"),
                                            ("RSA_AES_KEY_WRAP_SHA_256", "RSA_2048"),
                                            ("RSA_AES_KEY_WRAP_SHA_1", "RSA_2048"),
                                            ("RSAES_PKCS1_V1_5", "RSA_2048")])
def test_import_symmetric_material(kms, external, algorithm, spec):
    material = os.urandom(32)
    out = import_material(kms, external, material, algorithm, spec)
    assert out["KeyId"] == arn(external) and len(out["KeyMaterialId"]) == 64
    md = kms.describe_key(KeyId=external)["KeyMetadata"]
    assert md["KeyState"] == "Enabled" and md["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    blob = kms.encrypt(KeyId=external, Plaintext=b"byok data")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"byok data"


def test_parameters(kms, external):
    params = kms.get_parameters_for_import(KeyId=external, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_4096")
    assert serialization.load_der_public_key(params["PublicKey"]).key_size == 4096
    assert params["KeyId"] == arn(external) and params["ImportToken"]
    assert "ParametersValidTo" in params


def test_only_external_keys_take_imports(kms, key):
    err = error_of(kms.get_parameters_for_import, KeyId=key, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                   WrappingKeySpec="RSA_2048")
    assert code(err) == "UnsupportedOperationException"


def test_token_is_single_use_and_expires(nubis, kms, external):
    params = kms.get_parameters_for_import(KeyId=external, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")
    nubis.advance(DAY + 1)
    err = error_of(kms.import_key_material, KeyId=external, ImportToken=params["ImportToken"],
                   EncryptedKeyMaterial=wrap(params, os.urandom(32), "RSAES_OAEP_SHA_256"))
    assert code(err) == "ExpiredImportTokenException"
    params = kms.get_parameters_for_import(KeyId=external, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")
    material = os.urandom(32)
    kms.import_key_material(KeyId=external, ImportToken=params["ImportToken"],
                            EncryptedKeyMaterial=wrap(params, material, "RSAES_OAEP_SHA_256"))
    err = error_of(kms.import_key_material, KeyId=external, ImportToken=params["ImportToken"],
                   EncryptedKeyMaterial=wrap(params, material, "RSAES_OAEP_SHA_256"))
    assert code(err) == "InvalidImportTokenException"


def test_wrong_material(kms, external):
    assert code(error_of(import_material, kms, external, os.urandom(16))) == "IncorrectKeyMaterialException"
    params = kms.get_parameters_for_import(KeyId=external, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")
    err = error_of(kms.import_key_material, KeyId=external, ImportToken=params["ImportToken"],
                   EncryptedKeyMaterial=b"\x01" * 256)
    assert code(err) == "InvalidCiphertextException"


def test_material_expires_on_the_clock_and_the_same_material_comes_back(nubis, kms, external):
    material = os.urandom(32)
    valid_to = datetime.datetime.fromtimestamp(nubis.clock() + 2 * DAY, datetime.timezone.utc)
    import_material(kms, external, material, ValidTo=valid_to, ExpirationModel="KEY_MATERIAL_EXPIRES")
    md = kms.describe_key(KeyId=external)["KeyMetadata"]
    assert md["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert md["ValidTo"].timestamp() == pytest.approx(valid_to.timestamp(), abs=1)
    blob = kms.encrypt(KeyId=external, Plaintext=b"before expiry")["CiphertextBlob"]
    nubis.advance(2 * DAY + 1)
    assert kms.describe_key(KeyId=external)["KeyMetadata"]["KeyState"] == "PendingImport"
    assert code(error_of(kms.decrypt, CiphertextBlob=blob)) == "KMSInvalidStateException"
    # Other material is refused; the same material brings the old ciphertexts back.
    assert code(error_of(import_material, kms, external, os.urandom(32))) == "IncorrectKeyMaterialException"
    import_material(kms, external, material)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before expiry"


def test_delete_imported_key_material(kms, external):
    out = import_material(kms, external, os.urandom(32))
    deleted = kms.delete_imported_key_material(KeyId=external)
    assert deleted["KeyId"] == arn(external) and deleted["KeyMaterialId"] == out["KeyMaterialId"]
    assert kms.describe_key(KeyId=external)["KeyMetadata"]["KeyState"] == "PendingImport"


def test_import_hmac_and_asymmetric_material(kms):
    hmac_key = kms.create_key(Origin="EXTERNAL", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    hmac_id = hmac_key["KeyMetadata"]["KeyId"]
    secret = os.urandom(32)
    import_material(kms, hmac_id, secret)
    mac = kms.generate_mac(KeyId=hmac_id, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert mac == hmac.new(secret, b"m", hashlib.sha256).digest()

    ec_id = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    import_material(kms, ec_id, der, "RSA_AES_KEY_WRAP_SHA_256")
    sig = kms.sign(KeyId=ec_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    private.public_key().verify(sig, b"m", ec.ECDSA(hashes.SHA256()))
    wrong = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    other = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    assert code(error_of(import_material, kms, other, wrong, "RSA_AES_KEY_WRAP_SHA_256")) == \
        "IncorrectKeyMaterialException"
