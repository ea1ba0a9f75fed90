"""Kinesis and DynamoDB Streams event source mappings, read from the stand-in
providers in tests/support/fake_streams.py (in a nubis process of their own):
the records Lambda delivers, shard order, starting positions, retries and the
on-failure destination, bisecting a failing batch, partial batch responses,
filters, and a restart that resumes from the checkpoint."""
from __future__ import annotations

import base64
import datetime
import json
import time

import pytest

from .conftest import ACCOUNT, ROLE, code, error_of, status, zip_of

STAND_INS = {"NUBIS_PROVIDERS": "kinesis=support.fake_streams:FakeKinesis,"
                                "dynamodbstreams=support.fake_streams:FakeDynamoDBStreams"}
STREAM = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/clicks"
TABLE_STREAM = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders/stream/2024-01-01T00:00:00.000"
FAILURES = f"arn:aws:sqs:us-east-1:{ACCOUNT}:failures"

# Records every invocation in the "seen" queue; fails a batch holding "poison"
# (with MODE=report: reports the poisoned records as batch item failures).
RECORDER = """
import base64, boto3, json, os
sqs = boto3.client("sqs")
def data(r):
    if "kinesis" in r:
        return base64.b64decode(r["kinesis"]["data"]).decode()
    return json.dumps(r["dynamodb"].get("NewImage", {}))
def handler(event, context):
    url = sqs.get_queue_url(QueueName="seen")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
    poisoned = [r for r in event["Records"] if "poison" in data(r)]
    if poisoned and os.environ.get("MODE") == "report":
        return {"batchItemFailures": [{"itemIdentifier": r["kinesis"]["sequenceNumber"]} for r in poisoned]}
    if poisoned:
        raise RuntimeError("poisoned")
"""


@pytest.fixture
def server(server_process):
    s = server_process("--ephemeral", env=STAND_INS)
    s.post("/_nubis/clock", {"freeze": True})
    return s


def setup(server, shards=2, mode=None, **mapping):
    lam, sqs, kinesis = server.client("lambda"), server.client("sqs"), server.client("kinesis")
    seen = sqs.create_queue(QueueName="seen")["QueueUrl"]
    failures = sqs.create_queue(QueueName="failures")["QueueUrl"]
    lam.create_function(FunctionName="recorder", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zip_of({"app.py": RECORDER})}, Timeout=30,
                        Environment={"Variables": {"MODE": mode or "raise"}})
    kinesis.create_stream(StreamName="clicks", ShardCount=shards)
    if mapping:
        lam.create_event_source_mapping(FunctionName="recorder", **mapping)
    return lam, sqs, kinesis, seen, failures


def drain(sqs, url) -> list:
    out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    for m in out.get("Messages", []):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in out.get("Messages", [])]


def pump(server, sqs, url, count, timeout=30.0) -> list:
    """Advance the clock a second at a time (the pollers read each shard once a
    second) until ``count`` messages arrived in ``url``."""
    got: list = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got.extend(drain(sqs, url))
        if len(got) < count:
            server.post("/_nubis/clock", {"advance_seconds": 1})
            time.sleep(0.1)
    return got


def datas(events) -> list[str]:
    return [base64.b64decode(r["kinesis"]["data"]).decode() for e in events for r in e["Records"]]


def test_kinesis_records_reach_the_function_in_shard_order(server):
    lam, sqs, kinesis, seen, _ = setup(server)
    puts = [kinesis.put_record(StreamName="clicks", Data=f"{key}-{i}".encode(), PartitionKey=key)
            for i in range(4) for key in ("alpha", "omega")]
    assert len({p["ShardId"] for p in puts}) == 2  # the keys land on both shards
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=STREAM, StartingPosition="TRIM_HORIZON",
                                    BatchSize=10)
    events = pump(server, sqs, seen, 2)
    got = datas(events)
    assert sorted(got) == sorted(f"{k}-{i}" for i in range(4) for k in ("alpha", "omega"))
    for key in ("alpha", "omega"):
        assert [d for d in got if d.startswith(key)] == [f"{key}-{i}" for i in range(4)]
    record = events[0]["Records"][0]
    put = next(p for p in puts if p["SequenceNumber"] == record["kinesis"]["sequenceNumber"])
    assert record["eventID"] == f"{put['ShardId']}:{put['SequenceNumber']}"
    assert record["eventSource"] == "aws:kinesis" and record["eventName"] == "aws:kinesis:record"
    assert record["eventVersion"] == "1.0" and record["eventSourceARN"] == STREAM
    assert record["invokeIdentityArn"] == ROLE and record["awsRegion"] == "us-east-1"
    assert record["kinesis"]["kinesisSchemaVersion"] == "1.0"
    assert record["kinesis"]["partitionKey"] in ("alpha", "omega")
    assert isinstance(record["kinesis"]["approximateArrivalTimestamp"], float)
    (mapping,) = lam.list_event_source_mappings()["EventSourceMappings"]
    assert mapping["LastProcessingResult"] == "OK"


