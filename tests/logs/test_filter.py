"""FilterLogEvents across streams: stream selection, time range, patterns, limit and paging."""
from .conftest import code, error_of, put


def fill(logs, now):
    logs.create_log_group(logGroupName="g")
    for name in ("web-1", "web-2", "worker"):
        logs.create_log_stream(logGroupName="g", logStreamName=name)
    put(logs, "g", "web-1", [(now - 50, "GET / 200"), (now - 30, "ERROR timeout"),
                             (now - 10, '{"level": "warn", "ms": 900}')])
    put(logs, "g", "web-2", [(now - 40, "GET /x 404"), (now - 20, "ERROR disk full")])
    put(logs, "g", "worker", [(now - 45, '{"level": "error", "ms": 12}'), (now - 5, "done")])


def messages(r):
    return [e["message"] for e in r["events"]]


def test_all_streams_interleaved_by_time(logs, now_ms):
    t = now_ms()
    fill(logs, t)
    r = logs.filter_log_events(logGroupName="g")
    assert messages(r) == ["GET / 200", '{"level": "error", "ms": 12}', "GET /x 404", "ERROR timeout",
                           "ERROR disk full", '{"level": "warn", "ms": 900}', "done"]
    first = r["events"][0]
    assert first["logStreamName"] == "web-1" and first["timestamp"] == t - 50 and first["ingestionTime"] == t
    assert len({e["eventId"] for e in r["events"]}) == 7
    assert "nextToken" not in r


def test_patterns_and_stream_selection(logs, now_ms):
    t = now_ms()
    fill(logs, t)
    assert messages(logs.filter_log_events(logGroupName="g", filterPattern="ERROR")) == [
        "ERROR timeout", "ERROR disk full"]
    assert messages(logs.filter_log_events(logGroupName="g", filterPattern="ERROR", logStreamNames=["web-2"])) == [
        "ERROR disk full"]
    assert messages(logs.filter_log_events(logGroupName="g", filterPattern="{ $.ms > 100 }")) == [
        '{"level": "warn", "ms": 900}']
    assert messages(logs.filter_log_events(logGroupName="g", filterPattern="[method, path, status = 4*]")) == [
        "GET /x 404"]
    assert messages(logs.filter_log_events(logGroupName="g", logStreamNamePrefix="work")) == [
        '{"level": "error", "ms": 12}', "done"]
    assert messages(logs.filter_log_events(logGroupName="g", filterPattern="?timeout ?done")) == [
        "ERROR timeout", "done"]
    e = error_of(logs.filter_log_events, logGroupName="g", logStreamNames=["web-1"], logStreamNamePrefix="w")
    assert code(e) == "InvalidParameterException"
    e = error_of(logs.filter_log_events, logGroupName="g", filterPattern="{ $.ms > }")
    assert code(e) == "InvalidParameterException"


def test_time_range_is_inclusive(logs, now_ms):
    t = now_ms()
    fill(logs, t)
    r = logs.filter_log_events(logGroupName="g", startTime=t - 40, endTime=t - 20)
    assert messages(r) == ["GET /x 404", "ERROR timeout", "ERROR disk full"]


def test_limit_and_next_token(logs, now_ms):
    t = now_ms()
    fill(logs, t)
    seen, token = [], None
    while True:
        kwargs = {"nextToken": token} if token else {}
        r = logs.filter_log_events(logGroupName="g", limit=3, **kwargs)
        assert len(r["events"]) <= 3
        seen += messages(r)
        token = r.get("nextToken")
        if not token:
            break
    assert len(seen) == 7 and seen[-1] == "done"
    every = [e["message"] for p in logs.get_paginator("filter_log_events").paginate(
        logGroupName="g", filterPattern="ERROR", PaginationConfig={"PageSize": 1}) for e in p["events"]]
    assert every == ["ERROR timeout", "ERROR disk full"]


def test_missing_group(logs):
    assert code(error_of(logs.filter_log_events, logGroupName="nope")) == "ResourceNotFoundException"
