"""Contributor Insights and auto scaling settings survive a restart (and a kill -9)."""
from __future__ import annotations

PT = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}


def test_insights_and_auto_scaling_survive_restarts(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    ddb = server.client("dynamodb")
    ddb.create_table(TableName="kept", ProvisionedThroughput=PT, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    ddb.update_contributor_insights(TableName="kept", ContributorInsightsAction="ENABLE",
                                    ContributorInsightsMode="THROTTLED_KEYS")
    ddb.update_table_replica_auto_scaling(TableName="kept", ProvisionedWriteCapacityAutoScalingUpdate={
        "MinimumUnits": 6, "MaximumUnits": 60,
        "ScalingPolicyUpdate": {"TargetTrackingScalingPolicyConfiguration": {"TargetValue": 50.0}}})
    server.kill9()

    server = server_process("--data-dir", data)
    ddb = server.client("dynamodb")
    server.post("/_nubis/clock", {"advance_seconds": 5})
    desc = ddb.describe_contributor_insights(TableName="kept")
    assert desc["ContributorInsightsStatus"] == "ENABLED" and desc["ContributorInsightsMode"] == "THROTTLED_KEYS"
    replica = ddb.describe_table_replica_auto_scaling(TableName="kept")["TableAutoScalingDescription"]["Replicas"][0]
    write = replica["ReplicaProvisionedWriteCapacityAutoScalingSettings"]
    assert (write["MinimumUnits"], write["MaximumUnits"]) == (6, 60)
    assert ddb.describe_table(TableName="kept")["Table"]["ProvisionedThroughput"]["WriteCapacityUnits"] == 6
    ddb.update_contributor_insights(TableName="kept", ContributorInsightsAction="DISABLE")
    assert server.terminate() == 0

    server = server_process("--data-dir", data)
    ddb = server.client("dynamodb")
    server.post("/_nubis/clock", {"advance_seconds": 5})
    assert ddb.describe_contributor_insights(TableName="kept")["ContributorInsightsStatus"] == "DISABLED"