def test_latest_skips_what_was_there_before(server):
    lam, sqs, kinesis, seen, _ = setup(server, shards=1)
    kinesis.put_record(StreamName="clicks", Data=b"old", PartitionKey="k")
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=STREAM, StartingPosition="LATEST")
    pump(server, sqs, seen, 1, timeout=2)
    kinesis.put_record(StreamName="clicks", Data=b"new", PartitionKey="k")
    assert datas(pump(server, sqs, seen, 1)) == ["new"]


def test_retries_then_the_batch_goes_to_the_on_failure_destination_and_the_shard_moves_on(server):
    lam, sqs, kinesis, seen, failures = setup(server, shards=1)
    put = kinesis.put_record(StreamName="clicks", Data=b"poison", PartitionKey="k")
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=STREAM, StartingPosition="TRIM_HORIZON",
                                    MaximumRetryAttempts=2, DestinationConfig={"OnFailure": {"Destination": FAILURES}})
    (failure,) = pump(server, sqs, failures, 1)
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["requestContext"]["functionArn"].endswith(":function:recorder")
    assert failure["responseContext"]["functionError"] == "Unhandled"
    info = failure["KinesisBatchInfo"]
    assert info["shardId"] == put["ShardId"] and info["batchSize"] == 1 and info["streamArn"] == STREAM
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == put["SequenceNumber"]
    assert datas(pump(server, sqs, seen, 3)) == ["poison"] * 3  # the first try and two retries
    kinesis.put_record(StreamName="clicks", Data=b"fine", PartitionKey="k")
    assert datas(pump(server, sqs, seen, 1)) == ["fine"]  # the shard moved on


def test_bisect_isolates_the_failing_record(server):
    lam, sqs, kinesis, seen, failures = setup(server, shards=1)
    for d in ("a", "b", "poison", "c"):
        kinesis.put_record(StreamName="clicks", Data=d.encode(), PartitionKey="k")
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=STREAM, StartingPosition="TRIM_HORIZON",
                                    MaximumRetryAttempts=0, BisectBatchOnFunctionError=True,
                                    DestinationConfig={"OnFailure": {"Destination": FAILURES}})
    (failure,) = pump(server, sqs, failures, 1)
    assert failure["KinesisBatchInfo"]["batchSize"] == 1
    batches = [[base64.b64decode(r["kinesis"]["data"]).decode() for r in e["Records"]]
               for e in pump(server, sqs, seen, 5)]
    # The whole batch, then its halves, then the failing half's halves.
    assert batches == [["a", "b", "poison", "c"], ["a", "b"], ["poison", "c"], ["poison"], ["c"]]


def test_partial_batch_response_retries_from_the_first_reported_record(server):
    lam, sqs, kinesis, seen, failures = setup(server, shards=1, mode="report")
    for d in ("a", "poison", "b"):
        kinesis.put_record(StreamName="clicks", Data=d.encode(), PartitionKey="k")
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=STREAM, StartingPosition="TRIM_HORIZON",
                                    MaximumRetryAttempts=1, FunctionResponseTypes=["ReportBatchItemFailures"],
                                    DestinationConfig={"OnFailure": {"Destination": FAILURES}})
    (failure,) = pump(server, sqs, failures, 1)
    assert failure["KinesisBatchInfo"]["batchSize"] == 2  # from the reported record on
    batches = [[base64.b64decode(r["kinesis"]["data"]).decode() for r in e["Records"]]
               for e in pump(server, sqs, seen, 2)]
    assert batches == [["a", "poison", "b"], ["poison", "b"]]


def test_filters_on_kinesis_data(server):
    lam, sqs, kinesis, seen, _ = setup(server, shards=1)
    for doc in ({"type": "click", "n": 1}, {"type": "view", "n": 2}, {"type": "click", "n": 3}):
        kinesis.put_record(StreamName="clicks", Data=json.dumps(doc).encode(), PartitionKey="k")
    kinesis.put_record(StreamName="clicks", Data=b"not json", PartitionKey="k")
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=STREAM, StartingPosition="TRIM_HORIZON",
                                    FilterCriteria={"Filters": [{"Pattern": '{"data": {"type": ["click"]}}'}]})
    events = pump(server, sqs, seen, 1)
    assert [json.loads(d)["n"] for d in datas(events)] == [1, 3]


