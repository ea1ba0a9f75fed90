"""Other services invoking a real function, end to end: S3 event notifications,
an SNS subscription, an EventBridge rule."""
from __future__ import annotations

import base64
import json
import time

import pytest

from nubis.services import PROVIDERS
from nubis.testing.fixtures import frozen_clock  # noqa: F401  (autouse here: the clock stands still)

from .conftest import ACCOUNT, code, error_of

RECORDER = """
import boto3, json
sqs = boto3.client("sqs")
def handler(event, context):
    url = sqs.get_queue_url(QueueName="seen")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
"""


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


@pytest.fixture
def seen(sqs):
    return sqs.create_queue(QueueName="seen")["QueueUrl"]


@pytest.fixture
def recorder(make_function, seen):
    return make_function("recorder", {"app.py": RECORDER}, Timeout=30)


def events_seen(sqs, seen, count=1, timeout=20.0, keep=lambda e: True) -> list[dict]:
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        out = sqs.receive_message(QueueUrl=seen, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        for m in out.get("Messages", []):
            event = json.loads(m["Body"])
            if keep(event):
                got.append(event)
            sqs.delete_message(QueueUrl=seen, ReceiptHandle=m["ReceiptHandle"])
        if len(got) < count:
            time.sleep(0.05)
    return got


def test_s3_notification_invokes_the_function_with_the_s3_event(aws_client, lam, sqs, seen, recorder):
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="uploads")
    config = {"LambdaFunctionConfigurations": [{
        "LambdaFunctionArn": recorder["FunctionArn"], "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}}]}
    # S3 checks that the function's policy lets it invoke the function.
    e = error_of(s3.put_bucket_notification_configuration, Bucket="uploads", NotificationConfiguration=config)
    assert code(e) == "InvalidArgument"
    lam.add_permission(FunctionName="recorder", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::uploads", SourceAccount=ACCOUNT)
    s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration=config)
    s3.put_object(Bucket="uploads", Key="other/skip.txt", Body=b"no")
    s3.put_object(Bucket="uploads", Key="in/report.csv", Body=b"a,b\n1,2\n")
    (event,) = events_seen(sqs, seen, keep=lambda e: "Records" in e)
    (record,) = event["Records"]
    assert record["eventSource"] == "aws:s3" and record["eventName"] == "ObjectCreated:Put"
    assert record["awsRegion"] == "us-east-1"
    assert record["s3"]["bucket"]["name"] == "uploads"
    assert record["s3"]["bucket"]["arn"] == "arn:aws:s3:::uploads"
    assert record["s3"]["object"]["key"] == "in/report.csv" and record["s3"]["object"]["size"] == 8
    assert events_seen(sqs, seen, timeout=0.5, keep=lambda e: "Records" in e) == []  # not the other key


def test_sns_subscription_invokes_the_function_with_the_sns_event(aws_client, lam, sqs, seen, recorder):
    sns = aws_client("sns")
    topic = sns.create_topic(Name="news")["TopicArn"]
    lam.add_permission(FunctionName="recorder", StatementId="sns", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com", SourceArn=topic)
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=recorder["FunctionArn"])["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message="hello", Subject="greeting",
                MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}})
    (event,) = events_seen(sqs, seen)
    (record,) = event["Records"]
    assert record["EventSource"] == "aws:sns" and record["EventSubscriptionArn"] == sub
    assert record["EventVersion"] == "1.0"
    assert record["Sns"]["Message"] == "hello" and record["Sns"]["Subject"] == "greeting"
    assert record["Sns"]["TopicArn"] == topic and record["Sns"]["Type"] == "Notification"
    assert record["Sns"]["MessageAttributes"]["kind"] == {"Type": "String", "Value": "test"}


def test_eventbridge_rule_invokes_the_function_with_the_event(aws_client, lam, sqs, seen, recorder):
    events = aws_client("events")
    rule = events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"],
                                                                    "detail-type": ["OrderPlaced"]}))["RuleArn"]
    lam.add_permission(FunctionName="recorder", StatementId="events", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=rule)
    events.put_targets(Rule="orders", Targets=[{"Id": "fn", "Arn": recorder["FunctionArn"]}])
    events.put_events(Entries=[
        {"Source": "shop", "DetailType": "OrderPlaced", "Detail": json.dumps({"id": 7})},
        {"Source": "shop", "DetailType": "OrderShipped", "Detail": json.dumps({"id": 8})}])
    (event,) = events_seen(sqs, seen)
    assert event["source"] == "shop" and event["detail-type"] == "OrderPlaced"
    assert event["detail"] == {"id": 7} and event["account"] == ACCOUNT and event["region"] == "us-east-1"
    assert events_seen(sqs, seen, timeout=0.5) == []


def test_dynamodb_table_stream_invokes_the_function(aws_client, lam, sqs, seen, recorder, nubis):
    if "dynamodbstreams" not in PROVIDERS:
        pytest.skip("this nubis has no DynamoDB Streams yet")
    ddb = aws_client("dynamodb")
    table = ddb.create_table(TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST",
                             StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    stream = table["TableDescription"]["LatestStreamArn"]
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=stream, StartingPosition="TRIM_HORIZON")
    ddb.put_item(TableName="orders", Item={"id": {"S": "1"}, "n": {"N": "1"}})
    ddb.update_item(TableName="orders", Key={"id": {"S": "1"}}, UpdateExpression="SET n = :v",
                    ExpressionAttributeValues={":v": {"N": "2"}})
    records: list = []
    deadline = time.monotonic() + 20
    while len(records) < 2 and time.monotonic() < deadline:
        nubis.advance(1)  # the poller reads the shard once a second
        records += [r for e in events_seen(sqs, seen, timeout=0.2) for r in e["Records"]]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    assert records[0]["eventSourceARN"] == stream and records[0]["eventSource"] == "aws:dynamodb"
    assert records[1]["dynamodb"]["OldImage"]["n"] == {"N": "1"}
    assert records[1]["dynamodb"]["NewImage"]["n"] == {"N": "2"}


def test_kinesis_stream_invokes_the_function(aws_client, lam, sqs, seen, recorder, nubis):
    if "kinesis" not in PROVIDERS:
        pytest.skip("this nubis has no Kinesis yet")
    kinesis = aws_client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=2)
    for _ in range(60):
        summary = kinesis.describe_stream_summary(StreamName="clicks")["StreamDescriptionSummary"]
        if summary["StreamStatus"] == "ACTIVE":
            break
        nubis.advance(1)
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=summary["StreamARN"],
                                    StartingPosition="TRIM_HORIZON")
    puts = {kinesis.put_record(StreamName="clicks", Data=f"d{i}".encode(), PartitionKey=f"k{i}")["SequenceNumber"]:
            f"d{i}" for i in range(4)}
    records: list = []
    deadline = time.monotonic() + 20
    while len(records) < 4 and time.monotonic() < deadline:
        nubis.advance(1)  # the poller reads each shard once a second
        records += [r for e in events_seen(sqs, seen, timeout=0.2) for r in e["Records"]]
    got = {r["kinesis"]["sequenceNumber"]: base64.b64decode(r["kinesis"]["data"]).decode() for r in records}
    assert got == puts
    assert all(r["eventID"] == f"{r['eventID'].split(':')[0]}:{r['kinesis']['sequenceNumber']}" for r in records)
    assert {r["eventSourceARN"] for r in records} == {summary["StreamARN"]}
