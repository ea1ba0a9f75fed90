"""Point-in-time recovery: the window on the clock, restores to a second before a change, errors."""
from __future__ import annotations

import datetime as dt

from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still between advances)

from .conftest import code, error_of


def _enable(ddb, name, **more):
    return ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True, **more})["ContinuousBackupsDescription"]


def _items(ddb, name):
    return {i["pk"]["S"]: i.get("v", {}).get("N") for i in ddb.scan(TableName=name, ConsistentRead=True)["Items"]}


def test_restore_to_a_second_before_a_change(ddb, make_table, nubis):
    make_table("ledger", attributes=[("g", "S")],
               GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                        "Projection": {"ProjectionType": "ALL"}}])
    ddb.put_item(TableName="ledger", Item={"pk": {"S": "before"}, "v": {"N": "0"}, "g": {"S": "x"}})
    enabled = _enable(ddb, "ledger")["PointInTimeRecoveryDescription"]
    since = enabled["EarliestRestorableDateTime"]
    nubis.advance(100)
    ddb.put_item(TableName="ledger", Item={"pk": {"S": "a"}, "v": {"N": "1"}, "g": {"S": "x"}})
    nubis.advance(100)
    t_good = ddb.describe_continuous_backups(TableName="ledger")[
        "ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    nubis.advance(1)
    ddb.update_item(TableName="ledger", Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": "2"}})
    ddb.delete_item(TableName="ledger", Key={"pk": {"S": "before"}})
    ddb.put_item(TableName="ledger", Item={"pk": {"S": "late"}, "v": {"N": "3"}})
    nubis.advance(600)

    # botocore sends whole seconds.
    good = since.replace(microsecond=0) + dt.timedelta(seconds=200)
    ddb.restore_table_to_point_in_time(SourceTableName="ledger", TargetTableName="ledger-then", RestoreDateTime=good)
    assert _items(ddb, "ledger-then") == {"before": "0", "a": "1"}
    got = ddb.query(TableName="ledger-then", IndexName="by-g", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "x"}})
    assert got["Count"] == 2
    summary = ddb.describe_table(TableName="ledger-then")["Table"]["RestoreSummary"]
    assert summary["SourceTableArn"].endswith(":table/ledger") and summary["RestoreDateTime"] == good

    # The moment PITR came on holds what the table had then.
    ddb.restore_table_to_point_in_time(SourceTableName="ledger", TargetTableName="ledger-start",
                                       RestoreDateTime=since.replace(microsecond=0) + dt.timedelta(seconds=1))
    assert _items(ddb, "ledger-start") == {"before": "0"}

    arn = ddb.describe_table(TableName="ledger")["Table"]["TableArn"]
    ddb.restore_table_to_point_in_time(SourceTableArn=arn, TargetTableName="ledger-now", UseLatestRestorableTime=True)
    assert _items(ddb, "ledger-now") == {"a": "2", "late": "3"}
    assert t_good["LatestRestorableDateTime"] < good


