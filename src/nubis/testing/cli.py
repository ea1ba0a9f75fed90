"""The AWS CLI against nubis, in a subprocess, for tests of what a shell user sees."""
from __future__ import annotations

import json
import os
import subprocess
import sys


def aws_cli(endpoint: str, service: str, *args: str, key: str = "test", secret: str = "test",
            region: str = "us-east-1") -> subprocess.CompletedProcess:
    """``aws <service> <args> --endpoint-url <endpoint> --output json``, signed with
    ``key`` and ``secret`` in ``region`` (a profile set in the environment is not used)."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION=region)
    env.pop("AWS_PROFILE", None)
    return subprocess.run([sys.executable, "-m", "awscli", service, *args, "--endpoint-url", endpoint,
                           "--output", "json"], capture_output=True, text=True, env=env, timeout=60)


def aws_json(endpoint: str, service: str, *args: str, **signer: str) -> dict:
    """The same, which must succeed: its JSON answer ({} when it prints none)."""
    out = aws_cli(endpoint, service, *args, **signer)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else {}
