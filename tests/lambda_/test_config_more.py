"""The remaining configuration: code signing configs, provisioned concurrency,
runtime management, recursive loop detection, and the account's concurrency limit."""
from __future__ import annotations

import base64
import json
import re
import threading

import boto3
import pytest

from nubis.testing import start
from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)

from .conftest import ACCOUNT, NO_RETRY, ROLE, code, error_of, status, zip_of

NOOP = {"app.py": "def handler(event, context):\n    return event\n"}
PROFILE = "arn:aws:signer:us-east-1:000000000000:/signing-profiles/prof/abcdefghij"


def test_code_signing_configs(lam, make_function):
    made = lam.create_code_signing_config(Description="ours",
                                          AllowedPublishers={"SigningProfileVersionArns": [PROFILE]})
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    csc = made["CodeSigningConfig"]
    assert re.fullmatch(r"csc-[a-z0-9]{17}", csc["CodeSigningConfigId"])
    arn = csc["CodeSigningConfigArn"]
    assert arn == f"arn:aws:lambda:us-east-1:{ACCOUNT}:code-signing-config:{csc['CodeSigningConfigId']}"
    assert csc["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Warn"}
    assert lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"] == csc

    updated = lam.update_code_signing_config(CodeSigningConfigArn=arn,
                                             CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"})
    assert updated["CodeSigningConfig"]["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"] == "Enforce"
    assert updated["CodeSigningConfig"]["Description"] == "ours"
    assert [c["CodeSigningConfigArn"] for c in lam.list_code_signing_configs()["CodeSigningConfigs"]] == [arn]

    make_function("signed", NOOP)
    assert lam.get_function_code_signing_config(FunctionName="signed")["CodeSigningConfigArn"] == ""
    out = lam.put_function_code_signing_config(FunctionName="signed", CodeSigningConfigArn=arn)
    assert out["CodeSigningConfigArn"] == arn and out["FunctionName"] == "signed"
    assert lam.get_function_code_signing_config(FunctionName="signed")["CodeSigningConfigArn"] == arn
    assert lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"] == [
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:signed"]
    e = error_of(lam.delete_code_signing_config, CodeSigningConfigArn=arn)
    assert code(e) == "ResourceConflictException"
    lam.delete_function_code_signing_config(FunctionName="signed")
    lam.delete_code_signing_config(CodeSigningConfigArn=arn)
    e = error_of(lam.get_code_signing_config, CodeSigningConfigArn=arn)
    assert code(e) == "ResourceNotFoundException" and status(e) == 404
    e = error_of(lam.put_function_code_signing_config, FunctionName="signed", CodeSigningConfigArn=arn)
    assert code(e) == "CodeSigningConfigNotFoundException" and status(e) == 404


def wait_ready(lam, name: str, qualifier: str) -> dict:
    """The config, once READY (its environments are being started in the background)."""
    for _ in range(300):
        got = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
        if got["Status"] == "READY":
            return got
    pytest.fail("provisioned concurrency never became READY")


def test_provisioned_concurrency_becomes_ready_on_the_clock(lam, make_function, nubis):
    make_function("warmed", NOOP, Publish=True)
    lam.create_alias(FunctionName="warmed", Name="live", FunctionVersion="1")
    put = lam.put_provisioned_concurrency_config(FunctionName="warmed", Qualifier="live",
                                                 ProvisionedConcurrentExecutions=3)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert put["Status"] == "IN_PROGRESS" and put["RequestedProvisionedConcurrentExecutions"] == 3
    assert put["AvailableProvisionedConcurrentExecutions"] == 0
    got = lam.get_provisioned_concurrency_config(FunctionName="warmed", Qualifier="live")
    assert got["Status"] == "IN_PROGRESS"
    nubis.advance(5)
    got = wait_ready(lam, "warmed", "live")
    assert got["AvailableProvisionedConcurrentExecutions"] == got["AllocatedProvisionedConcurrentExecutions"] == 3
    listed = lam.list_provisioned_concurrency_configs(FunctionName="warmed")["ProvisionedConcurrencyConfigs"]
    assert [(c["FunctionArn"], c["Status"]) for c in listed] == [
        (f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:warmed:live", "READY")]
    lam.delete_provisioned_concurrency_config(FunctionName="warmed", Qualifier="live")
    e = error_of(lam.get_provisioned_concurrency_config, FunctionName="warmed", Qualifier="live")
    assert code(e) == "ProvisionedConcurrencyConfigNotFoundException" and status(e) == 404


def test_provisioned_concurrency_limits(lam, make_function):
    make_function("limited", NOOP, Publish=True)
    e = error_of(lam.put_provisioned_concurrency_config, FunctionName="limited", Qualifier="$LATEST",
                 ProvisionedConcurrentExecutions=1)
    assert code(e) == "InvalidParameterValueException"
    e = error_of(lam.put_provisioned_concurrency_config, FunctionName="limited", Qualifier="7",
                 ProvisionedConcurrentExecutions=1)
    assert code(e) == "ResourceNotFoundException"
    lam.put_function_concurrency(FunctionName="limited", ReservedConcurrentExecutions=2)
    e = error_of(lam.put_provisioned_concurrency_config, FunctionName="limited", Qualifier="1",
                 ProvisionedConcurrentExecutions=3)
    assert code(e) == "InvalidParameterValueException"
    assert lam.put_provisioned_concurrency_config(FunctionName="limited", Qualifier="1",
                                                  ProvisionedConcurrentExecutions=2)["Status"] == "IN_PROGRESS"


def test_runtime_management_and_recursion(lam, make_function):
    make_function("managed", NOOP)
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:managed"
    got = lam.get_runtime_management_config(FunctionName="managed")
    assert got["UpdateRuntimeOn"] == "Auto" and got["FunctionArn"] == arn
    assert "RuntimeVersionArn" not in got
    runtime = "arn:aws:lambda:us-east-1::runtime:0123456789abcdef"
    out = lam.put_runtime_management_config(FunctionName="managed", UpdateRuntimeOn="Manual",
                                            RuntimeVersionArn=runtime)
    assert out["UpdateRuntimeOn"] == "Manual" and out["RuntimeVersionArn"] == runtime
    got = lam.get_runtime_management_config(FunctionName="managed")
    assert got["UpdateRuntimeOn"] == "Manual" and got["RuntimeVersionArn"] == runtime
    e = error_of(lam.put_runtime_management_config, FunctionName="managed", UpdateRuntimeOn="Manual")
    assert code(e) == "InvalidParameterValueException"

    assert lam.get_function_recursion_config(FunctionName="managed")["RecursiveLoop"] == "Terminate"
    assert lam.put_function_recursion_config(FunctionName="managed", RecursiveLoop="Allow")["RecursiveLoop"] == "Allow"
    assert lam.get_function_recursion_config(FunctionName="managed")["RecursiveLoop"] == "Allow"
    e = error_of(lam.get_function_recursion_config, FunctionName="nosuch")
    assert code(e) == "ResourceNotFoundException"


def test_account_settings_and_reserved_concurrency(lam, make_function):
    make_function("reserver", NOOP)
    limit = lam.get_account_settings()["AccountLimit"]
    assert limit["ConcurrentExecutions"] == 1000 and limit["UnreservedConcurrentExecutions"] == 1000
    lam.put_function_concurrency(FunctionName="reserver", ReservedConcurrentExecutions=250)
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 750
    e = error_of(lam.put_function_concurrency, FunctionName="reserver", ReservedConcurrentExecutions=901)
    assert code(e) == "InvalidParameterValueException"
    assert "below its minimum value of [100]" in e.response["Error"]["Message"]
    lam.put_function_concurrency(FunctionName="reserver", ReservedConcurrentExecutions=900)


@pytest.fixture(scope="module")
def small_account():
    cloud = start(lambda_concurrent_executions=1)
    try:
        yield cloud
    finally:
        cloud.stop()


def test_account_limit_throttles(small_account):
    small_account.reset()
    lam = boto3.client("lambda", endpoint_url=small_account.endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test", config=NO_RETRY)
    limit = lam.get_account_settings()["AccountLimit"]
    assert limit["ConcurrentExecutions"] == 1 and limit["UnreservedConcurrentExecutions"] == 1
    lam.create_function(FunctionName="slow", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zip_of({"app.py": "import time\ndef handler(event, context):\n"
                                                           "    time.sleep(event.get('sleep', 0))\n"
                                                           "    return 'done'\n"})}, Timeout=30)
    lam.create_function(FunctionName="other", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zip_of(NOOP)})
    # Nothing can be reserved: 100 must stay unreserved.
    e = error_of(lam.put_function_concurrency, FunctionName="slow", ReservedConcurrentExecutions=0)
    assert code(e) == "InvalidParameterValueException"
    results = []

    def hold():
        while True:  # until it gets the slot (the loop below may hold it a moment)
            try:
                results.append(lam.invoke(FunctionName="slow", Payload=json.dumps({"sleep": 2}))["StatusCode"])
                return
            except lam.exceptions.TooManyRequestsException:
                continue

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        throttled = None
        for _ in range(400):  # until the slow one holds the account's one slot
            try:
                lam.invoke(FunctionName="other", Payload=b"{}")
            except lam.exceptions.TooManyRequestsException as err:
                throttled = err
                break
        assert throttled is not None
        assert throttled.response["Reason"] == "ConcurrentInvocationLimitExceeded"
        assert status(throttled) == 429
    finally:
        holder.join()
    assert results == [200]
    assert lam.invoke(FunctionName="other", Payload=b"{}")["StatusCode"] == 200


HOG = """
def handler(event, context):
    hoard = bytearray(event["mb"] * 1024 * 1024)
    for i in range(0, len(hoard), 4096):  # touch every page: resident, not just reserved
        hoard[i] = 1
    return len(hoard)
"""


def _report(log: str) -> dict:
    line = next(x for x in log.splitlines() if x.startswith("REPORT RequestId:"))
    return {k.strip(): v.strip() for k, v in (part.split(":", 1) for part in line.split("\t") if ":" in part)}


def test_max_memory_used_is_the_real_peak(lam, make_function):
    make_function("hog-ok", {"app.py": HOG}, MemorySize=256, Timeout=30)
    out = lam.invoke(FunctionName="hog-ok", Payload=json.dumps({"mb": 80}), LogType="Tail")
    assert "FunctionError" not in out and json.loads(out["Payload"].read()) == 80 * 1024 * 1024
    report = _report(base64.b64decode(out["LogResult"]).decode())
    assert report["Memory Size"] == "256 MB"
    used = int(report["Max Memory Used"].split()[0])
    assert 80 <= used < 256


def test_going_past_memory_size_is_out_of_memory(lam, make_function):
    make_function("hog", {"app.py": HOG}, MemorySize=128, Timeout=30)
    out = lam.invoke(FunctionName="hog", Payload=json.dumps({"mb": 300}), LogType="Tail")
    assert out["FunctionError"] == "Unhandled"
    doc = json.loads(out["Payload"].read())
    assert doc["errorType"] == "Runtime.OutOfMemory"
    assert re.fullmatch(r"RequestId: [0-9a-f-]{36} Error: Runtime exited with error: signal: killed",
                        doc["errorMessage"])
    log = base64.b64decode(out["LogResult"]).decode()
    assert "Runtime exited with error: signal: killed" in log
    assert int(_report(log)["Max Memory Used"].split()[0]) >= 128
    # The next invocation gets a fresh environment that works within its memory.
    out = lam.invoke(FunctionName="hog", Payload=json.dumps({"mb": 10}))
    assert "FunctionError" not in out


def test_provisioned_environments_are_started_before_the_first_invocation(lam, make_function, nubis):
    source = ("import os, time\nSTARTED = time.time()\nKIND = os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']\n"
              "def handler(event, context):\n    return {'kind': KIND, 'pid': os.getpid()}\n")
    make_function("prewarmed", {"app.py": source}, Publish=True)
    lam.put_provisioned_concurrency_config(FunctionName="prewarmed", Qualifier="1",
                                           ProvisionedConcurrentExecutions=1)
    nubis.advance(5)
    wait_ready(lam, "prewarmed", "1")
    out = lam.invoke(FunctionName="prewarmed", Qualifier="1", Payload=b"{}", LogType="Tail")
    assert json.loads(out["Payload"].read())["kind"] == "provisioned-concurrency"
    assert "Init Duration" not in base64.b64decode(out["LogResult"]).decode()
    # $LATEST has none: an on-demand environment.
    out = lam.invoke(FunctionName="prewarmed", Payload=b"{}")
    assert json.loads(out["Payload"].read())["kind"] == "on-demand"
    lam.delete_provisioned_concurrency_config(FunctionName="prewarmed", Qualifier="1")
