"""Task states through boto3: a real Lambda function retried after a failure,
callbacks completed by SendTaskSuccess, activities worked by the test, timeouts
on the clock, nested executions, and the SQS, DynamoDB and SDK integrations."""
import io
import json
import threading
import time
import zipfile

import pytest

from .conftest import ROLE, chain, code, error_of, finished, history, types

FLAKY = """
calls = 0

def handler(event, context):
    global calls
    calls += 1
    if calls == 1:
        raise ValueError("first call fails")
    return {"calls": calls, "got": event}
"""


def _zip(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", source)
    return buf.getvalue()


@pytest.fixture
def function(aws_client):
    lam = aws_client("lambda")

    def make(name: str, source: str) -> str:
        return lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                   Code={"ZipFile": _zip(source)})["FunctionArn"]

    return make


def wait_for(sfn, ex, event_type, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = history(sfn, ex)
        if event_type in types(events):
            return events
        time.sleep(0.05)
    raise AssertionError(f"no {event_type} in {types(history(sfn, ex))}")


def test_a_lambda_that_fails_once_succeeds_on_retry(sfn, make_machine, function, nubis):
    fn = function("flaky", FLAKY)
    arn = make_machine("retrying", {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
        "Parameters": {"FunctionName": fn, "Payload.$": "$"}, "OutputPath": "$.Payload",
        "Retry": [{"ErrorEquals": ["ValueError"], "IntervalSeconds": 2, "MaxAttempts": 2}]}}})
    ex = sfn.start_execution(stateMachineArn=arn, input='{"n": 7}')["executionArn"]
    events = wait_for(sfn, ex, "TaskFailed")
    failed = events[-1]["taskFailedEventDetails"]
    assert failed["error"] == "ValueError" and "first call fails" in failed["cause"]
    assert (failed["resourceType"], failed["resource"]) == ("lambda", "invoke")
    assert sfn.describe_execution(executionArn=ex)["status"] == "RUNNING"
    nubis.advance(2)
    d = finished(sfn, ex, timeout=60)
    assert d["status"] == "SUCCEEDED"
    assert json.loads(d["output"]) == {"calls": 2, "got": {"n": 7}}
    assert chain(history(sfn, ex)) == [
        ("ExecutionStarted", 1, 0), ("TaskStateEntered", 2, 0), ("TaskScheduled", 3, 2), ("TaskStarted", 4, 3),
        ("TaskFailed", 5, 4), ("TaskScheduled", 6, 5), ("TaskStarted", 7, 6), ("TaskSucceeded", 8, 7),
        ("TaskStateExited", 9, 8), ("ExecutionSucceeded", 10, 9)]
    scheduled = history(sfn, ex)[2]["taskScheduledEventDetails"]
    assert json.loads(scheduled["parameters"]) == {"FunctionName": fn, "Payload": {"n": 7}}
    assert scheduled["region"] == "us-east-1"


def test_a_plain_function_arn_records_lambda_events(sfn, make_machine, function):
    fn = function("echo", "def handler(event, context):\n    return {'echo': event}\n")
    arn = make_machine("plainfn", {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": fn,
                                                                          "End": True}}})
    ex = sfn.start_execution(stateMachineArn=arn, input='{"a": 1}')["executionArn"]
    d = finished(sfn, ex, timeout=60)
    assert json.loads(d["output"]) == {"echo": {"a": 1}}
    assert types(history(sfn, ex)) == [
        "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
        "LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded"]


def test_a_callback_task_waits_for_send_task_success(sfn, make_machine, aws_client):
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName="approvals")["QueueUrl"]
    arn = make_machine("callback", {"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
        "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"}}}}})
    ex = sfn.start_execution(stateMachineArn=arn, input='{"order": 42}')["executionArn"]
    messages = []
    deadline = time.monotonic() + 10
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
    body = json.loads(messages[0]["Body"])
    assert body["order"] == 42
    assert sfn.describe_execution(executionArn=ex)["status"] == "RUNNING"
    sfn.send_task_success(taskToken=body["token"], output='{"approved": true}')
    d = finished(sfn, ex)
    assert d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"approved": True}
    assert types(history(sfn, ex)) == [
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
        "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
    assert code(error_of(sfn.send_task_success, taskToken=body["token"], output="{}")) == "TaskDoesNotExist"


def test_a_callback_fails_with_send_task_failure_and_times_out_on_the_clock(sfn, make_machine, aws_client, nubis):
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName="tokens")["QueueUrl"]
    arn = make_machine("callback2", {"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
        "TimeoutSeconds": 300, "Parameters": {"QueueUrl": url, "MessageBody.$": "$$.Task.Token"}}}})
    failing = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    token = None
    deadline = time.monotonic() + 10
    while token is None and time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        token = got[0]["Body"] if got else None
    sfn.send_task_failure(taskToken=token, error="Rejected", cause="no")
    d = finished(sfn, failing)
    assert (d["status"], d["error"], d["cause"]) == ("FAILED", "Rejected", "no")

    slow = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    wait_for(sfn, slow, "TaskSubmitted")
    nubis.advance(300)
    d = finished(sfn, slow)
    assert (d["status"], d["error"]) == ("FAILED", "States.Timeout")
    assert "TaskTimedOut" in types(history(sfn, slow))


