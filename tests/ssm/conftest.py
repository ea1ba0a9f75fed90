"""Helpers for the Parameter Store tests: a client, errors, a frozen clock."""
from __future__ import annotations

import pytest
from botocore.config import Config

from nubis.testing.errors import code, error_of, message  # noqa: F401  (the tests import them from here)
from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still: Expiration policies)


@pytest.fixture
def ssm(aws_client):
    return aws_client("ssm", config=Config(retries={"max_attempts": 1}))
