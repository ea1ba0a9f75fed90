"""What a test reads off a boto3 error: the ClientError a call raises, its code,
message and HTTP status. Test directories import these in their conftest.py."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def error_of(call, *args, **kwargs) -> ClientError:
    """The ClientError a call raises (failing the test if it succeeds)."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value


def code(e: ClientError) -> str:
    return e.response["Error"]["Code"]


def message(e: ClientError) -> str:
    return e.response["Error"]["Message"]


def status(e: ClientError) -> int:
    return e.response["ResponseMetadata"]["HTTPStatusCode"]


def error_dict(call, *args, **kwargs) -> dict:
    """The AWS error a boto3 call fails with: its Error dict plus "Status", the HTTP status."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    err = dict(info.value.response["Error"])
    err["Status"] = info.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return err
