"""Schedule expressions: which ones AWS takes, and when each next runs."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nubis.protocol.errors import ServiceError
from nubis.services.events.schedule import RULE_MESSAGE, parse_schedule


def utc(*args) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()


def local(tz: str, *args, fold: int = 0) -> float:
    return datetime(*args, tzinfo=ZoneInfo(tz), fold=fold).timestamp()


def iso(t: float | None, tz: str = "UTC") -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M %a")


VALID = [
    "rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(1 day)", "rate(7 days)",
    "cron(0 10 * * ? *)", "cron(15 12 * * ? *)", "cron(0 18 ? * MON-FRI *)", "cron(0 8 1 * ? *)",
    "cron(0/15 * * * ? *)", "cron(0/10 * ? * MON-FRI *)", "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(0 9 ? * 2#1 *)", "cron(0 0 L * ? *)", "cron(0 0 LW * ? *)", "cron(0 0 15W * ? *)",
    "cron(0 0 ? * 6L *)", "cron(0 0 ? * L *)", "cron(0 12 ? JAN,JUL MON 2030)", "cron(* * * * ? *)",
    "cron(0 0 1 1 ? 2199)", "cron(5,35 14 * * ? *)", "cron(0 20 ? * SUN-SAT *)", "cron(0 0 ? * FRI-MON *)",
    "cron(0 0 1 NOV-FEB ? *)", "cron(0 12 * * ? 2025-2030/2)",
    # Accepted by AWS though unusual: one-value ranges, steps in lists.
    "cron(30-30 13-13 ? * 2,4,6 *)", "cron(0-15/1 8-8 ? * 2,3,4,5,6,7 *)", "cron(1-31/30 1-1 ? * 1,7 *)",
    "cron(0 0 1/10,2,3/8 * ? *)",
]

INVALID = [
    "", "rate()", "rate(0 minutes)", "rate(1 minutes)", "rate(5 minute)", "rate(2 hour)", "rate(1 days)",
    "rate(-1 minutes)", "rate(1.5 hours)", "rate(5 seconds)", "rate(5 weeks)", "rate(5  minutes)",
    "rate(5 Minutes)", "every 5 minutes", "cron(0 10 * * *)", "cron(0 10 * * * *)", "cron(0 10 ? * ? *)",
    "cron(0 10 * * ? * *)", "cron(60 10 * * ? *)", "cron(0 24 * * ? *)", "cron(0 10 32 * ? *)",
    "cron(0 10 0 * ? *)", "cron(0 10 * 13 ? *)", "cron(0 10 ? * 8 *)", "cron(0 10 ? * 0 *)",
    "cron(0 10 * * ? 1969)", "cron(0 10 * * ? 2200)", "cron(0 10 ? * MON#6 *)", "cron(0 10 ? * FOO *)",
    "cron(0/0 10 * * ? *)", "cron(0 10 32W * ? *)", "cron(a 10 * * ? *)", "cron(0 10 * JANUARY ? *)",
    "at(2030-01-01T00:00:00)", "cron(15 12 ? * -1 *)", "cron(0/5, 9-18, ?, *, MON-FRI, *)",
]


@pytest.mark.parametrize("text", VALID)
def test_valid_expressions(text):
    assert parse_schedule(text).expression == text


@pytest.mark.parametrize("text", INVALID)
def test_invalid_expressions_for_a_rule(text):
    with pytest.raises(ServiceError) as info:
        parse_schedule(text)
    assert (info.value.code, info.value.message, info.value.status) == ("ValidationException", RULE_MESSAGE, 400)


def test_at_is_for_scheduler():
    s = parse_schedule("at(2030-01-01T10:00:00)", allow_at=True)
    assert s.one_time and s.kind == "at"
    assert s.next_after(utc(2029, 1, 1)) == utc(2030, 1, 1, 10)
    assert s.next_after(utc(2030, 1, 1, 10)) is None
    assert s.next_after(utc(2029, 1, 1), "Asia/Tokyo") == utc(2030, 1, 1, 1)
    for bad in ("at(2030-02-30T10:00:00)", "at(2030-01-01 10:00:00)", "at(2030-01-01T10:00)"):
        with pytest.raises(ServiceError) as info:
            parse_schedule(bad, allow_at=True)
        assert info.value.code == "ValidationException"
        assert info.value.message == f"Invalid Schedule Expression {bad}."


# (expression, after (UTC), tz, the next occurrences as local "YYYY-MM-DDTHH:MM Day")
NEXT = [
    ("cron(0 10 * * ? *)", utc(2026, 3, 1, 9, 0), "UTC", ["2026-03-01T10:00 Sun", "2026-03-02T10:00 Mon"]),
    ("cron(0 10 * * ? *)", utc(2026, 3, 1, 10, 0), "UTC", ["2026-03-02T10:00 Mon"]),
    ("cron(0/15 * * * ? *)", utc(2026, 3, 1, 9, 7), "UTC",
     ["2026-03-01T09:15 Sun", "2026-03-01T09:30 Sun", "2026-03-01T09:45 Sun", "2026-03-01T10:00 Sun"]),
    ("cron(0 18 ? * MON-FRI *)", utc(2026, 3, 6, 19), "UTC", ["2026-03-09T18:00 Mon", "2026-03-10T18:00 Tue"]),
    ("cron(0 8 1 * ? *)", utc(2026, 1, 15), "UTC", ["2026-02-01T08:00 Sun", "2026-03-01T08:00 Sun"]),
    ("cron(0 0 L * ? *)", utc(2026, 1, 15), "UTC",
     ["2026-01-31T00:00 Sat", "2026-02-28T00:00 Sat", "2026-03-31T00:00 Tue", "2026-04-30T00:00 Thu"]),
    ("cron(0 0 L * ? *)", utc(2028, 2, 1), "UTC", ["2028-02-29T00:00 Tue"]),
    # The weekday nearest the 15th: Saturday the 15th -> Friday 14th; Sunday the 15th -> Monday 16th.
    ("cron(0 0 15W * ? *)", utc(2026, 2, 1), "UTC",
     ["2026-02-16T00:00 Mon", "2026-03-16T00:00 Mon", "2026-04-15T00:00 Wed"]),
    ("cron(0 0 15W * ? *)", utc(2026, 8, 1), "UTC", ["2026-08-14T00:00 Fri"]),
    # 1W on a Saturday the 1st stays in the month: Monday the 3rd.
    ("cron(0 0 1W * ? *)", utc(2026, 7, 15), "UTC", ["2026-08-03T00:00 Mon"]),
    ("cron(0 0 LW * ? *)", utc(2026, 5, 1), "UTC", ["2026-05-29T00:00 Fri", "2026-06-30T00:00 Tue"]),
    ("cron(0 9 ? * 2#1 *)", utc(2026, 3, 1), "UTC", ["2026-03-02T09:00 Mon", "2026-04-06T09:00 Mon"]),
    ("cron(0 9 ? * 3#2 *)", utc(2026, 3, 1), "UTC", ["2026-03-10T09:00 Tue", "2026-04-14T09:00 Tue"]),
    ("cron(0 9 ? * MON#5 *)", utc(2026, 1, 1), "UTC", ["2026-03-30T09:00 Mon", "2026-06-29T09:00 Mon"]),
    ("cron(0 0 ? * 6L *)", utc(2026, 3, 1), "UTC", ["2026-03-27T00:00 Fri", "2026-04-24T00:00 Fri"]),
    ("cron(0 0 ? * L *)", utc(2026, 3, 1), "UTC", ["2026-03-07T00:00 Sat"]),
    ("cron(0 0 ? * FRI-MON *)", utc(2026, 3, 4), "UTC",
     ["2026-03-06T00:00 Fri", "2026-03-07T00:00 Sat", "2026-03-08T00:00 Sun", "2026-03-09T00:00 Mon",
      "2026-03-13T00:00 Fri"]),
    ("cron(0 12 ? JAN,JUL MON 2030)", utc(2026, 1, 1), "UTC", ["2030-01-07T12:00 Mon"]),
    ("cron(0 12 * * ? 2025)", utc(2026, 1, 1), "UTC", [None]),
    ("cron(30 9 * * ? *)", utc(2026, 3, 1), "America/New_York",
     ["2026-03-01T09:30 Sun", "2026-03-02T09:30 Mon"]),
    # Spring forward (2026-03-08 in New York): 02:30 does not exist that day, so no run.
    ("cron(30 2 * * ? *)", utc(2026, 3, 6), "America/New_York",
     ["2026-03-06T02:30 Fri", "2026-03-07T02:30 Sat", "2026-03-09T02:30 Mon"]),
    # Fall back (2026-11-01): 01:30 happens twice and runs once.
    ("cron(30 1 * * ? *)", utc(2026, 10, 30), "America/New_York",
     ["2026-10-30T01:30 Fri", "2026-10-31T01:30 Sat", "2026-11-01T01:30 Sun", "2026-11-02T01:30 Mon"]),
    ("cron(0 0 * * ? *)", utc(2026, 6, 1), "Asia/Kolkata", ["2026-06-02T00:00 Tue", "2026-06-03T00:00 Wed"]),
]


@pytest.mark.parametrize(("text", "after", "tz", "expected"), NEXT)
def test_next_occurrences(text, after, tz, expected):
    s = parse_schedule(text)
    got, t = [], after
    for _ in expected:
        t = s.next_after(t, tz)
        got.append(iso(t, tz))
        if t is None:
            break
    assert got == expected


def test_fall_back_runs_once_even_from_the_repeated_hour():
    s = parse_schedule("cron(30 1 * * ? *)")
    first = local("America/New_York", 2026, 11, 1, 1, 30, fold=0)
    assert s.next_after(first - 60, "America/New_York") == first
    # Inside the repeated hour, after the first 01:30: the next run is tomorrow.
    second_hour = local("America/New_York", 2026, 11, 1, 1, 10, fold=1)
    assert iso(s.next_after(second_hour, "America/New_York"), "America/New_York") == "2026-11-02T01:30 Mon"


def test_rate_counts_fixed_periods_from_its_start():
    s = parse_schedule("rate(5 minutes)")
    start = utc(2026, 1, 1, 0, 0, 30)
    assert s.next_after(start - 100, start=start) == start
    assert s.next_after(start, start=start) == start + 300
    assert s.next_after(start + 299, start=start) == start + 300
    assert s.next_after(start + 301, start=start) == start + 600
    assert s.next_after(1000.0) == 1300.0
    # A day is 24 hours, whatever the time zone's clocks do.
    day = parse_schedule("rate(1 day)")
    assert day.next_after(utc(2026, 3, 7, 12), "America/New_York", start=utc(2026, 3, 7, 12)) == utc(2026, 3, 8, 12)


@settings(max_examples=150, deadline=None)
@given(minute=st.integers(0, 59), hour=st.integers(0, 23), dom=st.integers(1, 28),
       after=st.integers(int(utc(2000, 1, 1)), int(utc(2100, 1, 1))))
def test_cron_next_is_the_next_matching_minute(minute, hour, dom, after):
    """A property: the next run matches every field, is after ``after``, and no matching time lies between."""
    s = parse_schedule(f"cron({minute} {hour} {dom} * ? *)")
    t = s.next_after(float(after))
    d = datetime.fromtimestamp(t, timezone.utc)
    assert (d.minute, d.hour, d.day, d.second) == (minute, hour, dom, 0)
    assert after < t <= after + 31 * 86400
    prev = s.next_after(float(after) - 31 * 86400 - 1)
    while prev is not None and prev < t:
        assert prev <= after
        prev = s.next_after(prev)


@settings(max_examples=100, deadline=None)
@given(step=st.integers(1, 30), after=st.integers(0, 4_000_000_000))
def test_cron_increments(step, after):
    s = parse_schedule(f"cron(0/{step} * * * ? *)")
    t = s.next_after(float(after))
    d = datetime.fromtimestamp(t, timezone.utc)
    assert d.minute % step == 0 and d.second == 0 and after < t <= after + 3600
