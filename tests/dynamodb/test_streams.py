"""DynamoDB Streams: the records a table's changes leave, read with the dynamodbstreams client."""
from __future__ import annotations

import pytest

from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)

from .conftest import NO_RETRY, code, error_of


@pytest.fixture
def streams(aws_client):
    return aws_client("dynamodbstreams", config=NO_RETRY)


def stream_table(make_table, ddb, name="events", view="NEW_AND_OLD_IMAGES", **kwargs) -> str:
    """A table with a stream; its stream ARN."""
    make_table(name, StreamSpecification={"StreamEnabled": True, "StreamViewType": view}, **kwargs)
    return ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]


def shard_of(streams, arn) -> str:
    return streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]


def read_all(streams, arn, kind="TRIM_HORIZON", **kwargs) -> list[dict]:
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_of(streams, arn), ShardIteratorType=kind,
                                    **kwargs)["ShardIterator"]
    return streams.get_records(ShardIterator=it)["Records"]


def item(pk, **attrs) -> dict:
    out = {"pk": {"S": pk}}
    out.update({k: {"N": str(v)} if isinstance(v, int) else {"S": v} for k, v in attrs.items()})
    return out


@pytest.mark.parametrize("view,new,old", [("KEYS_ONLY", False, False), ("NEW_IMAGE", True, False),
                                          ("OLD_IMAGE", False, True), ("NEW_AND_OLD_IMAGES", True, True)])
def test_each_view_type_carries_its_images(ddb, streams, make_table, view, new, old):
    arn = stream_table(make_table, ddb, view=view)
    ddb.put_item(TableName="events", Item=item("a", n=1))
    ddb.update_item(TableName="events", Key={"pk": {"S": "a"}}, UpdateExpression="SET n = :two",
                    ExpressionAttributeValues={":two": {"N": "2"}})
    ddb.delete_item(TableName="events", Key={"pk": {"S": "a"}})
    records = read_all(streams, arn)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    images = [(r["dynamodb"].get("NewImage"), r["dynamodb"].get("OldImage")) for r in records]
    v1, v2 = item("a", n=1), item("a", n=2)
    assert images == [(v1 if new else None, None), (v2 if new else None, v1 if old else None),
                      (None, v2 if old else None)]
    for r in records:
        assert r["eventVersion"] == "1.1" and r["eventSource"] == "aws:dynamodb" and r["awsRegion"] == "us-east-1"
        assert len(r["eventID"]) >= 32 and "userIdentity" not in r
        assert r["dynamodb"]["Keys"] == {"pk": {"S": "a"}}
        assert r["dynamodb"]["StreamViewType"] == view and r["dynamodb"]["SizeBytes"] > 0
        assert r["dynamodb"]["ApproximateCreationDateTime"].timestamp() > 0
    seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
    assert all(len(s) >= 21 and s.isdigit() for s in seqs)
    assert [int(s) for s in seqs] == sorted({int(s) for s in seqs})
    assert len({r["eventID"] for r in records}) == 3


def test_a_write_that_changes_nothing_leaves_no_record(ddb, streams, make_table):
    arn = stream_table(make_table, ddb)
    ddb.put_item(TableName="events", Item=item("a", n=1))
    ddb.put_item(TableName="events", Item=item("a", n=1))
    ddb.update_item(TableName="events", Key={"pk": {"S": "a"}}, UpdateExpression="SET n = :one",
                    ExpressionAttributeValues={":one": {"N": "1"}})
    ddb.delete_item(TableName="events", Key={"pk": {"S": "nothing"}})
    assert [r["eventName"] for r in read_all(streams, arn)] == ["INSERT"]


