"""Enhanced fan-out: consumers, and SubscribeToShard as an event stream read by botocore."""
from __future__ import annotations

import threading

from .conftest import code, error_of


def consumer(kinesis, arn: str, name: str = "app") -> str:
    c = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=name)["Consumer"]
    assert c["ConsumerStatus"] == "CREATING"
    d = kinesis.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])["ConsumerDescription"]
    assert d["ConsumerStatus"] == "ACTIVE" and d["StreamARN"] == arn
    return c["ConsumerARN"]


def test_consumers_are_registered_listed_and_deregistered(kinesis, make_stream):
    arn = make_stream("fans")
    carn = consumer(kinesis, arn)
    assert carn.startswith(arn + "/consumer/app:")
    e = error_of(kinesis.register_stream_consumer, StreamARN=arn, ConsumerName="app")
    assert code(e) == "ResourceInUseException"
    consumer(kinesis, arn, "other")
    listed = kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]
    assert [c["ConsumerName"] for c in listed] == ["app", "other"]
    assert kinesis.describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"]["ConsumerCount"] == 2
    assert code(error_of(kinesis.delete_stream, StreamName="fans")) == "ResourceInUseException"
    kinesis.deregister_stream_consumer(StreamARN=arn, ConsumerName="other")
    by_name = kinesis.describe_stream_consumer(StreamARN=arn, ConsumerName="app")["ConsumerDescription"]
    assert by_name["ConsumerARN"] == carn
    kinesis.deregister_stream_consumer(ConsumerARN=carn)
    assert kinesis.list_stream_consumers(StreamARN=arn)["Consumers"] == []
    assert code(error_of(kinesis.describe_stream_consumer, ConsumerARN=carn)) == "ResourceNotFoundException"


def test_delete_stream_with_enforce_consumer_deletion(kinesis, make_stream):
    arn = make_stream("gone")
    carn = consumer(kinesis, arn)
    kinesis.delete_stream(StreamName="gone", EnforceConsumerDeletion=True)
    assert code(error_of(kinesis.describe_stream_consumer, ConsumerARN=carn)) == "ResourceNotFoundException"


def test_subscribe_to_shard_streams_existing_then_new_records(kinesis, nubis, make_stream):
    arn = make_stream("pushed")
    carn = consumer(kinesis, arn)
    first = kinesis.put_record(StreamName="pushed", Data=b"before", PartitionKey="p")["SequenceNumber"]
    out = kinesis.subscribe_to_shard(ConsumerARN=carn, ShardId="shardId-000000000000",
                                     StartingPosition={"Type": "TRIM_HORIZON"})
    events = iter(out["EventStream"])
    ev = next(events)["SubscribeToShardEvent"]
    assert [r["Data"] for r in ev["Records"]] == [b"before"]
    assert ev["ContinuationSequenceNumber"] == first
    assert ev["MillisBehindLatest"] == 0

    def later():
        kinesis.put_records(StreamName="pushed", Records=[{"Data": b"after", "PartitionKey": "p"}])
    threading.Timer(0.3, later).start()
    ev = next(events)["SubscribeToShardEvent"]
    assert [r["Data"] for r in ev["Records"]] == [b"after"]
    assert int(ev["ContinuationSequenceNumber"]) > int(first)
    e = error_of(kinesis.subscribe_to_shard, ConsumerARN=carn, ShardId="shardId-000000000000",
                 StartingPosition={"Type": "LATEST"})
    assert code(e) == "ResourceInUseException"
    # Idle, it still sends an event every five seconds, to checkpoint from.
    threading.Timer(0.3, lambda: nubis.advance(5)).start()
    idle = next(events)["SubscribeToShardEvent"]
    assert idle["Records"] == [] and idle["ContinuationSequenceNumber"] == ev["ContinuationSequenceNumber"]
    # The subscription ends after five minutes on the clock.
    threading.Timer(0.3, lambda: nubis.advance(301)).start()
    assert list(events) == []


def test_subscribe_to_a_closed_shard_ends_with_its_children(kinesis, make_stream):
    arn = make_stream("split")
    carn = consumer(kinesis, arn)
    kinesis.put_record(StreamName="split", Data=b"x", PartitionKey="p")
    kinesis.split_shard(StreamName="split", ShardToSplit="shardId-000000000000",
                        NewStartingHashKey=str(2 ** 127))
    out = kinesis.subscribe_to_shard(ConsumerARN=carn, ShardId="shardId-000000000000",
                                     StartingPosition={"Type": "TRIM_HORIZON"})
    events = [e["SubscribeToShardEvent"] for e in out["EventStream"]]
    assert [r["Data"] for e in events for r in e["Records"]] == [b"x"]
    assert sorted(c["ShardId"] for c in events[-1]["ChildShards"]) == ["shardId-000000000001",
                                                                        "shardId-000000000002"]


def test_subscribe_needs_an_active_consumer_and_a_known_shard(kinesis, make_stream):
    arn = make_stream("strict")
    c = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="new")["Consumer"]["ConsumerARN"]
    e = error_of(kinesis.subscribe_to_shard, ConsumerARN=c, ShardId="shardId-000000000000",
                 StartingPosition={"Type": "LATEST"})
    assert code(e) == "ResourceInUseException"
    kinesis.describe_stream_consumer(ConsumerARN=c)
    e = error_of(kinesis.subscribe_to_shard, ConsumerARN=c, ShardId="shardId-000000000007",
                 StartingPosition={"Type": "LATEST"})
    assert code(e) == "ResourceNotFoundException"


def test_deregistering_the_consumer_ends_its_subscriptions(kinesis, make_stream):
    arn = make_stream("leaving")
    carn = consumer(kinesis, arn)
    out = kinesis.subscribe_to_shard(ConsumerARN=carn, ShardId="shardId-000000000000",
                                     StartingPosition={"Type": "LATEST"})
    events = iter(out["EventStream"])
    assert next(events)["SubscribeToShardEvent"]["Records"] == []
    threading.Timer(0.3, lambda: kinesis.deregister_stream_consumer(ConsumerARN=carn)).start()
    assert list(events) == []
