"""Logs Insights (StartQuery / GetQueryResults) for the subset nubis runs:
fields, filter, sort, limit, stats ... by."""
import pytest

from .conftest import code, error_of, put


def rows(result):
    return [{f["field"]: f["value"] for f in row} for row in result["results"]]


def run(logs, query, groups=("app",), start=0, end=None, **kwargs):
    end = end if end is not None else 4_000_000_000
    qid = logs.start_query(logGroupNames=list(groups), startTime=start, endTime=end, queryString=query,
                           **kwargs)["queryId"]
    result = logs.get_query_results(queryId=qid)
    assert result["status"] == "Complete"
    return result


@pytest.fixture
def app(logs, now_ms):
    logs.create_log_group(logGroupName="app")
    logs.create_log_stream(logGroupName="app", logStreamName="a")
    logs.create_log_stream(logGroupName="app", logStreamName="b")
    t = (now_ms() - 10_000) // 1000 * 1000  # on a whole second
    put(logs, "app", "a", [(t, '{"level": "info", "ms": 12, "user": {"id": "u1"}}'),
                           (t + 1000, '{"level": "error", "ms": 900, "user": {"id": "u2"}}'),
                           (t + 2000, "plain text ERROR line")])
    put(logs, "app", "b", [(t + 500, '{"level": "error", "ms": 300, "user": {"id": "u1"}}'),
                           (t + 1500, '{"level": "info", "ms": 40, "user": {"id": "u3"}}')])
    return t


def test_default_fields_sort_and_limit(logs, app):
    result = run(logs, "fields @timestamp, @message, @logStream | sort @timestamp desc | limit 2")
    got = rows(result)
    assert [r["@message"] for r in got] == ["plain text ERROR line",
                                            '{"level": "info", "ms": 40, "user": {"id": "u3"}}']
    assert got[0]["@logStream"] == "a" and "@ptr" in got[0]
    assert len(got[0]["@timestamp"]) == len("2026-11-29 11:23:19.000")
    assert result["statistics"]["recordsScanned"] == 5.0


def test_filter_on_json_fields_and_messages(logs, app):
    got = rows(run(logs, 'fields user.id, ms | filter level = "error" and ms > 500'))
    assert got == [{"user.id": "u2", "ms": "900", "@ptr": got[0]["@ptr"]}]
    got = rows(run(logs, "filter @message like /ERROR/ | fields @message"))
    assert [r["@message"] for r in got] == ["plain text ERROR line"]
    got = rows(run(logs, 'filter @message not like "level" | fields @message'))
    assert [r["@message"] for r in got] == ["plain text ERROR line"]
    got = rows(run(logs, 'filter level not in ["info"] | fields ms'))
    assert sorted(r["ms"] for r in got) == ["300", "900"]
    got = rows(run(logs, 'filter level in ["info"] and not ms < 20 | fields ms'))
    assert [r["ms"] for r in got] == ["40"]
    got = rows(run(logs, "filter ispresent(user.id) | sort ms asc | fields ms"))
    assert [r["ms"] for r in got] == ["12", "40", "300", "900"]


def test_stats_count_by(logs, app):
    result = run(logs, "stats count(*) as n, avg(ms), max(ms) by level | sort n desc")
    got = [{k: v for k, v in r.items()} for r in rows(result)]
    assert {"level": "error", "n": "2", "avg(ms)": "600", "max(ms)": "900"} in got
    assert {"level": "info", "n": "2", "avg(ms)": "26", "max(ms)": "40"} in got
    assert {"n": "1"} in got  # the plain-text line has no level
    assert result["statistics"]["recordsMatched"] == 5.0
    assert rows(run(logs, "filter level = 'error' | stats count(*)")) == [{"count(*)": "2"}]
    assert rows(run(logs, "stats count_distinct(user.id) as users, earliest(ms), latest(ms)")) == [
        {"users": "3", "earliest(ms)": "12", "latest(ms)": "40"}]


def test_time_range_in_seconds(logs, app):
    start = app // 1000 + 1  # skips the first events of that second
    got = rows(run(logs, "fields ms", start=start, end=start))
    assert sorted(r.get("ms") for r in got) == ["40", "900"]


