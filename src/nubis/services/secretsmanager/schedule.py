"""Rotation schedules: ``AutomaticallyAfterDays``, ``rate(...)`` and AWS's
six-field ``cron(minutes hours day-of-month month day-of-week year)``.

A schedule gives the next rotation time after a given time (epoch seconds,
UTC); a scheduled rotation runs when its window opens (AWS picks a moment
within the window; the start is the one moment every window has).
"""
from __future__ import annotations

import calendar
import datetime as dt
import re

from ...protocol.errors import ServiceError

RATE = re.compile(r"^rate\(\s*(\d+)\s+(hour|hours|day|days)\s*\)$")
CRON = re.compile(r"^cron\((.+)\)$")
DURATION = re.compile(r"^(\d{1,2})h$")
MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
UTC = dt.timezone.utc


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def _values(field: str, lo: int, hi: int, names: dict) -> set[int] | None:
    """The set a cron field allows (None: any)."""
    if field in ("*", "?"):
        return None
    out: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, _, s = part.partition("/")
            step = int(s)
            if step < 1:
                raise ValueError(part)
        if part in ("*", ""):
            a, b = lo, hi
        elif "-" in part:
            x, _, y = part.partition("-")
            a, b = _number(x, names), _number(y, names)
        else:
            a = _number(part, names)
            b = hi if step > 1 else a
        if not (lo <= a <= hi and lo <= b <= hi) or a > b:
            raise ValueError(part)
        out.update(range(a, b + 1, step))
    return out


def _number(text: str, names: dict) -> int:
    text = text.strip().upper()
    return names[text] if text in names else int(text)


class Cron:
    def __init__(self, text: str):
        fields = text.split()
        if len(fields) != 6:
            raise ValueError(text)
        minute, hour, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            # AWS cron: one of day-of-month and day-of-week is '?', never both.
            raise ValueError(text)
        self.minutes = _values(minute, 0, 59, {})
        self.hours = _values(hour, 0, 23, {})
        self.last_day = dom == "L"
        self.doms = None if self.last_day else _values(dom, 1, 31, {})
        self.months = _values(month, 1, 12, MONTHS)
        self.nth = None
        if "#" in dow:
            d, _, n = dow.partition("#")
            self.dows, self.nth = {_number(d, DAYS)}, int(n)
        else:
            self.dows = _values(dow, 1, 7, DAYS)
        self.years = _values(year, 1970, 2199, {})
        self.dom_any = dom == "?"

    def _day_matches(self, day: dt.date) -> bool:
        if self.months is not None and day.month not in self.months:
            return False
        if self.years is not None and day.year not in self.years:
            return False
        if self.dom_any:
            aws_dow = (day.isoweekday() % 7) + 1  # SUN=1 .. SAT=7
            if self.dows is not None and aws_dow not in self.dows:
                return False
            return self.nth is None or (day.day - 1) // 7 + 1 == self.nth
        if self.last_day:
            return day.day == calendar.monthrange(day.year, day.month)[1]
        return self.doms is None or day.day in self.doms

    def next_after(self, after: float) -> float | None:
        start = dt.datetime.fromtimestamp(after, UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        day = start.date()
        for _ in range(366 * 5):
            if self._day_matches(day):
                for h in sorted(self.hours) if self.hours is not None else range(24):
                    for m in sorted(self.minutes) if self.minutes is not None else range(60):
                        when = dt.datetime(day.year, day.month, day.day, h, m, tzinfo=UTC)
                        if when >= start:
                            return when.timestamp()
            day += dt.timedelta(days=1)
        return None


def validate(rules: dict) -> dict:
    """The rules as stored; InvalidParameterException when they make no schedule."""
    days, expr, duration = rules.get("AutomaticallyAfterDays"), rules.get("ScheduleExpression"), rules.get("Duration")
    if days is not None and expr is not None:
        raise invalid("You can't specify both AutomaticallyAfterDays and ScheduleExpression.")
    if days is None and expr is None:
        raise invalid("You must specify either AutomaticallyAfterDays or ScheduleExpression.")
    if days is not None and not 1 <= days <= 1000:
        raise invalid("The rotation interval must be between 1 and 1000 days.")
    if expr is not None:
        _parse(expr)
    if duration is not None:
        m = DURATION.match(duration)
        if not m or not 1 <= int(m.group(1)) <= 24:
            raise invalid("The rotation window duration must be between 1h and 24h, in hours.")
    return {k: v for k, v in (("AutomaticallyAfterDays", days), ("ScheduleExpression", expr),
                              ("Duration", duration)) if v is not None}


def _parse(expr: str):
    m = RATE.match(expr.strip())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        seconds = n * (3600 if unit.startswith("hour") else 86400)
        if n < 1 or (unit.startswith("hour") and not 4 <= n <= 23) or (unit.startswith("day") and n > 1000):
            raise invalid(f"Invalid rate expression: {expr}")
        return seconds
    m = CRON.match(expr.strip())
    if m:
        try:
            return Cron(m.group(1))
        except (ValueError, KeyError):
            pass
    raise invalid(f"Invalid schedule expression: {expr}")


def next_rotation(rules: dict, after: float) -> float | None:
    """When the next rotation window opens, the last rotation having been at ``after``.

    A rate in days (and AutomaticallyAfterDays, the same schedule) opens its
    window at midnight UTC, N days after the day of the last rotation; a rate in
    hours opens windows every N hours from midnight, starting again each UTC day
    (a window never runs into the next day).
    """
    day = 86400
    midnight = after - after % day
    if "AutomaticallyAfterDays" in rules:
        return midnight + rules["AutomaticallyAfterDays"] * day
    parsed = _parse(rules["ScheduleExpression"])
    if isinstance(parsed, Cron):
        return parsed.next_after(after)
    if parsed % day == 0:
        return midnight + parsed
    starts = [midnight + k * parsed for k in range(int(day // parsed) + 1) if k * parsed < day]
    return next((t for t in starts if t > after), midnight + day)
