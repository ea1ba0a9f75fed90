"""Helpers for the Step Functions tests: a client, machines, waiting for an execution, errors."""
from __future__ import annotations

import json
import time

import pytest
from botocore.config import Config

from nubis.testing.errors import code, error_of  # noqa: F401  (the tests import them from here)
from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn-role"
# StartSyncExecution's "sync-" host prefix names no local host.
NO_RETRY = Config(retries={"total_max_attempts": 1}, read_timeout=70, inject_host_prefix=False)


@pytest.fixture
def sfn(aws_client):
    return aws_client("stepfunctions", config=NO_RETRY)


@pytest.fixture
def make_machine(sfn):
    """make_machine(name, definition: dict, type="STANDARD", **more) -> the state machine's ARN."""
    def make(name: str, definition: dict, type: str = "STANDARD", **more) -> str:
        return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE,
                                        type=type, **more)["stateMachineArn"]

    return make


def finished(sfn, arn: str, timeout: float = 20.0) -> dict:
    """DescribeExecution once the execution is no longer RUNNING."""
    deadline = time.monotonic() + timeout
    while True:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING" or time.monotonic() > deadline:
            return d
        time.sleep(0.02)


def history(sfn, arn: str, **kwargs) -> list[dict]:
    return sfn.get_execution_history(executionArn=arn, maxResults=1000, **kwargs)["events"]


def types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


def chain(events: list[dict]) -> list[tuple[str, int, int]]:
    return [(e["type"], e["id"], e["previousEventId"]) for e in events]