def test_batches_and_transactions_record_each_change_in_order(ddb, streams, make_table):
    arn = stream_table(make_table, ddb, range=("sk", "N"))

    def key(pk, sk):
        return {"pk": {"S": pk}, "sk": {"N": str(sk)}}

    ddb.batch_write_item(RequestItems={"events": [{"PutRequest": {"Item": key("p", i)}} for i in range(3)]})
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": "events", "Key": key("p", 0), "UpdateExpression": "SET x = :x",
                    "ExpressionAttributeValues": {":x": {"S": "y"}}}},
        {"Delete": {"TableName": "events", "Key": key("p", 1)}},
        {"Put": {"TableName": "events", "Item": key("q", 9)}}])
    ddb.batch_write_item(RequestItems={"events": [{"DeleteRequest": {"Key": key("p", 2)}},
                                                  {"DeleteRequest": {"Key": key("never", 0)}}]})
    # A cancelled transaction changes nothing and leaves nothing.
    error_of(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": "events", "Item": key("z", 1)}},
        {"ConditionCheck": {"TableName": "events", "Key": key("p", 0),
                            "ConditionExpression": "attribute_not_exists(pk)"}}])
    got = [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"], r["dynamodb"]["Keys"]["sk"]["N"])
           for r in read_all(streams, arn)]
    assert got == [("INSERT", "p", "0"), ("INSERT", "p", "1"), ("INSERT", "p", "2"),
                   ("MODIFY", "p", "0"), ("REMOVE", "p", "1"), ("INSERT", "q", "9"), ("REMOVE", "p", "2")]


def test_iterators_of_each_type(ddb, streams, make_table):
    arn = stream_table(make_table, ddb)
    for i in range(5):
        ddb.put_item(TableName="events", Item=item(f"k{i}"))
    shard = shard_of(streams, arn)
    records = read_all(streams, arn)
    seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == [f"k{i}" for i in range(5)]
    at = read_all(streams, arn, "AT_SEQUENCE_NUMBER", SequenceNumber=seqs[2])
    assert [r["dynamodb"]["SequenceNumber"] for r in at] == seqs[2:]
    after = read_all(streams, arn, "AFTER_SEQUENCE_NUMBER", SequenceNumber=seqs[2])
    assert [r["dynamodb"]["SequenceNumber"] for r in after] == seqs[3:]

    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    page = streams.get_records(ShardIterator=latest)
    assert page["Records"] == [] and page["NextShardIterator"]
    ddb.put_item(TableName="events", Item=item("k5"))
    page = streams.get_records(ShardIterator=page["NextShardIterator"])
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]] == ["k5"]

    # Limit pages through the shard; each NextShardIterator goes on where the last page ended.
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    seen = []
    for _ in range(4):
        page = streams.get_records(ShardIterator=it, Limit=2)
        seen += [r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]]
        it = page["NextShardIterator"]
    assert seen == [f"k{i}" for i in range(6)]


def test_iterator_errors(ddb, streams, make_table):
    arn = stream_table(make_table, ddb)
    ddb.put_item(TableName="events", Item=item("a"))
    shard = shard_of(streams, arn)
    e = error_of(streams.get_shard_iterator, StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER")
    assert code(e) == "ValidationException"
    e = error_of(streams.get_shard_iterator, StreamArn=arn, ShardId="shardId-00000000000000000000-00000000",
                 ShardIteratorType="LATEST")
    assert code(e) == "ResourceNotFoundException"
    e = error_of(streams.describe_stream, StreamArn=arn.replace("/stream/", "/stream/1999"))
    assert code(e) == "ResourceNotFoundException"
    assert code(error_of(streams.get_records, ShardIterator="not-an-iterator")) == "ValidationException"
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    e = error_of(streams.get_records, ShardIterator=it, Limit=1001)
    assert code(e) == "ValidationException" and "less than or equal to 1000" in e.response["Error"]["Message"]


def test_iterators_expire_after_fifteen_minutes(nubis, ddb, streams, make_table):
    arn = stream_table(make_table, ddb)
    ddb.put_item(TableName="events", Item=item("a"))
    shard = shard_of(streams, arn)
    old = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    nubis.advance(14 * 60)
    fresh = streams.get_records(ShardIterator=old)
    assert len(fresh["Records"]) == 1
    nubis.advance(61)
    assert code(error_of(streams.get_records, ShardIterator=old)) == "ExpiredIteratorException"
    # The iterator a read handed back is new: it still works.
    assert streams.get_records(ShardIterator=fresh["NextShardIterator"])["Records"] == []


def test_records_are_kept_24_hours(nubis, ddb, streams, make_table):
    arn = stream_table(make_table, ddb)
    ddb.put_item(TableName="events", Item=item("old"))
    first = read_all(streams, arn)[0]["dynamodb"]["SequenceNumber"]
    nubis.advance(12 * 3600)
    ddb.put_item(TableName="events", Item=item("newer"))
    nubis.advance(12 * 3600 + 900)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, arn)] == ["newer"]
    shard = shard_of(streams, arn)
    e = error_of(streams.get_shard_iterator, StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                 SequenceNumber=first)
    assert code(e) == "TrimmedDataAccessException"
    nubis.advance(12 * 3600)
    assert read_all(streams, arn) == []


