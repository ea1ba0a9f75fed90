"""Fixtures for S3 Control and the S3 data plane through access points.

botocore sends S3 Control requests to ``<account>.localhost`` and access point
ARN requests to ``<name>-<account>.localhost``; the clients here connect to
127.0.0.1 with that Host header, as DNS would resolve it.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)
from nubis.testing.loopback import loopback

ACCOUNT = "000000000000"


@pytest.fixture
def make_client(nubis):
    """make_client(service, region=..., key=..., host="localhost", **config) -> a boto3 client."""
    port = urlsplit(nubis.endpoint).port

    def make(service: str, region: str = "us-east-1", key: str = "test", host: str = "localhost", **s3_config):
        config = Config(retries={"max_attempts": 1}, s3=s3_config or None)
        client = boto3.client(service, endpoint_url=f"http://{host}:{port}", region_name=region,
                              aws_access_key_id=key, aws_secret_access_key="test", config=config)
        return loopback(client, port)

    return make


@pytest.fixture
def control(make_client):
    return make_client("s3control")


@pytest.fixture
def s3(make_client):
    return make_client("s3")


@pytest.fixture
def bucket(s3):
    s3.create_bucket(Bucket="shared-data")
    return "shared-data"


@pytest.fixture
def access_point(control, bucket):
    """An access point ``myap`` on ``bucket``: the CreateAccessPoint answer."""
    return control.create_access_point(AccountId=ACCOUNT, Name="myap", Bucket=bucket)
