"""Where records come from besides PutRecord: SNS subscriptions, EventBridge
targets, Logs subscription filters, a Kinesis data stream; and a restart
that must not lose what was accepted."""
import json
import time

from .conftest import ACCOUNT, ROLE, body, keys


def test_sns_subscription_delivers_into_the_stream(nubis, aws_client, firehose, s3, make_stream):
    arn = make_stream("from-sns", BufferingHints={"IntervalInSeconds": 60})
    sns = aws_client("sns")
    topic = sns.create_topic(Name="news")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="firehose", Endpoint=arn, ReturnSubscriptionArn=True,
                  Attributes={"SubscriptionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/sns-firehose",
                              "RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message="hello firehose")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:   # SNS delivers on its own a moment after Publish
        nubis.advance(0)
        nubis.advance(60)
        found = keys(s3, "landing")
        if found:
            break
        time.sleep(0.05)
    (key,) = found
    assert body(s3, "landing", key) == b"hello firehose"


def wait_keys(s3, bucket, count, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        found = keys(s3, bucket)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_buffered_records_survive_a_restart(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    server.post("/_nubis/clock", {"freeze": True})
    s3, firehose = server.client("s3"), server.client("firehose")
    s3.create_bucket(Bucket="landing")
    firehose.create_delivery_stream(DeliveryStreamName="durable", ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::landing", "BufferingHints": {"IntervalInSeconds": 60}})
    firehose.put_record_batch(DeliveryStreamName="durable", Records=[{"Data": b"a"}, {"Data": b"b"}])
    firehose.put_record(DeliveryStreamName="durable", Record={"Data": b"c"})
    server.kill9()

    restarted = server_process("--data-dir", data, port=server.port)
    restarted.post("/_nubis/clock", {"freeze": True})
    s3 = restarted.client("s3")
    assert keys(s3, "landing") == []
    restarted.post("/_nubis/clock", {"advance_seconds": 60})
    (key,) = wait_keys(s3, "landing", 1)
    assert body(s3, "landing", key) == b"abc"


def test_nubis_kinesis_stream_as_source(nubis, aws_client, firehose, s3, bucket):
    kinesis = aws_client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=2)
    stream_arn = kinesis.describe_stream_summary(StreamName="clicks")["StreamDescriptionSummary"]["StreamARN"]
    nubis.advance(1)   # the stream becomes ACTIVE
    firehose.create_delivery_stream(
        DeliveryStreamName="k", DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": stream_arn, "RoleARN": ROLE},
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
                                            "BufferingHints": {"IntervalInSeconds": 60}})
    e = None
    try:
        firehose.put_record_batch(DeliveryStreamName="k", Records=[{"Data": b"x"}])
    except firehose.exceptions.InvalidArgumentException as err:
        e = err
    assert e is not None
    kinesis.put_records(StreamName="clicks", Records=[{"Data": f"{i}\n".encode(), "PartitionKey": f"p{i}"}
                                                      for i in range(10)])
    nubis.advance(1)
    assert keys(s3, bucket) == []
    nubis.advance(60)
    (key,) = keys(s3, bucket)
    assert sorted(int(x) for x in body(s3, bucket, key).split()) == list(range(10))
    kinesis.put_record(StreamName="clicks", Data=b"later\n", PartitionKey="p")
    nubis.advance(61)
    assert len(keys(s3, bucket)) == 2
    nubis.advance(120)
    assert len(keys(s3, bucket)) == 2


def test_eventbridge_rule_target(nubis, aws_client, firehose, s3, make_stream):
    arn = make_stream("from-events", BufferingHints={"IntervalInSeconds": 60})
    events = aws_client("events")
    events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="orders", Targets=[{"Id": "fh", "Arn": arn,
                                                "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/events"}])
    events.put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": json.dumps({"id": 7})}])
    deadline = time.monotonic() + 10
    found = []
    while not found and time.monotonic() < deadline:
        nubis.advance(60)
        found = keys(s3, "landing")
        time.sleep(0.05)
    (key,) = found
    event = json.loads(body(s3, "landing", key))
    assert event["source"] == "shop" and event["detail"] == {"id": 7}


def test_logs_subscription_filter(nubis, aws_client, firehose, s3, make_stream):
    import gzip
    arn = make_stream("from-logs", BufferingHints={"IntervalInSeconds": 60})
    logs = aws_client("logs")
    logs.create_log_group(logGroupName="app")
    logs.create_log_stream(logGroupName="app", logStreamName="s")
    logs.put_subscription_filter(logGroupName="app", filterName="all", filterPattern="ERROR", destinationArn=arn,
                                 roleArn=f"arn:aws:iam::{ACCOUNT}:role/cwl")
    now = int(nubis.clock() * 1000)
    logs.put_log_events(logGroupName="app", logStreamName="s", logEvents=[
        {"timestamp": now, "message": "ERROR disk full"}, {"timestamp": now + 1, "message": "all good"}])
    deadline = time.monotonic() + 10
    found = []
    while not found and time.monotonic() < deadline:
        nubis.advance(60)
        found = keys(s3, "landing")
        time.sleep(0.05)
    (key,) = found
    doc = json.loads(gzip.decompress(body(s3, "landing", key)))
    assert doc["logGroup"] == "app" and [e["message"] for e in doc["logEvents"]] == ["ERROR disk full"]


def test_the_source_stream_must_exist(firehose, bucket):
    from .conftest import code, error_of
    missing = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/none"
    e = error_of(firehose.create_delivery_stream, DeliveryStreamName="nosrc",
                 DeliveryStreamType="KinesisStreamAsSource",
                 KinesisStreamSourceConfiguration={"KinesisStreamARN": missing, "RoleARN": ROLE},
                 ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"})
    assert code(e) == "InvalidArgumentException"
    assert firehose.list_delivery_streams()["DeliveryStreamNames"] == []


def test_a_kinesis_source_resumes_after_a_restart_without_rereading(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    server.post("/_nubis/clock", {"freeze": True})
    s3, firehose, kinesis = server.client("s3"), server.client("firehose"), server.client("kinesis")
    s3.create_bucket(Bucket="landing")
    kinesis.create_stream(StreamName="src", ShardCount=1)
    server.post("/_nubis/clock", {"advance_seconds": 1})
    arn = kinesis.describe_stream_summary(StreamName="src")["StreamDescriptionSummary"]["StreamARN"]
    firehose.create_delivery_stream(
        DeliveryStreamName="k", DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": arn, "RoleARN": ROLE},
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::landing",
                                            "BufferingHints": {"IntervalInSeconds": 60}})
    kinesis.put_record(StreamName="src", Data=b"first\n", PartitionKey="p")
    server.post("/_nubis/clock", {"advance_seconds": 1})     # read and buffered, not yet delivered
    server.kill9()

    restarted = server_process("--data-dir", data, port=server.port)
    restarted.post("/_nubis/clock", {"freeze": True})
    s3, kinesis = restarted.client("s3"), restarted.client("kinesis")
    kinesis.put_record(StreamName="src", Data=b"second\n", PartitionKey="p")
    restarted.post("/_nubis/clock", {"advance_seconds": 60})
    found = wait_keys(s3, "landing", 1)
    delivered = b"".join(body(s3, "landing", k) for k in found)
    assert delivered.splitlines() == [b"first", b"second"]
