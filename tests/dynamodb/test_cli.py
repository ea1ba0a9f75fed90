"""The AWS CLI against nubis's DynamoDB: a table, items, a query."""
from __future__ import annotations

import json
import os
import subprocess
import sys


def cli(endpoint: str, *args: str) -> dict:
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    env.pop("AWS_PROFILE", None)
    out = subprocess.run([sys.executable, "-m", "awscli", "dynamodb", *args, "--endpoint-url", endpoint,
                          "--output", "json"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else {}


def test_cli_table_items_and_query(nubis_endpoint):
    cli(nubis_endpoint, "create-table", "--table-name", "cli", "--billing-mode", "PAY_PER_REQUEST",
        "--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=sk,AttributeType=N",
        "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE")
    cli(nubis_endpoint, "batch-write-item", "--request-items", json.dumps({"cli": [
        {"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"N": str(i)}, "s": {"S": f"v{i}"}}}} for i in (3, 1, 2)]}))
    out = cli(nubis_endpoint, "query", "--table-name", "cli", "--key-condition-expression", "pk = :p",
              "--expression-attribute-values", '{":p": {"S": "p"}}', "--no-scan-index-forward")
    assert [i["sk"]["N"] for i in out["Items"]] == ["3", "2", "1"]
    assert out["Items"][0]["s"] == {"S": "v3"}
    assert cli(nubis_endpoint, "describe-table", "--table-name", "cli")["Table"]["ItemCount"] == 3
