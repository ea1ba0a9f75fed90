"""The AWS CLI against nubis, in a subprocess, for tests of what a shell user sees."""
from __future__ import annotations

import json
import os
import subprocess
import sys


def aws_cli(endpoint: str, service: str, *args: str) -> subprocess.CompletedProcess:
    """``aws <service> <args> --endpoint-url <endpoint> --output json``, signed with the
    test keys in us-east-1 (a profile set in the environment is not used)."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    env.pop("AWS_PROFILE", None)
    return subprocess.run([sys.executable, "-m", "awscli", service, *args, "--endpoint-url", endpoint,
                           "--output", "json"], capture_output=True, text=True, env=env, timeout=60)


def aws_json(endpoint: str, service: str, *args: str) -> dict:
    """The same, which must succeed: its JSON answer ({} when it prints none)."""
    out = aws_cli(endpoint, service, *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else {}
