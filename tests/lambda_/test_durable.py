"""Durable executions: a durable function checkpoints steps, waits and callbacks,
is invoked again (and replays) when they are ready, and its executions are
listed, read, stopped and kept across a restart.

The functions here carry a few lines of durable SDK of their own: they speak
the durable invocation input and output and call the checkpoint API with boto3.
"""
from __future__ import annotations

import json
import threading
import time

from nubis.testing import start

from .conftest import ROLE, code, error_of, status, zip_of

# A tiny durable SDK: ``run(event, body)`` gives ``body`` a context whose ``step``,
# ``wait`` and ``callback`` replay what is checkpointed and suspend with PENDING.
SDK = '''
import json, boto3

class Suspend(Exception):
    pass

class Context:
    def __init__(self, event):
        self.client = boto3.client("lambda")
        self.arn = event["DurableExecutionArn"]
        self.token = event["CheckpointToken"]
        state = event["InitialExecutionState"]["Operations"]
        self.input = json.loads(state[0]["ExecutionDetails"]["InputPayload"])
        self.ops = {op["Id"]: op for op in state}

    def checkpoint(self, *updates):
        out = self.client.checkpoint_durable_execution(DurableExecutionArn=self.arn, CheckpointToken=self.token,
                                                       Updates=list(updates))
        self.token = out["CheckpointToken"]
        for op in out["NewExecutionState"].get("Operations", []):
            self.ops[op["Id"]] = op
        return out

    def step(self, op_id, fn, retry_delay=None):
        op = self.ops.get(op_id)
        if op and op["Status"] == "SUCCEEDED":
            return json.loads(op["StepDetails"]["Result"])
        if op and op["Status"] == "PENDING":
            raise Suspend()
        self.checkpoint({"Id": op_id, "Type": "STEP", "Action": "START", "Name": op_id})
        attempt = self.ops[op_id]["StepDetails"]["Attempt"]
        try:
            value = fn(attempt)
        except Exception as e:
            if retry_delay:
                self.checkpoint({"Id": op_id, "Type": "STEP", "Action": "RETRY",
                                 "Error": {"ErrorType": type(e).__name__, "ErrorMessage": str(e)},
                                 "StepOptions": {"NextAttemptDelaySeconds": retry_delay}})
                raise Suspend()
            raise
        self.checkpoint({"Id": op_id, "Type": "STEP", "Action": "SUCCEED", "Payload": json.dumps(value)})
        return value

    def wait(self, op_id, seconds):
        op = self.ops.get(op_id)
        if op is None:
            self.checkpoint({"Id": op_id, "Type": "WAIT", "Action": "START", "WaitOptions": {"WaitSeconds": seconds}})
            raise Suspend()
        if op["Status"] != "SUCCEEDED":
            raise Suspend()

    def callback(self, op_id, timeout=0):
        op = self.ops.get(op_id)
        if op is None:
            self.checkpoint({"Id": op_id, "Type": "CALLBACK", "Action": "START",
                             "CallbackOptions": {"TimeoutSeconds": timeout}})
            raise Suspend()
        if op["Status"] == "STARTED":
            raise Suspend()
        if op["Status"] == "SUCCEEDED":
            return op["CallbackDetails"]["Result"]
        raise RuntimeError(op["Status"] + ": " + op["CallbackDetails"].get("Error", {}).get("ErrorType", ""))

def run(event, body):
    ctx = Context(event)
    try:
        return {"Status": "SUCCEEDED", "Result": json.dumps(body(ctx))}
    except Suspend:
        return {"Status": "PENDING"}
    except Exception as e:
        return {"Status": "FAILED", "Error": {"ErrorType": type(e).__name__, "ErrorMessage": str(e)}}
'''

STEPS = '''
from sdk import run
def handler(event, context):
    return run(event, lambda ctx: {"doubled": ctx.step("double", lambda a: ctx.input["n"] * 2)})
'''
WAITS = '''
from sdk import run
def body(ctx):
    first = ctx.step("first", lambda a: "one")
    ctx.wait("nap", 60)
    return [first, ctx.step("second", lambda a: "two")]
def handler(event, context):
    return run(event, body)
'''
CALLBACK = '''
from sdk import run
def handler(event, context):
    return run(event, lambda ctx: {"approved": ctx.callback("approval", timeout=ctx.input.get("timeout", 0))})
'''
BODIES = '''
from sdk import run
def handler(event, context):
    return run(event, lambda ctx: ctx.step("bodies", lambda a: [r["body"] for r in ctx.input["Records"]]))
'''
THROWS_ONCE = '''
import os
from sdk import run
def handler(event, context):
    flag = os.path.join(os.environ["FLAG_DIR"], "thrown")
    if not os.path.exists(flag):
        open(flag, "w").close()
        raise RuntimeError("a crash outside the SDK")
    return run(event, lambda ctx: "recovered")
'''
RETRIES = '''
from sdk import run
def flaky(attempt):
    if attempt < 2:
        raise ValueError("not yet")
    return attempt
def handler(event, context):
    return run(event, lambda ctx: ctx.step("flaky", flaky, retry_delay=10))
'''


