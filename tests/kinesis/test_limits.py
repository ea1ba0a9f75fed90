"""Provisioned throughput per shard on the clock, and PutRecords partial failures."""
from __future__ import annotations

from .conftest import code, error_of

SHARD = "shardId-000000000000"


def test_a_shard_takes_1000_records_a_second(kinesis, nubis, make_stream):
    make_stream("busy")
    for _ in range(2):
        out = kinesis.put_records(StreamName="busy", Records=[{"Data": b"x", "PartitionKey": "p"}] * 500)
        assert out["FailedRecordCount"] == 0
    out = kinesis.put_records(StreamName="busy", Records=[{"Data": b"x", "PartitionKey": "p"}] * 3)
    assert out["FailedRecordCount"] == 3
    r = out["Records"][0]
    assert r["ErrorCode"] == "ProvisionedThroughputExceededException"
    assert r["ErrorMessage"] == "Rate exceeded for shard shardId-000000000000 in stream busy under account " \
                                "000000000000."
    assert "SequenceNumber" not in r
    e = error_of(kinesis.put_record, StreamName="busy", Data=b"x", PartitionKey="p")
    assert code(e) == "ProvisionedThroughputExceededException"
    nubis.advance(0.5)
    out = kinesis.put_records(StreamName="busy", Records=[{"Data": b"x", "PartitionKey": "p"}] * 500)
    assert out["FailedRecordCount"] == 0
    assert code(error_of(kinesis.put_record, StreamName="busy", Data=b"x", PartitionKey="p")) == \
        "ProvisionedThroughputExceededException"


def test_partial_failure_only_fails_the_full_shard(kinesis, nubis, make_stream):
    make_stream("two", shards=2)
    big = b"x" * (512 * 1024 - 1)  # with its one-byte key, half a MiB
    # Two records of half a MiB fill the first shard's second; the third fails, the other shard takes its record.
    records = [{"Data": big, "PartitionKey": "a", "ExplicitHashKey": "0"}] * 3 + \
        [{"Data": b"y", "PartitionKey": "b", "ExplicitHashKey": str(2 ** 128 - 1)}]
    out = kinesis.put_records(StreamName="two", Records=records)
    assert out["FailedRecordCount"] == 1
    assert [("ErrorCode" in r) for r in out["Records"]] == [False, False, True, False]
    assert out["Records"][3]["ShardId"] == "shardId-000000000001"
    nubis.advance(1)
    assert kinesis.put_records(StreamName="two", Records=records[:1])["FailedRecordCount"] == 0


def test_five_get_records_calls_a_second(kinesis, nubis, make_stream):
    make_stream("reads")
    it = kinesis.get_shard_iterator(StreamName="reads", ShardId=SHARD, ShardIteratorType="LATEST")["ShardIterator"]
    for _ in range(5):
        it = kinesis.get_records(ShardIterator=it)["NextShardIterator"]
    e = error_of(kinesis.get_records, ShardIterator=it)
    assert code(e) == "ProvisionedThroughputExceededException"
    nubis.advance(0.2)
    kinesis.get_records(ShardIterator=it)


def test_reading_more_than_2_mib_holds_the_shard(kinesis, nubis, make_stream):
    make_stream("heavy")
    for _ in range(4):
        kinesis.put_record(StreamName="heavy", Data=b"x" * (1000 * 1024), PartitionKey="p")
        nubis.advance(1)
    it = kinesis.get_shard_iterator(StreamName="heavy", ShardId=SHARD,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = kinesis.get_records(ShardIterator=it)
    assert len(page["Records"]) == 4
    nubis.advance(0.5)
    assert code(error_of(kinesis.get_records, ShardIterator=page["NextShardIterator"])) == \
        "ProvisionedThroughputExceededException"
    nubis.advance(1.5)
    kinesis.get_records(ShardIterator=page["NextShardIterator"])


def test_on_demand_streams_are_not_throttled_per_shard(kinesis, make_stream):
    make_stream("elastic", shards=None, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    for _ in range(3):
        out = kinesis.put_records(StreamName="elastic", Records=[{"Data": b"x", "PartitionKey": "p"}] * 500)
        assert out["FailedRecordCount"] == 0


def test_put_records_validation(kinesis, make_stream):
    make_stream("checked")
    e = error_of(kinesis.put_records, StreamName="checked", Records=[{"Data": b"x", "PartitionKey": "p"}] * 501)
    assert code(e) == "ValidationException"
    e = error_of(kinesis.put_records, StreamName="checked",
                 Records=[{"Data": b"x", "PartitionKey": "p", "ExplicitHashKey": "-1"}])
    assert code(e) == "InvalidArgumentException"
