"""Executions across restarts of a real nubis process (kill -9): a Wait of a day
and a task waiting for its callback carry on where they were, with their history."""
import json
import time

import pytest


def _finished(sfn, arn, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING" or time.monotonic() > deadline:
            return d
        time.sleep(0.05)


def _until(holds, timeout=10.0, step=0.05):
    """Wait in real time (the server runs on its own) until ``holds()``; the test fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not holds():
        assert time.monotonic() < deadline
        time.sleep(step)


@pytest.mark.parametrize("how", ["kill9", "sigterm"])
def test_a_waiting_execution_continues_after_a_restart(server_process, tmp_path, how):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    sfn = server.client("stepfunctions")
    arn = sfn.create_state_machine(name="slow", roleArn="arn:aws:iam::000000000000:role/r", definition=json.dumps(
        {"StartAt": "First", "States": {
            "First": {"Type": "Pass", "Result": "one", "ResultPath": "$.first", "Next": "Day"},
            "Day": {"Type": "Wait", "Seconds": 86400, "Next": "Last"},
            "Last": {"Type": "Pass", "Result": "two", "ResultPath": "$.last", "End": True}}}))["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, name="long", input='{"k": 1}')["executionArn"]
    _until(lambda: "WaitStateEntered" in [e["type"] for e in sfn.get_execution_history(executionArn=ex)["events"]])
    if how == "kill9":
        server.kill9()
    else:
        assert server.terminate() == 0

    server = server_process("--data-dir", data)
    sfn = server.client("stepfunctions")
    assert sfn.describe_execution(executionArn=ex)["status"] == "RUNNING"
    server.post("/_nubis/clock", {"advance_seconds": 86400})
    d = _finished(sfn, ex)
    assert d["status"] == "SUCCEEDED"
    assert json.loads(d["output"]) == {"k": 1, "first": "one", "last": "two"}
    events = sfn.get_execution_history(executionArn=ex)["events"]
    assert [(e["type"], e["id"], e["previousEventId"]) for e in events] == [
        ("ExecutionStarted", 1, 0), ("PassStateEntered", 2, 0), ("PassStateExited", 3, 2),
        ("WaitStateEntered", 4, 3), ("WaitStateExited", 5, 4), ("PassStateEntered", 6, 5),
        ("PassStateExited", 7, 6), ("ExecutionSucceeded", 8, 7)]


def test_a_callback_token_survives_a_restart(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    sqs, sfn = server.client("sqs"), server.client("stepfunctions")
    url = sqs.create_queue(QueueName="tokens")["QueueUrl"]
    arn = sfn.create_state_machine(name="cb", roleArn="arn:aws:iam::000000000000:role/r", definition=json.dumps(
        {"StartAt": "Ask", "States": {"Ask": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
            "Parameters": {"QueueUrl": url, "MessageBody.$": "$$.Task.Token"}}}}))["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    token = None
    deadline = time.monotonic() + 10
    while token is None and time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        token = got[0]["Body"] if got else None
    server.kill9()

    server = server_process("--data-dir", data)
    sfn = server.client("stepfunctions")
    sfn.send_task_success(taskToken=token, output='{"done": true}')
    d = _finished(sfn, ex)
    assert d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"done": True}
    assert [e["type"] for e in sfn.get_execution_history(executionArn=ex)["events"]] == [
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
        "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]


@pytest.mark.parametrize("how", ["kill9", "sigterm"])
def test_a_wait_inside_a_parallel_keeps_its_end_across_a_restart(server_process, tmp_path, how):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    sfn = server.client("stepfunctions")
    arn = sfn.create_state_machine(name="nested", roleArn="arn:aws:iam::000000000000:role/r", definition=json.dumps(
        {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1000, "End": True}}}]}}}))["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, input='{"n": 1}')["executionArn"]
    _until(lambda: "WaitStateEntered" in [e["type"] for e in sfn.get_execution_history(executionArn=ex)["events"]])
    server.post("/_nubis/clock", {"advance_seconds": 600})
    if how == "kill9":
        server.kill9()
    else:
        assert server.terminate() == 0

    server = server_process("--data-dir", data)
    sfn = server.client("stepfunctions")
    assert sfn.describe_execution(executionArn=ex)["status"] == "RUNNING"
    server.post("/_nubis/clock", {"advance_seconds": 400})
    d = _finished(sfn, ex)
    assert d["status"] == "SUCCEEDED" and json.loads(d["output"]) == [{"n": 1}]


def test_a_callback_inside_a_map_keeps_its_token_across_a_restart(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    sqs, sfn = server.client("sqs"), server.client("stepfunctions")
    url = sqs.create_queue(QueueName="nested-tokens")["QueueUrl"]
    arn = sfn.create_state_machine(name="cbmap", roleArn="arn:aws:iam::000000000000:role/r", definition=json.dumps(
        {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {"StartAt": "Ask", "States": {
            "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
                    "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token",
                                                                    "item.$": "$"}}}}}}}}))["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, input='["a", "b"]')["executionArn"]
    tokens = {}
    deadline = time.monotonic() + 10
    while len(tokens) < 2 and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", []):
            body = json.loads(m["Body"])
            tokens[body["item"]] = body["token"]
    server.kill9()

    server = server_process("--data-dir", data)
    sfn = server.client("stepfunctions")
    for item, token in tokens.items():
        sfn.send_task_success(taskToken=token, output=json.dumps(item.upper()))
    d = _finished(sfn, ex)
    assert d["status"] == "SUCCEEDED" and json.loads(d["output"]) == ["A", "B"]


def test_a_nested_sync_execution_is_not_started_twice_after_a_restart(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    sfn = server.client("stepfunctions")
    role = "arn:aws:iam::000000000000:role/r"
    child = sfn.create_state_machine(name="slow-child", roleArn=role, definition=json.dumps(
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
                                    "Done": {"Type": "Pass", "Result": "child done", "End": True}}}))["stateMachineArn"]
    parent = sfn.create_state_machine(name="waiting-parent", roleArn=role, definition=json.dumps(
        {"StartAt": "Run", "States": {"Run": {
            "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "End": True,
            "Parameters": {"StateMachineArn": child}, "OutputPath": "$.Output"}}}))["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=parent)["executionArn"]
    _until(lambda: sfn.list_executions(stateMachineArn=child)["executions"])
    server.kill9()

    server = server_process("--data-dir", data)
    sfn = server.client("stepfunctions")
    assert sfn.describe_execution(executionArn=ex)["status"] == "RUNNING"
    server.post("/_nubis/clock", {"advance_seconds": 3600})
    d = _finished(sfn, ex)
    assert d["status"] == "SUCCEEDED" and json.loads(d["output"]) == "child done"
    assert len(sfn.list_executions(stateMachineArn=child)["executions"]) == 1


def test_retries_carry_on_across_a_restart(server_process, tmp_path):
    import io
    import zipfile

    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    lam, sfn = server.client("lambda"), server.client("stepfunctions")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    raise KeyError('always')\n")
    fn = lam.create_function(FunctionName="always-fails", Runtime="python3.12", Handler="app.handler",
                             Role="arn:aws:iam::000000000000:role/r", Code={"ZipFile": buf.getvalue()})["FunctionArn"]
    arn = sfn.create_state_machine(name="retrier", roleArn="arn:aws:iam::000000000000:role/r", definition=json.dumps(
        {"StartAt": "Call", "States": {"Call": {
            "Type": "Task", "Resource": fn, "End": True,
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 100, "MaxAttempts": 2,
                       "BackoffRate": 2}]}}}))["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]

    def failures():
        return [e["type"] for e in sfn.get_execution_history(executionArn=ex)["events"]].count("LambdaFunctionFailed")

    _until(lambda: failures() >= 1, timeout=60, step=0.1)
    server.post("/_nubis/clock", {"advance_seconds": 60})
    server.kill9()

    server = server_process("--data-dir", data)
    sfn = server.client("stepfunctions")
    assert failures() == 1
    # The backoff's last 40 seconds: the second attempt, not a first one again.
    server.post("/_nubis/clock", {"advance_seconds": 40})
    _until(lambda: failures() >= 2, timeout=60, step=0.1)
    server.post("/_nubis/clock", {"advance_seconds": 200})
    d = _finished(sfn, ex, timeout=60)
    assert (d["status"], d["error"]) == ("FAILED", "KeyError")
    types = [e["type"] for e in sfn.get_execution_history(executionArn=ex)["events"]]
    assert types.count("LambdaFunctionScheduled") == 3 and types.count("TaskStateEntered") == 1
    # The function ran three times in all: the restart did not repeat the attempt it had made.
    logs = server.client("logs")
    starts = [e for e in logs.filter_log_events(logGroupName="/aws/lambda/always-fails")["events"]
              if e["message"].startswith("START ")]
    assert len(starts) == 3
