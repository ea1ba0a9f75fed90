"""ListLogGroupsForQuery: the log groups a Logs Insights query read, a page at a time."""
from __future__ import annotations

from .conftest import code, error_of


def test_the_groups_a_query_read_are_listed(logs, nubis):
    names = [f"/svc/{i:02d}" for i in range(50)] + ["/svc/extra"]
    for name in names:
        logs.create_log_group(logGroupName=name)
    arns = {g["logGroupName"]: g["logGroupArn"] for g in logs.list_log_groups(limit=1000)["logGroups"]}
    one = logs.start_query(logGroupName="/svc/extra", startTime=0, endTime=10, queryString="fields @message")
    assert logs.list_log_groups_for_query(queryId=one["queryId"])["logGroupIdentifiers"] == [arns["/svc/extra"]]
    many = logs.start_query(logGroupIdentifiers=names[:50], startTime=0, endTime=10, queryString="fields @message")
    page = logs.list_log_groups_for_query(queryId=many["queryId"], maxResults=50)
    assert page["logGroupIdentifiers"] == [arns[n] for n in names[:50]] and "nextToken" not in page
    # Seven days on, the query and its groups are forgotten (with the next query).
    nubis.advance(8 * 86400)
    logs.start_query(logGroupName="/svc/extra", startTime=0, endTime=10, queryString="fields @message")
    assert code(error_of(logs.list_log_groups_for_query, queryId=one["queryId"])) == "ResourceNotFoundException"


def test_pages_and_bad_input(logs):
    names = [f"/p/{i:03d}" for i in range(50)]
    for name in names:
        logs.create_log_group(logGroupName=name)
    qid = logs.start_query(logGroupNames=names, startTime=0, endTime=10, queryString="fields @message")["queryId"]
    # One query reads at most 50 groups, so a page of 50 (the least maxResults) holds them all.
    assert len(logs.list_log_groups_for_query(queryId=qid)["logGroupIdentifiers"]) == 50
    assert code(error_of(logs.list_log_groups_for_query, queryId=qid, maxResults=501)) == "InvalidParameterException"
    assert code(error_of(logs.list_log_groups_for_query, queryId="nope")) == "ResourceNotFoundException"
    e = error_of(logs.list_log_groups_for_query, queryId=qid, nextToken="garbage")
    assert code(e) == "InvalidParameterException"