def _durable(make_function, name, source, **config):
    return make_function(name, {"app.py": source, "sdk.py": SDK}, Timeout=30,
                         DurableConfig=dict({"ExecutionTimeout": 3600}, **config))


def _eventually(read, until, timeout=30.0):
    end = time.monotonic() + timeout
    while True:
        value = read()
        if until(value) or time.monotonic() > end:
            return value
        time.sleep(0.05)


def _execution(lam, arn, want):
    return _eventually(lambda: lam.get_durable_execution(DurableExecutionArn=arn), lambda e: e["Status"] == want)


def _start(lam, name, payload=b"{}"):
    """An Event invocation of ``name``'s $LATEST: the execution's ARN, once its first invocation ended."""
    out = lam.invoke(FunctionName=f"{name}:$LATEST", InvocationType="Event", Payload=payload)
    assert out["StatusCode"] == 202
    arn = out["DurableExecutionArn"]
    _eventually(lambda: _events(lam, arn), lambda ev: "InvocationCompleted" in ev)
    return arn


def _events(lam, arn, **more):
    return [e["EventType"] for e in lam.get_durable_execution_history(DurableExecutionArn=arn, **more)["Events"]]


def test_durable_config_is_kept_and_only_set_at_creation(lam, make_function):
    made = _durable(make_function, "steps", STEPS)
    assert made["DurableConfig"] == {"RetentionPeriodInDays": 14, "ExecutionTimeout": 3600}
    make_function("plain", {"app.py": "def handler(e, c):\n    return 1\n"})
    e = error_of(lambda: lam.update_function_configuration(FunctionName="plain",
                                                           DurableConfig={"ExecutionTimeout": 10}))
    assert code(e) == "InvalidParameterValueException"
    out = lam.update_function_configuration(FunctionName="steps", DurableConfig={"RetentionPeriodInDays": 3})
    assert out["DurableConfig"] == {"RetentionPeriodInDays": 3, "ExecutionTimeout": 3600}


def test_synchronous_invoke_runs_an_execution_to_its_end(lam, make_function):
    _durable(make_function, "steps", STEPS)
    out = lam.invoke(FunctionName="steps:$LATEST", Payload=b'{"n": 21}', DurableExecutionName="first")
    assert json.loads(out["Payload"].read()) == {"doubled": 42}
    arn = out["DurableExecutionArn"]
    assert arn.startswith("arn:aws:lambda:us-east-1:000000000000:function:steps:$LATEST/durable-execution/first/")
    got = lam.get_durable_execution(DurableExecutionArn=arn)
    assert got["Status"] == "SUCCEEDED" and json.loads(got["Result"]) == {"doubled": 42}
    assert json.loads(got["InputPayload"]) == {"n": 21} and got["Version"] == "$LATEST"
    assert got["DurableExecutionName"] == "first" and "EndTimestamp" in got
    assert _events(lam, arn) == ["ExecutionStarted", "StepStarted", "StepSucceeded", "InvocationCompleted",
                                 "ExecutionSucceeded"]
    history = lam.get_durable_execution_history(DurableExecutionArn=arn, IncludeExecutionData=True)["Events"]
    assert history[2]["StepSucceededDetails"]["Result"]["Payload"] == "42"
    bare = lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    assert "Payload" not in bare[2]["StepSucceededDetails"]["Result"]