def test_errors(logs, app, aws_client):
    e = error_of(logs.start_query, logGroupName="app", startTime=0, endTime=1, queryString="fields | nonsense")
    assert code(e) == "MalformedQueryException"
    e = error_of(logs.start_query, logGroupName="missing", startTime=0, endTime=1, queryString="fields @message")
    assert code(e) == "ResourceNotFoundException"
    e = error_of(logs.start_query, logGroupName="app", logGroupNames=["app"], startTime=0, endTime=1,
                 queryString="fields @message")
    assert code(e) == "InvalidParameterException"
    assert code(error_of(logs.get_query_results, queryId="nope")) == "ResourceNotFoundException"
    from botocore.config import Config

    raw = aws_client("logs", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    e = error_of(raw.start_query, logGroupName="app", startTime=-1, endTime=1, queryString="fields @message")
    assert code(e) == "InvalidParameterException"


def test_an_end_time_past_any_timestamp_reads_to_the_end(logs, app):
    assert len(run(logs, "fields @message", end=2 ** 62)["results"]) == len(run(logs, "fields @message")["results"])


def test_describe_queries(logs, app):
    qid = logs.start_query(logGroupName="app", startTime=0, endTime=4_000_000_000,
                           queryString="fields @message")["queryId"]
    [q] = logs.describe_queries(logGroupName="app")["queries"]
    assert q["queryId"] == qid and q["status"] == "Complete" and q["queryString"] == "fields @message"
    assert logs.describe_queries(status="Running")["queries"] == []


def test_log_record_from_a_result_pointer(logs, app):
    result = run(logs, 'fields @message | filter level = "error" and ms > 500')
    pointer = next(f["value"] for f in result["results"][0] if f["field"] == "@ptr")
    record = logs.get_log_record(logRecordPointer=pointer)["logRecord"]
    assert record["@message"] == '{"level": "error", "ms": 900, "user": {"id": "u2"}}'
    assert record["user.id"] == "u2" and record["ms"] == "900" and record["@logStream"] == "a"
    assert record["@timestamp"] == str(app + 1000) and record["@log"] == "000000000000:app"
    assert code(error_of(logs.get_log_record, logRecordPointer="bm90IGEgcG9pbnRlcg==")) == "InvalidParameterException"
    logs.delete_log_group(logGroupName="app")
    assert code(error_of(logs.get_log_record, logRecordPointer=pointer)) == "ResourceNotFoundException"


def test_log_group_fields(logs, app):
    fields = {f["name"]: f["percent"] for f in logs.get_log_group_fields(logGroupName="app")["logGroupFields"]}
    assert fields["@message"] == 100 and fields["@timestamp"] == 100
    assert fields["level"] == 80 and fields["user.id"] == 80
    assert list(fields)[0].startswith("@")  # sorted by frequency


def test_parse_with_a_glob_and_a_regex(logs, now_ms):
    logs.create_log_group(logGroupName="web")
    logs.create_log_stream(logGroupName="web", logStreamName="s")
    t = now_ms()
    put(logs, "web", "s", [(t - 3, "GET /a 200 took 15ms"), (t - 2, "POST /b 500 took 250ms"),
                           (t - 1, "user=ana logged in")])
    got = rows(run(logs, 'parse @message "* * * took *ms" as method, path, status, ms '
                         "| filter status >= 500 | fields method, path, ms", groups=["web"]))
    assert [(r["method"], r["path"], r["ms"]) for r in got] == [("POST", "/b", "250")]
    got = rows(run(logs, "parse @message /user=(?<user>\\w+)/ | filter ispresent(user) | fields user",
                   groups=["web"]))
    assert [r["user"] for r in got] == ["ana"]
    e = error_of(logs.start_query, logGroupName="web", startTime=0, endTime=1,
                 queryString='parse @message "* *" as only_one')
    assert code(e) == "MalformedQueryException"


def test_newest_first_without_sort_dedup_and_comments(logs, app):
    got = rows(run(logs, "fields ms  # the default order is newest first\n| filter ispresent(ms)"))
    assert [r["ms"] for r in got] == ["40", "900", "300", "12"]
    got = rows(run(logs, "fields level, ms | dedup level"))
    # The newest of each level, and the event without one kept.
    assert [(r.get("level"), r.get("ms")) for r in got] == [(None, None), ("info", "40"), ("error", "900")]
