"""Helpers for the EventBridge tests: clients, queues as targets, waiting for deliveries."""
from __future__ import annotations

import json
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)

ACCOUNT = "000000000000"
OTHER = "111111111111"


@pytest.fixture
def events(aws_client):
    return aws_client("events", config=Config(retries={"max_attempts": 1}))


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs", config=Config(retries={"max_attempts": 1}))


def error_of(call, *args, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value


def code(e: ClientError) -> str:
    return e.response["Error"]["Code"]


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


class Endpoint:
    """A tiny HTTP server recording every request; ``statuses`` are the answers to give in turn
    (the last one repeats)."""

    def __init__(self):
        import http.server
        import threading

        self.requests: list[dict] = []
        self.statuses = [200]
        self._lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                with outer._lock:
                    outer.requests.append({"method": self.command, "path": self.path,
                                           "headers": {k.lower(): v for k, v in self.headers.items()},
                                           "body": body.decode("utf-8")})
                    status = outer.statuses[min(len(outer.requests) - 1, len(outer.statuses) - 1)]
                payload = b'{"access_token": "tok-1"}' if self.path.startswith("/oauth") else b"{}"
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = _any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} requests, got {len(self.requests)}")

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint():
    e = Endpoint()
    yield e
    e.close()
