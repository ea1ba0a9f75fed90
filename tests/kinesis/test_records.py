"""PutRecord / PutRecords routing and sequence numbers, GetRecords and every iterator type."""
from __future__ import annotations

import datetime as dt

from .conftest import code, error_of, md5_hash, read_all, shards_of


def owner(shards, hash_key: int) -> str:
    return next(s["ShardId"] for s in shards
                if int(s["HashKeyRange"]["StartingHashKey"]) <= hash_key <= int(s["HashKeyRange"]["EndingHashKey"]))


def test_records_go_to_the_shard_whose_range_holds_the_md5_of_their_key(kinesis, make_stream):
    make_stream("routed", shards=4)
    shards = shards_of(kinesis, "routed")
    assert [s["HashKeyRange"]["StartingHashKey"] for s in shards] == [
        "0", "85070591730234615865843651857942052864", "170141183460469231731687303715884105728",
        "255211775190703847597530955573826158592"]
    assert shards[-1]["HashKeyRange"]["EndingHashKey"] == str(2 ** 128 - 1)
    for i in range(40):
        key = f"user-{i}"
        out = kinesis.put_record(StreamName="routed", Data=b"x", PartitionKey=key)
        assert out["ShardId"] == owner(shards, md5_hash(key))
        assert len(out["SequenceNumber"]) == 56
    batch = kinesis.put_records(StreamName="routed", Records=[
        {"Data": f"{i}".encode(), "PartitionKey": f"k{i}"} for i in range(50)])
    assert batch["FailedRecordCount"] == 0
    for i, r in enumerate(batch["Records"]):
        assert r["ShardId"] == owner(shards, md5_hash(f"k{i}"))


def test_explicit_hash_key_overrides_the_partition_key(kinesis, make_stream):
    make_stream("explicit", shards=2)
    out = kinesis.put_record(StreamName="explicit", Data=b"x", PartitionKey="a", ExplicitHashKey=str(2 ** 128 - 1))
    assert out["ShardId"] == "shardId-000000000001"
    out = kinesis.put_record(StreamName="explicit", Data=b"x", PartitionKey="a", ExplicitHashKey="0")
    assert out["ShardId"] == "shardId-000000000000"
    e = error_of(kinesis.put_record, StreamName="explicit", Data=b"x", PartitionKey="a",
                 ExplicitHashKey=str(2 ** 128))
    assert code(e) == "InvalidArgumentException"


def test_sequence_numbers_strictly_increase_and_reads_keep_put_order(kinesis, nubis, make_stream):
    make_stream("ordered")
    seqs = [kinesis.put_record(StreamName="ordered", Data=f"{i}".encode(), PartitionKey="p")["SequenceNumber"]
            for i in range(5)]
    nubis.advance(2)
    seqs += [r["SequenceNumber"] for r in kinesis.put_records(StreamName="ordered", Records=[
        {"Data": f"{i}".encode(), "PartitionKey": "p"} for i in range(5, 10)])["Records"]]
    assert [int(s) for s in seqs] == sorted({int(s) for s in seqs})
    got = read_all(kinesis, nubis, "ordered", "shardId-000000000000")
    assert [r["Data"] for r in got] == [f"{i}".encode() for i in range(10)]
    assert [r["SequenceNumber"] for r in got] == seqs
    assert all(r["PartitionKey"] == "p" and r["EncryptionType"] == "NONE" for r in got)
    assert got[0]["ApproximateArrivalTimestamp"] < got[-1]["ApproximateArrivalTimestamp"]


def test_sequence_number_for_ordering(kinesis, make_stream):
    make_stream("ordering", shards=2)
    first = kinesis.put_record(StreamName="ordering", Data=b"a", PartitionKey="x")["SequenceNumber"]
    second = kinesis.put_record(StreamName="ordering", Data=b"b", PartitionKey="other",
                                SequenceNumberForOrdering=first)["SequenceNumber"]
    assert int(second) > int(first)


