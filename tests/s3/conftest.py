"""Shared S3 fixtures: a client, a bucket, and a client that addresses buckets by virtual host."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from botocore.config import Config

from nubis.testing.loopback import loopback


@pytest.fixture
def s3(aws_client):
    return aws_client("s3")


@pytest.fixture
def bucket(s3):
    s3.create_bucket(Bucket="test-bucket")
    return "test-bucket"


@pytest.fixture
def virtual_s3(nubis):
    """A client using virtual-hosted addressing (``<bucket>.s3.localhost``); the
    connection goes to 127.0.0.1 with that Host header, as DNS would resolve it."""
    port = urlsplit(nubis.endpoint).port
    import boto3
    return loopback(boto3.client("s3", endpoint_url=f"http://s3.localhost:{port}", region_name="us-east-1",
                                 aws_access_key_id="test", aws_secret_access_key="test",
                                 config=Config(s3={"addressing_style": "virtual"})), port)