def test_dynamodb_stream_records(server):
    lam, sqs, _, seen, _ = setup(server)
    server.post("/_nubis/dynamodbstreams/streams", {"stream": TABLE_STREAM})
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=TABLE_STREAM,
                                    StartingPosition="TRIM_HORIZON",
                                    FilterCriteria={"Filters": [{"Pattern": '{"eventName": ["INSERT", "MODIFY"]}'}]})
    key = {"id": {"S": "1"}}
    server.post("/_nubis/dynamodbstreams/records", {"stream": TABLE_STREAM, "eventName": "INSERT", "keys": key,
                                                   "new": {"id": {"S": "1"}, "n": {"N": "1"}}})
    server.post("/_nubis/dynamodbstreams/records", {"stream": TABLE_STREAM, "eventName": "MODIFY", "keys": key,
                                                   "new": {"id": {"S": "1"}, "n": {"N": "2"}},
                                                   "old": {"id": {"S": "1"}, "n": {"N": "1"}}})
    server.post("/_nubis/dynamodbstreams/records", {"stream": TABLE_STREAM, "eventName": "REMOVE", "keys": key,
                                                   "old": {"id": {"S": "1"}, "n": {"N": "2"}}})
    events = pump(server, sqs, seen, 1)
    records = [r for e in events for r in e["Records"]]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    insert, modify = records
    assert insert["eventSource"] == "aws:dynamodb" and insert["eventSourceARN"] == TABLE_STREAM
    assert insert["awsRegion"] == "us-east-1" and insert["eventVersion"] == "1.1"
    assert insert["dynamodb"]["Keys"] == key and insert["dynamodb"]["NewImage"]["n"] == {"N": "1"}
    assert modify["dynamodb"]["OldImage"]["n"] == {"N": "1"}
    assert modify["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert modify["dynamodb"]["SequenceNumber"] and modify["dynamodb"]["SizeBytes"] > 0
    assert isinstance(insert["dynamodb"]["ApproximateCreationDateTime"], float)
    assert pump(server, sqs, seen, 1, timeout=2) == []  # the REMOVE was filtered out


def test_restart_resumes_from_the_checkpoint(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data, env=STAND_INS)
    server.post("/_nubis/clock", {"freeze": True})
    lam, sqs, kinesis, seen, _ = setup(server, shards=1)
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=STREAM, StartingPosition="TRIM_HORIZON")
    kinesis.put_record(StreamName="clicks", Data=b"one", PartitionKey="k")
    assert datas(pump(server, sqs, seen, 1)) == ["one"]
    server.terminate()

    # The stand-in's records are in memory: put the same ones back, then one more.
    restarted = server_process("--data-dir", data, port=server.port, env=STAND_INS)
    restarted.post("/_nubis/clock", {"freeze": True})
    kinesis, sqs = restarted.client("kinesis"), restarted.client("sqs")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    kinesis.put_record(StreamName="clicks", Data=b"one", PartitionKey="k")
    kinesis.put_record(StreamName="clicks", Data=b"two", PartitionKey="k")
    restarted.client("lambda").list_event_source_mappings()  # Lambda starts, and its pollers
    assert datas(pump(restarted, sqs, seen, 1)) == ["two"]


COUNTER = """
import boto3, json
sqs = boto3.client("sqs")
def handler(event, context):
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="seen")["QueueUrl"], MessageBody=json.dumps(event))
    return {"state": {"n": (event.get("state") or {}).get("n", 0) + len(event["Records"])}}
"""


