"""Streams, shards (with their lineage), records and consumers survive a restart, even a kill -9."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("how", ["sigterm", "kill9"])
def test_streams_shards_and_records_survive_a_restart(server_process, tmp_path, how):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    k = server.client("kinesis")
    k.create_stream(StreamName="durable", ShardCount=1)
    k.add_tags_to_stream(StreamName="durable", Tags={"team": "core"})
    arn = k.describe_stream_summary(StreamName="durable")["StreamDescriptionSummary"]["StreamARN"]
    k.put_records(StreamName="durable", Records=[{"Data": f"{i}".encode(), "PartitionKey": f"p{i}"}
                                                 for i in range(20)])
    k.split_shard(StreamName="durable", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2 ** 127))
    last = k.put_record(StreamName="durable", Data=b"child", PartitionKey="p")
    consumer = k.register_stream_consumer(StreamARN=arn, ConsumerName="app")["Consumer"]["ConsumerARN"]
    shards_before = k.list_shards(StreamName="durable")["Shards"]
    if how == "sigterm":
        assert server.terminate() == 0
    else:
        server.kill9()

    server = server_process("--data-dir", data)
    k = server.client("kinesis")
    assert k.list_shards(StreamName="durable")["Shards"] == shards_before
    assert k.list_tags_for_stream(StreamName="durable")["Tags"] == [{"Key": "team", "Value": "core"}]
    assert k.describe_stream_consumer(ConsumerARN=consumer)["ConsumerDescription"]["ConsumerName"] == "app"
    it = k.get_shard_iterator(StreamName="durable", ShardId="shardId-000000000000",
                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = k.get_records(ShardIterator=it)
    assert [r["Data"] for r in page["Records"]] == [f"{i}".encode() for i in range(20)]
    assert "NextShardIterator" not in page
    again = k.put_record(StreamName="durable", Data=b"later", PartitionKey="p")
    assert again["ShardId"] == last["ShardId"]
    assert int(again["SequenceNumber"]) > int(last["SequenceNumber"])
    it = k.get_shard_iterator(StreamName="durable", ShardId=last["ShardId"],
                              ShardIteratorType="AT_SEQUENCE_NUMBER",
                              StartingSequenceNumber=last["SequenceNumber"])["ShardIterator"]
    assert [r["Data"] for r in k.get_records(ShardIterator=it)["Records"]] == [b"child", b"later"]
