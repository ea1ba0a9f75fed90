"""A nubis with IAM enforcement on (module-scoped, reset before each test), and
helpers: the root's clients, IAM users with keys and policies, AWS errors."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from nubis.testing import start

ACCOUNT = "000000000000"   # the default account: root keys test/test
OTHER = "111122223333"     # a 12-digit key id with secret "test" is that account's root
NO_RETRY = Config(retries={"max_attempts": 1})


@pytest.fixture(scope="module")
def enforcing():
    cloud = start(enforce_iam=True)
    try:
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture
def cloud(enforcing):
    enforcing.reset()
    return enforcing


@pytest.fixture
def client(cloud):
    """client(service, key="test", secret="test", token=None) -> a boto3 client of the enforcing server."""
    def make(service: str, key: str = "test", secret: str = "test", token: str | None = None, creds=None):
        if creds is not None:  # a Credentials dict from STS, or an AccessKey from IAM
            key, secret = creds["AccessKeyId"], creds["SecretAccessKey"]
            token = creds.get("SessionToken")
        return boto3.client(service, endpoint_url=cloud.endpoint, region_name="us-east-1",
                            aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
                            config=NO_RETRY)
    return make


@pytest.fixture
def iam(client):
    return client("iam")


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


@pytest.fixture
def user(iam):
    """user(name, *statements, managed=()) -> the AccessKey of a new IAM user with an inline
    policy of those statements (if any) and the managed policies attached."""
    def make(name: str, *statements, managed=()):
        iam.create_user(UserName=name)
        if statements:
            iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=doc(*statements))
        for arn in managed:
            iam.attach_user_policy(UserName=name, PolicyArn=arn)
        return iam.create_access_key(UserName=name)["AccessKey"]
    return make


def error_of(call, *args, **kwargs) -> dict:
    """The AWS error a boto3 call fails with (its Error dict plus the HTTP status)."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    err = dict(info.value.response["Error"])
    err["Status"] = info.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return err
