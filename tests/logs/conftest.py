"""Helpers for the CloudWatch Logs tests: a client, a group with a stream, errors, the CLI."""
from __future__ import annotations

import subprocess

import pytest
from botocore.config import Config

from nubis.testing.cli import aws_cli
from nubis.testing.errors import code, error_of  # noqa: F401  (the tests import them from here)
from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)

DAY_MS = 86_400_000


@pytest.fixture
def logs(aws_client):
    return aws_client("logs", config=Config(retries={"max_attempts": 1}))


@pytest.fixture
def now_ms(nubis):
    """The server's clock, in ms (frozen, so it holds until the test advances it)."""
    return lambda: int(nubis.clock() * 1000)


@pytest.fixture
def stream(logs):
    """A group ``/app`` with a stream ``s1``: (group, stream)."""
    logs.create_log_group(logGroupName="/app")
    logs.create_log_stream(logGroupName="/app", logStreamName="s1")
    return "/app", "s1"


def put(logs, group: str, stream: str, events: list[tuple[int, str]]) -> dict:
    return logs.put_log_events(logGroupName=group, logStreamName=stream,
                               logEvents=[{"timestamp": t, "message": m} for t, m in events])


def cli(endpoint: str, *args: str) -> subprocess.CompletedProcess:
    return aws_cli(endpoint, "logs", *args)
