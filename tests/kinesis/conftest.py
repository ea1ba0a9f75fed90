"""Helpers for the Kinesis tests: a client, streams, errors."""
from __future__ import annotations

import hashlib

import pytest
from botocore.config import Config

from nubis.testing.errors import code, error_of  # noqa: F401  (the tests import them from here)
from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)

ACCOUNT = "000000000000"


@pytest.fixture
def kinesis(aws_client):
    return aws_client("kinesis", config=Config(retries={"max_attempts": 1}))


@pytest.fixture
def make_stream(kinesis):
    """make_stream(name, shards=1, **kwargs) -> the stream's ARN, ACTIVE."""
    def make(name: str, shards: int | None = 1, **kwargs) -> str:
        if shards is not None and "StreamModeDetails" not in kwargs:
            kwargs["ShardCount"] = shards
        kinesis.create_stream(StreamName=name, **kwargs)
        kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 5})
        return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]

    return make


def md5_hash(partition_key: str) -> int:
    return int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big")


def shards_of(kinesis, name: str) -> list[dict]:
    return kinesis.list_shards(StreamName=name)["Shards"]


def read_all(kinesis, nubis, name: str, shard_id: str, kind: str = "TRIM_HORIZON", **kwargs) -> list[dict]:
    """Every record from an iterator of ``kind`` on, a fifth of a second apart on the
    clock (a provisioned shard takes five GetRecords calls a second)."""
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType=kind,
                                    **kwargs)["ShardIterator"]
    out = []
    while it:
        nubis.advance(0.2)
        page = kinesis.get_records(ShardIterator=it)
        out.extend(page["Records"])
        if not page["Records"]:
            break
        it = page.get("NextShardIterator")
    return out
