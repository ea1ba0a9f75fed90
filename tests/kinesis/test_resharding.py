"""SplitShard, MergeShards and UpdateShardCount: lineage, ranges, reading across the change."""
from __future__ import annotations

import datetime as dt

from .conftest import code, error_of, md5_hash, read_all, shards_of

HALF = 2 ** 127


def test_split_closes_the_parent_and_opens_two_children(kinesis, nubis, make_stream):
    make_stream("splitting")
    before = kinesis.put_record(StreamName="splitting", Data=b"before", PartitionKey="p")["SequenceNumber"]
    kinesis.split_shard(StreamName="splitting", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(HALF))
    assert kinesis.list_streams()["StreamSummaries"][0]["StreamStatus"] == "UPDATING"
    # A second change while UPDATING is refused.
    e = error_of(kinesis.split_shard, StreamName="splitting", ShardToSplit="shardId-000000000001",
                 NewStartingHashKey=str(HALF // 2))
    assert code(e) == "ResourceInUseException"
    assert kinesis.describe_stream_summary(StreamName="splitting")["StreamDescriptionSummary"]["StreamStatus"] \
        == "ACTIVE"
    parent, left, right = shards_of(kinesis, "splitting")
    assert int(parent["SequenceNumberRange"]["EndingSequenceNumber"]) > int(before)
    assert left["ParentShardId"] == right["ParentShardId"] == "shardId-000000000000"
    assert left["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(HALF - 1)}
    assert right["HashKeyRange"] == {"StartingHashKey": str(HALF), "EndingHashKey": str(2 ** 128 - 1)}
    assert int(left["SequenceNumberRange"]["StartingSequenceNumber"]) > int(before)

    out = kinesis.put_record(StreamName="splitting", Data=b"after", PartitionKey="p")
    assert out["ShardId"] == (left if md5_hash("p") < HALF else right)["ShardId"]

    # The parent is read to its end, then names its children.
    nubis.advance(1)
    it = kinesis.get_shard_iterator(StreamName="splitting", ShardId="shardId-000000000000",
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = kinesis.get_records(ShardIterator=it)
    assert [r["Data"] for r in page["Records"]] == [b"before"]
    assert "NextShardIterator" not in page
    assert sorted(c["ShardId"] for c in page["ChildShards"]) == [left["ShardId"], right["ShardId"]]
    assert page["ChildShards"][0]["ParentShards"] == ["shardId-000000000000"]

    assert [s["ShardId"] for s in kinesis.list_shards(StreamName="splitting",
                                                      ShardFilter={"Type": "AT_LATEST"})["Shards"]] \
        == [left["ShardId"], right["ShardId"]]
    assert [s["ShardId"] for s in kinesis.list_shards(StreamName="splitting",
                                                      ShardFilter={"Type": "AT_TRIM_HORIZON"})["Shards"]] \
        == ["shardId-000000000000"]
    assert [s["ShardId"] for s in kinesis.list_shards(
        StreamName="splitting", ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000001"})[
        "Shards"]] == [right["ShardId"]]

    e = error_of(kinesis.split_shard, StreamName="splitting", ShardToSplit="shardId-000000000000",
                 NewStartingHashKey="5")
    assert code(e) == "InvalidArgumentException"
    e = error_of(kinesis.split_shard, StreamName="splitting", ShardToSplit="shardId-000000000001",
                 NewStartingHashKey=str(HALF + 5))
    assert code(e) == "InvalidArgumentException"
    assert [r["Data"] for r in read_all(kinesis, nubis, "splitting", out["ShardId"])] == [b"after"]


def test_merge_makes_one_child_of_two_adjacent_shards(kinesis, make_stream):
    make_stream("merging", shards=3)
    e = error_of(kinesis.merge_shards, StreamName="merging", ShardToMerge="shardId-000000000000",
                 AdjacentShardToMerge="shardId-000000000002")
    assert code(e) == "InvalidArgumentException"
    kinesis.merge_shards(StreamName="merging", ShardToMerge="shardId-000000000001",
                         AdjacentShardToMerge="shardId-000000000002")
    kinesis.describe_stream_summary(StreamName="merging")
    shards = shards_of(kinesis, "merging")
    child = shards[-1]
    assert child["ShardId"] == "shardId-000000000003"
    assert child["ParentShardId"] == "shardId-000000000001"
    assert child["AdjacentParentShardId"] == "shardId-000000000002"
    assert child["HashKeyRange"]["StartingHashKey"] == shards[1]["HashKeyRange"]["StartingHashKey"]
    assert child["HashKeyRange"]["EndingHashKey"] == str(2 ** 128 - 1)
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in shards[1:3])


def test_update_shard_count_uniform_scaling(kinesis, make_stream):
    make_stream("scaled", shards=2)
    out = kinesis.update_shard_count(StreamName="scaled", TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    assert out["CurrentShardCount"] == 2 and out["TargetShardCount"] == 4
    kinesis.describe_stream_summary(StreamName="scaled")
    opened = kinesis.list_shards(StreamName="scaled", ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert len(opened) == 4
    assert [s["ParentShardId"] for s in opened] == ["shardId-000000000000"] * 2 + ["shardId-000000000001"] * 2
    assert opened[1]["HashKeyRange"]["StartingHashKey"] == str(2 ** 126)
    e = error_of(kinesis.update_shard_count, StreamName="scaled", TargetShardCount=9,
                 ScalingType="UNIFORM_SCALING")
    assert code(e) == "LimitExceededException"
    e = error_of(kinesis.update_shard_count, StreamName="scaled", TargetShardCount=1,
                 ScalingType="UNIFORM_SCALING")
    assert code(e) == "LimitExceededException"


def test_list_shards_pages_with_next_token(kinesis, make_stream):
    make_stream("many", shards=5)
    page = kinesis.list_shards(StreamName="many", MaxResults=2)
    ids = [s["ShardId"] for s in page["Shards"]]
    while "NextToken" in page:
        page = kinesis.list_shards(NextToken=page["NextToken"], MaxResults=2)
        ids += [s["ShardId"] for s in page["Shards"]]
    assert ids == [f"shardId-00000000000{i}" for i in range(5)]
    e = error_of(kinesis.list_shards, StreamName="many", NextToken="abc")
    assert code(e) == "InvalidArgumentException"
    assert [s["ShardId"] for s in kinesis.list_shards(StreamName="many",
                                                      ExclusiveStartShardId="shardId-000000000003")["Shards"]] \
        == ["shardId-000000000004"]


def test_closed_shards_leave_the_listing_once_past_retention(kinesis, nubis, make_stream):
    make_stream("aging")
    kinesis.put_record(StreamName="aging", Data=b"x", PartitionKey="p")
    kinesis.split_shard(StreamName="aging", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(HALF))
    nubis.advance(24 * 3600 - 1)
    assert len(shards_of(kinesis, "aging")) == 3
    nubis.advance(2)
    assert [s["ShardId"] for s in shards_of(kinesis, "aging")] == ["shardId-000000000001", "shardId-000000000002"]
    e = error_of(kinesis.get_shard_iterator, StreamName="aging", ShardId="shardId-000000000000",
                 ShardIteratorType="TRIM_HORIZON")
    assert code(e) == "ResourceNotFoundException"


def assert_lineage(shards: list[dict]) -> None:
    """Every child is one half of a split parent or exactly two merged parents."""
    by_id = {s["ShardId"]: s for s in shards}

    def span(s):
        return int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"])
    for s in shards:
        if "AdjacentParentShardId" in s:
            a, b = span(by_id[s["ParentShardId"]]), span(by_id[s["AdjacentParentShardId"]])
            assert span(s) == (min(a[0], b[0]), max(a[1], b[1])) and (a[1] + 1 == b[0] or b[1] + 1 == a[0])
        elif "ParentShardId" in s:
            p = span(by_id[s["ParentShardId"]])
            assert p[0] <= span(s)[0] and span(s)[1] <= p[1] and span(s) != p


def test_uniform_scaling_between_any_counts_keeps_a_valid_lineage(kinesis, make_stream):
    make_stream("odd", shards=5)
    for target in (3, 4, 7, 5):
        kinesis.update_shard_count(StreamName="odd", TargetShardCount=target, ScalingType="UNIFORM_SCALING")
        kinesis.describe_stream_summary(StreamName="odd")
        shards = shards_of(kinesis, "odd")
        assert_lineage(shards)
        opened = [s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
        step = 2 ** 128 // target
        assert sorted(int(s["HashKeyRange"]["StartingHashKey"]) for s in opened) == [i * step for i in range(target)]


def test_list_shards_timestamp_filters_and_token_expiry(kinesis, nubis, make_stream):
    make_stream("timed", shards=2)
    before = kinesis.describe_stream_summary(StreamName="timed")["StreamDescriptionSummary"][
        "StreamCreationTimestamp"]
    nubis.advance(60)
    kinesis.merge_shards(StreamName="timed", ShardToMerge="shardId-000000000000",
                         AdjacentShardToMerge="shardId-000000000001")
    kinesis.describe_stream_summary(StreamName="timed")

    def ids(kind, when):
        return [s["ShardId"] for s in kinesis.list_shards(
            StreamName="timed", ShardFilter={"Type": kind, "Timestamp": when})["Shards"]]
    assert ids("AT_TIMESTAMP", before) == ["shardId-000000000000", "shardId-000000000001"]
    assert ids("FROM_TIMESTAMP", before) == ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    assert ids("AT_TIMESTAMP", later) == ids("FROM_TIMESTAMP", later) == ["shardId-000000000002"]

    page = kinesis.list_shards(StreamName="timed", MaxResults=1)
    nubis.advance(301)
    e = error_of(kinesis.list_shards, NextToken=page["NextToken"])
    assert code(e) == "ExpiredNextTokenException"
