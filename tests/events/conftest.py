"""Helpers for the EventBridge tests: clients, queues as targets, waiting for deliveries."""
from __future__ import annotations

import json
import time

import pytest
from botocore.config import Config

from nubis.testing.errors import code, error_of  # noqa: F401  (the tests import them from here)
from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)
from nubis.testing.http_endpoint import Endpoint

ACCOUNT = "000000000000"
OTHER = "111111111111"


@pytest.fixture
def events(aws_client):
    return aws_client("events", config=Config(retries={"max_attempts": 1}))


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs", config=Config(retries={"max_attempts": 1}))


def make_queue(sqs, name: str, **attributes) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive(sqs, url: str, count: int = 1, timeout: float = 5.0, **kwargs) -> list[dict]:
    """At least ``count`` messages (or what came within ``timeout``), each deleted once received."""
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, **kwargs)
        for m in resp.get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if len(got) < count:
            time.sleep(0.02)
    return got


def bodies(messages: list[dict]) -> list:
    return [json.loads(m["Body"]) for m in messages]


def quiet(sqs, url: str, wait: float = 0.3) -> bool:
    """True when nothing arrives on ``url`` within ``wait`` seconds."""
    return not receive(sqs, url, 1, timeout=wait)


def rule_to_queue(events, sqs, name: str, pattern: dict | str, bus: str = "default", **target) -> tuple[str, str]:
    """A rule with ``pattern`` on ``bus`` whose one target is a new queue; (queue url, rule arn)."""
    url, arn = make_queue(sqs, f"q-{name}")
    rule = events.put_rule(Name=name, EventPattern=pattern if isinstance(pattern, str) else json.dumps(pattern),
                           EventBusName=bus)["RuleArn"]
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "q", "Arn": arn, **target}])
    return url, rule


def put(events, source: str = "my.app", detail_type: str = "thing", detail: dict | None = None, **entry) -> dict:
    out = events.put_events(Entries=[{"Source": source, "DetailType": detail_type,
                                      "Detail": json.dumps(detail if detail is not None else {"a": 1}), **entry}])
    assert out["FailedEntryCount"] == 0, out
    return out["Entries"][0]


def _answer(path: str) -> bytes:
    """An OAuth token endpoint's answer under /oauth (connections with OAuth), else an empty object."""
    return b'{"access_token": "tok-1"}' if path.startswith("/oauth") else b"{}"


@pytest.fixture
def endpoint():
    e = Endpoint(answer=_answer)
    yield e
    e.close()
