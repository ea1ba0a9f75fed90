"""Time to Live: expired items are deleted by the service on the controllable clock."""
from __future__ import annotations

import pytest

from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still)

from .conftest import NO_RETRY

SERVICE = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}


@pytest.fixture
def streams(aws_client):
    return aws_client("dynamodbstreams", config=NO_RETRY)


def ttl_table(make_table, ddb, name="sessions", stream=True) -> str | None:
    kwargs = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}} if stream else {}
    make_table(name, **kwargs)
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    return ddb.describe_table(TableName=name)["Table"].get("LatestStreamArn")


def put(ddb, pk, expires=None, table="sessions", **more):
    item = {"pk": {"S": pk}, **more}
    if expires is not None:
        item["expires"] = expires if isinstance(expires, dict) else {"N": str(int(expires))}
    ddb.put_item(TableName=table, Item=item)


def keys(ddb, table="sessions") -> set[str]:
    return {i["pk"]["S"] for i in ddb.scan(TableName=table)["Items"]}


def records(streams, arn) -> list[dict]:
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return streams.get_records(ShardIterator=it)["Records"]


def test_expired_items_are_deleted_by_the_service(nubis, ddb, streams, make_table):
    arn = ttl_table(make_table, ddb)
    now = nubis.clock()
    put(ddb, "soon", now + 100)
    put(ddb, "later", now + 3600)
    put(ddb, "forever")
    put(ddb, "text", {"S": str(int(now))})
    nubis.advance(101)
    # Past its time but not yet swept: still read, as on AWS.
    assert "Item" in ddb.get_item(TableName="sessions", Key={"pk": {"S": "soon"}})
    nubis.advance(60)
    assert keys(ddb) == {"later", "forever", "text"}
    nubis.advance(3600)
    assert keys(ddb) == {"forever", "text"}

    removed = [r for r in records(streams, arn) if r["eventName"] == "REMOVE"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in removed] == ["soon", "later"]
    assert all(r["userIdentity"] == SERVICE for r in removed)
    assert removed[0]["dynamodb"]["OldImage"]["expires"] == {"N": str(int(now + 100))}
    # A user's own delete is not the service's.
    ddb.delete_item(TableName="sessions", Key={"pk": {"S": "forever"}})
    assert "userIdentity" not in records(streams, arn)[-1]


def test_changing_the_ttl_value_moves_the_expiry(nubis, ddb, make_table):
    ttl_table(make_table, ddb, stream=False)
    now = nubis.clock()
    put(ddb, "extended", now + 60)
    put(ddb, "cleared", now + 60)
    put(ddb, "shortened", now + 10 ** 6)
    ddb.update_item(TableName="sessions", Key={"pk": {"S": "extended"}}, UpdateExpression="SET expires = :e",
                    ExpressionAttributeValues={":e": {"N": str(int(now + 7200))}})
    ddb.update_item(TableName="sessions", Key={"pk": {"S": "cleared"}}, UpdateExpression="REMOVE expires")
    ddb.update_item(TableName="sessions", Key={"pk": {"S": "shortened"}}, UpdateExpression="SET expires = :e",
                    ExpressionAttributeValues={":e": {"N": str(int(now + 30))}})
    nubis.advance(600)
    assert keys(ddb) == {"extended", "cleared"}
    nubis.advance(7200)
    assert keys(ddb) == {"cleared"}


def test_enabling_ttl_covers_items_already_there_and_disabling_stops_it(nubis, ddb, make_table):
    make_table("sessions")
    now = nubis.clock()
    put(ddb, "old", now - 10)
    put(ddb, "ancient", now - 6 * 365 * 86400)   # more than five years past: never deleted
    put(ddb, "next", now + 300)
    nubis.advance(120)
    assert keys(ddb) == {"old", "ancient", "next"}
    ddb.update_time_to_live(TableName="sessions", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    nubis.advance(61)
    assert keys(ddb) == {"ancient", "next"}
    ddb.update_time_to_live(TableName="sessions",
                            TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires"})
    nubis.advance(3600)
    assert keys(ddb) == {"ancient", "next"}


def test_batch_writes_and_transactions_keep_the_expiry_index(nubis, ddb, make_table):
    ttl_table(make_table, ddb, stream=False)
    now = str(int(nubis.clock() + 30))
    ddb.batch_write_item(RequestItems={"sessions": [
        {"PutRequest": {"Item": {"pk": {"S": f"b{i}"}, "expires": {"N": now}}}} for i in range(3)]})
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "sessions", "Item": {"pk": {"S": "t"}, "expires": {"N": now}}}},
        {"Update": {"TableName": "sessions", "Key": {"pk": {"S": "b0"}}, "UpdateExpression": "REMOVE expires"}}])
    nubis.advance(120)
    assert keys(ddb) == {"b0"}


def test_many_expired_items_go_in_bounded_sweeps(nubis, ddb, make_table):
    ttl_table(make_table, ddb, stream=False)
    when = str(int(nubis.clock() + 5))
    for start in range(0, 1100, 25):
        ddb.batch_write_item(RequestItems={"sessions": [
            {"PutRequest": {"Item": {"pk": {"S": f"i{i}"}, "expires": {"N": when}}}}
            for i in range(start, min(start + 25, 1100))]})
    nubis.advance(61)
    assert ddb.describe_table(TableName="sessions")["Table"]["ItemCount"] == 100
    nubis.advance(60)
    assert ddb.scan(TableName="sessions", Select="COUNT")["Count"] == 0


def test_ttl_schedule_and_streams_survive_a_restart(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    ddb = server.client("dynamodb")
    ddb.create_table(TableName="sessions", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    ddb.update_time_to_live(TableName="sessions", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    now = server.get("/_nubis/clock")["now"]
    ddb.put_item(TableName="sessions", Item={"pk": {"S": "a"}, "expires": {"N": str(int(now + 300))}})
    ddb.put_item(TableName="sessions", Item={"pk": {"S": "b"}})
    arn = ddb.describe_table(TableName="sessions")["Table"]["LatestStreamArn"]
    server.kill9()

    server = server_process("--data-dir", data)
    ddb, streams = server.client("dynamodb"), server.client("dynamodbstreams")
    server.post("/_nubis/clock", {"advance_seconds": 400})
    assert [i["pk"]["S"] for i in ddb.scan(TableName="sessions")["Items"]] == ["b"]
    got = records(streams, arn)
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in got] == [
        ("INSERT", "a"), ("INSERT", "b"), ("REMOVE", "a")]
    assert got[-1]["userIdentity"] == SERVICE
    # Writes after the restart go on in the same stream, numbered after the ones before.
    ddb.put_item(TableName="sessions", Item={"pk": {"S": "c"}})
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records(streams, arn)]
    assert seqs == sorted(seqs) and len(seqs) == 4
