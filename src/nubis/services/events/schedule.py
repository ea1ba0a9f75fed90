"""Schedule expressions, shared by EventBridge rules and EventBridge Scheduler.

``rate(value unit)``: a positive whole number of minutes, hours or days (the
unit singular for 1, plural otherwise). ``cron(minutes hours day-of-month
month day-of-week year)``: AWS's six fields, with ``,`` ``-`` ``*`` ``/`` in
all of them, ``?`` ``L`` ``W`` in day-of-month, ``?`` ``L`` ``#`` in
day-of-week (1 is Sunday), month and weekday names, and exactly one of the
two day fields ``?``. ``at(yyyy-mm-ddThh:mm:ss)``: one time (Scheduler only).

``next_after(t, tz)`` gives the first occurrence strictly after clock time
``t``, evaluating cron and at() in the time zone ``tz`` as Scheduler does: a
local time that daylight saving time skips does not run, and one it repeats
runs once (the first time). A rate counts fixed durations (a day is 24 h).
"""
from __future__ import annotations

import abc
import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...protocol.errors import ServiceError

RULE_MESSAGE = "Parameter ScheduleExpression is not valid."

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\((.*)\)", re.DOTALL)
_AT = re.compile(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name: i for i, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
_DAYS = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}
_MIN_YEAR, _MAX_YEAR = 1970, 2199


class BadExpression(ValueError):
    pass


def zone(tz: str | None) -> ZoneInfo | timezone:
    if not tz or tz == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadExpression(f"unknown time zone {tz}") from None


def valid_timezone(tz: str) -> bool:
    try:
        zone(tz)
        return True
    except BadExpression:
        return False


# -- the three kinds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule(abc.ABC):
    expression: str

    kind = ""
    one_time = False

    @abc.abstractmethod
    def next_after(self, t: float, tz: str = "UTC", start: float | None = None) -> float | None:
        """The first occurrence after ``t`` (epoch seconds), None when there is none."""


