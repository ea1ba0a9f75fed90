"""Helpers for the KMS tests: a client with no retries, a frozen clock, errors."""
from __future__ import annotations

import pytest
from botocore.config import Config

from nubis.testing.errors import code, error_of, message, status  # noqa: F401  (the tests import them from here)
from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still: "6 days is not yet 7")

ACCOUNT = "000000000000"
REGION = "us-east-1"
DAY = 86400


@pytest.fixture
def kms(aws_client):
    return aws_client("kms", config=Config(retries={"max_attempts": 1}))


@pytest.fixture
def raw_kms(aws_client):
    """A client that sends what botocore itself would refuse, to see the server's answer."""
    return aws_client("kms", config=Config(retries={"max_attempts": 1}, parameter_validation=False))


@pytest.fixture
def key(kms):
    """A new symmetric encryption key's id."""
    return kms.create_key(Description="test key")["KeyMetadata"]["KeyId"]


def arn(key_id: str) -> str:
    return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"
