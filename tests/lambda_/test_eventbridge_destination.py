"""An EventBridge event bus as an asynchronous invocation's destination."""
from __future__ import annotations

import json
import time

from .conftest import ACCOUNT

BUS = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"

SOURCE = """
def handler(event, context):
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    return {"done": event}
"""


def wait_message(sqs, url, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=0).get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            return json.loads(m["Body"])
        time.sleep(0.05)
    return None


def listening(aws_client, name="records"):
    """A queue that a rule on the default bus matching Lambda's records feeds."""
    sqs, events = aws_client("sqs"), aws_client("events")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="lambda-records", EventPattern=json.dumps({"source": ["lambda"]}))
    events.put_targets(Rule="lambda-records", Targets=[{"Id": "q", "Arn": arn}])
    return sqs, url


def test_success_record_goes_to_the_event_bus(aws_client, lam, make_function):
    sqs, url = listening(aws_client)
    fn = make_function("worker", {"app.py": SOURCE}, Timeout=30)["FunctionArn"]
    lam.put_function_event_invoke_config(FunctionName="worker", DestinationConfig={
        "OnSuccess": {"Destination": BUS}})
    assert lam.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"job": 7}')["StatusCode"] == 202
    event = wait_message(sqs, url)
    assert event is not None
    assert event["source"] == "lambda"
    assert event["detail-type"] == "Lambda Function Invocation Result - Success"
    assert event["resources"] == [fn, BUS]
    assert event["account"] == ACCOUNT and event["region"] == "us-east-1"
    detail = event["detail"]
    assert detail["version"] == "1.0"
    assert detail["requestContext"]["condition"] == "Success"
    assert detail["requestContext"]["functionArn"] == f"{fn}:$LATEST"
    assert detail["requestContext"]["approximateInvokeCount"] == 1
    assert detail["requestPayload"] == {"job": 7}
    assert detail["responseContext"]["statusCode"] == 200
    assert detail["responsePayload"] == {"done": {"job": 7}}


def test_failure_record_goes_to_the_event_bus(aws_client, lam, make_function):
    sqs, url = listening(aws_client)
    make_function("worker", {"app.py": SOURCE}, Timeout=30)
    lam.put_function_event_invoke_config(FunctionName="worker", MaximumRetryAttempts=0, DestinationConfig={
        "OnSuccess": {"Destination": BUS}, "OnFailure": {"Destination": BUS}})
    lam.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"fail": true}')
    event = wait_message(sqs, url)
    assert event is not None
    assert event["detail-type"] == "Lambda Function Invocation Result - Failure"
    detail = event["detail"]
    assert detail["requestContext"]["condition"] == "RetriesExhausted"
    assert detail["responseContext"]["functionError"] == "Unhandled"
    assert detail["responsePayload"]["errorMessage"] == "asked to fail"
    assert wait_message(sqs, url, timeout=0.5) is None  # no success record as well


def test_a_rule_on_another_bus_sees_records_sent_there(aws_client, lam, make_function):
    sqs, events = aws_client("sqs"), aws_client("events")
    bus = events.create_event_bus(Name="results")["EventBusArn"]
    url = sqs.create_queue(QueueName="custom")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="r", EventBusName="results", EventPattern=json.dumps({"source": ["lambda"]}))
    events.put_targets(Rule="r", EventBusName="results", Targets=[{"Id": "q", "Arn": arn}])
    make_function("worker", {"app.py": SOURCE}, Timeout=30)
    lam.put_function_event_invoke_config(FunctionName="worker", DestinationConfig={
        "OnSuccess": {"Destination": bus}})
    lam.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"job": 1}')
    event = wait_message(sqs, url)
    assert event is not None and event["resources"][1] == bus
    assert event["detail"]["responsePayload"] == {"done": {"job": 1}}
