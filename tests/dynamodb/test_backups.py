"""On-demand backups: create, describe, list, delete, restore with indexes and overrides; restarts keep them."""
from __future__ import annotations

from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still between advances)

from .conftest import code, error_of


def _table_with_indexes(make_table, ddb, name="orders"):
    make_table(name, hash=("pk", "S"), range=("sk", "N"), attributes=[("g", "S"), ("l", "N")],
               GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                        "Projection": {"ProjectionType": "ALL"}}],
               LocalSecondaryIndexes=[{"IndexName": "by-l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                          {"AttributeName": "l", "KeyType": "RANGE"}],
                                       "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    for i in range(5):
        ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": str(i)}, "g": {"S": f"g{i % 2}"},
                                           "l": {"N": str(10 - i)}, "b": {"B": bytes([i])}})
    return name


def test_backup_and_restore_round_trip_with_indexes(ddb, make_table, nubis):
    _table_with_indexes(make_table, ddb)
    details = ddb.create_backup(TableName="orders", BackupName="nightly")["BackupDetails"]
    assert details["BackupStatus"] == "AVAILABLE" and details["BackupType"] == "USER"
    assert details["BackupName"] == "nightly" and details["BackupSizeBytes"] > 0
    arn = details["BackupArn"]
    assert arn.startswith("arn:aws:dynamodb:us-east-1:") and "table/orders/backup/" in arn

    # Changes after the backup are not in it.
    ddb.delete_item(TableName="orders", Key={"pk": {"S": "a"}, "sk": {"N": "0"}})
    ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "sk": {"N": "9"}, "g": {"S": "g1"}})

    described = ddb.describe_backup(BackupArn=arn)["BackupDescription"]
    assert described["SourceTableDetails"]["TableName"] == "orders"
    assert described["SourceTableDetails"]["ItemCount"] == 5
    assert [i["IndexName"] for i in described["SourceTableFeatureDetails"]["GlobalSecondaryIndexes"]] == ["by-g"]

    restored = ddb.restore_table_from_backup(TargetTableName="orders-copy", BackupArn=arn)["TableDescription"]
    assert restored["TableStatus"] == "CREATING"
    ddb.get_waiter("table_exists").wait(TableName="orders-copy", WaiterConfig={"Delay": 0.1})
    table = ddb.describe_table(TableName="orders-copy")["Table"]
    assert table["TableStatus"] == "ACTIVE" and table["ItemCount"] == 5
    assert table["RestoreSummary"]["SourceBackupArn"] == arn
    assert table["RestoreSummary"]["RestoreInProgress"] is False
    assert table["TableId"] != ddb.describe_table(TableName="orders")["Table"]["TableId"]
    got = ddb.query(TableName="orders-copy", IndexName="by-g", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "g0"}})
    assert sorted(int(i["sk"]["N"]) for i in got["Items"]) == [0, 2, 4]
    got = ddb.query(TableName="orders-copy", IndexName="by-l", KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "a"}})
    assert [int(i["l"]["N"]) for i in got["Items"]] == [6, 7, 8, 9, 10]
    assert ddb.get_item(TableName="orders-copy", Key={"pk": {"S": "a"}, "sk": {"N": "3"}})["Item"]["b"]["B"] == b"\x03"


