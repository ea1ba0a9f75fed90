"""Data sources: ListAggregateLogGroupSummaries counts log groups by data source; nubis discovers
none, so every group is of the data source ``unknown``; GetLogFields finds no discovered schema."""
from __future__ import annotations

from .conftest import code, error_of


def test_every_group_counts_under_the_unknown_data_source(logs):
    for name in ("/app/a", "/app/b", "/other/c"):
        logs.create_log_group(logGroupName=name)
    logs.create_log_group(logGroupName="/app/ia", logGroupClass="INFREQUENT_ACCESS")
    out = logs.list_aggregate_log_group_summaries(groupBy="DATA_SOURCE_NAME_AND_TYPE")
    assert out["aggregateLogGroupSummaries"] == [{"logGroupCount": 4, "groupingIdentifiers": [
        {"key": "dataSource.Name", "value": "unknown"}, {"key": "dataSource.Type", "value": "unknown"}]}]
    out = logs.list_aggregate_log_group_summaries(groupBy="DATA_SOURCE_NAME_TYPE_AND_FORMAT",
                                                  logGroupClass="STANDARD", logGroupNamePattern="^/app")
    [summary] = out["aggregateLogGroupSummaries"]
    assert summary["logGroupCount"] == 2
    assert summary["groupingIdentifiers"][-1] == {"key": "dataSource.Format", "value": "unknown"}
    # No group is of another data source.
    out = logs.list_aggregate_log_group_summaries(groupBy="DATA_SOURCE_NAME_AND_TYPE",
                                                  dataSources=[{"name": "amazon_vpc", "type": "flow"}])
    assert out["aggregateLogGroupSummaries"] == []
    out = logs.list_aggregate_log_group_summaries(groupBy="DATA_SOURCE_NAME_AND_TYPE",
                                                  logGroupNamePattern="nothing-matches")
    assert out["aggregateLogGroupSummaries"] == []


def test_aggregate_summaries_validate_their_input(logs):
    assert code(error_of(logs.list_aggregate_log_group_summaries, groupBy="BY_NAME")) == "ValidationException"
    assert code(error_of(logs.list_aggregate_log_group_summaries, groupBy="DATA_SOURCE_NAME_AND_TYPE",
                         logGroupNamePattern="a b c")) == "ValidationException"
    assert code(error_of(logs.list_aggregate_log_group_summaries, groupBy="DATA_SOURCE_NAME_AND_TYPE",
                         limit=51)) == "ValidationException"


def test_get_log_fields_finds_no_discovered_schema(logs):
    logs.create_log_group(logGroupName="/app")
    e = error_of(logs.get_log_fields, dataSourceName="amazon_vpc", dataSourceType="flow")
    assert code(e) == "ResourceNotFoundException"