def test_window_and_errors(ddb, make_table, nubis):
    make_table("plain")
    e = error_of(ddb.restore_table_to_point_in_time, SourceTableName="plain", TargetTableName="copy",
                 UseLatestRestorableTime=True)
    assert code(e) == "PointInTimeRecoveryUnavailableException"
    e = error_of(ddb.restore_table_to_point_in_time, SourceTableName="missing", TargetTableName="copy",
                 UseLatestRestorableTime=True)
    assert code(e) == "TableNotFoundException"
    desc = _enable(ddb, "plain", RecoveryPeriodInDays=1)["PointInTimeRecoveryDescription"]
    earliest, latest = desc["EarliestRestorableDateTime"], desc["LatestRestorableDateTime"]
    assert (earliest - latest).total_seconds() == 300
    e = error_of(ddb.restore_table_to_point_in_time, SourceTableName="plain", TargetTableName="copy",
                 RestoreDateTime=earliest + dt.timedelta(seconds=10))  # later than the latest
    assert code(e) == "InvalidRestoreTimeException"
    nubis.advance(2 * 86400)
    desc = ddb.describe_continuous_backups(TableName="plain")["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]
    assert (desc["LatestRestorableDateTime"] - desc["EarliestRestorableDateTime"]).total_seconds() == 86400 - 300
    e = error_of(ddb.restore_table_to_point_in_time, SourceTableName="plain", TargetTableName="copy",
                 RestoreDateTime=earliest)
    assert code(e) == "InvalidRestoreTimeException"
    e = error_of(ddb.restore_table_to_point_in_time, SourceTableName="plain", TargetTableName="plain",
                 UseLatestRestorableTime=True)
    assert code(e) == "TableAlreadyExistsException"


def test_disabling_forgets_the_history(ddb, make_table, nubis):
    make_table("flip")
    _enable(ddb, "flip")
    ddb.put_item(TableName="flip", Item={"pk": {"S": "old"}})
    nubis.advance(400)
    ddb.update_continuous_backups(TableName="flip", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": False})
    ddb.delete_item(TableName="flip", Key={"pk": {"S": "old"}})
    ddb.put_item(TableName="flip", Item={"pk": {"S": "new"}})
    enabled = _enable(ddb, "flip")["PointInTimeRecoveryDescription"]
    nubis.advance(400)
    ddb.restore_table_to_point_in_time(SourceTableName="flip", TargetTableName="flip-copy",
                                       RestoreDateTime=enabled["EarliestRestorableDateTime"] + dt.timedelta(seconds=1))
    assert _items(ddb, "flip-copy") == {"new": None}


def test_history_older_than_the_window_is_compacted_but_restores_still_see_it(ddb, make_table, nubis):
    make_table("aging")
    ddb.put_item(TableName="aging", Item={"pk": {"S": "kept"}, "v": {"N": "1"}})
    ddb.put_item(TableName="aging", Item={"pk": {"S": "gone"}, "v": {"N": "1"}})
    _enable(ddb, "aging", RecoveryPeriodInDays=1)
    for i in range(2, 5):
        nubis.advance(3600)
        ddb.put_item(TableName="aging", Item={"pk": {"S": "kept"}, "v": {"N": str(i)}})
    ddb.delete_item(TableName="aging", Key={"pk": {"S": "gone"}})
    nubis.advance(3 * 86400)   # the daily compaction runs
    ddb.put_item(TableName="aging", Item={"pk": {"S": "new"}, "v": {"N": "9"}})
    nubis.advance(600)
    desc = ddb.describe_continuous_backups(TableName="aging")["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]
    ddb.restore_table_to_point_in_time(SourceTableName="aging", TargetTableName="aging-early",
                                       RestoreDateTime=desc["EarliestRestorableDateTime"] + dt.timedelta(seconds=1))
    assert _items(ddb, "aging-early") == {"kept": "4"}
    ddb.restore_table_to_point_in_time(SourceTableName="aging", TargetTableName="aging-late",
                                       UseLatestRestorableTime=True)
    assert _items(ddb, "aging-late") == {"kept": "4", "new": "9"}


def test_deleting_a_table_with_pitr_leaves_a_system_backup_for_35_days(ddb, make_table, nubis):
    make_table("doomed")
    ddb.put_item(TableName="doomed", Item={"pk": {"S": "last"}, "v": {"N": "7"}})
    _enable(ddb, "doomed")
    make_table("plain")
    ddb.delete_table(TableName="plain")
    ddb.delete_table(TableName="doomed")
    assert ddb.list_backups()["BackupSummaries"] == []
    (summary,) = ddb.list_backups(BackupType="SYSTEM")["BackupSummaries"]
    assert summary["TableName"] == "doomed" and summary["BackupType"] == "SYSTEM"
    assert (summary["BackupExpiryDateTime"] - summary["BackupCreationDateTime"]).days == 35
    assert [b["BackupType"] for b in ddb.list_backups(BackupType="ALL")["BackupSummaries"]] == ["SYSTEM"]
    ddb.restore_table_from_backup(TargetTableName="revived", BackupArn=summary["BackupArn"])
    assert _items(ddb, "revived") == {"last": "7"}
    nubis.advance(35 * 86400 + 1)
    assert ddb.list_backups(BackupType="ALL")["BackupSummaries"] == []
