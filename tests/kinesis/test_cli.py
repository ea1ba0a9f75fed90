"""The AWS CLI (v1, which sends a blob argument's text as the bytes) against Kinesis."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys


def cli(endpoint: str, *args: str) -> dict:
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    env.pop("AWS_PROFILE", None)
    r = subprocess.run([sys.executable, "-m", "awscli", "kinesis", *args, "--endpoint-url", endpoint,
                        "--output", "json"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout) if r.stdout.strip() else {}


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
