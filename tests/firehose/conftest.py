"""Helpers for the Firehose tests: clients, a bucket, a stream factory, and
reading back what was delivered to S3."""
from __future__ import annotations

import time

import pytest
from botocore.config import Config

from nubis.testing.errors import code, error_of  # noqa: F401  (the tests import them from here)
from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/firehose"
NO_RETRY = Config(retries={"max_attempts": 1})


@pytest.fixture
def firehose(aws_client):
    return aws_client("firehose", config=NO_RETRY)


@pytest.fixture
def s3(aws_client):
    return aws_client("s3", config=NO_RETRY)


@pytest.fixture
def bucket(s3):
    s3.create_bucket(Bucket="landing")
    return "landing"


@pytest.fixture
def make_stream(firehose, bucket):
    """make_stream(name, **extended_s3_settings) -> the stream's ARN (S3 destination in ``bucket``)."""
    def make(name: str, **settings):
        cfg = {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", **settings}
        return firehose.create_delivery_stream(DeliveryStreamName=name,
                                               ExtendedS3DestinationConfiguration=cfg)["DeliveryStreamARN"]

    return make


def keys(s3, bucket: str, prefix: str = "") -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]


def body(s3, bucket: str, key: str) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def wait_for_keys(s3, bucket: str, count: int, prefix: str = "", timeout: float = 10.0) -> list[str]:
    """Deliveries the scheduler runs on its own (a full buffer) land a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        found = keys(s3, bucket, prefix)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)
