"""Start nubis for tests and scripts: ``with nubis.running() as cloud: ...``.

The server runs in a background thread of the calling process, on a free
port, with ephemeral state. Inside the block ``AWS_ENDPOINT_URL`` points at it
and dummy credentials and a region are set (unless already set), so existing
code that makes boto3 clients needs no change.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import urllib.request
from typing import Iterator

from ..config import from_env


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Cloud:
    """A handle on a running nubis."""

    def __init__(self, endpoint: str, server=None, thread=None):
        self.endpoint = endpoint
        self._server = server
        self._thread = thread

    def client(self, service: str, region: str = "us-east-1", **kwargs):
        import boto3

        kwargs.setdefault("aws_access_key_id", "test")
        kwargs.setdefault("aws_secret_access_key", "test")
        return boto3.client(service, endpoint_url=self.endpoint, region_name=region, **kwargs)

    def _call(self, path: str, doc: dict | None = None) -> dict:
        data = json.dumps(doc).encode() if doc is not None else None
        req = urllib.request.Request(self.endpoint + path, data=data, method="POST" if data else "GET",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())

    def reset(self, service: str | None = None) -> None:
        self._call("/_nubis/reset", {"service": service} if service else {})

    def health(self) -> dict:
        return self._call("/_nubis/health")

    def clock(self) -> float:
        return self._call("/_nubis/clock")["now"]

    def advance(self, seconds: float) -> float:
        """Move the controllable clock forward, firing what falls due; return the new time."""
        return self._call("/_nubis/clock", {"advance_seconds": seconds})["now"]

    def freeze(self, frozen: bool = True) -> float:
        """Stop the clock (it then moves only by ``advance``), or run it again.
        ``reset()`` runs it again too."""
        return self._call("/_nubis/clock", {"freeze": frozen})["now"]

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
            self._server = None


def start(port: int | None = None, **settings) -> Cloud:
    """Start an ephemeral nubis in a background thread; ``stop()`` it when done."""
    import uvicorn

    from ..server import uvicorn_config

    settings.setdefault("ephemeral", True)
    settings.setdefault("log_level", "warning")
    config = from_env(host="127.0.0.1", port=port or free_port(), **settings)
    server = uvicorn.Server(uvicorn_config(config))
    thread = threading.Thread(target=server.run, name="nubis-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("nubis did not start")
        time.sleep(0.005)
    return Cloud(config.endpoint, server, thread)


_ENV_DEFAULTS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}


@contextlib.contextmanager
def environment(endpoint: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", *_ENV_DEFAULTS)}
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    for k, v in _ENV_DEFAULTS.items():
        os.environ.setdefault(k, v)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def running(port: int | None = None, **settings) -> Iterator[Cloud]:
    cloud = start(port, **settings)
    try:
        with environment(cloud.endpoint):
            yield cloud
    finally:
        cloud.stop()
