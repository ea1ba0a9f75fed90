"""InvocationType Event and DryRun; retries on the clock; destinations; the event invoke configuration."""
from __future__ import annotations

import json
import time

import pytest

from .conftest import ACCOUNT, code, error_of

QUEUE_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{{}}"

# Each attempt leaves a message in the "attempts" queue, then fails when asked to.
SOURCE = """
import boto3, os
sqs = boto3.client("sqs")
def handler(event, context):
    url = sqs.get_queue_url(QueueName="attempts")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=context.aws_request_id)
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    return {"done": event}
"""


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


def wait_messages(sqs, url, count=1, timeout=15.0):
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        for m in out.get("Messages", []):
            got.append(m["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if len(got) < count:
            time.sleep(0.05)
    return got


@pytest.fixture
def queues(sqs):
    return {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("attempts", "ok", "failed")}


def test_event_invocation_runs_and_reports_success(lam, make_function, sqs, queues):
    make_function("worker", {"app.py": SOURCE}, Timeout=30)
    lam.put_function_event_invoke_config(FunctionName="worker", DestinationConfig={
        "OnSuccess": {"Destination": QUEUE_ARN.format("ok")},
        "OnFailure": {"Destination": QUEUE_ARN.format("failed")}})
    out = lam.invoke(FunctionName="worker", InvocationType="Event", Payload=json.dumps({"job": 7}))
    assert out["StatusCode"] == 202 and out["Payload"].read() == b""
    attempts = wait_messages(sqs, queues["attempts"])
    assert len(attempts) == 1
    record = json.loads(wait_messages(sqs, queues["ok"])[0])
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["requestId"] == attempts[0]
    assert record["requestContext"]["functionArn"].endswith(":function:worker:$LATEST")
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestPayload"] == {"job": 7}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"done": {"job": 7}}


def test_failed_event_is_retried_twice_with_backoff_then_sent_to_failure(lam, make_function, sqs, queues, nubis):
    nubis.freeze()
    make_function("worker", {"app.py": SOURCE}, Timeout=30)
    lam.put_function_event_invoke_config(FunctionName="worker", DestinationConfig={
        "OnFailure": {"Destination": QUEUE_ARN.format("failed")}})
    lam.invoke(FunctionName="worker", InvocationType="Event", Payload=json.dumps({"fail": True}))
    assert len(wait_messages(sqs, queues["attempts"])) == 1
    nubis.advance(59)
    assert wait_messages(sqs, queues["attempts"], timeout=0.5) == []  # not yet: the first retry waits a minute
    nubis.advance(1)
    assert len(wait_messages(sqs, queues["attempts"])) == 1
    nubis.advance(120)
    assert len(wait_messages(sqs, queues["attempts"])) == 1
    record = json.loads(wait_messages(sqs, queues["failed"])[0])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "asked to fail"
    nubis.advance(600)
    assert wait_messages(sqs, queues["attempts"], timeout=0.3) == []  # no more attempts


def test_maximum_retry_attempts_zero(lam, make_function, sqs, queues):
    make_function("worker", {"app.py": SOURCE}, Timeout=30)
    lam.put_function_event_invoke_config(FunctionName="worker", MaximumRetryAttempts=0, DestinationConfig={
        "OnFailure": {"Destination": QUEUE_ARN.format("failed")}})
    lam.invoke(FunctionName="worker", InvocationType="Event", Payload=json.dumps({"fail": True}))
    record = json.loads(wait_messages(sqs, queues["failed"])[0])
    assert record["requestContext"]["approximateInvokeCount"] == 1


def test_dry_run(lam, make_function):
    make_function("dry", {"app.py": "def handler(e, c):\n    raise Exception('never runs')\n"})
    out = lam.invoke(FunctionName="dry", InvocationType="DryRun")
    assert out["StatusCode"] == 204
    assert code(error_of(lam.invoke, FunctionName="nope", InvocationType="DryRun")) == "ResourceNotFoundException"


def test_event_invoke_config_operations(lam, make_function, unchecked_lam):
    make_function("cfg", {"app.py": "def handler(e, c):\n    return 1\n"})
    e = error_of(lam.get_function_event_invoke_config, FunctionName="cfg")
    assert code(e) == "ResourceNotFoundException"
    out = lam.put_function_event_invoke_config(FunctionName="cfg", MaximumRetryAttempts=1,
                                               MaximumEventAgeInSeconds=120)
    assert out["MaximumRetryAttempts"] == 1 and out["MaximumEventAgeInSeconds"] == 120
    assert out["FunctionArn"].endswith(":function:cfg:$LATEST")
    out = lam.update_function_event_invoke_config(FunctionName="cfg", MaximumRetryAttempts=2)
    assert out["MaximumRetryAttempts"] == 2 and out["MaximumEventAgeInSeconds"] == 120
    assert len(lam.list_function_event_invoke_configs(FunctionName="cfg")["FunctionEventInvokeConfigs"]) == 1
    e = error_of(unchecked_lam.put_function_event_invoke_config, FunctionName="cfg", MaximumRetryAttempts=3)
    assert code(e) == "ValidationException"
    lam.delete_function_event_invoke_config(FunctionName="cfg")
    assert code(error_of(lam.get_function_event_invoke_config, FunctionName="cfg")) == "ResourceNotFoundException"


def test_sns_delivers_to_a_function(lam, make_function, sqs, queues, aws_client):
    source = """
import boto3, json
def handler(event, context):
    record = event["Records"][0]
    url = boto3.client("sqs").get_queue_url(QueueName="ok")["QueueUrl"]
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody=record["Sns"]["Message"])
"""
    arn = make_function("subscriber", {"app.py": source}, Timeout=30)["FunctionArn"]
    sns = aws_client("sns")
    topic = sns.create_topic(Name="news")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="extra, extra")
    assert wait_messages(sqs, queues["ok"]) == ["extra, extra"]


def test_lambda_destination_and_dead_letter_queue(lam, make_function, sqs, queues):
    forward = """
import boto3, json
def handler(event, context):
    url = boto3.client("sqs").get_queue_url(QueueName="ok")["QueueUrl"]
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(event))
"""
    target = make_function("forwarder", {"app.py": forward}, Timeout=30)["FunctionArn"]
    make_function("worker", {"app.py": SOURCE}, Timeout=30,
                  DeadLetterConfig={"TargetArn": QUEUE_ARN.format("failed")})
    lam.put_function_event_invoke_config(FunctionName="worker", MaximumRetryAttempts=0, DestinationConfig={
        "OnSuccess": {"Destination": target}})
    lam.invoke(FunctionName="worker", InvocationType="Event", Payload=json.dumps({"step": 1}))
    record = json.loads(wait_messages(sqs, queues["ok"])[0])
    assert record["requestContext"]["condition"] == "Success" and record["requestPayload"] == {"step": 1}
    # A failure with no OnFailure destination goes to the function's dead-letter queue, as sent.
    lam.invoke(FunctionName="worker", InvocationType="Event", Payload=json.dumps({"fail": True}))
    assert [json.loads(b) for b in wait_messages(sqs, queues["failed"])] == [{"fail": True}]


def test_sns_destination(lam, make_function, sqs, queues, aws_client):
    sns = aws_client("sns")
    topic = sns.create_topic(Name="results")["TopicArn"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queues["ok"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    make_function("worker", {"app.py": SOURCE}, Timeout=30)
    lam.put_function_event_invoke_config(FunctionName="worker", DestinationConfig={"OnSuccess": {"Destination": topic}})
    lam.invoke(FunctionName="worker", InvocationType="Event", Payload=json.dumps({"via": "sns"}))
    record = json.loads(wait_messages(sqs, queues["ok"])[0])
    assert record["requestContext"]["condition"] == "Success" and record["responsePayload"] == {"done": {"via": "sns"}}


def test_invoke_async_queues_an_event_invocation(lam, make_function, sqs, queues):
    make_function("worker", {"app.py": SOURCE}, Timeout=30)
    out = lam.invoke_async(FunctionName="worker", InvokeArgs=json.dumps({"job": 1}))
    assert out["Status"] == 202
    assert len(wait_messages(sqs, queues["attempts"])) == 1
    e = error_of(lam.invoke_async, FunctionName="missing", InvokeArgs=b"{}")
    assert code(e) == "ResourceNotFoundException"
