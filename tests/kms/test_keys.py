"""Keys: CreateKey's specs and usages, DescribeKey's metadata, every way to name a key,
ListKeys, Enable/DisableKey, descriptions, key policies and tags."""
import json

import pytest

from .conftest import ACCOUNT, arn, code, error_of, message, status

VALID = [
    ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", {"EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"]}),
    ("RSA_2048", "ENCRYPT_DECRYPT", {"EncryptionAlgorithms": ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]}),
    ("RSA_3072", "SIGN_VERIFY", {"SigningAlgorithms": [
        "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
        "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"]}),
    ("ECC_NIST_P256", "SIGN_VERIFY", {"SigningAlgorithms": ["ECDSA_SHA_256"]}),
    ("ECC_NIST_P384", "SIGN_VERIFY", {"SigningAlgorithms": ["ECDSA_SHA_384"]}),
    ("ECC_NIST_P521", "SIGN_VERIFY", {"SigningAlgorithms": ["ECDSA_SHA_512"]}),
    ("ECC_SECG_P256K1", "SIGN_VERIFY", {"SigningAlgorithms": ["ECDSA_SHA_256"]}),
    ("ECC_NIST_P256", "KEY_AGREEMENT", {"KeyAgreementAlgorithms": ["ECDH"]}),
    ("HMAC_224", "GENERATE_VERIFY_MAC", {"MacAlgorithms": ["HMAC_SHA_224"]}),
    ("HMAC_512", "GENERATE_VERIFY_MAC", {"MacAlgorithms": ["HMAC_SHA_512"]}),
]


@pytest.mark.parametrize("spec,usage,algorithms", VALID)
def test_create_key_of_each_spec(kms, spec, usage, algorithms):
    md = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
    assert md["KeySpec"] == md["CustomerMasterKeySpec"] == spec
    assert md["KeyUsage"] == usage
    for member, value in algorithms.items():
        assert md[member] == value
    assert kms.describe_key(KeyId=md["KeyId"])["KeyMetadata"] == md