def test_an_execution_name_is_an_idempotency_key(lam, make_function):
    _durable(make_function, "steps", STEPS)
    _durable(make_function, "other", STEPS)
    first = lam.invoke(FunctionName="steps:$LATEST", Payload=b'{"n": 21}', DurableExecutionName="order-1")
    again = lam.invoke(FunctionName="steps:$LATEST", Payload=b'{"n": 21}', DurableExecutionName="order-1")
    assert again["DurableExecutionArn"] == first["DurableExecutionArn"]
    assert json.loads(again["Payload"].read()) == {"doubled": 42}
    assert len(lam.list_durable_executions_by_function(FunctionName="steps")["DurableExecutions"]) == 1
    for name, payload in (("steps", b'{"n": 1}'), ("other", b'{"n": 21}')):
        e = error_of(lambda: lam.invoke(FunctionName=f"{name}:$LATEST", Payload=payload,
                                        DurableExecutionName="order-1"))
        assert code(e) == "DurableExecutionAlreadyStartedException" and status(e) == 409


def test_a_synchronous_invocation_waits_fifteen_minutes_at_most(lam, make_function, nubis):
    _durable(make_function, "waits", WAITS.replace("60", "3600"))
    answer = {}
    caller = threading.Thread(target=lambda: answer.update(lam.invoke(FunctionName="waits:$LATEST", Payload=b"{}",
                                                                      DurableExecutionName="slow")))
    caller.start()
    listed = _eventually(lambda: lam.list_durable_executions_by_function(FunctionName="waits")["DurableExecutions"],
                         bool)
    arn = listed[0]["DurableExecutionArn"]
    _eventually(lambda: _events(lam, arn), lambda ev: "InvocationCompleted" in ev)
    nubis.advance(901)
    caller.join(30)
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"].read())["errorType"] == "ExecutionTimedOut"
    assert lam.get_durable_execution(DurableExecutionArn=arn)["Status"] == "TIMED_OUT"


def test_a_durable_function_is_invoked_qualified(lam, make_function):
    _durable(make_function, "steps", STEPS)
    for kind in ("RequestResponse", "Event"):
        e = error_of(lambda: lam.invoke(FunctionName="steps", InvocationType=kind, Payload=b'{"n": 1}'))
        assert code(e) == "InvalidParameterValueException"
    lam.publish_version(FunctionName="steps")
    lam.create_alias(FunctionName="steps", Name="live", FunctionVersion="1")
    out = lam.invoke(FunctionName="steps", Qualifier="live", Payload=b'{"n": 2}')
    assert json.loads(out["Payload"].read()) == {"doubled": 4} and out["ExecutedVersion"] == "1"
    assert ":steps:1/durable-execution/" in out["DurableExecutionArn"]


def test_an_sqs_mapping_runs_a_durable_execution_per_batch(lam, make_function, aws_client):
    _durable(make_function, "bodies", BODIES)
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName="durable-in")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="bodies:$LATEST", BatchSize=1)
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    listed = _eventually(lambda: lam.list_durable_executions_by_function(FunctionName="bodies")["DurableExecutions"],
                         lambda found: bool(found) and found[0]["Status"] != "RUNNING")
    assert [x["Status"] for x in listed] == ["SUCCEEDED"]
    got = lam.get_durable_execution(DurableExecutionArn=listed[0]["DurableExecutionArn"])
    assert json.loads(got["Result"]) == ["hello"]
    left = _eventually(lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"],
                       lambda a: a["ApproximateNumberOfMessages"] == a["ApproximateNumberOfMessagesNotVisible"] == "0")
    assert left["ApproximateNumberOfMessages"] == "0"  # the batch succeeded and was deleted


def test_a_wait_suspends_until_the_clock_passes_it(lam, make_function, nubis):
    _durable(make_function, "waits", WAITS)
    arn = _start(lam, "waits")
    assert lam.get_durable_execution(DurableExecutionArn=arn)["Status"] == "RUNNING"
    nubis.advance(30)
    assert lam.get_durable_execution(DurableExecutionArn=arn)["Status"] == "RUNNING"
    nubis.advance(31)
    got = _execution(lam, arn, "SUCCEEDED")
    assert json.loads(got["Result"]) == ["one", "two"]
    events = _events(lam, arn)
    assert events.count("StepSucceeded") == 2 and events.count("InvocationCompleted") == 2  # replayed once
    assert "WaitStarted" in events and "WaitSucceeded" in events


