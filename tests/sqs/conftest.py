"""Helpers for the SQS tests: a client, queues, errors, raw query requests, the CLI."""
from __future__ import annotations

import subprocess
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from botocore.config import Config

from nubis.testing.cli import aws_cli
from nubis.testing.errors import code, error_of, status  # noqa: F401  (the tests import them from here)
from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)

ACCOUNT = "000000000000"
XMLNS = "{http://queue.amazonaws.com/doc/2012-11-05/}"


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs", config=Config(retries={"max_attempts": 1}))


@pytest.fixture
def make_queue(sqs):
    """make_queue(name, **attributes) -> queue URL."""
    def make(name: str, tags: dict | None = None, **attributes) -> str:
        kwargs = {"QueueName": name}
        if attributes:
            kwargs["Attributes"] = {k: str(v) for k, v in attributes.items()}
        if tags:
            kwargs["tags"] = tags
        return sqs.create_queue(**kwargs)["QueueUrl"]

    return make


def attrs(sqs, url: str, *names: str) -> dict:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names) or ["All"]).get("Attributes", {})


def receive(sqs, url: str, **kwargs) -> list[dict]:
    kwargs.setdefault("WaitTimeSeconds", 0)
    return sqs.receive_message(QueueUrl=url, **kwargs).get("Messages", [])


def query(endpoint: str, path: str, params: dict) -> tuple[int, ET.Element]:
    """A form-encoded query-protocol request as older SDKs send it; (HTTP status, parsed XML)."""
    params = {"Version": "2012-11-05", **params}
    request = urllib.request.Request(
        endpoint + path, data=urllib.parse.urlencode(params).encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, ET.fromstring(r.read())
    except urllib.error.HTTPError as e:
        return e.code, ET.fromstring(e.read())


def xml_text(root: ET.Element, tag: str) -> str | None:
    node = root.find(f".//{XMLNS}{tag}")
    return None if node is None else node.text


def cli(endpoint: str, *args: str) -> subprocess.CompletedProcess:
    return aws_cli(endpoint, "sqs", *args)
