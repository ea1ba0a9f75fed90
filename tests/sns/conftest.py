"""Helpers for SNS tests: a local HTTP endpoint, the inbox, SQS queues."""
import json
import time
import urllib.request

import pytest

from nubis.testing import http_endpoint
from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)


class Endpoint(http_endpoint.Endpoint):
    """The shared recording endpoint, its URL ending in /hook (``port`` brings one back after a restart)."""

    def __init__(self, port: int = 0):
        super().__init__(port, path="/hook")


@pytest.fixture
def endpoint():
    e = Endpoint()
    yield e
    e.close()


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def inbox(nubis, channel: str, wait_for: int = 0, timeout: float = 10.0) -> list[dict]:
    """What the inbox holds for ``channel``, waiting for at least ``wait_for`` messages."""
    deadline = time.monotonic() + timeout
    while True:
        messages = get_json(f"{nubis.endpoint}/_nubis/sns/inbox/{channel}")["messages"]
        if len(messages) >= wait_for or time.monotonic() > deadline:
            return messages
        time.sleep(0.02)


def make_queue(sqs, name: str, **attributes) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive(sqs, url: str, count: int = 1, timeout: float = 5.0) -> list[dict]:
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                   AttributeNames=["All"])
        got.extend(resp.get("Messages", []))
    return got
