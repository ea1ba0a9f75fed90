"""Contributor Insights: enabling and disabling it on a table or a global secondary index,
the ENABLING -> ENABLED (DISABLING -> DISABLED) lifecycle on the clock, listing and paging."""
from __future__ import annotations

from .conftest import code, error_of, message


def with_index(make_table, name="orders"):
    return make_table(name, attributes=[("customer", "S")], GlobalSecondaryIndexes=[
        {"IndexName": "by-customer", "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "KEYS_ONLY"}}])


def status(ddb, table, **index) -> str:
    return ddb.describe_contributor_insights(TableName=table, **index)["ContributorInsightsStatus"]


def test_enabling_and_disabling_a_table_follows_the_clock(nubis, ddb, make_table):
    make_table("orders")
    assert status(ddb, "orders") == "DISABLED"
    out = ddb.update_contributor_insights(TableName="orders", ContributorInsightsAction="ENABLE")
    assert out["TableName"] == "orders" and out["ContributorInsightsStatus"] == "ENABLING"
    assert out["ContributorInsightsMode"] == "ACCESSED_AND_THROTTLED_KEYS"
    assert status(ddb, "orders") == "ENABLING"
    nubis.advance(2)
    desc = ddb.describe_contributor_insights(TableName="orders")
    assert desc["ContributorInsightsStatus"] == "ENABLED"
    assert desc["ContributorInsightsRuleList"] == [] and "LastUpdateDateTime" in desc
    assert desc["ContributorInsightsMode"] == "ACCESSED_AND_THROTTLED_KEYS"
    # Enabling what is enabled changes nothing.
    again = ddb.update_contributor_insights(TableName="orders", ContributorInsightsAction="ENABLE")
    assert again["ContributorInsightsStatus"] == "ENABLED"

    out = ddb.update_contributor_insights(TableName="orders", ContributorInsightsAction="DISABLE")
    assert out["ContributorInsightsStatus"] == "DISABLING" and "ContributorInsightsMode" not in out
    assert status(ddb, "orders") == "DISABLING"
    nubis.advance(2)
    assert status(ddb, "orders") == "DISABLED"


def test_a_mode_and_a_global_secondary_index(nubis, ddb, make_table):
    with_index(make_table)
    arn = ddb.describe_table(TableName="orders")["Table"]["TableArn"]
    out = ddb.update_contributor_insights(TableName=arn, IndexName="by-customer", ContributorInsightsAction="ENABLE",
                                          ContributorInsightsMode="THROTTLED_KEYS")
    assert out == {"TableName": "orders", "IndexName": "by-customer", "ContributorInsightsStatus": "ENABLING",
                   "ContributorInsightsMode": "THROTTLED_KEYS", "ResponseMetadata": out["ResponseMetadata"]}
    nubis.advance(2)
    desc = ddb.describe_contributor_insights(TableName="orders", IndexName="by-customer")
    assert desc["ContributorInsightsStatus"] == "ENABLED" and desc["ContributorInsightsMode"] == "THROTTLED_KEYS"
    # The table's own setting is separate.
    assert status(ddb, "orders") == "DISABLED"
    # A mode change is a change: ENABLING again.
    out = ddb.update_contributor_insights(TableName="orders", IndexName="by-customer",
                                          ContributorInsightsAction="ENABLE",
                                          ContributorInsightsMode="ACCESSED_AND_THROTTLED_KEYS")
    assert out["ContributorInsightsStatus"] == "ENABLING"
    # Deleting the index drops its setting.
    ddb.update_table(TableName="orders", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-customer"}}])
    summaries = ddb.list_contributor_insights(TableName="orders")["ContributorInsightsSummaries"]
    assert [s.get("IndexName") for s in summaries] == [None]


def test_errors(ddb, make_table):
    make_table("orders", range=("sk", "S"), attributes=[("lsk", "S")], LocalSecondaryIndexes=[
        {"IndexName": "local", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                             {"AttributeName": "lsk", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "ALL"}}])
    e = error_of(ddb.update_contributor_insights, TableName="nope", ContributorInsightsAction="ENABLE")
    assert code(e) == "ResourceNotFoundException" and message(e) == "Requested resource not found: Table: nope not found"
    e = error_of(ddb.update_contributor_insights, TableName="orders", IndexName="missing",
                 ContributorInsightsAction="ENABLE")
    assert code(e) == "ResourceNotFoundException" and "Index: missing" in message(e)
    # Only global secondary indexes have Contributor Insights.
    e = error_of(ddb.describe_contributor_insights, TableName="orders", IndexName="local")
    assert code(e) == "ResourceNotFoundException"
    e = error_of(ddb.update_contributor_insights, TableName="orders", ContributorInsightsAction="ON")
    assert code(e) == "ValidationException"
    e = error_of(ddb.update_contributor_insights, TableName="orders", ContributorInsightsAction="DISABLE",
                 ContributorInsightsMode="THROTTLED_KEYS")
    assert code(e) == "ValidationException"
    assert code(error_of(ddb.list_contributor_insights, TableName="nope")) == "ResourceNotFoundException"
    assert code(error_of(ddb.list_contributor_insights, MaxResults=101)) == "ValidationException"
    assert code(error_of(ddb.list_contributor_insights, NextToken="garbage!")) == "ValidationException"


def test_listing_and_paging(nubis, ddb, make_table):
    with_index(make_table, "alpha")
    make_table("beta")
    make_table("gamma")
    # One table: the table and each global secondary index, whatever their status.
    listed = ddb.list_contributor_insights(TableName="alpha")["ContributorInsightsSummaries"]
    assert listed == [{"TableName": "alpha", "ContributorInsightsStatus": "DISABLED"},
                      {"TableName": "alpha", "IndexName": "by-customer", "ContributorInsightsStatus": "DISABLED"}]
    # All tables: only what is on (or being turned on or off).
    assert ddb.list_contributor_insights()["ContributorInsightsSummaries"] == []
    ddb.update_contributor_insights(TableName="alpha", ContributorInsightsAction="ENABLE")
    ddb.update_contributor_insights(TableName="alpha", IndexName="by-customer", ContributorInsightsAction="ENABLE")
    ddb.update_contributor_insights(TableName="gamma", ContributorInsightsAction="ENABLE")
    nubis.advance(2)
    first = ddb.list_contributor_insights(MaxResults=2)
    assert [(s["TableName"], s.get("IndexName")) for s in first["ContributorInsightsSummaries"]] == [
        ("alpha", None), ("alpha", "by-customer")]
    second = ddb.list_contributor_insights(MaxResults=2, NextToken=first["NextToken"])
    assert second["ContributorInsightsSummaries"] == [
        {"TableName": "gamma", "ContributorInsightsStatus": "ENABLED",
         "ContributorInsightsMode": "ACCESSED_AND_THROTTLED_KEYS"}]
    assert "NextToken" not in second
    seen, token = [], None
    while True:
        page = ddb.list_contributor_insights(MaxResults=1, **({"NextToken": token} if token else {}))
        seen += page["ContributorInsightsSummaries"]
        token = page.get("NextToken")
        if not token:
            break
    assert len(seen) == 3
    ddb.update_contributor_insights(TableName="gamma", ContributorInsightsAction="DISABLE")
    nubis.advance(2)
    assert [s["TableName"] for s in ddb.list_contributor_insights()["ContributorInsightsSummaries"]] == [
        "alpha", "alpha"]