def test_every_iterator_type(kinesis, nubis, make_stream):
    make_stream("iters")
    shard = "shardId-000000000000"
    seqs = []
    for i in range(3):
        seqs.append(kinesis.put_record(StreamName="iters", Data=f"{i}".encode(), PartitionKey="p")["SequenceNumber"])
        nubis.advance(10)
    nubis.advance(1)
    stamp = kinesis.get_records(ShardIterator=kinesis.get_shard_iterator(
        StreamName="iters", ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"])["Records"][1][
        "ApproximateArrivalTimestamp"]

    def data(kind, **kw):
        return [r["Data"] for r in read_all(kinesis, nubis, "iters", shard, kind, **kw)]

    assert data("TRIM_HORIZON") == [b"0", b"1", b"2"]
    assert data("LATEST") == []
    assert data("AT_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[1]) == [b"1", b"2"]
    assert data("AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[1]) == [b"2"]
    assert data("AT_TIMESTAMP", Timestamp=stamp) == [b"1", b"2"]
    assert data("AT_TIMESTAMP", Timestamp=dt.datetime(2100, 1, 1)) == []

    nubis.advance(1)
    latest = kinesis.get_shard_iterator(StreamName="iters", ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    kinesis.put_record(StreamName="iters", Data=b"3", PartitionKey="p")
    page = kinesis.get_records(ShardIterator=latest)
    assert [r["Data"] for r in page["Records"]] == [b"3"]
    assert page["MillisBehindLatest"] == 0
    assert "NextShardIterator" in page

    e = error_of(kinesis.get_shard_iterator, StreamName="iters", ShardId=shard,
                 ShardIteratorType="AT_SEQUENCE_NUMBER")
    assert code(e) == "InvalidArgumentException"
    e = error_of(kinesis.get_shard_iterator, StreamName="iters", ShardId="shardId-000000000009",
                 ShardIteratorType="LATEST")
    assert code(e) == "ResourceNotFoundException"


def test_limit_and_millis_behind_latest(kinesis, nubis, make_stream):
    make_stream("paged")
    kinesis.put_records(StreamName="paged", Records=[{"Data": b"d", "PartitionKey": "p"} for _ in range(5)])
    nubis.advance(3)
    it = kinesis.get_shard_iterator(StreamName="paged", ShardId="shardId-000000000000",
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = kinesis.get_records(ShardIterator=it, Limit=2)
    assert len(page["Records"]) == 2
    assert page["MillisBehindLatest"] == 3000
    page = kinesis.get_records(ShardIterator=page["NextShardIterator"], Limit=10)
    assert len(page["Records"]) == 3
    assert page["MillisBehindLatest"] == 0


def test_iterators_expire_after_five_minutes(kinesis, nubis, make_stream):
    make_stream("expiring")
    it = kinesis.get_shard_iterator(StreamName="expiring", ShardId="shardId-000000000000",
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    nubis.advance(299)
    kinesis.get_records(ShardIterator=it)
    nubis.advance(2)
    assert code(error_of(kinesis.get_records, ShardIterator=it)) == "ExpiredIteratorException"
    assert code(error_of(kinesis.get_records, ShardIterator="bm90IGFuIGl0ZXJhdG9y")) == "InvalidArgumentException"


def test_records_are_trimmed_after_the_retention_period(kinesis, nubis, make_stream):
    make_stream("retained")
    kinesis.put_record(StreamName="retained", Data=b"old", PartitionKey="p")
    nubis.advance(12 * 3600)
    kinesis.put_record(StreamName="retained", Data=b"new", PartitionKey="p")
    shard = "shardId-000000000000"
    assert [r["Data"] for r in read_all(kinesis, nubis, "retained", shard)] == [b"old", b"new"]
    nubis.advance(12 * 3600 + 1)
    assert [r["Data"] for r in read_all(kinesis, nubis, "retained", shard)] == [b"new"]
    kinesis.increase_stream_retention_period(StreamName="retained", RetentionPeriodHours=48)
    nubis.advance(24 * 3600)
    assert [r["Data"] for r in read_all(kinesis, nubis, "retained", shard)] == [b"new"]
    nubis.advance(12 * 3600)
    assert read_all(kinesis, nubis, "retained", shard) == []


def test_record_size_limit(kinesis, make_stream):
    make_stream("sized")
    kinesis.put_record(StreamName="sized", Data=b"x" * (1024 * 1024 - 1), PartitionKey="p")
    e = error_of(kinesis.put_record, StreamName="sized", Data=b"x" * (1024 * 1024), PartitionKey="p")
    assert code(e) == "ValidationException"


def test_unknown_stream(kinesis):
    e = error_of(kinesis.put_record, StreamName="nope", Data=b"x", PartitionKey="p")
    assert code(e) == "ResourceNotFoundException"
    assert e.response["Error"]["Message"] == "Stream nope under account 000000000000 not found."


def test_trimming_a_large_backlog_goes_in_batches(kinesis, nubis, make_stream):
    make_stream("backlog", shards=None, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    for b in range(50):
        kinesis.put_records(StreamName="backlog", Records=[{"Data": b"x", "PartitionKey": "same"}] * 500)
    shard = kinesis.put_record(StreamName="backlog", Data=b"last", PartitionKey="same")["ShardId"]
    nubis.advance(60)
    kinesis.put_record(StreamName="backlog", Data=b"kept", PartitionKey="same")
    nubis.advance(24 * 3600 - 59)
    it = kinesis.get_shard_iterator(StreamName="backlog", ShardId=shard,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=it)["Records"]] == [b"kept"]


def test_each_stream_is_trimmed_by_its_own_retention(kinesis, nubis, make_stream):
    make_stream("yearly")
    kinesis.increase_stream_retention_period(StreamName="yearly", RetentionPeriodHours=8760)
    kinesis.describe_stream_summary(StreamName="yearly")
    kinesis.put_record(StreamName="yearly", Data=b"long", PartitionKey="p")
    make_stream("daily")
    kinesis.put_record(StreamName="daily", Data=b"short", PartitionKey="p")
    nubis.advance(24 * 3600 + 1)
    assert read_all(kinesis, nubis, "daily", "shardId-000000000000") == []
    assert [r["Data"] for r in read_all(kinesis, nubis, "yearly", "shardId-000000000000")] == [b"long"]
