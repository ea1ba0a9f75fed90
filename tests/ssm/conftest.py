"""Helpers for the Parameter Store tests: a client, errors, a frozen clock."""
from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


@pytest.fixture(autouse=True)
def frozen_clock(request):
    """The clock moves only by ``nubis.advance`` (Expiration policies)."""
    if "nubis" in request.fixturenames or "aws_client" in request.fixturenames:
        request.getfixturevalue("nubis").freeze()


@pytest.fixture
def ssm(aws_client):
    return aws_client("ssm", config=Config(retries={"max_attempts": 1}))


def error_of(call, *args, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value


def code(e: ClientError) -> str:
    return e.response["Error"]["Code"]


def message(e: ClientError) -> str:
    return e.response["Error"]["Message"]
