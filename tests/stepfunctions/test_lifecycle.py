"""An execution's life beyond its states: the machine's TimeoutSeconds on the clock,
RedriveExecution from the failed state, and the status-change events on EventBridge."""
import io
import json
import time
import zipfile

from .conftest import ROLE, code, error_of, finished, history, types

FLAKY = """
calls = 0

def handler(event, context):
    global calls
    calls += 1
    if calls == 1:
        raise RuntimeError("not yet")
    return {"calls": calls}
"""


def test_the_machine_timeout_ends_the_execution(sfn, make_machine, nubis):
    arn = make_machine("timeboxed", {"TimeoutSeconds": 60, "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    nubis.advance(59)
    assert sfn.describe_execution(executionArn=ex)["status"] == "RUNNING"
    nubis.advance(1)
    d = finished(sfn, ex)
    assert (d["status"], d["error"]) == ("TIMED_OUT", "States.Timeout")
    assert types(history(sfn, ex))[-1] == "ExecutionTimedOut"


def test_redrive_runs_the_failed_state_again(sfn, make_machine, aws_client):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", FLAKY)
    fn = aws_client("lambda").create_function(FunctionName="flaky-redrive", Runtime="python3.12", Role=ROLE,
                                              Handler="app.handler", Code={"ZipFile": buf.getvalue()})["FunctionArn"]
    arn = make_machine("redriven", {"StartAt": "Before", "States": {
        "Before": {"Type": "Pass", "Result": 1, "ResultPath": "$.before", "Next": "Call"},
        "Call": {"Type": "Task", "Resource": fn, "ResultPath": "$.call", "End": True}}})
    ex = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    d = finished(sfn, ex, timeout=60)
    assert (d["status"], d["error"], d["redriveStatus"]) == ("FAILED", "RuntimeError", "REDRIVABLE")
    sfn.redrive_execution(executionArn=ex)
    d = finished(sfn, ex, timeout=60)
    assert d["status"] == "SUCCEEDED" and d["redriveCount"] == 1
    assert json.loads(d["output"]) == {"before": 1, "call": {"calls": 2}}
    events = history(sfn, ex)
    assert types(events) == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "TaskStateEntered", "LambdaFunctionScheduled",
        "LambdaFunctionStarted", "LambdaFunctionFailed", "ExecutionFailed", "ExecutionRedriven",
        "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded",
        "TaskStateExited", "ExecutionSucceeded"]
    assert [e["id"] for e in events] == list(range(1, 16))
    assert events[8]["executionRedrivenEventDetails"] == {"redriveCount": 1}
    assert events[8]["previousEventId"] == 8 and events[9]["previousEventId"] == 9
    assert code(error_of(sfn.redrive_execution, executionArn=ex)) == "ExecutionNotRedrivable"


def test_status_changes_go_to_eventbridge(sfn, make_machine, aws_client):
    sqs, events = aws_client("sqs"), aws_client("events")
    url = sqs.create_queue(QueueName="sfn-status")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="sfn-status", EventPattern=json.dumps(
        {"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"]}))
    events.put_targets(Rule="sfn-status", Targets=[{"Id": "q", "Arn": queue_arn}])
    arn = make_machine("watched", {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    ex = sfn.start_execution(stateMachineArn=arn, input='{"w": 1}')["executionArn"]
    finished(sfn, ex)
    seen = []
    deadline = time.monotonic() + 10
    while len(seen) < 2 and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", []):
            seen.append(json.loads(m["Body"]))
    assert sorted(e["detail"]["status"] for e in seen) == ["RUNNING", "SUCCEEDED"]
    done = next(e for e in seen if e["detail"]["status"] == "SUCCEEDED")
    assert done["source"] == "aws.states" and done["resources"] == [ex]
    assert done["detail"]["executionArn"] == ex and done["detail"]["stateMachineArn"] == arn
    assert json.loads(done["detail"]["input"]) == {"w": 1}
