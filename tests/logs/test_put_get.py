"""PutLogEvents' rules (order, size, count, time windows, 24-hour span) and
GetLogEvents' reading in both directions with its f/ and b/ tokens."""
from .conftest import DAY_MS, code, error_of, put

HOUR_MS = 3_600_000


def test_put_returns_a_sequence_token_and_ignores_the_one_given(logs, stream, now_ms):
    g, s = stream
    t = now_ms()
    first = put(logs, g, s, [(t, "a")])
    assert first["nextSequenceToken"].isdigit() and "rejectedLogEventsInfo" not in first
    again = logs.put_log_events(logGroupName=g, logStreamName=s, sequenceToken="whatever",
                                logEvents=[{"timestamp": t, "message": "b"}])
    assert again["nextSequenceToken"] != first["nextSequenceToken"]


def test_events_must_be_in_chronological_order(logs, stream, now_ms):
    g, s = stream
    t = now_ms()
    e = error_of(put, logs, g, s, [(t, "a"), (t - 1, "b")])
    assert code(e) == "InvalidParameterException"
    assert e.response["Error"]["Message"] == (
        "Log events in a single PutLogEvents request must be in chronological order.")
    assert logs.get_log_events(logGroupName=g, logStreamName=s)["events"] == []
    put(logs, g, s, [(t, "same"), (t, "time")])  # equal timestamps are in order


def test_batch_size_and_count_limits(logs, stream, now_ms):
    g, s = stream
    t = now_ms()
    # 1,048,576 bytes counting 26 per event: exactly at the limit passes, one byte more fails.
    at_limit = [(t, "x" * (524_288 - 26)), (t, "y" * (524_288 - 26))]
    put(logs, g, s, at_limit)
    e = error_of(put, logs, g, s, [(t, "x" * (524_288 - 26)), (t, "y" * (524_288 - 25))])
    assert code(e) == "InvalidParameterException"
    e = error_of(put, logs, g, s, [(t, "m")] * 10_001)
    assert code(e) == "InvalidParameterException"
    put(logs, g, s, [(t, "m")] * 10_000)


def test_missing_group_or_stream(logs, stream, now_ms):
    g, s = stream
    assert code(error_of(put, logs, "nope", s, [(now_ms(), "m")])) == "ResourceNotFoundException"
    assert code(error_of(put, logs, g, "nope", [(now_ms(), "m")])) == "ResourceNotFoundException"


def test_too_old_expired_and_too_new_events_are_rejected_the_rest_kept(logs, stream, now_ms):
    g, s = stream
    logs.put_retention_policy(logGroupName=g, retentionInDays=1)
    t = now_ms()
    r = put(logs, g, s, [(t - 15 * DAY_MS, "ancient"), (t - 2 * DAY_MS, "expired"), (t - 1000, "ok1"),
                         (t + HOUR_MS, "ok2"), (t + 3 * HOUR_MS, "future")])
    assert r["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1, "expiredLogEventEndIndex": 2,
                                          "tooNewLogEventStartIndex": 4}
    got = logs.get_log_events(logGroupName=g, logStreamName=s, startFromHead=True)["events"]
    assert [e["message"] for e in got] == ["ok1", "ok2"]


def test_accepted_events_may_not_span_more_than_a_day(logs, stream, now_ms):
    g, s = stream
    t = now_ms()
    e = error_of(put, logs, g, s, [(t - 2 * DAY_MS, "a"), (t, "b")])
    assert code(e) == "InvalidParameterException"
    # Rejected (too old) events do not count towards the span.
    r = put(logs, g, s, [(t - 20 * DAY_MS, "old"), (t - DAY_MS + 1, "a"), (t, "b")])
    assert r["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}


def test_get_reads_latest_by_default_and_from_head_on_request(logs, stream, now_ms):
    g, s = stream
    t = now_ms()
    put(logs, g, s, [(t - 100 + i, f"m{i}") for i in range(10)])
    latest = logs.get_log_events(logGroupName=g, logStreamName=s, limit=3)
    assert [e["message"] for e in latest["events"]] == ["m7", "m8", "m9"]
    assert latest["events"][0]["ingestionTime"] == t
    head = logs.get_log_events(logGroupName=g, logStreamName=s, limit=3, startFromHead=True)
    assert [e["message"] for e in head["events"]] == ["m0", "m1", "m2"]
    assert head["nextForwardToken"].startswith("f/") and head["nextBackwardToken"].startswith("b/")


def test_forward_tokens_walk_to_the_end_then_repeat(logs, stream, now_ms):
    g, s = stream
    t = now_ms()
    put(logs, g, s, [(t - 100 + i, f"m{i}") for i in range(7)])
    seen, token = [], None
    for _ in range(10):
        kwargs = {"nextToken": token} if token else {}
        page = logs.get_log_events(logGroupName=g, logStreamName=s, limit=3, startFromHead=True, **kwargs)
        seen += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    assert seen == [f"m{i}" for i in range(7)]
    # New events appear behind the last token (a tail).
    put(logs, g, s, [(t, "later")])
    page = logs.get_log_events(logGroupName=g, logStreamName=s, nextToken=token, startFromHead=True)
    assert [e["message"] for e in page["events"]] == ["later"]


def test_backward_tokens_walk_to_the_start(logs, stream, now_ms):
    g, s = stream
    t = now_ms()
    put(logs, g, s, [(t - 100 + i, f"m{i}") for i in range(7)])
    page = logs.get_log_events(logGroupName=g, logStreamName=s, limit=3)
    seen = [e["message"] for e in page["events"]]
    token = page["nextBackwardToken"]
    while True:
        page = logs.get_log_events(logGroupName=g, logStreamName=s, limit=3, nextToken=token)
        seen = [e["message"] for e in page["events"]] + seen
        if page["nextBackwardToken"] == token:
            break
        token = page["nextBackwardToken"]
    assert seen == [f"m{i}" for i in range(7)]


def test_time_range_start_inclusive_end_exclusive(logs, stream, now_ms):
    g, s = stream
    t = now_ms()
    put(logs, g, s, [(t - 30, "a"), (t - 20, "b"), (t - 10, "c")])
    got = logs.get_log_events(logGroupName=g, logStreamName=s, startTime=t - 20, endTime=t - 10)["events"]
    assert [e["message"] for e in got] == ["b"]


def test_empty_stream_tokens_repeat(logs, stream):
    g, s = stream
    page = logs.get_log_events(logGroupName=g, logStreamName=s, startFromHead=True)
    assert page["events"] == []
    again = logs.get_log_events(logGroupName=g, logStreamName=s, startFromHead=True, nextToken=page["nextForwardToken"])
    assert again["events"] == [] and again["nextForwardToken"] == page["nextForwardToken"]


def test_bad_token(logs, stream):
    g, s = stream
    e = error_of(logs.get_log_events, logGroupName=g, logStreamName=s, nextToken="f/garbage")
    assert code(e) == "InvalidParameterException"