def test_an_activity_worked_by_the_test(sfn, make_machine):
    activity = sfn.create_activity(name="reviewer")["activityArn"]
    arn = make_machine("with-activity", {"StartAt": "Review", "States": {"Review": {
        "Type": "Task", "Resource": activity, "End": True}}})
    ex = sfn.start_execution(stateMachineArn=arn, input='{"doc": "x"}')["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="w1")
    assert json.loads(task["input"]) == {"doc": "x"}
    sfn.send_task_heartbeat(taskToken=task["taskToken"])
    sfn.send_task_success(taskToken=task["taskToken"], output='{"ok": 1}')
    d = finished(sfn, ex)
    assert json.loads(d["output"]) == {"ok": 1}
    events = history(sfn, ex)
    assert chain(events) == [
        ("ExecutionStarted", 1, 0), ("TaskStateEntered", 2, 0), ("ActivityScheduled", 3, 2),
        ("ActivityStarted", 4, 3), ("ActivitySucceeded", 5, 4), ("TaskStateExited", 6, 5),
        ("ExecutionSucceeded", 7, 6)]
    assert events[3]["activityStartedEventDetails"] == {"workerName": "w1"}


def test_get_activity_task_long_polls_until_work_arrives(sfn, make_machine):
    activity = sfn.create_activity(name="poller")["activityArn"]
    arn = make_machine("later", {"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": activity, "End": True}}})
    got = {}
    worker = threading.Thread(target=lambda: got.update(sfn.get_activity_task(activityArn=activity)))
    worker.start()
    time.sleep(0.3)
    ex = sfn.start_execution(stateMachineArn=arn, input='{"k": 2}')["executionArn"]
    worker.join(20)
    assert json.loads(got["input"]) == {"k": 2}
    sfn.send_task_failure(taskToken=got["taskToken"], error="Bad")
    assert finished(sfn, ex)["error"] == "Bad"


def test_dynamodb_put_and_get_item(sfn, make_machine, aws_client):
    ddb = aws_client("dynamodb")
    ddb.create_table(TableName="items", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    arn = make_machine("ddb", {"StartAt": "Put", "States": {
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "ResultPath": None,
                "Parameters": {"TableName": "items", "Item": {"id": {"S.$": "$.id"}, "v": {"N": "5"}}},
                "Next": "Get"},
        "Get": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem", "End": True,
                "Parameters": {"TableName": "items", "Key": {"id": {"S.$": "$.id"}}},
                "ResultSelector": {"v.$": "$.Item.v.N"}}}})
    d = finished(sfn, sfn.start_execution(stateMachineArn=arn, input='{"id": "a"}')["executionArn"])
    assert d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"v": "5"}


def test_sdk_integration_errors_are_prefixed_with_the_service(sfn, make_machine, aws_client):
    aws_client("s3").create_bucket(Bucket="sdk-bucket")
    arn = make_machine("sdk", {"StartAt": "Get", "States": {"Get": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "End": True,
        "Parameters": {"Bucket": "sdk-bucket", "Key": "missing"},
        "Catch": [{"ErrorEquals": ["S3.NoSuchKeyException"], "Next": "Missing"}]},
        "Missing": {"Type": "Pass", "End": True}}})
    d = finished(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert d["status"] == "SUCCEEDED"
    assert json.loads(d["output"])["Error"] == "S3.NoSuchKeyException"


def test_sdk_integration_returns_the_api_result(sfn, make_machine, aws_client):
    sqs = aws_client("sqs")
    sqs.create_queue(QueueName="listed-queue")
    arn = make_machine("sdk-list", {"StartAt": "List", "States": {"List": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:listQueues", "End": True,
        "Parameters": {"QueueNamePrefix": "listed"}}}})
    d = finished(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert [u.rsplit("/", 1)[1] for u in json.loads(d["output"])["QueueUrls"]] == ["listed-queue"]


def test_nested_start_execution_sync(sfn, make_machine):
    child = make_machine("child", {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"c": 1},
                                                                    "End": True}}})
    parent = make_machine("parent", {"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "End": True,
        "Parameters": {"StateMachineArn": child, "Input": {"from": "parent"}}, "OutputPath": "$.Output"}}})
    d = finished(sfn, sfn.start_execution(stateMachineArn=parent)["executionArn"])
    assert d["status"] == "SUCCEEDED", (d.get("error"), d.get("cause"))
    assert json.loads(d["output"]) == {"c": 1}
    children = sfn.list_executions(stateMachineArn=child)["executions"]
    assert len(children) == 1 and children[0]["status"] == "SUCCEEDED"


