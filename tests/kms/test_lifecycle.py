"""Key deletion and rotation on the controllable clock."""
import pytest

from .conftest import DAY, arn, code, error_of, message


# -- deletion --------------------------------------------------------------------------------------------------


def test_schedule_deletion_then_the_key_is_gone_on_the_day(nubis, kms, key):
    kms.create_alias(AliasName="alias/doomed", TargetKeyId=key)
    blob = kms.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
    before = nubis.clock()
    out = kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    assert out["KeyId"] == arn(key) and out["KeyState"] == "PendingDeletion" and out["PendingWindowInDays"] == 7
    assert out["DeletionDate"].timestamp() == pytest.approx(before + 7 * DAY, abs=2)
    md = kms.describe_key(KeyId=key)["KeyMetadata"]
    assert md["KeyState"] == "PendingDeletion" and md["Enabled"] is False
    assert md["PendingDeletionWindowInDays"] == 7 and md["DeletionDate"] == out["DeletionDate"]
    err = error_of(kms.decrypt, CiphertextBlob=blob)
    assert code(err) == "KMSInvalidStateException" and message(err) == f"{arn(key)} is pending deletion."
    assert code(error_of(kms.encrypt, KeyId=key, Plaintext=b"x")) == "KMSInvalidStateException"
    assert code(error_of(kms.enable_key, KeyId=key)) == "KMSInvalidStateException"
    assert code(error_of(kms.schedule_key_deletion, KeyId=key)) == "KMSInvalidStateException"

    nubis.advance(7 * DAY - 60)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    nubis.advance(120)
    assert code(error_of(kms.describe_key, KeyId=key)) == "NotFoundException"
    assert code(error_of(kms.describe_key, KeyId="alias/doomed")) == "NotFoundException"
    assert kms.list_keys()["Keys"] == []
    assert kms.list_aliases()["Aliases"] == []


def test_default_window_is_30_days(nubis, kms, key):
    assert kms.schedule_key_deletion(KeyId=key)["PendingWindowInDays"] == 30
    nubis.advance(29 * DAY)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    nubis.advance(1 * DAY + 1)
    assert code(error_of(kms.describe_key, KeyId=key)) == "NotFoundException"


@pytest.mark.parametrize("days", [6, 31, 0])
def test_window_is_7_to_30_days(raw_kms, key, days):
    err = error_of(raw_kms.schedule_key_deletion, KeyId=key, PendingWindowInDays=days)
    assert code(err) == "ValidationException"
    assert "pendingWindowInDays" in message(err)


def test_cancel_deletion_leaves_the_key_disabled(nubis, kms, key):
    blob = kms.encrypt(KeyId=key, Plaintext=b"kept")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    assert kms.cancel_key_deletion(KeyId=key)["KeyId"] == arn(key)
    md = kms.describe_key(KeyId=key)["KeyMetadata"]
    assert md["KeyState"] == "Disabled" and "DeletionDate" not in md
    nubis.advance(8 * DAY)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(KeyId=key)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"
    err = error_of(kms.cancel_key_deletion, KeyId=key)
    assert code(err) == "KMSInvalidStateException"


# -- rotation ---------------------------------------------------------------------------------------------------


def test_rotation_status_and_period(kms, raw_kms, key):
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=key)
    status = kms.get_key_rotation_status(KeyId=key)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 365
    assert "NextRotationDate" in status
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    assert kms.get_key_rotation_status(KeyId=key)["RotationPeriodInDays"] == 90
    for bad in (89, 2561):
        assert code(error_of(raw_kms.enable_key_rotation, KeyId=key, RotationPeriodInDays=bad)) == "ValidationException"
    kms.disable_key_rotation(KeyId=key)
    status = kms.get_key_rotation_status(KeyId=key)
    assert status["KeyRotationEnabled"] is False and "RotationPeriodInDays" not in status


def test_automatic_rotation_keeps_old_ciphertexts_decryptable(nubis, kms, key):
    old_material = kms.describe_key(KeyId=key)["KeyMetadata"]["CurrentKeyMaterialId"]
    old_blob = kms.encrypt(KeyId=key, Plaintext=b"written before", EncryptionContext={"c": "1"})["CiphertextBlob"]
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    nubis.advance(89 * DAY)
    assert kms.list_key_rotations(KeyId=key)["Rotations"] == []
    nubis.advance(1 * DAY + 1)
    [rotation] = kms.list_key_rotations(KeyId=key)["Rotations"]
    assert rotation["RotationType"] == "AUTOMATIC" and rotation["KeyMaterialState"] == "CURRENT"
    new_material = kms.describe_key(KeyId=key)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert new_material == rotation["KeyMaterialId"] != old_material
    new_blob = kms.encrypt(KeyId=key, Plaintext=b"written after")["CiphertextBlob"]
    old = kms.decrypt(CiphertextBlob=old_blob, EncryptionContext={"c": "1"})
    assert old["Plaintext"] == b"written before" and old["KeyMaterialId"] == old_material
    new = kms.decrypt(CiphertextBlob=new_blob)
    assert new["Plaintext"] == b"written after" and new["KeyMaterialId"] == new_material
    nubis.advance(90 * DAY)
    assert len(kms.list_key_rotations(KeyId=key)["Rotations"]) == 2


def test_rotate_on_demand(kms, key):
    blobs = [kms.encrypt(KeyId=key, Plaintext=b"v0")["CiphertextBlob"]]
    for n in (1, 2):
        assert kms.rotate_key_on_demand(KeyId=key)["KeyId"] == key
        blobs.append(kms.encrypt(KeyId=key, Plaintext=f"v{n}".encode())["CiphertextBlob"])
    rotations = kms.list_key_rotations(KeyId=key)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND", "ON_DEMAND"]
    assert [r["KeyMaterialState"] for r in rotations] == ["NON_CURRENT", "CURRENT"]
    everything = kms.list_key_rotations(KeyId=key, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert len(everything) == 3 and "RotationType" not in everything[0]
    assert [kms.decrypt(CiphertextBlob=b)["Plaintext"] for b in blobs] == [b"v0", b"v1", b"v2"]
    page = kms.list_key_rotations(KeyId=key, Limit=1)
    assert page["Truncated"] is True and len(page["Rotations"]) == 1


def test_only_symmetric_aws_kms_keys_rotate(kms):
    rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    for call in (kms.enable_key_rotation, kms.rotate_key_on_demand, kms.get_key_rotation_status):
        assert code(error_of(call, KeyId=rsa)) == "UnsupportedOperationException"
    external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    assert code(error_of(kms.rotate_key_on_demand, KeyId=external)) == "UnsupportedOperationException"


def test_a_disabled_key_does_not_rotate(kms, key):
    kms.disable_key(KeyId=key)
    assert code(error_of(kms.rotate_key_on_demand, KeyId=key)) == "DisabledException"
    assert code(error_of(kms.enable_key_rotation, KeyId=key)) == "DisabledException"