def test_create_key_defaults_and_full_metadata(kms):
    md = kms.create_key()["KeyMetadata"]
    assert md["KeySpec"] == "SYMMETRIC_DEFAULT" and md["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert md["AWSAccountId"] == ACCOUNT
    assert md["Arn"] == arn(md["KeyId"])
    assert md["Enabled"] is True and md["KeyState"] == "Enabled"
    assert md["Origin"] == "AWS_KMS" and md["KeyManager"] == "CUSTOMER"
    assert md["Description"] == ""
    assert md["MultiRegion"] is False
    assert len(md["CurrentKeyMaterialId"]) == 64
    assert "DeletionDate" not in md


def test_multi_region_key(kms):
    md = kms.create_key(MultiRegion=True, Description="mrk")["KeyMetadata"]
    assert md["KeyId"].startswith("mrk-") and len(md["KeyId"]) == 36
    assert md["MultiRegion"] is True
    assert md["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    assert md["MultiRegionConfiguration"]["PrimaryKey"] == {"Arn": md["Arn"], "Region": "us-east-1"}
    blob = kms.encrypt(KeyId=md["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


@pytest.mark.parametrize("spec,usage", [("SYMMETRIC_DEFAULT", "SIGN_VERIFY"), ("ECC_NIST_P256", "ENCRYPT_DECRYPT"),
                                        ("ECC_SECG_P256K1", "KEY_AGREEMENT"), ("HMAC_256", "ENCRYPT_DECRYPT"),
                                        ("RSA_2048", "GENERATE_VERIFY_MAC")])
def test_incompatible_spec_and_usage_is_refused(kms, spec, usage):
    err = error_of(kms.create_key, KeySpec=spec, KeyUsage=usage)
    assert code(err) == "ValidationException" and status(err) == 400
    assert kms.list_keys()["Keys"] == []


def test_hmac_key_needs_its_usage_said(kms):
    # KeyUsage defaults to ENCRYPT_DECRYPT, which an HMAC key cannot have.
    assert code(error_of(kms.create_key, KeySpec="HMAC_256")) == "ValidationException"


def test_key_spec_and_deprecated_spec_together_are_refused(kms):
    err = error_of(kms.create_key, KeySpec="RSA_2048", CustomerMasterKeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    assert code(err) == "ValidationException"
    md = kms.create_key(CustomerMasterKeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert md["KeySpec"] == "RSA_2048"


def test_key_named_by_id_arn_alias_and_alias_arn(kms, key):
    kms.create_alias(AliasName="alias/named", TargetKeyId=key)
    for ident in (key, arn(key), "alias/named", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/named"):
        assert kms.describe_key(KeyId=ident)["KeyMetadata"]["KeyId"] == key
        blob = kms.encrypt(KeyId=ident, Plaintext=b"p")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob, KeyId=ident)["Plaintext"] == b"p"


def test_unknown_keys(kms):
    missing = "11111111-2222-3333-4444-555555555555"
    err = error_of(kms.describe_key, KeyId=missing)
    assert code(err) == "NotFoundException"
    assert message(err) == f"Key '{arn(missing)}' does not exist"
    err = error_of(kms.describe_key, KeyId="alias/nothing")
    assert code(err) == "NotFoundException"
    assert message(err) == f"Alias 'arn:aws:kms:us-east-1:{ACCOUNT}:alias/nothing' is not found."
    assert code(error_of(kms.describe_key, KeyId="not-a-key")) == "NotFoundException"
    assert code(error_of(kms.encrypt, KeyId=missing, Plaintext=b"x")) == "NotFoundException"


def test_keys_are_regional(kms, aws_client, key):
    west = aws_client("kms", region="us-west-2")
    assert code(error_of(west.describe_key, KeyId=key)) == "NotFoundException"
    assert west.list_keys()["Keys"] == []


def test_list_keys_pages(kms):
    ids = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(5)]
    first = kms.list_keys(Limit=2)
    assert first["Truncated"] is True and len(first["Keys"]) == 2
    seen = [k["KeyId"] for k in first["Keys"]]
    marker = first["NextMarker"]
    while marker:
        page = kms.list_keys(Limit=2, Marker=marker)
        seen += [k["KeyId"] for k in page["Keys"]]
        marker = page.get("NextMarker")
    assert sorted(seen) == sorted(ids)
    assert all(k["KeyArn"] == arn(k["KeyId"]) for k in kms.list_keys()["Keys"])


def test_disable_and_enable(kms, key):
    blob = kms.encrypt(KeyId=key, Plaintext=b"secret")["CiphertextBlob"]
    kms.disable_key(KeyId=key)
    md = kms.describe_key(KeyId=key)["KeyMetadata"]
    assert md["Enabled"] is False and md["KeyState"] == "Disabled"
    err = error_of(kms.encrypt, KeyId=key, Plaintext=b"x")
    assert code(err) == "DisabledException" and message(err) == f"{arn(key)} is disabled."
    assert code(error_of(kms.decrypt, CiphertextBlob=blob)) == "DisabledException"
    assert code(error_of(kms.generate_data_key, KeyId=key, KeySpec="AES_256")) == "DisabledException"
    kms.enable_key(KeyId=key)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"


def test_update_key_description(kms, key):
    kms.update_key_description(KeyId=key, Description="new words")
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["Description"] == "new words"


def test_default_key_policy_and_put(kms, key):
    assert kms.list_key_policies(KeyId=key)["PolicyNames"] == ["default"]
    got = kms.get_key_policy(KeyId=key)
    policy = json.loads(got["Policy"])
    assert got["PolicyName"] == "default"
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "kms:*"
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    mine = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}]}
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(mine))
    assert json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]) == mine
    assert code(error_of(kms.put_key_policy, KeyId=key, Policy="{not json")) == "MalformedPolicyDocumentException"
    assert code(error_of(kms.get_key_policy, KeyId=key, PolicyName="other")) == "NotFoundException"


