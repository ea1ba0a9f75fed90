"""The AWS CLI (v1, which sends a blob argument's text as the bytes) against Kinesis."""
from __future__ import annotations

import base64

from nubis.testing.cli import aws_json


def cli(endpoint: str, *args: str) -> dict:
    return aws_json(endpoint, "kinesis", *args)


def test_cli_puts_and_reads_a_record(nubis_endpoint, nubis, kinesis, make_stream):
    make_stream("cli")
    out = cli(nubis_endpoint, "put-record", "--stream-name", "cli", "--partition-key", "p",
              "--data", "hello")
    assert out["ShardId"] == "shardId-000000000000"
    it = cli(nubis_endpoint, "get-shard-iterator", "--stream-name", "cli", "--shard-id", out["ShardId"],
             "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    got = cli(nubis_endpoint, "get-records", "--shard-iterator", it)
    assert [base64.b64decode(r["Data"]) for r in got["Records"]] == [b"hello"]
    assert got["Records"][0]["SequenceNumber"] == out["SequenceNumber"]
