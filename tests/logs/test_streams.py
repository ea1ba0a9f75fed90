"""Log streams: create, describe (prefix, order, paging, the event summary), delete."""
import pytest

from .conftest import code, error_of, put


def test_create_describe_delete(logs, now_ms):
    logs.create_log_group(logGroupName="g")
    created = now_ms()
    logs.create_log_stream(logGroupName="g", logStreamName="2026/11/29/[$LATEST]abc")
    [s] = logs.describe_log_streams(logGroupName="g")["logStreams"]
    assert s["logStreamName"] == "2026/11/29/[$LATEST]abc"
    assert s["creationTime"] == created
    assert s["arn"] == "arn:aws:logs:us-east-1:000000000000:log-group:g:log-stream:2026/11/29/[$LATEST]abc"
    assert "firstEventTimestamp" not in s and "lastEventTimestamp" not in s
    e = error_of(logs.create_log_stream, logGroupName="g", logStreamName="2026/11/29/[$LATEST]abc")
    assert code(e) == "ResourceAlreadyExistsException"
    logs.delete_log_stream(logGroupName="g", logStreamName="2026/11/29/[$LATEST]abc")
    assert logs.describe_log_streams(logGroupName="g")["logStreams"] == []
    e = error_of(logs.delete_log_stream, logGroupName="g", logStreamName="2026/11/29/[$LATEST]abc")
    assert code(e) == "ResourceNotFoundException"
    assert e.response["Error"]["Message"] == "The specified log stream does not exist."


@pytest.mark.parametrize("name", ["a:b", "a*b", "x" * 513])
def test_bad_stream_names(logs, name):
    logs.create_log_group(logGroupName="g")
    assert code(error_of(logs.create_log_stream, logGroupName="g", logStreamName=name)) == "InvalidParameterException"


def test_stream_in_missing_group(logs):
    e = error_of(logs.create_log_stream, logGroupName="nope", logStreamName="s")
    assert code(e) == "ResourceNotFoundException"


def test_event_summary(logs, stream, now_ms):
    g, s = stream
    t = now_ms()
    first = put(logs, g, s, [(t - 5000, "a"), (t - 1000, "bb")])
    desc = logs.describe_log_streams(logGroupName=g)["logStreams"][0]
    assert desc["firstEventTimestamp"] == t - 5000 and desc["lastEventTimestamp"] == t - 1000
    assert desc["lastIngestionTime"] == t
    assert desc["uploadSequenceToken"] == first["nextSequenceToken"]
    assert desc["storedBytes"] == 0  # AWS reports zero for streams since 2019
    # An older batch later moves the first timestamp back, not the last.
    put(logs, g, s, [(t - 9000, "c")])
    desc = logs.describe_log_streams(logGroupName=g)["logStreams"][0]
    assert desc["firstEventTimestamp"] == t - 9000 and desc["lastEventTimestamp"] == t - 1000


def test_order_prefix_paging(logs, now_ms):
    logs.create_log_group(logGroupName="g")
    t = now_ms()
    for name, offset in [("b", 3), ("a", 1), ("c", 2), ("x-1", 0)]:
        logs.create_log_stream(logGroupName="g", logStreamName=name)
        put(logs, "g", name, [(t - 10_000 + offset, "m")])
    names = lambda r: [s["logStreamName"] for s in r["logStreams"]]
    assert names(logs.describe_log_streams(logGroupName="g")) == ["a", "b", "c", "x-1"]
    assert names(logs.describe_log_streams(logGroupName="g", descending=True)) == ["x-1", "c", "b", "a"]
    assert names(logs.describe_log_streams(logGroupName="g", orderBy="LastEventTime")) == ["x-1", "a", "c", "b"]
    assert names(logs.describe_log_streams(logGroupName="g", orderBy="LastEventTime", descending=True)) == [
        "b", "c", "a", "x-1"]
    assert names(logs.describe_log_streams(logGroupName="g", logStreamNamePrefix="x")) == ["x-1"]
    e = error_of(logs.describe_log_streams, logGroupName="g", orderBy="LastEventTime", logStreamNamePrefix="x")
    assert code(e) == "InvalidParameterException"
    page = logs.describe_log_streams(logGroupName="g", orderBy="LastEventTime", descending=True, limit=3)
    assert names(page) == ["b", "c", "a"]
    rest = logs.describe_log_streams(logGroupName="g", orderBy="LastEventTime", descending=True, limit=3,
                                     nextToken=page["nextToken"])
    assert names(rest) == ["x-1"] and "nextToken" not in rest
    every = [s["logStreamName"] for p in logs.get_paginator("describe_log_streams").paginate(
        logGroupName="g", PaginationConfig={"PageSize": 1}) for s in p["logStreams"]]
    assert every == ["a", "b", "c", "x-1"]


def test_group_identifier_by_arn(logs, stream):
    g, _ = stream
    arn = logs.describe_log_groups()["logGroups"][0]["logGroupArn"]
    assert [s["logStreamName"] for s in logs.describe_log_streams(logGroupIdentifier=arn)["logStreams"]] == ["s1"]
    e = error_of(logs.describe_log_streams, logGroupIdentifier=arn, logGroupName=g)
    assert code(e) == "InvalidParameterException"


def test_deleting_the_group_deletes_its_streams(logs, stream, now_ms):
    g, s = stream
    put(logs, g, s, [(now_ms(), "m")])
    logs.delete_log_group(logGroupName=g)
    logs.create_log_group(logGroupName=g)
    assert logs.describe_log_streams(logGroupName=g)["logStreams"] == []
    e = error_of(logs.get_log_events, logGroupName=g, logStreamName=s)
    assert code(e) == "ResourceNotFoundException"


def test_a_token_from_another_order_is_refused(logs, stream):
    g, _ = stream
    logs.create_log_stream(logGroupName=g, logStreamName="s2")
    token = logs.describe_log_streams(logGroupName=g, limit=1)["nextToken"]
    e = error_of(logs.describe_log_streams, logGroupName=g, orderBy="LastEventTime", nextToken=token)
    assert code(e) == "InvalidParameterException"
    e = error_of(logs.describe_log_streams, logGroupName=g, nextToken="!!not a token!!")
    assert code(e) == "InvalidParameterException"
