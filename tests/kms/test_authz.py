"""KMS with IAM enforcement on: key policies, identity policies through the account's
statement, grants, and other accounts."""
import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from nubis.testing.fixtures import enforcing  # noqa: F401  (a second nubis enforcing IAM, per module)

ACCOUNT = "000000000000"
OTHER = "111122223333"
NO_RETRY = Config(retries={"max_attempts": 1})


@pytest.fixture
def client(enforcing):
    enforcing.reset()

    def make(service, key="test", secret="test", creds=None):
        if creds is not None:
            key, secret = creds["AccessKeyId"], creds["SecretAccessKey"]
        return boto3.client(service, endpoint_url=enforcing.endpoint, region_name="us-east-1",
                            aws_access_key_id=key, aws_secret_access_key=secret, config=NO_RETRY)
    return make


@pytest.fixture
def user(client):
    iam = client("iam")

    def make(name, *statements):
        iam.create_user(UserName=name)
        if statements:
            iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": list(statements)}))
        return iam.create_access_key(UserName=name)["AccessKey"]
    return make


def denied(call, *args, **kwargs):
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    assert info.value.response["Error"]["Code"] == "AccessDeniedException"
    return info.value.response["Error"]["Message"]


def test_root_uses_its_keys_under_the_default_policy(client):
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"


def test_a_user_needs_an_identity_policy_under_the_default_key_policy(client, user):
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p")["CiphertextBlob"]
    nobody = client("kms", creds=user("nobody"))
    message = denied(nobody.decrypt, CiphertextBlob=blob)
    assert message == (f"User: arn:aws:iam::{ACCOUNT}:user/nobody is not authorized to perform: kms:Decrypt on "
                       f"resource: {key['Arn']} because no resource-based policy allows the kms:Decrypt action")
    denied(nobody.create_key)
    reader = client("kms", creds=user("reader", {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key["Arn"]}))
    assert reader.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"
    denied(reader.encrypt, KeyId=key["KeyId"], Plaintext=b"x")


def test_a_key_policy_naming_the_user_is_enough(client, user):
    creds = user("named")
    kms = client("kms")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/named"},
         "Action": ["kms:Encrypt", "kms:DescribeKey"], "Resource": "*"}]}
    key = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["KeyId"]
    named = client("kms", creds=creds)
    named.encrypt(KeyId=key, Plaintext=b"x")
    named.describe_key(KeyId=key)
    denied(named.schedule_key_deletion, KeyId=key)


def test_an_explicit_deny_in_the_key_policy_wins(client, user):
    kms = client("kms")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]}
    key = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
    message = denied(kms.decrypt, CiphertextBlob=blob)
    assert "with an explicit deny in a resource-based policy" in message


def test_a_grant_lets_its_grantee_in(client, user):
    creds = user("grantee")
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"p", EncryptionContext={"team": "a"})["CiphertextBlob"]
    grantee = client("kms", creds=creds)
    denied(grantee.decrypt, CiphertextBlob=blob, EncryptionContext={"team": "a"})
    kms.create_grant(KeyId=key, GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:user/grantee", Operations=["Decrypt"],
                     Constraints={"EncryptionContextSubset": {"team": "a"}})
    assert grantee.decrypt(CiphertextBlob=blob, EncryptionContext={"team": "a"})["Plaintext"] == b"p"
    other = kms.encrypt(KeyId=key, Plaintext=b"q", EncryptionContext={"team": "b"})["CiphertextBlob"]
    denied(grantee.decrypt, CiphertextBlob=other, EncryptionContext={"team": "b"})
    denied(grantee.encrypt, KeyId=key, Plaintext=b"x")


def test_another_account_needs_the_key_policy(client):
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]
    outsider = client("kms", key=OTHER)
    denied(outsider.describe_key, KeyId=key["Arn"])
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "kms:DescribeKey",
         "Resource": "*"}]}
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
    assert outsider.describe_key(KeyId=key["Arn"])["KeyMetadata"]["KeyId"] == key["KeyId"]
