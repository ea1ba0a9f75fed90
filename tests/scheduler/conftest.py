"""Helpers for the Scheduler tests: clients, queues, moving the frozen clock to a given time."""
from __future__ import annotations

import pytest
from botocore.config import Config

from nubis.testing.errors import code, error_of, status  # noqa: F401  (the tests import them from here)
from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/scheduler-role"
NO_RETRY = Config(retries={"max_attempts": 1})


@pytest.fixture
def scheduler(aws_client):
    return aws_client("scheduler", config=NO_RETRY)


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs", config=NO_RETRY)


@pytest.fixture
def queue(sqs):
    """queue(name, **attributes) -> (url, arn)."""
    def make(name: str, **attributes) -> tuple[str, str]:
        url = sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn
    return make


def drain(sqs, url: str) -> list[dict]:
    """Every message now in the queue (received and deleted)."""
    out = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                  MessageAttributeNames=["All"]).get("Messages", [])
        if not got:
            return out
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        out += got


def advance_to(nubis, when: float) -> None:
    """Move the clock to ``when`` (firing everything due on the way)."""
    gap = when - nubis.clock()
    if gap > 0:
        nubis.advance(gap)


def next_minute(nubis, minute_of_hour: int = 0) -> float:
    """The next clock time that is second 0 of an hour's minute ``minute_of_hour``, at least a minute away."""
    now = nubis.clock()
    t = now - now % 3600 + minute_of_hour * 60
    while t <= now + 60:
        t += 3600
    return t
