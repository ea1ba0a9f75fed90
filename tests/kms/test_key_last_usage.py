"""GetKeyLastUsage: the last successful cryptographic operation with a key."""
from .conftest import code, error_of


def test_a_new_key_has_no_usage_and_tracks_from_its_creation(kms, key):
    out = kms.get_key_last_usage(KeyId=key)
    assert out["KeyId"] == key
    assert "KeyLastUsage" not in out
    assert out["TrackingStartDate"] == out["KeyCreationDate"] == kms.describe_key(KeyId=key)["KeyMetadata"]["CreationDate"]


def test_each_successful_use_is_recorded_with_its_time(kms, key, nubis):
    kms.encrypt(KeyId=key, Plaintext=b"x")
    usage = kms.get_key_last_usage(KeyId=key)["KeyLastUsage"]
    assert usage["Operation"] == "Encrypt" and usage["KmsRequestId"]
    first = usage["Timestamp"]
    nubis.advance(3600)
    blob = kms.generate_data_key(KeyId=key, KeySpec="AES_128")["CiphertextBlob"]
    usage = kms.get_key_last_usage(KeyId=key)["KeyLastUsage"]
    assert usage["Operation"] == "GenerateDataKey"
    assert (usage["Timestamp"] - first).total_seconds() == 3600
    kms.decrypt(CiphertextBlob=blob)
    assert kms.get_key_last_usage(KeyId=key)["KeyLastUsage"]["Operation"] == "Decrypt"


def test_failed_uses_and_dry_runs_are_not_recorded(kms, key):
    blob = kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    assert code(error_of(lambda: kms.decrypt(CiphertextBlob=tampered))) == "InvalidCiphertextException"
    assert code(error_of(lambda: kms.generate_data_key(KeyId=key, KeySpec="AES_256", DryRun=True))) == \
        "DryRunOperationException"
    assert kms.get_key_last_usage(KeyId=key)["KeyLastUsage"]["Operation"] == "Encrypt"
    # Describing a key is no cryptographic use.
    kms.describe_key(KeyId=key)
    assert kms.get_key_last_usage(KeyId=key)["KeyLastUsage"]["Operation"] == "Encrypt"


def test_re_encrypt_counts_for_both_keys(kms, key):
    dest = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=dest)
    assert kms.get_key_last_usage(KeyId=key)["KeyLastUsage"]["Operation"] == "ReEncrypt"
    assert kms.get_key_last_usage(KeyId=dest)["KeyLastUsage"]["Operation"] == "ReEncrypt"


def test_signing_and_mac_keys(kms):
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    sig = kms.sign(KeyId=signing, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    assert kms.get_key_last_usage(KeyId=signing)["KeyLastUsage"]["Operation"] == "Sign"
    kms.verify(KeyId=signing, Message=b"m", Signature=sig, SigningAlgorithm="ECDSA_SHA_256")
    assert kms.get_key_last_usage(KeyId=signing)["KeyLastUsage"]["Operation"] == "Verify"
    mac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    kms.generate_mac(KeyId=mac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256")
    assert kms.get_key_last_usage(KeyId=mac_key)["KeyLastUsage"]["Operation"] == "GenerateMac"


def test_multi_region_keys_track_usage_separately(kms, aws_client):
    mrk = kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    kms.replicate_key(KeyId=mrk, ReplicaRegion="eu-west-1")
    other = aws_client("kms", region="eu-west-1")
    other.encrypt(KeyId=mrk, Plaintext=b"x")
    assert other.get_key_last_usage(KeyId=mrk)["KeyLastUsage"]["Operation"] == "Encrypt"
    assert "KeyLastUsage" not in kms.get_key_last_usage(KeyId=mrk)


def test_unknown_keys_and_aliases(kms, key):
    kms.create_alias(AliasName="alias/used", TargetKeyId=key)
    assert code(error_of(lambda: kms.get_key_last_usage(KeyId="11111111-2222-3333-4444-555555555555"))) == \
        "NotFoundException"
    assert code(error_of(lambda: kms.get_key_last_usage(KeyId="alias/used"))) == "ValidationException"