@dataclass(frozen=True)
class Rate(Schedule):
    period: float = 60.0
    kind = "rate"

    def next_after(self, t: float, tz: str = "UTC", start: float | None = None) -> float | None:
        """From ``start`` (the first occurrence) in steps of the period; without one, a period after ``t``."""
        if start is None:
            return t + self.period
        if t < start:
            return start
        return start + ((t - start) // self.period + 1) * self.period


@dataclass(frozen=True)
class At(Schedule):
    local: datetime = datetime(1970, 1, 1)
    kind = "at"
    one_time = True

    def when(self, tz: str = "UTC") -> float:
        return self.local.replace(tzinfo=zone(tz)).timestamp()

    def next_after(self, t: float, tz: str = "UTC", start: float | None = None) -> float | None:
        when = self.when(tz)
        return when if when > t else None


@dataclass(frozen=True)
class Cron(Schedule):
    minutes: tuple = ()
    hours: tuple = ()
    days: object = None        # _DayOfMonth or None for '?'
    months: tuple = ()
    weekdays: object = None    # _DayOfWeek or None for '?'
    years: tuple = ()
    kind = "cron"

    def matches_day(self, y: int, m: int, d: int) -> bool:
        if self.days is not None:
            return self.days.matches(y, m, d)
        return self.weekdays.matches(y, m, d)

    def next_after(self, t: float, tz: str = "UTC", start: float | None = None) -> float | None:
        z = zone(tz)
        if start is not None and start > t:
            t = start - 1e-6
        local = datetime.fromtimestamp(t, z)
        first = (local.year, local.month, local.day)
        for y in self.years:
            if y < local.year:
                continue
            for m in self.months:
                if (y, m) < first[:2]:
                    continue
                for d in range(1, calendar.monthrange(y, m)[1] + 1):
                    if (y, m, d) < first or not self.matches_day(y, m, d):
                        continue
                    for h in self.hours:
                        for mi in self.minutes:
                            candidate = datetime(y, m, d, h, mi, tzinfo=z)
                            when = candidate.timestamp()
                            if when <= t:
                                continue
                            # A local time that the spring change skips does not exist: no run.
                            back = datetime.fromtimestamp(when, z)
                            if (back.hour, back.minute) != (h, mi):
                                continue
                            return when
        return None


class _DayOfMonth:
    """Days of the month: a set, or ``L`` (last), ``LW`` (last weekday), ``nW`` (weekday nearest n)."""

    def __init__(self, days: frozenset = frozenset(), last: bool = False, weekday: int | None = None):
        self.days, self.last, self.weekday = days, last, weekday

    def matches(self, y: int, m: int, d: int) -> bool:
        length = calendar.monthrange(y, m)[1]
        if self.weekday is not None:
            target = length if self.weekday == 0 else min(self.weekday, length)
            return d == _nearest_weekday(y, m, target, length)
        if self.last:
            return d == length
        return d in self.days


def _nearest_weekday(y: int, m: int, day: int, length: int) -> int:
    """The weekday (Mon-Fri) nearest to ``day`` without leaving the month."""
    wd = calendar.weekday(y, m, day)     # Monday 0 .. Sunday 6
    if wd == 5:                          # Saturday: Friday, or Monday if the 1st
        return day - 1 if day > 1 else day + 2
    if wd == 6:                          # Sunday: Monday, or Friday if the month's last day
        return day + 1 if day < length else day - 2
    return day


class _DayOfWeek:
    """Days of the week (1 Sunday .. 7 Saturday): a set, ``nL`` (the last n of the month), ``n#k``."""

    def __init__(self, days: frozenset = frozenset(), last: int | None = None, nth: tuple | None = None):
        self.days, self.last, self.nth = days, last, nth

    def matches(self, y: int, m: int, d: int) -> bool:
        dow = (calendar.weekday(y, m, d) + 1) % 7 + 1    # Sunday 1 .. Saturday 7
        if self.last is not None:
            return dow == self.last and d + 7 > calendar.monthrange(y, m)[1]
        if self.nth is not None:
            day, k = self.nth
            return dow == day and (d - 1) // 7 + 1 == k
        return dow in self.days


# -- parsing ---------------------------------------------------------------------------------------


def parse_schedule(text: str, *, allow_at: bool = False) -> Schedule:
    """The expression, or ValidationException: EventBridge's message for a rule,
    Scheduler's when ``allow_at`` (Scheduler is the one that takes at())."""
    try:
        return parse(text, allow_at=allow_at)
    except BadExpression:
        message = f"Invalid Schedule Expression {text}." if allow_at else RULE_MESSAGE
        raise ServiceError("ValidationException", message, 400) from None


def parse(text: str, *, allow_at: bool = False) -> Schedule:
    """Like parse_schedule, raising BadExpression."""
    if not isinstance(text, str):
        raise BadExpression("not a string")
    if (m := _RATE.fullmatch(text)) is not None:
        value, unit = int(m.group(1)), m.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise BadExpression("rate value and unit disagree")
        return Rate(text, period=value * _UNIT_SECONDS[unit.rstrip("s")])
    if (m := _CRON.fullmatch(text)) is not None:
        return _cron(text, m.group(1))
    if allow_at and (m := _AT.fullmatch(text)) is not None:
        try:
            return At(text, local=datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
        except ValueError:
            raise BadExpression("not a date") from None
    raise BadExpression("unknown expression")


def _cron(text: str, body: str) -> Cron:
    fields = body.split()
    if len(fields) != 6 or body != body.strip() or "  " in body:
        raise BadExpression("cron takes six fields")
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise BadExpression("one of day-of-month and day-of-week must be ?")
    return Cron(
        text,
        minutes=tuple(sorted(_values(minute, 0, 59))),
        hours=tuple(sorted(_values(hour, 0, 23))),
        days=None if dom == "?" else _day_of_month(dom),
        months=tuple(sorted(_values(month, 1, 12, _MONTHS))),
        weekdays=None if dow == "?" else _day_of_week(dow),
        years=tuple(sorted(_values(year, _MIN_YEAR, _MAX_YEAR))),
    )


def _day_of_month(field: str) -> _DayOfMonth:
    if field == "L":
        return _DayOfMonth(last=True)
    if field == "LW":
        return _DayOfMonth(weekday=0)
    if (m := re.fullmatch(r"(\d{1,2})W", field)) is not None:
        day = int(m.group(1))
        if not 1 <= day <= 31:
            raise BadExpression("day out of range")
        return _DayOfMonth(weekday=day)
    return _DayOfMonth(days=frozenset(_values(field, 1, 31)))


def _day_of_week(field: str) -> _DayOfWeek:
    if field == "L":
        return _DayOfWeek(days=frozenset({7}))
    if (m := re.fullmatch(r"(\w+)L", field)) is not None:
        return _DayOfWeek(last=_number(m.group(1), 1, 7, _DAYS))
    if (m := re.fullmatch(r"(\w+)#(\d)", field)) is not None:
        k = int(m.group(2))
        if not 1 <= k <= 5:
            raise BadExpression("# takes 1 to 5")
        return _DayOfWeek(nth=(_number(m.group(1), 1, 7, _DAYS), k))
    return _DayOfWeek(days=frozenset(_values(field, 1, 7, _DAYS)))


def _number(token: str, lo: int, hi: int, names: dict | None = None) -> int:
    if names and token.upper() in names:
        return names[token.upper()]
    if not token.isdigit():
        raise BadExpression(f"not a number: {token}")
    value = int(token)
    if not lo <= value <= hi:
        raise BadExpression(f"{value} out of range")
    return value


def _values(field: str, lo: int, hi: int, names: dict | None = None) -> set[int]:
    """``*``, ``a``, ``a-b`` (wrapping past the top for names' cycles), each with an optional ``/step``; lists."""
    out: set[int] = set()
    for part in field.split(","):
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) < 1:
                raise BadExpression("bad increment")
            step = int(step_text)
        if base == "*":
            first, last = lo, hi
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _number(a, lo, hi, names), _number(b, lo, hi, names)
        else:
            first = _number(base, lo, hi, names)
            last = hi if slash else first
        if first <= last:
            out.update(range(first, last + 1, step))
        else:
            # A range that wraps (FRI-MON, NOV-FEB) runs past the top and on from the bottom.
            span = list(range(first, hi + 1)) + list(range(lo, last + 1))
            out.update(span[::step])
    if not out:
        raise BadExpression("empty field")
    return out


def format_at(t: float, tz: str = "UTC") -> str:
    return datetime.fromtimestamp(t, zone(tz)).strftime("%Y-%m-%dT%H:%M:%S")


def minute_floor(t: float) -> float:
    return t - (t % 60)