def test_tumbling_window_carries_state_and_ends_with_a_final_invocation(server):
    lam, sqs, kinesis, seen, _ = setup(server, shards=1)
    lam.update_function_code(FunctionName="recorder", ZipFile=zip_of({"app.py": COUNTER}))
    now = server.get("/_nubis/clock")["now"]
    server.post("/_nubis/clock", {"advance_seconds": 60 - now % 60 + 1})  # a second into a window
    start = server.get("/_nubis/clock")["now"] // 60 * 60
    kinesis.put_record(StreamName="clicks", Data=b"a", PartitionKey="k")
    kinesis.put_record(StreamName="clicks", Data=b"b", PartitionKey="k")
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=STREAM, StartingPosition="TRIM_HORIZON",
                                    TumblingWindowInSeconds=60)
    (first,) = pump(server, sqs, seen, 1)
    assert datas([first]) == ["a", "b"] and first["state"] == {}
    window = {"start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)),
              "end": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 60))}
    assert first["window"] == window
    assert first["isFinalInvokeForWindow"] is False and first["isWindowTerminatedEarly"] is False
    assert first["shardId"] == "shardId-000000000000" and first["eventSourceARN"] == STREAM
    kinesis.put_record(StreamName="clicks", Data=b"c", PartitionKey="k")
    (second,) = pump(server, sqs, seen, 1)
    assert datas([second]) == ["c"] and second["state"] == {"n": 2}
    server.post("/_nubis/clock", {"advance_seconds": 60})
    (final,) = pump(server, sqs, seen, 1)
    assert final["Records"] == [] and final["isFinalInvokeForWindow"] is True
    assert final["state"] == {"n": 3} and final["window"] == window


def test_parallelization_factor_splits_a_batch_by_partition_key(server):
    lam, sqs, kinesis, seen, _ = setup(server, shards=1)
    keys = ["k1", "k2", "k3", "k4", "k5", "k6"]
    for i in range(3):
        for key in keys:
            kinesis.put_record(StreamName="clicks", Data=f"{key}-{i}".encode(), PartitionKey=key)
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=STREAM, StartingPosition="TRIM_HORIZON",
                                    ParallelizationFactor=3)
    events = pump(server, sqs, seen, 2)
    events += pump(server, sqs, seen, 10, timeout=1.5)
    assert len(events) >= 2  # one read of the shard, delivered as several batches
    for e in events:
        got = datas([e])
        for key in {d.split("-")[0] for d in got}:
            assert [d for d in got if d.startswith(key + "-")] == [f"{key}-{i}" for i in range(3)]
    assert sorted(datas(events)) == sorted(f"{k}-{i}" for k in keys for i in range(3))


def test_records_older_than_the_maximum_age_are_skipped_to_the_destination(server):
    lam, sqs, kinesis, seen, failures = setup(server, shards=1)
    kinesis.put_record(StreamName="clicks", Data=b"stale", PartitionKey="k")
    server.post("/_nubis/clock", {"advance_seconds": 120})
    kinesis.put_record(StreamName="clicks", Data=b"fresh", PartitionKey="k")
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=STREAM, StartingPosition="TRIM_HORIZON",
                                    MaximumRecordAgeInSeconds=60,
                                    DestinationConfig={"OnFailure": {"Destination": FAILURES}})
    (failure,) = pump(server, sqs, failures, 1)
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failure["KinesisBatchInfo"]["batchSize"] == 1
    assert datas(pump(server, sqs, seen, 1)) == ["fresh"]


def test_stream_mapping_parameters_defaults_and_conflicts(server):
    lam, sqs, _, _, _ = setup(server, shards=1)
    server.post("/_nubis/dynamodbstreams/streams", {"stream": TABLE_STREAM})
    e = error_of(lam.create_event_source_mapping, FunctionName="recorder", EventSourceArn=STREAM)
    assert code(e) == "InvalidParameterValueException"  # no StartingPosition
    e = error_of(lam.create_event_source_mapping, FunctionName="recorder", EventSourceArn=TABLE_STREAM,
                 StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=datetime.datetime(2024, 1, 1))
    assert code(e) == "InvalidParameterValueException"
    e = error_of(lam.create_event_source_mapping, FunctionName="recorder",
                 EventSourceArn=f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/missing", StartingPosition="LATEST")
    assert code(e) == "InvalidParameterValueException"
    for bad in ({"MaximumRecordAgeInSeconds": 30}, {"ScalingConfig": {"MaximumConcurrency": 5}}):
        e = error_of(lam.create_event_source_mapping, FunctionName="recorder", EventSourceArn=STREAM,
                     StartingPosition="LATEST", **bad)
        assert code(e) == "InvalidParameterValueException", bad
    out = lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=STREAM, StartingPosition="LATEST")
    assert out["BatchSize"] == 100 and out["StartingPosition"] == "LATEST"
    assert out["ParallelizationFactor"] == 1 and out["MaximumRetryAttempts"] == -1
    assert out["MaximumRecordAgeInSeconds"] == -1 and out["BisectBatchOnFunctionError"] is False
    assert out["TumblingWindowInSeconds"] == 0 and out["DestinationConfig"] == {"OnFailure": {}}
    assert out["LastProcessingResult"] == "No records processed" and out["FunctionResponseTypes"] == []
    e = error_of(lam.create_event_source_mapping, FunctionName="recorder", EventSourceArn=STREAM,
                 StartingPosition="TRIM_HORIZON")
    assert code(e) == "ResourceConflictException" and status(e) == 409
    assert e.response["Error"]["Message"] == (
        f'The event source arn (" {STREAM} ") and function (" recorder ") provided mapping already exists. '
        f"Please update or delete the existing mapping with UUID {out['UUID']}")
    out = lam.create_event_source_mapping(
        FunctionName="recorder", EventSourceArn=TABLE_STREAM, StartingPosition="TRIM_HORIZON", BatchSize=500,
        MaximumRetryAttempts=3, BisectBatchOnFunctionError=True, MaximumRecordAgeInSeconds=3600,
        DestinationConfig={"OnFailure": {"Destination": FAILURES}})
    assert out["DestinationConfig"] == {"OnFailure": {"Destination": FAILURES}}
    assert (out["MaximumRetryAttempts"], out["BisectBatchOnFunctionError"]) == (3, True)
    updated = lam.update_event_source_mapping(UUID=out["UUID"], MaximumRetryAttempts=5, ParallelizationFactor=4)
    assert updated["State"] == "Updating"
    assert (updated["MaximumRetryAttempts"], updated["ParallelizationFactor"]) == (5, 4)


