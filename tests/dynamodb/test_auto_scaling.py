"""Auto scaling settings of a table's replicas (Describe/UpdateTableReplicaAutoScaling) and the
settings of a version 2017.11.29 global table (UpdateGlobalTableSettings)."""
from __future__ import annotations

import pytest

from .conftest import NO_RETRY, code, error_of

PT = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
ROLE = ("arn:aws:iam::000000000000:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable")


def scaling(low=5, high=50, target=70.0, **policy):
    return {"MinimumUnits": low, "MaximumUnits": high,
            "ScalingPolicyUpdate": {"TargetTrackingScalingPolicyConfiguration": {"TargetValue": target, **policy}}}


@pytest.fixture
def west(aws_client):
    return aws_client("dynamodb", region="eu-west-1", config=NO_RETRY)


def provisioned(make_table, name="orders", client=None):
    return make_table(name, attributes=[("customer", "S")], ProvisionedThroughput=PT, GlobalSecondaryIndexes=[
        {"IndexName": "by-customer", "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "KEYS_ONLY"}, "ProvisionedThroughput": PT}])


def test_a_table_without_replicas_is_its_own_region(ddb, make_table):
    provisioned(make_table)
    desc = ddb.describe_table_replica_auto_scaling(TableName="orders")["TableAutoScalingDescription"]
    assert desc["TableName"] == "orders" and desc["TableStatus"] == "ACTIVE"
    assert desc["Replicas"] == [{
        "RegionName": "us-east-1", "ReplicaStatus": "ACTIVE",
        "ReplicaProvisionedReadCapacityAutoScalingSettings": {"AutoScalingDisabled": True},
        "ReplicaProvisionedWriteCapacityAutoScalingSettings": {"AutoScalingDisabled": True},
        "GlobalSecondaryIndexes": [{
            "IndexName": "by-customer", "IndexStatus": "ACTIVE",
            "ProvisionedReadCapacityAutoScalingSettings": {"AutoScalingDisabled": True},
            "ProvisionedWriteCapacityAutoScalingSettings": {"AutoScalingDisabled": True}}]}]
    e = error_of(ddb.describe_table_replica_auto_scaling, TableName="nope")
    assert code(e) == "ResourceNotFoundException"


def test_settings_are_stored_described_and_move_the_capacity(ddb, make_table):
    provisioned(make_table)
    out = ddb.update_table_replica_auto_scaling(
        TableName="orders",
        ProvisionedWriteCapacityAutoScalingUpdate=scaling(10, 100, 70.0, ScaleInCooldown=60, ScaleOutCooldown=30),
        GlobalSecondaryIndexUpdates=[{"IndexName": "by-customer",
                                      "ProvisionedWriteCapacityAutoScalingUpdate": scaling(1, 3, 50.0)}],
        ReplicaUpdates=[{"RegionName": "us-east-1", "ReplicaProvisionedReadCapacityAutoScalingUpdate": {
            **scaling(2, 20, 40.0), "ScalingPolicyUpdate": {
                "PolicyName": "reads", "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 40.0}}}}])
    replica = out["TableAutoScalingDescription"]["Replicas"][0]
    assert replica["ReplicaProvisionedWriteCapacityAutoScalingSettings"] == {
        "MinimumUnits": 10, "MaximumUnits": 100, "AutoScalingDisabled": False, "AutoScalingRoleArn": ROLE,
        "ScalingPolicies": [{"PolicyName": "DynamoDBWriteCapacityUtilization:table/orders",
                             "TargetTrackingScalingPolicyConfiguration": {
                                 "TargetValue": 70.0, "DisableScaleIn": False, "ScaleInCooldown": 60,
                                 "ScaleOutCooldown": 30}}]}
    read = replica["ReplicaProvisionedReadCapacityAutoScalingSettings"]
    assert (read["MinimumUnits"], read["MaximumUnits"], read["ScalingPolicies"][0]["PolicyName"]) == (2, 20, "reads")
    index = replica["GlobalSecondaryIndexes"][0]
    assert index["ProvisionedWriteCapacityAutoScalingSettings"]["MaximumUnits"] == 3
    assert index["ProvisionedReadCapacityAutoScalingSettings"] == {"AutoScalingDisabled": True}
    # The capacity moved into the new ranges (5 -> at least 10 writes; the index's 5 -> at most 3).
    table = ddb.describe_table(TableName="orders")["Table"]
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 10
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert table["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    # A later update changes only what it names; AutoScalingDisabled turns it off.
    ddb.update_table_replica_auto_scaling(TableName="orders",
                                          ProvisionedWriteCapacityAutoScalingUpdate={"MaximumUnits": 200})
    replica = ddb.describe_table_replica_auto_scaling(TableName="orders")["TableAutoScalingDescription"]["Replicas"][0]
    write = replica["ReplicaProvisionedWriteCapacityAutoScalingSettings"]
    assert (write["MinimumUnits"], write["MaximumUnits"]) == (10, 200)
    ddb.update_table_replica_auto_scaling(TableName="orders", ReplicaUpdates=[
        {"RegionName": "us-east-1", "ReplicaProvisionedReadCapacityAutoScalingUpdate": {"AutoScalingDisabled": True}}])
    replica = ddb.describe_table_replica_auto_scaling(TableName="orders")["TableAutoScalingDescription"]["Replicas"][0]
    assert replica["ReplicaProvisionedReadCapacityAutoScalingSettings"] == {"AutoScalingDisabled": True}


def test_update_errors(ddb, make_table):
    provisioned(make_table)
    make_table("ondemand")

    def err(**kwargs):
        return code(error_of(ddb.update_table_replica_auto_scaling, **kwargs))

    assert err(TableName="nope", ProvisionedWriteCapacityAutoScalingUpdate=scaling()) == "ResourceNotFoundException"
    assert err(TableName="orders") == "ValidationException"
    assert err(TableName="ondemand", ProvisionedWriteCapacityAutoScalingUpdate=scaling()) == "ValidationException"
    # Min above max, a target outside 20-90 percent, a first setting without a policy.
    assert err(TableName="orders", ProvisionedWriteCapacityAutoScalingUpdate=scaling(10, 5)) == "ValidationException"
    assert err(TableName="orders", ProvisionedWriteCapacityAutoScalingUpdate=scaling(target=95.0)) == \
        "ValidationException"
    assert err(TableName="orders", ProvisionedWriteCapacityAutoScalingUpdate={"MinimumUnits": 1,
                                                                              "MaximumUnits": 5}) == "ValidationException"
    assert err(TableName="orders", GlobalSecondaryIndexUpdates=[
        {"IndexName": "missing", "ProvisionedWriteCapacityAutoScalingUpdate": scaling()}]) == "ResourceNotFoundException"
    assert err(TableName="orders", ReplicaUpdates=[
        {"RegionName": "eu-west-1", "ReplicaProvisionedReadCapacityAutoScalingUpdate": scaling()}]) == \
        "ValidationException"
    # Nothing was half applied.
    replica = ddb.describe_table_replica_auto_scaling(TableName="orders")["TableAutoScalingDescription"]["Replicas"][0]
    assert replica["ReplicaProvisionedWriteCapacityAutoScalingSettings"] == {"AutoScalingDisabled": True}


def test_replicas_of_a_global_table(ddb, west, make_table):
    provisioned(make_table)
    ddb.update_table(TableName="orders", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    ddb.update_table_replica_auto_scaling(
        TableName="orders", ProvisionedWriteCapacityAutoScalingUpdate=scaling(5, 40),
        ReplicaUpdates=[{"RegionName": "eu-west-1", "ReplicaProvisionedReadCapacityAutoScalingUpdate": scaling(7, 9)}])
    replicas = {r["RegionName"]: r for r in west.describe_table_replica_auto_scaling(
        TableName="orders")["TableAutoScalingDescription"]["Replicas"]}
    assert set(replicas) == {"us-east-1", "eu-west-1"}
    # Write settings are the global table's; read settings are each Region's own.
    for r in replicas.values():
        assert r["ReplicaProvisionedWriteCapacityAutoScalingSettings"]["MaximumUnits"] == 40
    assert replicas["eu-west-1"]["ReplicaProvisionedReadCapacityAutoScalingSettings"]["MinimumUnits"] == 7
    assert replicas["us-east-1"]["ReplicaProvisionedReadCapacityAutoScalingSettings"] == {"AutoScalingDisabled": True}
    assert west.describe_table(TableName="orders")["Table"]["ProvisionedThroughput"]["ReadCapacityUnits"] == 7


def legacy(aws_client, make_table, ddb):
    """A version 2017.11.29 global table "legacy" in us-east-1 and eu-west-1, provisioned, with an index."""
    for region in ("us-east-1", "eu-west-1"):
        client = aws_client("dynamodb", region=region, config=NO_RETRY)
        client.create_table(
            TableName="legacy", ProvisionedThroughput=PT, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "g", "AttributeType": "S"}],
            GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "ALL"}, "ProvisionedThroughput": PT}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    ddb.create_global_table(GlobalTableName="legacy",
                            ReplicationGroup=[{"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}])


def test_update_global_table_settings(ddb, west, make_table, aws_client):
    legacy(aws_client, make_table, ddb)
    out = ddb.update_global_table_settings(
        GlobalTableName="legacy", GlobalTableProvisionedWriteCapacityUnits=12,
        GlobalTableGlobalSecondaryIndexSettingsUpdate=[{"IndexName": "by-g", "ProvisionedWriteCapacityUnits": 8}],
        ReplicaSettingsUpdate=[{
            "RegionName": "eu-west-1", "ReplicaProvisionedReadCapacityUnits": 3,
            "ReplicaProvisionedReadCapacityAutoScalingSettingsUpdate": scaling(3, 30),
            "ReplicaGlobalSecondaryIndexSettingsUpdate": [{"IndexName": "by-g", "ProvisionedReadCapacityUnits": 4}],
            "ReplicaTableClass": "STANDARD_INFREQUENT_ACCESS"}])
    assert out["GlobalTableName"] == "legacy"
    settings = {s["RegionName"]: s for s in out["ReplicaSettings"]}
    east, eu = settings["us-east-1"], settings["eu-west-1"]
    assert east["ReplicaProvisionedWriteCapacityUnits"] == 12 and eu["ReplicaProvisionedWriteCapacityUnits"] == 12
    assert east["ReplicaProvisionedReadCapacityUnits"] == 5 and eu["ReplicaProvisionedReadCapacityUnits"] == 3
    assert eu["ReplicaProvisionedReadCapacityAutoScalingSettings"]["MaximumUnits"] == 30
    assert east["ReplicaProvisionedReadCapacityAutoScalingSettings"] == {"AutoScalingDisabled": True}
    assert eu["ReplicaGlobalSecondaryIndexSettings"] == [{
        "IndexName": "by-g", "IndexStatus": "ACTIVE", "ProvisionedReadCapacityUnits": 4,
        "ProvisionedReadCapacityAutoScalingSettings": {"AutoScalingDisabled": True},
        "ProvisionedWriteCapacityUnits": 8,
        "ProvisionedWriteCapacityAutoScalingSettings": {"AutoScalingDisabled": True}}]
    assert eu["ReplicaTableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert east["ReplicaTableClassSummary"]["TableClass"] == "STANDARD"
    # The tables themselves changed, and DescribeGlobalTableSettings agrees.
    table = west.describe_table(TableName="legacy")["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 12
    assert table["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["ReadCapacityUnits"] == 4
    assert table["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    described = ddb.describe_global_table_settings(GlobalTableName="legacy")["ReplicaSettings"]
    assert {s["RegionName"]: s for s in described} == settings

    # On demand everywhere, and back.
    out = ddb.update_global_table_settings(GlobalTableName="legacy", GlobalTableBillingMode="PAY_PER_REQUEST")
    for s in out["ReplicaSettings"]:
        assert s["ReplicaBillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert "ReplicaProvisionedReadCapacityUnits" not in s
    assert west.describe_table(TableName="legacy")["Table"]["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    e = error_of(ddb.update_global_table_settings, GlobalTableName="legacy", GlobalTableBillingMode="PROVISIONED",
                 GlobalTableProvisionedWriteCapacityUnits=5)
    assert code(e) == "ValidationException"  # the read units of each Region are missing
    ddb.update_global_table_settings(
        GlobalTableName="legacy", GlobalTableBillingMode="PROVISIONED", GlobalTableProvisionedWriteCapacityUnits=5,
        GlobalTableGlobalSecondaryIndexSettingsUpdate=[{"IndexName": "by-g", "ProvisionedWriteCapacityUnits": 5}],
        ReplicaSettingsUpdate=[{"RegionName": r, "ReplicaProvisionedReadCapacityUnits": 6,
                                "ReplicaGlobalSecondaryIndexSettingsUpdate": [
                                    {"IndexName": "by-g", "ProvisionedReadCapacityUnits": 6}]}
                               for r in ("us-east-1", "eu-west-1")])
    assert west.describe_table(TableName="legacy")["Table"]["ProvisionedThroughput"]["ReadCapacityUnits"] == 6


def test_update_global_table_settings_errors(ddb, make_table, aws_client):
    legacy(aws_client, make_table, ddb)

    def err(**kwargs):
        return code(error_of(ddb.update_global_table_settings, **kwargs))

    assert err(GlobalTableName="nope", GlobalTableProvisionedWriteCapacityUnits=5) == "GlobalTableNotFoundException"
    assert err(GlobalTableName="legacy") == "ValidationException"
    assert err(GlobalTableName="legacy", ReplicaSettingsUpdate=[
        {"RegionName": "sa-east-1", "ReplicaProvisionedReadCapacityUnits": 5}]) == "ReplicaNotFoundException"
    assert err(GlobalTableName="legacy", GlobalTableGlobalSecondaryIndexSettingsUpdate=[
        {"IndexName": "nope", "ProvisionedWriteCapacityUnits": 5}]) == "IndexNotFoundException"
    assert err(GlobalTableName="legacy", ReplicaSettingsUpdate=[
        {"RegionName": "eu-west-1", "ReplicaGlobalSecondaryIndexSettingsUpdate": [
            {"IndexName": "nope", "ProvisionedReadCapacityUnits": 5}]}]) == "IndexNotFoundException"
    assert err(GlobalTableName="legacy", GlobalTableProvisionedWriteCapacityAutoScalingSettingsUpdate=scaling(9, 2)) \
        == "ValidationException"
    assert err(GlobalTableName="legacy", GlobalTableBillingMode="PAY_PER_REQUEST",
               GlobalTableProvisionedWriteCapacityUnits=5) == "ValidationException"
    # Nothing was half applied.
    settings = ddb.describe_global_table_settings(GlobalTableName="legacy")["ReplicaSettings"]
    assert all(s["ReplicaProvisionedReadCapacityUnits"] == 5 for s in settings)


def test_on_demand_drops_the_settings(ddb, make_table):
    provisioned(make_table)
    ddb.update_table_replica_auto_scaling(TableName="orders", ProvisionedWriteCapacityAutoScalingUpdate=scaling())
    ddb.update_table(TableName="orders", BillingMode="PAY_PER_REQUEST")
    replica = ddb.describe_table_replica_auto_scaling(TableName="orders")["TableAutoScalingDescription"]["Replicas"][0]
    assert "ReplicaProvisionedWriteCapacityAutoScalingSettings" not in replica
    assert replica["GlobalSecondaryIndexes"] == [{"IndexName": "by-customer", "IndexStatus": "ACTIVE"}]
    ddb.update_table(TableName="orders", BillingMode="PROVISIONED", ProvisionedThroughput=PT,
                     GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by-customer", "ProvisionedThroughput": PT}}])
    replica = ddb.describe_table_replica_auto_scaling(TableName="orders")["TableAutoScalingDescription"]["Replicas"][0]
    assert replica["ReplicaProvisionedWriteCapacityAutoScalingSettings"] == {"AutoScalingDisabled": True}
