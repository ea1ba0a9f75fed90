"""Helpers for SNS tests: a local HTTP endpoint, the inbox, SQS queues."""
import http.server
import json
import threading
import time
import urllib.request

import pytest

from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)


class Endpoint:
    """A tiny HTTP server recording every request; ``statuses`` is the list of
    answers to give in turn (the last one repeats)."""

    def __init__(self, port: int = 0):
        self.requests: list[dict] = []
        self.statuses = [200]
        self._lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer._lock:
                    outer.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                           "body": body.decode("utf-8")})
                    status = outer.statuses[min(len(outer.requests) - 1, len(outer.statuses) - 1)]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
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