def test_a_callback_resumes_the_execution(lam, make_function):
    _durable(make_function, "approve", CALLBACK)
    arn = _start(lam, "approve")
    history = lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    callback_id = next(e["CallbackStartedDetails"]["CallbackId"] for e in history
                       if e["EventType"] == "CallbackStarted")
    lam.send_durable_execution_callback_heartbeat(CallbackId=callback_id)
    lam.send_durable_execution_callback_success(CallbackId=callback_id, Result=b'"yes"')
    got = _execution(lam, arn, "SUCCEEDED")
    assert json.loads(got["Result"]) == {"approved": '"yes"'}
    e = error_of(lambda: lam.send_durable_execution_callback_success(CallbackId=callback_id, Result=b"again"))
    assert code(e) == "CallbackTimeoutException"
    e = error_of(lambda: lam.send_durable_execution_callback_failure(CallbackId="abcd", Error={}))
    assert code(e) == "InvalidParameterValueException"


def test_a_callback_times_out_on_the_clock(lam, make_function, nubis):
    _durable(make_function, "approve", CALLBACK)
    arn = _start(lam, "approve", b'{"timeout": 30}')
    nubis.advance(31)
    got = _execution(lam, arn, "FAILED")
    assert got["Error"]["ErrorType"] == "RuntimeError" and "TIMED_OUT" in got["Error"]["ErrorMessage"]
    assert "CallbackTimedOut" in _events(lam, arn)


def test_a_step_retries_after_its_delay(lam, make_function, nubis):
    _durable(make_function, "retries", RETRIES)
    arn = _start(lam, "retries")
    assert lam.get_durable_execution(DurableExecutionArn=arn)["Status"] == "RUNNING"
    nubis.advance(11)
    got = _execution(lam, arn, "SUCCEEDED")
    assert json.loads(got["Result"]) == 2
    assert _events(lam, arn).count("StepFailed") == 1


def test_an_invocation_that_throws_is_retried_with_backoff(lam, make_function, nubis, tmp_path):
    make_function("throws", {"app.py": THROWS_ONCE, "sdk.py": SDK}, Timeout=30,
                  Environment={"Variables": {"FLAG_DIR": str(tmp_path)}}, DurableConfig={"ExecutionTimeout": 3600})
    arn = _start(lam, "throws")
    history = lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    assert history[-1]["InvocationCompletedDetails"]["Error"] == {}  # the error's data is left out by default
    assert lam.get_durable_execution(DurableExecutionArn=arn)["Status"] == "RUNNING"
    nubis.advance(11)
    got = _execution(lam, arn, "SUCCEEDED")
    assert json.loads(got["Result"]) == "recovered"
    assert _events(lam, arn).count("InvocationCompleted") == 2


def test_stop_and_the_execution_timeout(lam, make_function, nubis):
    _durable(make_function, "waits", WAITS, ExecutionTimeout=100)
    first = _start(lam, "waits")
    stopped = lam.stop_durable_execution(DurableExecutionArn=first, Error={"ErrorType": "Operator"})
    assert "StopTimestamp" in stopped
    got = lam.get_durable_execution(DurableExecutionArn=first)
    assert got["Status"] == "STOPPED" and got["Error"] == {"ErrorType": "Operator"}
    e = error_of(lambda: lam.stop_durable_execution(DurableExecutionArn=first))
    assert code(e) == "InvalidParameterValueException"
    lam.update_function_configuration(FunctionName="waits", DurableConfig={"ExecutionTimeout": 50})
    second = _start(lam, "waits")
    nubis.advance(51)
    assert _execution(lam, second, "TIMED_OUT")["Status"] == "TIMED_OUT"
    assert lam.get_durable_execution(DurableExecutionArn=first)["Status"] == "STOPPED"  # nothing woke it


def test_list_executions_by_function(lam, make_function, nubis):
    _durable(make_function, "steps", STEPS)
    lam.publish_version(FunctionName="steps")
    for i, qualifier in enumerate(("$LATEST", "1", "1")):
        lam.invoke(FunctionName="steps", Qualifier=qualifier, Payload=json.dumps({"n": i}).encode(),
                   DurableExecutionName=f"run-{i}")
        nubis.advance(1)
    listed = lam.list_durable_executions_by_function(FunctionName="steps")["DurableExecutions"]
    assert [x["DurableExecutionName"] for x in listed] == ["run-0", "run-1", "run-2"]
    assert all(x["Status"] == "SUCCEEDED" for x in listed)
    newest = lam.list_durable_executions_by_function(FunctionName="steps", ReverseOrder=True, MaxItems=1)
    assert [x["DurableExecutionName"] for x in newest["DurableExecutions"]] == ["run-2"] and newest["NextMarker"]
    by_version = lam.list_durable_executions_by_function(FunctionName="steps", Qualifier="1")["DurableExecutions"]
    assert [x["DurableExecutionName"] for x in by_version] == ["run-1", "run-2"]
    assert listed[1]["FunctionArn"].endswith(":steps:1")
    named = lam.list_durable_executions_by_function(FunctionName="steps", DurableExecutionName="run-0")
    assert len(named["DurableExecutions"]) == 1
    assert lam.list_durable_executions_by_function(FunctionName="steps", Statuses=["RUNNING"])[
        "DurableExecutions"] == []


