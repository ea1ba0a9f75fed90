"""Global tables (version 2019.11.21): replicas in other Regions, writes passed on both ways."""
from __future__ import annotations

import pytest

from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)

from .conftest import NO_RETRY, code, error_of


@pytest.fixture
def west(aws_client):
    return aws_client("dynamodb", region="eu-west-1", config=NO_RETRY)


def keys(client, table="music") -> dict:
    return {i["pk"]["S"]: i for i in client.scan(TableName=table)["Items"]}


def make_global(ddb, make_table, region="eu-west-1"):
    make_table("music", attributes=[("artist", "S")], GlobalSecondaryIndexes=[
        {"IndexName": "by-artist", "KeySchema": [{"AttributeName": "artist", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "ALL"}}])
    ddb.put_item(TableName="music", Item={"pk": {"S": "before"}, "artist": {"S": "a"}})
    return ddb.update_table(TableName="music", ReplicaUpdates=[{"Create": {"RegionName": region}}])


def test_a_replica_is_the_same_table_in_another_region(ddb, west, make_table):
    out = make_global(ddb, make_table)["TableDescription"]
    assert out["Replicas"] == [{"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}]
    home = ddb.describe_table(TableName="music")["Table"]
    assert home["GlobalTableVersion"] == "2019.11.21"
    assert home["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    there = west.describe_table(TableName="music")["Table"]
    assert there["Replicas"] == [{"RegionName": "us-east-1", "ReplicaStatus": "ACTIVE"}]
    assert there["TableArn"].startswith("arn:aws:dynamodb:eu-west-1:")
    assert there["KeySchema"] == home["KeySchema"] and there["GlobalSecondaryIndexes"][0]["IndexName"] == "by-artist"
    # The items there before are copied.
    assert set(keys(west)) == {"before"}
    assert "music" in west.list_tables()["TableNames"]


def test_writes_replicate_both_ways(nubis, ddb, west, make_table):
    make_global(ddb, make_table)
    ddb.put_item(TableName="music", Item={"pk": {"S": "east"}, "artist": {"S": "b"}, "b": {"B": b"\x00\xff"}})
    west.put_item(TableName="music", Item={"pk": {"S": "west"}, "artist": {"S": "c"}})
    west.update_item(TableName="music", Key={"pk": {"S": "before"}}, UpdateExpression="SET plays = :n",
                     ExpressionAttributeValues={":n": {"N": "3"}})
    nubis.advance(1)
    for client in (ddb, west):
        items = keys(client)
        assert set(items) == {"before", "east", "west"}
        assert items["before"]["plays"] == {"N": "3"} and items["east"]["b"] == {"B": b"\x00\xff"}
        # Replication attributes (aws:rep:*) are not shown in version 2019.11.21.
        assert not any(k.startswith("aws:rep:") for i in items.values() for k in i)
        got = client.query(TableName="music", IndexName="by-artist", KeyConditionExpression="artist = :a",
                           ExpressionAttributeValues={":a": {"S": "c"}})["Items"]
        assert [i["pk"]["S"] for i in got] == ["west"]
    ddb.delete_item(TableName="music", Key={"pk": {"S": "west"}})
    nubis.advance(1)
    assert set(keys(west)) == {"before", "east"}


def test_each_region_streams_the_changes_it_applies(nubis, ddb, west, make_table, aws_client):
    make_global(ddb, make_table)
    west.put_item(TableName="music", Item={"pk": {"S": "w"}, "artist": {"S": "x"}})
    nubis.advance(1)
    for region in ("us-east-1", "eu-west-1"):
        streams = aws_client("dynamodbstreams", region=region, config=NO_RETRY)
        arn = aws_client("dynamodb", region=region).describe_table(TableName="music")["Table"]["LatestStreamArn"]
        assert f":{region}:" in arn
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records = streams.get_records(ShardIterator=it)["Records"]
        mine = [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"] == "w"]
        assert [(r["eventName"], r["awsRegion"]) for r in mine] == [("INSERT", region)]
        assert mine[0]["dynamodb"]["NewImage"] == {"pk": {"S": "w"}, "artist": {"S": "x"}}


def test_last_writer_wins(nubis, ddb, west, make_table):
    make_global(ddb, make_table)
    ddb.put_item(TableName="music", Item={"pk": {"S": "k"}, "v": {"S": "east-first"}})
    nubis.advance(0.25)
    # Written before the east write arrived: the two conflict, and the later one wins everywhere.
    assert "k" not in keys(west)
    west.put_item(TableName="music", Item={"pk": {"S": "k"}, "v": {"S": "west-later"}})
    nubis.advance(1)
    assert keys(ddb)["k"]["v"] == {"S": "west-later"}
    assert keys(west)["k"]["v"] == {"S": "west-later"}
    # Successive writes in one Region at the same clock time arrive in order.
    ddb.put_item(TableName="music", Item={"pk": {"S": "k"}, "v": {"S": "1"}})
    ddb.put_item(TableName="music", Item={"pk": {"S": "k"}, "v": {"S": "2"}})
    nubis.advance(1)
    assert keys(west)["k"]["v"] == {"S": "2"} and keys(ddb)["k"]["v"] == {"S": "2"}


def test_three_regions_and_removing_a_replica(nubis, ddb, west, make_table, aws_client):
    make_global(ddb, make_table)
    ddb.update_table(TableName="music", ReplicaUpdates=[{"Create": {"RegionName": "ap-southeast-2"}}])
    south = aws_client("dynamodb", region="ap-southeast-2", config=NO_RETRY)
    assert {r["RegionName"] for r in west.describe_table(TableName="music")["Table"]["Replicas"]} == {
        "us-east-1", "ap-southeast-2"}
    south.put_item(TableName="music", Item={"pk": {"S": "s"}})
    nubis.advance(1)
    assert "s" in keys(ddb) and "s" in keys(west)

    ddb.update_table(TableName="music", ReplicaUpdates=[{"Delete": {"RegionName": "eu-west-1"}}])
    assert code(error_of(west.describe_table, TableName="music")) == "ResourceNotFoundException"
    assert [r["RegionName"] for r in ddb.describe_table(TableName="music")["Table"]["Replicas"]] == ["ap-southeast-2"]
    ddb.put_item(TableName="music", Item={"pk": {"S": "after"}})
    nubis.advance(1)
    assert "after" in keys(south)


def test_replica_update_errors(ddb, west, make_table):
    make_global(ddb, make_table)
    e = error_of(ddb.update_table, TableName="music", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    assert code(e) == "ValidationException"
    e = error_of(ddb.update_table, TableName="music", ReplicaUpdates=[{"Delete": {"RegionName": "sa-east-1"}}])
    assert code(e) == "ValidationException"
    make_table("local", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    e = error_of(ddb.update_table, TableName="local", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    assert code(e) == "ValidationException"
    assert code(error_of(west.describe_table, TableName="local")) == "ResourceNotFoundException"


def test_replication_survives_a_restart(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    east = server.client("dynamodb")
    east.create_table(TableName="music", BillingMode="PAY_PER_REQUEST",
                      KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                      AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    east.update_table(TableName="music", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    server.kill9()
    server = server_process("--data-dir", data)
    east, west = server.client("dynamodb"), server.client("dynamodb", region_name="eu-west-1")
    west.put_item(TableName="music", Item={"pk": {"S": "w"}})
    server.post("/_nubis/clock", {"advance_seconds": 1})
    assert [i["pk"]["S"] for i in east.scan(TableName="music")["Items"]] == ["w"]


def streamed(make_table, ddb, region_client, name="legacy"):
    region_client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})


def test_version_2017_global_tables_link_existing_tables(nubis, ddb, west, make_table, aws_client):
    south = aws_client("dynamodb", region="ap-southeast-2", config=NO_RETRY)
    for client in (ddb, west, south):
        streamed(make_table, ddb, client)
    e = error_of(ddb.create_global_table, GlobalTableName="legacy",
                 ReplicationGroup=[{"RegionName": "us-east-1"}, {"RegionName": "sa-east-1"}])
    assert code(e) == "TableNotFoundException"
    out = ddb.create_global_table(GlobalTableName="legacy",
                                  ReplicationGroup=[{"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}])
    desc = out["GlobalTableDescription"]
    assert desc["GlobalTableStatus"] == "ACTIVE" and desc["GlobalTableArn"].endswith(":global-table/legacy")
    assert [r["RegionName"] for r in desc["ReplicationGroup"]] == ["us-east-1", "eu-west-1"]
    assert code(error_of(ddb.create_global_table, GlobalTableName="legacy",
                         ReplicationGroup=[{"RegionName": "us-east-1"}])) == "GlobalTableAlreadyExistsException"
    assert west.describe_table(TableName="legacy")["Table"]["GlobalTableVersion"] == "2017.11.29"
    assert west.describe_global_table(GlobalTableName="legacy")["GlobalTableDescription"]["GlobalTableName"] == "legacy"
    assert code(error_of(ddb.describe_global_table, GlobalTableName="nope")) == "GlobalTableNotFoundException"

    ddb.update_global_table(GlobalTableName="legacy", ReplicaUpdates=[{"Create": {"RegionName": "ap-southeast-2"}}])
    west.put_item(TableName="legacy", Item={"pk": {"S": "w"}})
    nubis.advance(1)
    assert set(keys(ddb, "legacy")) == {"w"} and set(keys(south, "legacy")) == {"w"}
    # A Region joins only while the global table is empty (the developer guide).
    streamed(make_table, ddb, aws_client("dynamodb", region="sa-east-1"))
    e = error_of(ddb.update_global_table, GlobalTableName="legacy",
                 ReplicaUpdates=[{"Create": {"RegionName": "sa-east-1"}}])
    assert code(e) == "ValidationException"
    listed = ddb.list_global_tables()["GlobalTables"]
    assert listed == [{"GlobalTableName": "legacy", "ReplicationGroup": [
        {"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}, {"RegionName": "ap-southeast-2"}]}]
    assert ddb.list_global_tables(RegionName="sa-east-1")["GlobalTables"] == []
    assert ddb.list_global_tables(RegionName="eu-west-1")["GlobalTables"][0]["GlobalTableName"] == "legacy"
    e = error_of(ddb.update_global_table, GlobalTableName="legacy",
                 ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    assert code(e) == "ReplicaAlreadyExistsException"
    ddb.update_global_table(GlobalTableName="legacy", ReplicaUpdates=[{"Delete": {"RegionName": "eu-west-1"}}])
    assert "Replicas" not in west.describe_table(TableName="legacy")["Table"]
    e = error_of(ddb.update_global_table, GlobalTableName="legacy",
                 ReplicaUpdates=[{"Delete": {"RegionName": "eu-west-1"}}])
    assert code(e) == "ReplicaNotFoundException"
    settings = ddb.describe_global_table_settings(GlobalTableName="legacy")["ReplicaSettings"]
    assert [s["RegionName"] for s in settings] == ["us-east-1", "ap-southeast-2"]
    ddb.put_item(TableName="legacy", Item={"pk": {"S": "e"}})
    nubis.advance(1)
    assert set(keys(south, "legacy")) == {"w", "e"} and set(keys(west, "legacy")) == {"w"}


def test_deleting_a_replica_table_leaves_the_rest_of_the_group(nubis, ddb, west, make_table):
    make_global(ddb, make_table)
    west.delete_table(TableName="music")
    home = ddb.describe_table(TableName="music")["Table"]
    assert "Replicas" not in home and "GlobalTableVersion" not in home
    ddb.put_item(TableName="music", Item={"pk": {"S": "alone"}})
    nubis.advance(1)
    assert code(error_of(west.describe_table, TableName="music")) == "ResourceNotFoundException"
    assert set(keys(ddb)) == {"before", "alone"}
