"""StartLiveTail: an event stream of the events PutLogEvents writes, read by botocore."""
from __future__ import annotations

import time

import pytest
from botocore.config import Config
from botocore.exceptions import EventStreamError

from .conftest import code, error_of, put


@pytest.fixture
def tail_client(aws_client):
    # StartLiveTail's "stream-" host prefix names no local host.
    return aws_client("logs", config=Config(retries={"max_attempts": 1}, inject_host_prefix=False))


def arn(logs, name: str) -> str:
    return logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["logGroupArn"]


def test_a_session_starts_then_sends_each_seconds_events(tail_client, stream, nubis, now_ms):
    logs = tail_client
    group, s = stream
    logs.create_log_stream(logGroupName=group, logStreamName="other")
    put(logs, group, s, [(now_ms(), "before the session")])
    out = logs.start_live_tail(logGroupIdentifiers=[arn(logs, group)], logEventFilterPattern="ERROR")
    events = iter(out["responseStream"])
    start = next(events)["sessionStart"]
    assert start["logGroupIdentifiers"] == [arn(logs, group)]
    assert start["logEventFilterPattern"] == "ERROR" and start["sessionId"] and start["requestId"]
    t = now_ms()
    put(logs, group, s, [(t, "ERROR one"), (t + 1, "INFO skipped")])
    put(logs, group, "other", [(t + 2, "ERROR two")])
    nubis.advance(1)
    update = next(events)["sessionUpdate"]
    assert update["sessionMetadata"] == {"sampled": False}
    assert [(e["logStreamName"], e["message"], e["timestamp"]) for e in update["sessionResults"]] == [
        (s, "ERROR one", t), ("other", "ERROR two", t + 2)]
    assert all(e["logGroupIdentifier"] == arn(logs, group) and e["ingestionTime"] == t
               for e in update["sessionResults"])
    # A second with nothing new is an empty update.
    nubis.advance(1)
    assert next(events)["sessionUpdate"]["sessionResults"] == []
    out["responseStream"].close()


def test_stream_names_and_prefixes_narrow_a_session(tail_client, stream, nubis, now_ms):
    logs = tail_client
    group, s = stream
    logs.create_log_stream(logGroupName=group, logStreamName="web-1")
    out = logs.start_live_tail(logGroupIdentifiers=[group], logStreamNamePrefixes=["web-"])
    events = iter(out["responseStream"])
    assert next(events)["sessionStart"]["logStreamNamePrefixes"] == ["web-"]
    put(logs, group, s, [(now_ms(), "not tailed")])
    put(logs, group, "web-1", [(now_ms(), "tailed")])
    nubis.advance(1)
    assert [e["message"] for e in next(events)["sessionUpdate"]["sessionResults"]] == ["tailed"]
    out["responseStream"].close()


def test_more_than_500_events_in_a_second_are_sampled(tail_client, stream, nubis, now_ms):
    logs = tail_client
    group, s = stream
    out = logs.start_live_tail(logGroupIdentifiers=[group])
    events = iter(out["responseStream"])
    next(events)
    t = now_ms()
    put(logs, group, s, [(t, f"event {i}") for i in range(1200)])
    nubis.advance(1)
    update = next(events)["sessionUpdate"]
    assert update["sessionMetadata"]["sampled"] is True
    assert len(update["sessionResults"]) == 500
    assert update["sessionResults"][0]["message"] == "event 0"
    out["responseStream"].close()


def test_a_session_times_out_after_three_hours_on_the_clock(tail_client, stream, nubis):
    logs = tail_client
    out = logs.start_live_tail(logGroupIdentifiers=[stream[0]])
    events = iter(out["responseStream"])
    next(events)
    nubis.advance(3 * 3600)
    assert "sessionUpdate" in next(events)
    with pytest.raises(EventStreamError) as e:
        next(events)
    assert e.value.response["Error"]["Code"] == "SessionTimeoutException"


def test_bad_requests_get_the_documented_errors(tail_client, stream):
    logs = tail_client
    group, _ = stream
    logs.create_log_group(logGroupName="/second")
    cases = [
        (dict(logGroupIdentifiers=["/missing"]), "ResourceNotFoundException"),
        (dict(logGroupIdentifiers=[group], logStreamNames=["a"], logStreamNamePrefixes=["b"]),
         "InvalidParameterException"),
        (dict(logGroupIdentifiers=[group, "/second"], logStreamNames=["a"]), "InvalidParameterException"),
        (dict(logGroupIdentifiers=[arn(logs, group) + ":*"]), "InvalidParameterException"),
        (dict(logGroupIdentifiers=[group], logEventFilterPattern='{ $.x = "'), "InvalidParameterException"),
        (dict(logGroupIdentifiers=[f"/g{i}" for i in range(11)]), "InvalidParameterException"),
    ]
    for params, expected in cases:
        assert code(error_of(logs.start_live_tail, **params)) == expected, params


def test_concurrent_sessions_are_limited_and_a_closed_one_frees_its_place(tail_client, stream):
    logs = tail_client
    group, _ = stream
    opened = []
    for _ in range(15):
        out = logs.start_live_tail(logGroupIdentifiers=[group])
        next(iter(out["responseStream"]))
        opened.append(out["responseStream"])
    e = error_of(logs.start_live_tail, logGroupIdentifiers=[group])
    assert code(e) == "LimitExceededException"
    opened.pop().close()
    deadline = time.monotonic() + 10
    while True:  # the server learns of the closed connection asynchronously
        try:
            out = logs.start_live_tail(logGroupIdentifiers=[group])
            break
        except logs.exceptions.LimitExceededException:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert "sessionStart" in next(iter(out["responseStream"]))
    for s in opened + [out["responseStream"]]:
        s.close()