def test_re_enabling_starts_a_new_stream_and_the_old_one_closes(nubis, ddb, streams, make_table):
    first = stream_table(make_table, ddb, view="KEYS_ONLY")
    ddb.put_item(TableName="events", Item=item("a"))
    ddb.update_table(TableName="events", StreamSpecification={"StreamEnabled": False})
    assert "StreamSpecification" not in ddb.describe_table(TableName="events")["Table"]
    ddb.put_item(TableName="events", Item=item("unseen"))
    ddb.update_table(TableName="events", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    second = ddb.describe_table(TableName="events")["Table"]["LatestStreamArn"]
    assert second != first
    ddb.put_item(TableName="events", Item=item("b"))

    old = streams.describe_stream(StreamArn=first)["StreamDescription"]
    assert old["StreamStatus"] == "DISABLED" and old["StreamViewType"] == "KEYS_ONLY"
    assert old["TableName"] == "events" and old["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert "EndingSequenceNumber" in old["Shards"][0]["SequenceNumberRange"]
    new = streams.describe_stream(StreamArn=second)["StreamDescription"]
    assert new["StreamStatus"] == "ENABLED" and new["StreamViewType"] == "NEW_IMAGE"
    assert "EndingSequenceNumber" not in new["Shards"][0]["SequenceNumberRange"]

    # The closed shard reads to its end, then has no next iterator.
    it = streams.get_shard_iterator(StreamArn=first, ShardId=old["Shards"][0]["ShardId"],
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = streams.get_records(ShardIterator=it)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]] == ["a"]
    assert "NextShardIterator" not in page
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, second)] == ["b"]

    make_table("other", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    listed = streams.list_streams()["Streams"]
    assert [s["StreamArn"] for s in listed][:2] == [first, second] and len(listed) == 3
    assert {s["StreamArn"] for s in streams.list_streams(TableName="events")["Streams"]} == {first, second}
    page = streams.list_streams(Limit=1)
    assert page["Streams"][0]["StreamArn"] == first and page["LastEvaluatedStreamArn"] == first
    rest = streams.list_streams(ExclusiveStartStreamArn=first)["Streams"]
    assert [s["StreamArn"] for s in rest][0] == second and len(rest) == 2
    assert code(error_of(streams.list_streams, TableName="missing")) == "ResourceNotFoundException"

    # A disabled stream is gone once its records have aged out.
    nubis.advance(25 * 3600)
    assert code(error_of(streams.describe_stream, StreamArn=first)) == "ResourceNotFoundException"
    assert streams.describe_stream(StreamArn=second)["StreamDescription"]["StreamStatus"] == "ENABLED"


def test_a_deleted_tables_stream_stays_readable(ddb, streams, make_table):
    arn = stream_table(make_table, ddb)
    ddb.put_item(TableName="events", Item=item("a"))
    ddb.delete_table(TableName="events")
    assert streams.describe_stream(StreamArn=arn)["StreamDescription"]["StreamStatus"] == "DISABLED"
    assert [r["eventName"] for r in read_all(streams, arn)] == ["INSERT"]
    # A table of the same name made again has a stream of its own.
    again = stream_table(make_table, ddb)
    assert again != arn and read_all(streams, again) == []


def test_describe_stream_child_shards_of_the_one_shard(ddb, streams, make_table):
    arn = stream_table(make_table, ddb)
    shard = shard_of(streams, arn)
    out = streams.describe_stream(StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": shard})
    assert out["StreamDescription"]["Shards"] == []


def test_kinesis_streaming_destinations_are_stored(ddb, make_table):
    make_table("events")
    kinesis = "arn:aws:kinesis:us-east-1:000000000000:stream/changes"
    out = ddb.enable_kinesis_streaming_destination(TableName="events", StreamArn=kinesis)
    assert out["DestinationStatus"] == "ENABLING"
    got = ddb.describe_kinesis_streaming_destination(TableName="events")["KinesisDataStreamDestinations"]
    assert got == [{"StreamArn": kinesis, "DestinationStatus": "ACTIVE",
                    "ApproximateCreationDateTimePrecision": "MILLISECOND"}]
    assert code(error_of(ddb.enable_kinesis_streaming_destination, TableName="events",
                         StreamArn=kinesis)) == "ResourceInUseException"
    ddb.update_kinesis_streaming_destination(
        TableName="events", StreamArn=kinesis,
        UpdateKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MICROSECOND"})
    assert ddb.disable_kinesis_streaming_destination(TableName="events", StreamArn=kinesis)["DestinationStatus"] \
        == "DISABLING"
    got = ddb.describe_kinesis_streaming_destination(TableName="events")["KinesisDataStreamDestinations"]
    assert got[0]["DestinationStatus"] == "DISABLED" and got[0]["ApproximateCreationDateTimePrecision"] == "MICROSECOND"
    assert code(error_of(ddb.enable_kinesis_streaming_destination, TableName="events",
                         StreamArn="arn:aws:sqs:us-east-1:000000000000:not-a-stream")) == "ValidationException"


RECORDER = """
import boto3, json
def handler(event, context):
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="seen")["QueueUrl"], MessageBody=json.dumps(event))
"""


def test_a_lambda_mapping_reads_the_stream(nubis, ddb, make_table, aws_client):
    import io
    import json
    import time
    import zipfile

    sqs, lam = aws_client("sqs"), aws_client("lambda")
    url = sqs.create_queue(QueueName="seen")["QueueUrl"]
    arn = stream_table(make_table, ddb)
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("app.py", RECORDER)
    lam.create_function(FunctionName="recorder", Runtime="python3.12", Role="arn:aws:iam::000000000000:role/r",
                        Handler="app.handler", Code={"ZipFile": package.getvalue()}, Timeout=30)
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=arn, StartingPosition="TRIM_HORIZON")
    ddb.put_item(TableName="events", Item=item("a", n=1))
    ddb.update_item(TableName="events", Key={"pk": {"S": "a"}}, UpdateExpression="SET n = :n",
                    ExpressionAttributeValues={":n": {"N": "2"}})
    got: list = []
    deadline = time.monotonic() + 60
    while len(got) < 2 and time.monotonic() < deadline:
        # The pollers read each shard once a second of clock time.
        for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", []):
            got += json.loads(m["Body"])["Records"]
        nubis.advance(1)
        time.sleep(0.1)
    assert [r["eventName"] for r in got] == ["INSERT", "MODIFY"]
    assert all(r["eventSourceARN"] == arn and r["eventSource"] == "aws:dynamodb" for r in got)
    assert got[1]["dynamodb"]["OldImage"] == item("a", n=1) and got[1]["dynamodb"]["NewImage"] == item("a", n=2)