def test_an_expired_iterator_is_replaced_from_the_checkpoint(server):
    lam, sqs, kinesis, seen, _ = setup(server, shards=1)
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=STREAM, StartingPosition="TRIM_HORIZON")
    kinesis.put_record(StreamName="clicks", Data=b"one", PartitionKey="k")
    assert datas(pump(server, sqs, seen, 1)) == ["one"]
    server.post("/_nubis/clock", {"advance_seconds": 400})  # longer than an iterator lives
    kinesis.put_record(StreamName="clicks", Data=b"two", PartitionKey="k")
    assert datas(pump(server, sqs, seen, 2, timeout=5)) == ["two"]


def test_batching_window_gathers_stream_records_on_the_clock(server):
    lam, sqs, kinesis, seen, _ = setup(server, shards=1)
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=STREAM, StartingPosition="TRIM_HORIZON",
                                    MaximumBatchingWindowInSeconds=5)
    time.sleep(0.3)
    kinesis.put_record(StreamName="clicks", Data=b"a", PartitionKey="k")
    for _ in range(3):
        server.post("/_nubis/clock", {"advance_seconds": 1})
        time.sleep(0.3)
    kinesis.put_record(StreamName="clicks", Data=b"b", PartitionKey="k")
    server.post("/_nubis/clock", {"advance_seconds": 1})
    time.sleep(0.5)
    assert drain(sqs, seen) == []  # the window is still open
    assert datas(pump(server, sqs, seen, 1)) == ["a", "b"]


def test_at_timestamp_starts_at_the_first_record_from_then(server):
    lam, sqs, kinesis, seen, _ = setup(server, shards=1)
    kinesis.put_record(StreamName="clicks", Data=b"old", PartitionKey="k")
    server.post("/_nubis/clock", {"advance_seconds": 100})
    since = server.get("/_nubis/clock")["now"] - 10
    kinesis.put_record(StreamName="clicks", Data=b"new", PartitionKey="k")
    out = lam.create_event_source_mapping(
        FunctionName="recorder", EventSourceArn=STREAM, StartingPosition="AT_TIMESTAMP",
        StartingPositionTimestamp=datetime.datetime.fromtimestamp(since, tz=datetime.timezone.utc))
    assert out["StartingPosition"] == "AT_TIMESTAMP"
    assert abs(out["StartingPositionTimestamp"].timestamp() - since) < 1
    assert datas(pump(server, sqs, seen, 1)) == ["new"]


def test_the_on_failure_destination_may_be_an_sns_topic(server):
    lam, sqs, kinesis, seen, failures = setup(server, shards=1)
    sns = server.client("sns")
    topic = sns.create_topic(Name="failed-batches")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=FAILURES, Attributes={"RawMessageDelivery": "true"})
    kinesis.put_record(StreamName="clicks", Data=b"poison", PartitionKey="k")
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=STREAM, StartingPosition="TRIM_HORIZON",
                                    MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": topic}})
    (failure,) = pump(server, sqs, failures, 1)
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["KinesisBatchInfo"]["streamArn"] == STREAM