def test_a_task_timeout_on_the_clock_ends_a_slow_lambda(sfn, make_machine, function, nubis):
    fn = function("slow", "import time\n\ndef handler(event, context):\n    time.sleep(20)\n    return 1\n")
    arn = make_machine("impatient", {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": fn, "TimeoutSeconds": 5, "End": True}}})
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    wait_for(sfn, ex, "LambdaFunctionStarted")
    nubis.advance(5)
    d = finished(sfn, ex)
    assert (d["status"], d["error"]) == ("FAILED", "States.Timeout")
    events = history(sfn, ex)
    assert events[2]["lambdaFunctionScheduledEventDetails"]["timeoutInSeconds"] == 5
    assert types(events)[-2:] == ["LambdaFunctionTimedOut", "ExecutionFailed"]


def test_sns_publish_and_eventbridge_put_events(sfn, make_machine, aws_client):
    sqs, sns, events = aws_client("sqs"), aws_client("sns"), aws_client("events")
    url = sqs.create_queue(QueueName="fanout")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="notices")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    events.put_rule(Name="from-sfn", EventPattern=json.dumps({"source": ["my.app"]}))
    events.put_targets(Rule="from-sfn", Targets=[{"Id": "q", "Arn": queue_arn}])
    arn = make_machine("notify", {"StartAt": "Publish", "States": {
        "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "ResultPath": "$.published",
                    "Parameters": {"TopicArn": topic, "Message": {"order.$": "$.order"}}, "Next": "Put"},
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents", "ResultPath": "$.put",
                "Parameters": {"Entries": [{"Source": "my.app", "DetailType": "Order",
                                            "Detail": {"order.$": "$.order"}}]}, "End": True}}})
    d = finished(sfn, sfn.start_execution(stateMachineArn=arn, input='{"order": 9}')["executionArn"])
    assert d["status"] == "SUCCEEDED", (d.get("error"), d.get("cause"))
    out = json.loads(d["output"])
    assert out["published"]["MessageId"] and out["put"]["FailedEntryCount"] == 0
    bodies = []
    deadline = time.monotonic() + 10
    while len(bodies) < 2 and time.monotonic() < deadline:
        bodies += [json.loads(m["Body"]) for m in
                   sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", [])]
    assert {"order": 9} in bodies
    event = next(b for b in bodies if b.get("source") == "my.app")
    assert event["detail"] == {"order": 9} and event["detail-type"] == "Order"


def test_a_missed_heartbeat_fails_the_activity(sfn, make_machine, nubis):
    activity = sfn.create_activity(name="beating")["activityArn"]
    arn = make_machine("heartbeats", {"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": activity, "TimeoutSeconds": 600, "HeartbeatSeconds": 60, "End": True}}})
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="w")
    nubis.advance(50)
    sfn.send_task_heartbeat(taskToken=task["taskToken"])
    nubis.advance(50)
    assert sfn.describe_execution(executionArn=ex)["status"] == "RUNNING"
    nubis.advance(10)
    d = finished(sfn, ex)
    assert (d["status"], d["error"]) == ("FAILED", "States.HeartbeatTimeout")
    assert types(history(sfn, ex))[-2:] == ["ActivityTimedOut", "ExecutionFailed"]
    assert code(error_of(sfn.send_task_success, taskToken=task["taskToken"], output="{}")) == "TaskTimedOut"


def test_start_execution_sync_gives_the_output_as_text_and_fails_with_the_child(sfn, make_machine):
    child = make_machine("child-text", {"StartAt": "C", "States": {"C": {
        "Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Yes"}], "Default": "No"},
        "Yes": {"Type": "Pass", "Result": {"r": 1}, "End": True}, "No": {"Type": "Fail", "Error": "ChildFailed"}}})
    parent = make_machine("parent-text", {"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync", "End": True,
        "Parameters": {"StateMachineArn": child, "Input.$": "$"}}}})
    ok = finished(sfn, sfn.start_execution(stateMachineArn=parent, input='{"ok": true}')["executionArn"])
    out = json.loads(ok["output"])
    assert out["Status"] == "SUCCEEDED" and out["Output"] == '{"r":1}'
    bad = finished(sfn, sfn.start_execution(stateMachineArn=parent, input='{"ok": false}')["executionArn"])
    assert (bad["status"], bad["error"]) == ("FAILED", "States.TaskFailed")
    assert json.loads(bad["cause"])["Error"] == "ChildFailed"


def test_sdk_s3_put_and_get_object(sfn, make_machine, aws_client):
    aws_client("s3").create_bucket(Bucket="sdk-objects")
    arn = make_machine("sdk-s3", {"StartAt": "Put", "States": {
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject", "ResultPath": None,
                "Parameters": {"Bucket": "sdk-objects", "Key": "k.json", "Body.$": "$"}, "Next": "Get"},
        "Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "End": True,
                "Parameters": {"Bucket": "sdk-objects", "Key": "k.json"}, "ResultSelector": {"body.$": "$.Body"}}}})
    d = finished(sfn, sfn.start_execution(stateMachineArn=arn, input='{"saved": [1, 2]}')["executionArn"])
    assert d["status"] == "SUCCEEDED", (d.get("error"), d.get("cause"))
    assert json.loads(json.loads(d["output"])["body"]) == {"saved": [1, 2]}