def test_checkpoint_tokens_and_not_found(lam, make_function):
    _durable(make_function, "steps", STEPS)
    arn = lam.invoke(FunctionName="steps:$LATEST", Payload=b'{"n": 1}')["DurableExecutionArn"]
    e = error_of(lambda: lam.checkpoint_durable_execution(DurableExecutionArn=arn, CheckpointToken="AAAA",
                                                          Updates=[]))
    assert code(e) == "InvalidParameterValueException" and "Invalid checkpoint token" in e.response["Error"][
        "Message"]
    e = error_of(lambda: lam.get_durable_execution_state(DurableExecutionArn=arn, CheckpointToken="AAAA"))
    assert code(e) == "InvalidParameterValueException"
    missing = arn.rsplit("/", 1)[0] + "/0000"
    e = error_of(lambda: lam.get_durable_execution(DurableExecutionArn=missing))
    assert code(e) == "ResourceNotFoundException" and status(e) == 404
    e = error_of(lambda: lam.list_durable_executions_by_function(FunctionName="nope"))
    assert code(e) == "ResourceNotFoundException"


def test_a_waiting_execution_survives_a_restart(tmp_path):
    settings = dict(data_dir=str(tmp_path), ephemeral=False)
    cloud = start(**settings)
    try:
        lam = cloud.client("lambda")
        cloud.freeze()
        lam.create_function(FunctionName="waits", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": zip_of({"app.py": WAITS, "sdk.py": SDK})}, Timeout=30,
                            DurableConfig={"ExecutionTimeout": 3600})
        arn = _start(lam, "waits")
    finally:
        cloud.stop()
    cloud = start(**settings)
    try:
        lam = cloud.client("lambda")
        assert lam.get_durable_execution(DurableExecutionArn=arn)["Status"] == "RUNNING"
        cloud.advance(61)
        got = _execution(lam, arn, "SUCCEEDED")
        assert json.loads(got["Result"]) == ["one", "two"]
    finally:
        cloud.stop()


CHECKPOINTS = '''
import boto3, json
def handler(event, context):
    client = boto3.client("lambda")
    arn = event["DurableExecutionArn"]
    start = dict(DurableExecutionArn=arn, CheckpointToken=event["CheckpointToken"], ClientToken="once",
                 Updates=[{"Id": "s", "Type": "STEP", "Action": "START"}])
    first = client.checkpoint_durable_execution(**start)
    again = client.checkpoint_durable_execution(**start)
    token = client.checkpoint_durable_execution(DurableExecutionArn=arn, CheckpointToken=first["CheckpointToken"],
        Updates=[{"Id": "ctx", "Type": "CONTEXT", "Action": "START"},
                 {"Id": "child", "ParentId": "ctx", "Type": "STEP", "Action": "START"},
                 {"Id": "s", "Type": "STEP", "Action": "SUCCEED", "Payload": "1"}])["CheckpointToken"]
    token = client.checkpoint_durable_execution(DurableExecutionArn=arn, CheckpointToken=token,
        Updates=[{"Id": "child", "Type": "STEP", "Action": "SUCCEED", "Payload": "2"},
                 {"Id": "ctx", "Type": "CONTEXT", "Action": "SUCCEED", "Payload": "3"}])["CheckpointToken"]
    state = client.get_durable_execution_state(DurableExecutionArn=arn, CheckpointToken=token)
    return {"Status": "SUCCEEDED", "Result": json.dumps({
        "same": first["CheckpointToken"] == again["CheckpointToken"],
        "ids": [op["Id"] for op in state["Operations"][1:]]})}
'''


def test_checkpoint_client_tokens_and_context_children(lam, make_function):
    _durable(make_function, "raw", CHECKPOINTS)
    out = lam.invoke(FunctionName="raw:$LATEST", Payload=b"{}")
    result = json.loads(out["Payload"].read())
    assert result == {"same": True, "ids": ["s", "ctx"]}  # a completed context's children are not replayed
    events = _events(lam, out["DurableExecutionArn"])
    assert events.count("StepStarted") == 2 and "ContextSucceeded" in events