def test_restore_overrides_drop_indexes_and_change_billing(ddb, make_table):
    _table_with_indexes(make_table, ddb)
    arn = ddb.create_backup(TableName="orders", BackupName="b01")["BackupDetails"]["BackupArn"]
    ddb.restore_table_from_backup(TargetTableName="slim", BackupArn=arn, GlobalSecondaryIndexOverride=[],
                                  BillingModeOverride="PROVISIONED",
                                  ProvisionedThroughputOverride={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
                                  SSESpecificationOverride={"Enabled": True, "SSEType": "KMS"})
    table = ddb.describe_table(TableName="slim")["Table"]
    assert table["SSEDescription"]["Status"] == "ENABLED" and table["SSEDescription"]["SSEType"] == "KMS"
    assert "GlobalSecondaryIndexes" not in table
    assert [i["IndexName"] for i in table["LocalSecondaryIndexes"]] == ["by-l"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert "g" not in {a["AttributeName"] for a in table["AttributeDefinitions"]}
    e = error_of(ddb.query, TableName="slim", IndexName="by-g", KeyConditionExpression="g = :g",
                 ExpressionAttributeValues={":g": {"S": "g0"}})
    assert code(e) == "ValidationException"


def test_list_filters_and_pages(ddb, make_table, nubis):
    make_table("one")
    make_table("two")
    first = ddb.create_backup(TableName="one", BackupName="first")["BackupDetails"]
    nubis.advance(60)
    ddb.create_backup(TableName="two", BackupName="second")
    nubis.advance(60)
    ddb.create_backup(TableName="one", BackupName="third")
    names = lambda out: [b["BackupName"] for b in out["BackupSummaries"]]  # noqa: E731
    assert names(ddb.list_backups()) == ["first", "second", "third"]
    assert names(ddb.list_backups(TableName="one")) == ["first", "third"]
    assert names(ddb.list_backups(TimeRangeLowerBound=first["BackupCreationDateTime"].timestamp() + 30)) == \
        ["second", "third"]
    assert names(ddb.list_backups(BackupType="SYSTEM")) == []
    page = ddb.list_backups(Limit=2)
    assert names(page) == ["first", "second"]
    rest = ddb.list_backups(Limit=2, ExclusiveStartBackupArn=page["LastEvaluatedBackupArn"])
    assert names(rest) == ["third"] and "LastEvaluatedBackupArn" not in rest
    assert list(ddb.get_paginator("list_backups").paginate(PaginationConfig={"PageSize": 1}).search(
        "BackupSummaries[].BackupName")) == ["first", "second", "third"]


def test_errors(ddb, make_table):
    make_table("src")
    assert code(error_of(ddb.create_backup, TableName="nope", BackupName="x01")) == "TableNotFoundException"
    missing = "arn:aws:dynamodb:us-east-1:000000000000:table/src/backup/01700000000000-deadbeef"
    assert code(error_of(ddb.describe_backup, BackupArn=missing)) == "BackupNotFoundException"
    assert code(error_of(ddb.delete_backup, BackupArn=missing)) == "BackupNotFoundException"
    assert code(error_of(ddb.restore_table_from_backup, TargetTableName="t02", BackupArn=missing)) == \
        "BackupNotFoundException"
    arn = ddb.create_backup(TableName="src", BackupName="bak")["BackupDetails"]["BackupArn"]
    e = error_of(ddb.restore_table_from_backup, TargetTableName="src", BackupArn=arn)
    assert code(e) == "TableAlreadyExistsException"
    deleted = ddb.delete_backup(BackupArn=arn)["BackupDescription"]
    assert deleted["BackupDetails"]["BackupStatus"] == "DELETED"
    assert code(error_of(ddb.describe_backup, BackupArn=arn)) == "BackupNotFoundException"


def test_backups_survive_a_restart(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    ddb = server.client("dynamodb")
    ddb.create_table(TableName="keep", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    ddb.put_item(TableName="keep", Item={"pk": {"S": "x"}, "v": {"N": "1"}})
    arn = ddb.create_backup(TableName="keep", BackupName="before")["BackupDetails"]["BackupArn"]
    ddb.update_continuous_backups(TableName="keep", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    ddb.put_item(TableName="keep", Item={"pk": {"S": "y"}, "v": {"N": "2"}})
    server.kill9()

    server = server_process("--data-dir", data)
    ddb = server.client("dynamodb")
    assert ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupName"] == "before"
    ddb.restore_table_from_backup(TargetTableName="kept", BackupArn=arn)
    assert ddb.get_item(TableName="kept", Key={"pk": {"S": "x"}})["Item"]["v"] == {"N": "1"}
    assert "Item" not in ddb.get_item(TableName="kept", Key={"pk": {"S": "y"}})
    # The PITR change log survived too: the write before the kill is restorable.
    server.post("/_nubis/clock", {"advance_seconds": 400})
    ddb.delete_item(TableName="keep", Key={"pk": {"S": "y"}})
    ddb.restore_table_to_point_in_time(SourceTableName="keep", TargetTableName="pitr-kept",
                                       UseLatestRestorableTime=True)
    assert ddb.get_item(TableName="pitr-kept", Key={"pk": {"S": "y"}})["Item"]["v"] == {"N": "2"}
