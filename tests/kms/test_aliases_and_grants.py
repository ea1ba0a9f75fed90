"""Aliases (CreateAlias's rules, UpdateAlias, DeleteAlias, ListAliases) and grants."""
import pytest

from .conftest import ACCOUNT, arn, code, error_of, message

# -- aliases -----------------------------------------------------------------------------------------------


def test_create_list_update_delete_alias(kms, key):
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/app/data", TargetKeyId=key)
    kms.create_alias(AliasName="alias/second", TargetKeyId=arn(key))
    kms.create_alias(AliasName="alias/other", TargetKeyId=other)
    listed = kms.list_aliases()["Aliases"]
    assert [a["AliasName"] for a in listed] == ["alias/app/data", "alias/other", "alias/second"]
    first = listed[0]
    assert first["AliasArn"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/app/data"
    assert first["TargetKeyId"] == key and "CreationDate" in first and "LastUpdatedDate" in first
    assert [a["AliasName"] for a in kms.list_aliases(KeyId=key)["Aliases"]] == ["alias/app/data", "alias/second"]

    blob = kms.encrypt(KeyId="alias/app/data", Plaintext=b"p")["CiphertextBlob"]
    kms.update_alias(AliasName="alias/app/data", TargetKeyId=other)
    assert kms.describe_key(KeyId="alias/app/data")["KeyMetadata"]["KeyId"] == other
    # The old ciphertext names its key, not the alias.
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"

    kms.delete_alias(AliasName="alias/app/data")
    assert code(error_of(kms.describe_key, KeyId="alias/app/data")) == "NotFoundException"
    assert code(error_of(kms.delete_alias, AliasName="alias/app/data")) == "NotFoundException"


def test_alias_pages(kms, key):
    for n in range(5):
        kms.create_alias(AliasName=f"alias/a{n}", TargetKeyId=key)
    page = kms.list_aliases(Limit=3)
    assert page["Truncated"] is True and len(page["Aliases"]) == 3
    rest = kms.list_aliases(Limit=3, Marker=page["NextMarker"])
    assert rest["Truncated"] is False and len(rest["Aliases"]) == 2


def test_alias_name_rules(kms, raw_kms, key):
    err = error_of(kms.create_alias, AliasName="no-prefix", TargetKeyId=key)
    assert code(err) == "ValidationException"
    assert message(err).startswith('Alias must start with the prefix "alias/".')
    assert code(error_of(kms.create_alias, AliasName="alias/aws/mine", TargetKeyId=key)) == "NotAuthorizedException"
    assert code(error_of(raw_kms.create_alias, AliasName="alias/bad name", TargetKeyId=key)) == "ValidationException"
    kms.create_alias(AliasName="alias/taken", TargetKeyId=key)
    err = error_of(kms.create_alias, AliasName="alias/taken", TargetKeyId=key)
    assert code(err) == "AlreadyExistsException"
    assert message(err) == f"An alias with the name arn:aws:kms:us-east-1:{ACCOUNT}:alias/taken already exists"
    assert code(error_of(kms.create_alias, AliasName="alias/x",
                         TargetKeyId="11111111-2222-3333-4444-555555555555")) == "NotFoundException"


def test_alias_target_is_a_key_not_an_alias(kms, key):
    kms.create_alias(AliasName="alias/one", TargetKeyId=key)
    assert code(error_of(kms.create_alias, AliasName="alias/two", TargetKeyId="alias/one")) == "ValidationException"


def test_alias_cannot_target_a_key_pending_deletion(kms, key):
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    err = error_of(kms.create_alias, AliasName="alias/late", TargetKeyId=key)
    assert code(err) == "KMSInvalidStateException"


def test_update_alias_keeps_to_the_same_kind_of_key(kms, key):
    signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/enc", TargetKeyId=key)
    assert code(error_of(kms.update_alias, AliasName="alias/enc", TargetKeyId=signing)) == "ValidationException"
    assert code(error_of(kms.update_alias, AliasName="alias/none", TargetKeyId=key)) == "NotFoundException"


# -- grants ------------------------------------------------------------------------------------------------------

GRANTEE = f"arn:aws:iam::{ACCOUNT}:role/worker"
RETIREE = f"arn:aws:iam::{ACCOUNT}:role/admin"


def test_create_and_list_grants(kms, key):
    made = kms.create_grant(KeyId=key, GranteePrincipal=GRANTEE, RetiringPrincipal=RETIREE,
                            Operations=["Encrypt", "Decrypt"], Name="workers",
                            Constraints={"EncryptionContextSubset": {"team": "a"}})
    assert len(made["GrantId"]) == 64 and made["GrantToken"]
    [grant] = kms.list_grants(KeyId=key)["Grants"]
    assert grant["KeyId"] == arn(key) and grant["GrantId"] == made["GrantId"]
    assert grant["GranteePrincipal"] == GRANTEE and grant["RetiringPrincipal"] == RETIREE
    assert grant["Operations"] == ["Encrypt", "Decrypt"] and grant["Name"] == "workers"
    assert grant["IssuingAccount"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert grant["Constraints"] == {"EncryptionContextSubset": {"team": "a"}}
    assert kms.list_grants(KeyId=key, GranteePrincipal="someone-else")["Grants"] == []
    assert len(kms.list_grants(KeyId=key, GrantId=made["GrantId"])["Grants"]) == 1
    # The same named grant again is the same grant.
    again = kms.create_grant(KeyId=key, GranteePrincipal=GRANTEE, RetiringPrincipal=RETIREE,
                             Operations=["Decrypt", "Encrypt"], Name="workers",
                             Constraints={"EncryptionContextSubset": {"team": "a"}})
    assert again["GrantId"] == made["GrantId"]
    assert len(kms.list_grants(KeyId=key)["Grants"]) == 1
    [retirable] = kms.list_retirable_grants(RetiringPrincipal=RETIREE)["Grants"]
    assert retirable["GrantId"] == made["GrantId"]


def test_retire_by_token_and_by_id_and_revoke(kms, key):
    a = kms.create_grant(KeyId=key, GranteePrincipal=GRANTEE, Operations=["Decrypt"])
    b = kms.create_grant(KeyId=key, GranteePrincipal=GRANTEE, Operations=["Encrypt"])
    c = kms.create_grant(KeyId=key, GranteePrincipal=GRANTEE, Operations=["GenerateDataKey"])
    kms.retire_grant(GrantToken=a["GrantToken"])
    kms.retire_grant(KeyId=key, GrantId=b["GrantId"])
    kms.revoke_grant(KeyId=key, GrantId=c["GrantId"])
    assert kms.list_grants(KeyId=key)["Grants"] == []
    assert code(error_of(kms.revoke_grant, KeyId=key, GrantId=c["GrantId"])) == "NotFoundException"
    assert code(error_of(kms.revoke_grant, KeyId=key, GrantId="not-a-grant")) == "InvalidGrantIdException"
    assert code(error_of(kms.retire_grant, GrantToken="garbage!")) == "InvalidGrantTokenException"
    assert code(error_of(kms.retire_grant)) == "ValidationException"


def test_grant_operations_must_suit_the_key(kms, key, raw_kms):
    err = error_of(kms.create_grant, KeyId=key, GranteePrincipal=GRANTEE, Operations=["Sign"])
    assert code(err) == "ValidationException"
    err = error_of(raw_kms.create_grant, KeyId=key, GranteePrincipal=GRANTEE, Operations=["Fly"])
    assert code(err) == "ValidationException"
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    kms.create_grant(KeyId=signing, GranteePrincipal=GRANTEE, Operations=["Sign", "Verify", "DescribeKey"])


def test_grants_go_with_their_key(nubis, kms, key):
    kms.create_grant(KeyId=key, GranteePrincipal=GRANTEE, RetiringPrincipal=RETIREE, Operations=["Decrypt"])
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    nubis.advance(7 * 86400 + 1)
    assert kms.list_retirable_grants(RetiringPrincipal=RETIREE)["Grants"] == []


@pytest.mark.parametrize("op", ["list_grants"])
def test_grants_of_an_unknown_key(kms, op):
    err = error_of(getattr(kms, op), KeyId="11111111-2222-3333-4444-555555555555")
    assert code(err) == "NotFoundException"
