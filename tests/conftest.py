"""Shared helpers: nubis in a subprocess, for tests that kill or restart it.

Most tests use the pytest plugin's in-process server (fixtures ``nubis``,
``aws_client``); these helpers are for what needs a real process.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from nubis.testing import free_port

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


class ServerProcess:
    def __init__(self, *args: str, env: dict | None = None, port: int | None = None):
        self.port = port or free_port()
        self.endpoint = f"http://localhost:{self.port}"
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [TESTS_DIR, full_env.get("PYTHONPATH")]))
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nubis", "start", "--port", str(self.port), "--log-level", "warning", *args],
            env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wait_ready()

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nubis exited: {self.proc.stderr.read()}")
            try:
                with urllib.request.urlopen(self.endpoint + "/_nubis/ping", timeout=1):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("nubis did not become ready")

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.endpoint + path, timeout=10) as r:
            return json.loads(r.read())

    def wait_for(self, path: str, key: str, count: int, timeout: float = 10.0) -> list:
        """The list under ``key`` in GET ``path``'s answer once it holds ``count`` items
        (or what it holds after ``timeout``): for deliveries a stand-in provider records."""
        deadline = time.monotonic() + timeout
        while True:
            items = self.get(path)[key]
            if len(items) >= count or time.monotonic() > deadline:
                return items
            time.sleep(0.02)

    def post(self, path: str, doc: dict) -> dict:
        req = urllib.request.Request(self.endpoint + path, json.dumps(doc).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def client(self, service: str, **kwargs):
        import boto3
        from botocore.config import Config

        kwargs.setdefault("config", Config(retries={"max_attempts": 1}))
        kwargs.setdefault("aws_access_key_id", "test")
        kwargs.setdefault("aws_secret_access_key", "test")
        kwargs.setdefault("region_name", "us-east-1")
        return boto3.client(service, endpoint_url=self.endpoint, **kwargs)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout: float = 20) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()


@pytest.fixture
def server_process():
    """A factory of nubis subprocesses, all stopped after the test."""
    started: list[ServerProcess] = []

    def make(*args, **kwargs) -> ServerProcess:
        s = ServerProcess(*args, **kwargs)
        started.append(s)
        return s

    yield make
    for s in started:
        s.stop()


JS_DIR = os.path.join(TESTS_DIR, "js")


@pytest.fixture(scope="session")
def node() -> str:
    """node, with tests/js's packages (the AWS SDK for JavaScript v3) installed from
    its lock file when they are missing or stale."""
    import shutil
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are not installed: the AWS SDK for JavaScript tests need both")
    installed = os.path.join(JS_DIR, "node_modules", ".package-lock.json")  # npm rewrites it on every install
    lock = os.path.join(JS_DIR, "package-lock.json")
    if not os.path.exists(installed) or os.stat(installed).st_mtime < os.stat(lock).st_mtime:
        out = subprocess.run([npm, "ci", "--prefix", JS_DIR, "--no-audit", "--no-fund"],
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, f"npm ci failed:\n{out.stdout}\n{out.stderr}"
    return node