def test_create_key_with_policy(kms):
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
         "Resource": "*"}]})
    md = kms.create_key(Policy=policy)["KeyMetadata"]
    assert kms.get_key_policy(KeyId=md["KeyId"])["Policy"] == policy


def test_policy_lockout_safety_check(kms, key):
    """A key policy that would stop its author from changing it again is refused,
    unless BypassPolicyLockoutSafetyCheck says otherwise."""
    locked = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:Decrypt",
         "Resource": "*"}]})
    for call in (lambda **kw: kms.create_key(Policy=locked, **kw),
                 lambda **kw: kms.put_key_policy(KeyId=key, PolicyName="default", Policy=locked, **kw)):
        err = error_of(call)
        assert code(err) == "MalformedPolicyDocumentException"
        assert message(err) == "The new key policy will not allow you to update the key policy in the future."
        call(BypassPolicyLockoutSafetyCheck=True)
    assert kms.get_key_policy(KeyId=key)["Policy"] == locked
    assert len(kms.list_keys()["Keys"]) == 2


def test_tags(kms):
    key = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "core"}])["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=key, Tags=[{"TagKey": "env", "TagValue": "dev"}, {"TagKey": "team", "TagValue": "infra"}])
    assert kms.list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": "team", "TagValue": "infra"},
                                                         {"TagKey": "env", "TagValue": "dev"}]
    kms.untag_resource(KeyId=key, TagKeys=["team"])
    assert kms.list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": "env", "TagValue": "dev"}]
    err = error_of(kms.tag_resource, KeyId=key, Tags=[{"TagKey": "aws:reserved", "TagValue": "x"}])
    assert code(err) == "TagException"


def test_aws_managed_key_made_on_first_use(kms):
    md = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert md["KeyManager"] == "AWS"
    assert kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"] == md["KeyId"]
    assert kms.get_key_rotation_status(KeyId=md["KeyId"])["KeyRotationEnabled"] is True
    assert code(error_of(kms.schedule_key_deletion, KeyId=md["KeyId"])) == "NotAuthorizedException"


def test_dry_run(kms, key):
    err = error_of(kms.encrypt, KeyId=key, Plaintext=b"x", DryRun=True)
    assert code(err) == "DryRunOperationException" and status(err) == 412


def test_describe_key_by_alias_through_the_internal_client(tmp_path):
    """How other services check a KmsMasterKeyId: DescribeKey through the internal client,
    by alias, and NotFoundException for a key that is not there."""
    import asyncio

    from nubis.config import Config
    from nubis.protocol.errors import ServiceError
    from nubis.runtime.core import Runtime

    async def main():
        rt = Runtime(Config(data_dir=str(tmp_path), ephemeral=False))
        await rt.start()
        try:
            def call(op, params):
                return rt.internal.call("kms", op, params, account=ACCOUNT, region="us-east-1",
                                        principal="sqs.amazonaws.com")
            key = (await call("CreateKey", {}))["KeyMetadata"]["KeyId"]
            await call("CreateAlias", {"AliasName": "alias/for-queues", "TargetKeyId": key})
            assert (await call("DescribeKey", {"KeyId": "alias/for-queues"}))["KeyMetadata"]["KeyId"] == key
            managed = await call("DescribeKey", {"KeyId": "alias/aws/sqs"})
            assert managed["KeyMetadata"]["KeyManager"] == "AWS"
            with pytest.raises(ServiceError) as info:
                await call("DescribeKey", {"KeyId": "alias/absent"})
            assert info.value.code == "NotFoundException"
        finally:
            await rt.stop()
    asyncio.run(main())


def test_list_keys_default_page_is_100_and_a_bad_marker_is_refused(kms):
    for _ in range(101):
        kms.create_key()
    first = kms.list_keys()
    assert len(first["Keys"]) == 100 and first["Truncated"] is True
    assert len(kms.list_keys(Marker=first["NextMarker"])["Keys"]) == 1
    assert code(error_of(kms.list_keys, Marker="garbage")) == "InvalidMarkerException"
