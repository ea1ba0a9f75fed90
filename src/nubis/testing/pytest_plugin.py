"""pytest plugin (registered as ``nubis`` through the pytest11 entry point).

Fixtures:
- ``nubis_server`` (session): one ephemeral nubis for the test session, or the
  server at ``NUBIS_TEST_ENDPOINT`` when that is set.
- ``nubis`` (function): that server with all state reset before the test; a
  ``nubis.testing.Cloud`` with ``endpoint``, ``client()``, ``advance()``, ...
- ``nubis_endpoint``: its URL.
- ``aws_client``: a factory, ``aws_client("sqs")`` -> a boto3 client for it.
"""
from __future__ import annotations

import os

import pytest

from . import Cloud, environment, start


@pytest.fixture(scope="session")
def nubis_server():
    external = os.environ.get("NUBIS_TEST_ENDPOINT")
    if external:
        yield Cloud(external.rstrip("/"))
        return
    cloud = start()
    try:
        with environment(cloud.endpoint):
            yield cloud
    finally:
        cloud.stop()


@pytest.fixture
def nubis(nubis_server) -> Cloud:
    nubis_server.reset()
    return nubis_server


@pytest.fixture
def nubis_endpoint(nubis) -> str:
    return nubis.endpoint


@pytest.fixture
def aws_client(nubis):
    def make(service: str, region: str = "us-east-1", **kwargs):
        return nubis.client(service, region=region, **kwargs)

    return make
