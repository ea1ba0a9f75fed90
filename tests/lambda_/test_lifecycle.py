"""Environments over time (idle ones are reaped on the clock) and functions across a restart."""
from __future__ import annotations

import json
import time


from nubis.testing import start

from .conftest import ROLE, zip_of

PID = {"app.py": "import os\ndef handler(e, c):\n    return os.getpid()\n"}


def _pid(lam, name="pid"):
    return json.loads(lam.invoke(FunctionName=name)["Payload"].read())


def test_idle_environment_is_reaped_after_ten_minutes(lam, make_function, nubis):
    nubis.freeze()
    make_function("pid", PID)
    first = _pid(lam)
    nubis.advance(5 * 60)
    assert _pid(lam) == first  # still warm
    nubis.advance(11 * 60)
    assert _pid(lam) != first  # a cold start in a new process


def test_update_gets_fresh_environments(lam, make_function):
    make_function("pid", PID)
    first = _pid(lam)
    lam.update_function_configuration(FunctionName="pid", Environment={"Variables": {"CHANGED": "yes"}})
    assert _pid(lam) != first


def test_functions_survive_a_restart(tmp_path):
    settings = dict(data_dir=str(tmp_path), ephemeral=False)
    cloud = start(**settings)
    try:
        lam = cloud.client("lambda")
        lam.create_function(FunctionName="durable", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": zip_of({"app.py": "def handler(e, c):\n    return {'kept': e}\n"})},
                            Tags={"k": "v"})
        lam.publish_version(FunctionName="durable")
        lam.create_alias(FunctionName="durable", Name="live", FunctionVersion="1")
        sha = lam.get_function(FunctionName="durable")["Configuration"]["CodeSha256"]
    finally:
        cloud.stop()
    cloud = start(**settings)
    try:
        lam = cloud.client("lambda")
        got = lam.get_function(FunctionName="durable")
        assert got["Configuration"]["CodeSha256"] == sha and got["Tags"] == {"k": "v"}
        assert lam.get_alias(FunctionName="durable", Name="live")["FunctionVersion"] == "1"
        out = lam.invoke(FunctionName="durable", Qualifier="live", Payload=b'{"a": 1}')
        assert json.loads(out["Payload"].read()) == {"kept": {"a": 1}}
        assert out["ExecutedVersion"] == "1"
    finally:
        cloud.stop()


def test_a_queued_event_survives_a_restart(tmp_path):
    settings = dict(data_dir=str(tmp_path / "data"), ephemeral=False)
    flag = tmp_path / "ran"
    source = "import pathlib\ndef handler(e, c):\n    pathlib.Path(e['flag']).write_text(c.aws_request_id)\n"
    cloud = start(**settings)
    try:
        lam = cloud.client("lambda")
        lam.create_function(FunctionName="later", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": zip_of({"app.py": source})})
        # Throttled: the event waits in the queue for its next try.
        lam.put_function_concurrency(FunctionName="later", ReservedConcurrentExecutions=0)
        lam.invoke(FunctionName="later", InvocationType="Event", Payload=json.dumps({"flag": str(flag)}))
        time.sleep(0.3)
        assert not flag.exists()
    finally:
        cloud.stop()
    cloud = start(**settings)
    try:
        lam = cloud.client("lambda")
        lam.delete_function_concurrency(FunctionName="later")
        cloud.advance(60)
        deadline = time.monotonic() + 10
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert flag.exists()
    finally:
        cloud.stop()


def test_concurrent_invocations_get_environments_of_their_own(lam, make_function):
    from concurrent.futures import ThreadPoolExecutor
    make_function("para", {"app.py": "import os, time\ndef handler(e, c):\n    time.sleep(0.3)\n"
                                      "    return os.getpid()\n"}, Timeout=10)
    with ThreadPoolExecutor(4) as pool:
        pids = list(pool.map(lambda _: _pid(lam, "para"), range(4)))
    assert len(set(pids)) == 4  # four at once: four environments
    with ThreadPoolExecutor(2) as pool:
        again = list(pool.map(lambda _: _pid(lam, "para"), range(2)))
    assert set(again) <= set(pids)  # warm ones are reused


def test_functions_call_back_with_iam_enforced():
    cloud = start(enforce_iam=True)
    try:
        lam = cloud.client("lambda", aws_access_key_id="test", aws_secret_access_key="test")
        source = "import boto3\ndef handler(e, c):\n    return boto3.client('sts').get_caller_identity()['Arn']\n"
        lam.create_function(FunctionName="signed", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": zip_of({"app.py": source})}, Timeout=30)
        out = lam.invoke(FunctionName="signed")
        assert "FunctionError" not in out
        assert json.loads(out["Payload"].read()) == "arn:aws:iam::000000000000:root"
    finally:
        cloud.stop()
