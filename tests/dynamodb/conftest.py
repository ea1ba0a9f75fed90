"""Helpers for the DynamoDB tests: a client, the resource, tables, errors."""
from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from nubis.testing.errors import code, error_of, message  # noqa: F401  (the tests import them from here)
from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)

NO_RETRY = Config(retries={"max_attempts": 1})


@pytest.fixture
def ddb(aws_client):
    return aws_client("dynamodb", config=NO_RETRY)


@pytest.fixture
def resource(nubis):
    return boto3.resource("dynamodb", endpoint_url=nubis.endpoint, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test", config=NO_RETRY)


def key_schema(hash_key: str, range_key: str | None = None) -> list[dict]:
    out = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        out.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return out


@pytest.fixture
def make_table(ddb):
    """make_table(name, hash=("pk", "S"), range=None, **more CreateTable params) -> name.

    On-demand billing unless ``ProvisionedThroughput`` is given."""
    def make(name: str = "items", hash=("pk", "S"), range=None, attributes=(), **kwargs) -> str:
        defs = {hash[0]: hash[1]}
        if range:
            defs[range[0]] = range[1]
        defs.update(dict(attributes))
        if "ProvisionedThroughput" not in kwargs:
            kwargs.setdefault("BillingMode", "PAY_PER_REQUEST")
        ddb.create_table(TableName=name, KeySchema=key_schema(hash[0], range[0] if range else None),
                         AttributeDefinitions=[{"AttributeName": k, "AttributeType": v} for k, v in defs.items()],
                         **kwargs)
        return name

    return make


