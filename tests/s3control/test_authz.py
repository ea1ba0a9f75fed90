"""S3 Control with IAM enforcement on: Storage Lens groups and Access Grants act on their
own ARNs, and GetDataAccess's credentials reach only the grant's scope."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from nubis.testing.fixtures import enforcing  # noqa: F401  (a second nubis enforcing IAM, per module)
from nubis.testing.loopback import loopback

ACCOUNT = "000000000000"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "access-grants.s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
S3_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
GRANTS = f"arn:aws:s3:us-east-1:{ACCOUNT}:access-grants/default"


@pytest.fixture
def client(enforcing):
    enforcing.reset()
    port = urlsplit(enforcing.endpoint).port

    def make(service, creds=None):
        key, secret, token = "test", "test", None
        if creds is not None:
            key, secret = creds["AccessKeyId"], creds["SecretAccessKey"]
            token = creds.get("SessionToken")
        c = boto3.client(service, endpoint_url=f"http://localhost:{port}", region_name="us-east-1",
                         aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
                         config=Config(retries={"max_attempts": 1}))
        return loopback(c, port)
    return make


def user(iam, name: str, *statements) -> dict:
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": list(statements)}))
    return iam.create_access_key(UserName=name)["AccessKey"]


def code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


def test_storage_lens_groups_are_authorized_by_their_arn(client):
    control, iam = client("s3control"), client("iam")
    for name in ("allowed", "other"):
        control.create_storage_lens_group(AccountId=ACCOUNT, StorageLensGroup={
            "Name": name, "Filter": {"MatchAnyPrefix": ["a/"]}})
    creds = user(iam, "viewer", {"Effect": "Allow", "Action": "s3:GetStorageLensGroup",
                                 "Resource": f"arn:aws:s3:us-east-1:{ACCOUNT}:storage-lens-group/allowed"})
    viewer = client("s3control", creds)
    assert viewer.get_storage_lens_group(AccountId=ACCOUNT, Name="allowed")["StorageLensGroup"]["Name"] == "allowed"
    with pytest.raises(ClientError) as e:
        viewer.get_storage_lens_group(AccountId=ACCOUNT, Name="other")
    assert code(e) == "AccessDenied"


def test_data_access_credentials_reach_only_the_grants_scope(client):
    control, iam, s3 = client("s3control"), client("iam"), client("s3")
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="reports/q1.csv", Body=b"q1")
    s3.put_object(Bucket="data", Key="private/salaries.csv", Body=b"secret")
    role = iam.create_role(RoleName="location", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    iam.put_role_policy(RoleName="location", PolicyName="s3", PolicyDocument=S3_ALL)
    control.create_access_grants_instance(AccountId=ACCOUNT)
    loc = control.create_access_grants_location(AccountId=ACCOUNT, LocationScope="s3://data",
                                                IAMRoleArn=role)["AccessGrantsLocationId"]
    creds = user(iam, "analyst", {"Effect": "Allow", "Action": "s3:GetDataAccess", "Resource": GRANTS})
    control.create_access_grant(AccountId=ACCOUNT, AccessGrantsLocationId=loc, Permission="READ",
                                AccessGrantsLocationConfiguration={"S3SubPrefix": "reports/*"},
                                Grantee={"GranteeType": "IAM",
                                         "GranteeIdentifier": f"arn:aws:iam::{ACCOUNT}:user/analyst"})
    analyst = client("s3control", creds)
    vended = analyst.get_data_access(AccountId=ACCOUNT, Target="s3://data/reports/*", Permission="READ")[
        "Credentials"]
    scoped = client("s3", vended)
    assert scoped.get_object(Bucket="data", Key="reports/q1.csv")["Body"].read() == b"q1"
    with pytest.raises(ClientError) as e:
        scoped.get_object(Bucket="data", Key="private/salaries.csv")
    assert code(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:  # READ grants no writes
        scoped.put_object(Bucket="data", Key="reports/q2.csv", Body=b"q2")
    assert code(e) == "AccessDenied"
    # The analyst's own policy does not reach the grants' other operations.
    with pytest.raises(ClientError) as e:
        analyst.list_access_grants(AccountId=ACCOUNT)
    assert code(e) == "AccessDenied"
