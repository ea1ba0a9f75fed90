"""A nubis with IAM enforcement on (module-scoped, reset before each test), and
helpers: the root's clients, IAM users with keys and policies, AWS errors."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.config import Config

from nubis.testing.errors import error_dict as error_of  # noqa: F401  (the Error dict plus "Status")
from nubis.testing.fixtures import enforcing  # noqa: F401  (a second nubis enforcing IAM, per module)
from nubis.testing.policies import allow, deny, doc  # noqa: F401  (the tests import them from here)

ACCOUNT = "000000000000"   # the default account: root keys test/test
OTHER = "111122223333"     # a 12-digit key id with secret "test" is that account's root
NO_RETRY = Config(retries={"max_attempts": 1})


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


def err(call, *args, **kwargs) -> tuple[str, str, int]:
    """(code, message, HTTP status) of the ClientError a call raises."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    e = info.value.response["Error"]
    return e["Code"], e["Message"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]
