"""A second nubis with IAM enforcement on (module-scoped), reset before each
test, and helpers: clients with any key and secret, AWS errors, raw requests."""
from __future__ import annotations

import json

import boto3
import httpx
import pytest
from botocore.config import Config

from nubis.testing import start
from nubis.testing.errors import error_dict as error_of  # noqa: F401  (the Error dict plus "Status")

OWNER = "000000000000"   # the default account: the root keys test/test
OTHER = "111122223333"   # a 12-digit key id with secret "test" is that account's root
NO_RETRY = Config(retries={"max_attempts": 1})


@pytest.fixture(scope="module")
def enforcing():
    # STS stands in for the key sources to come (see session_keys.py).
    cloud = start(enforce_iam=True, providers="sts=auth.session_keys:StsWithSessionKeys")
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
    """client(service, key="test", secret="test", **config) -> a boto3 client of the enforcing server."""
    def make(service: str, key: str = "test", secret: str = "test", token: str | None = None, **config):
        return boto3.client(service, endpoint_url=cloud.endpoint, region_name="us-east-1",
                            aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
                            config=NO_RETRY.merge(Config(**config)) if config else NO_RETRY)
    return make


@pytest.fixture
def s3(client):
    return client("s3")


@pytest.fixture
def bucket(s3):
    s3.create_bucket(Bucket="owned-bucket")
    s3.put_object(Bucket="owned-bucket", Key="docs/readme.txt", Body=b"hello")
    s3.put_object(Bucket="owned-bucket", Key="private/secret.txt", Body=b"secret")
    return "owned-bucket"


def set_policy(s3, bucket: str, *statements) -> None:
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))


def anonymous(cloud, method: str, path: str, **kwargs) -> httpx.Response:
    return httpx.request(method, cloud.endpoint + path, **kwargs)
