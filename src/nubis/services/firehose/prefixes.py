"""S3 object keys: the default ``YYYY/MM/dd/HH/`` layout, custom prefixes with
``!{namespace:value}`` expressions, and the rules the developer guide sets
for them ("Custom Prefixes for Amazon S3 Objects")."""
from __future__ import annotations

import datetime as _dt
import re
import secrets
import string
import uuid
from zoneinfo import ZoneInfo

from ...protocol.errors import ServiceError

EXPRESSION = re.compile(r"!\{([^{}:]*):([^{}]*)\}")
NAMESPACES = ("firehose", "timestamp", "partitionKeyFromQuery", "partitionKeyFromLambda")
_ALNUM = string.ascii_letters + string.digits
# Java DateTimeFormatter letters -> a width-aware rendering.
_FIELDS = {"y": lambda t, n: f"{t.year % 100:02d}" if n == 2 else f"{t.year:0{n}d}",
           "u": lambda t, n: f"{t.year % 100:02d}" if n == 2 else f"{t.year:0{n}d}",
           "M": lambda t, n: f"{t.month:0{n}d}", "d": lambda t, n: f"{t.day:0{n}d}",
           "H": lambda t, n: f"{t.hour:0{n}d}", "m": lambda t, n: f"{t.minute:0{n}d}",
           "s": lambda t, n: f"{t.second:0{n}d}", "S": lambda t, n: f"{t.microsecond:06d}"[:n],
           "D": lambda t, n: f"{t.timetuple().tm_yday:0{n}d}"}
_PATTERN = re.compile(r"'([^']*)'|([A-Za-z])\2*")


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidArgumentException", message, status=400)


def java_format(pattern: str, t: _dt.datetime) -> str:
    """A Java DateTimeFormatter pattern (the parts prefixes use) applied to ``t``."""
    out, pos = [], 0
    for m in _PATTERN.finditer(pattern):
        out.append(pattern[pos:m.start()])
        pos = m.end()
        if m.group(1) is not None:
            out.append(m.group(1) if m.group(1) else "'")
            continue
        letter, width = m.group(2), len(m.group(0))
        field = _FIELDS.get(letter)
        if field is None:
            raise invalid(f"Unsupported timestamp format: {pattern}")
        out.append(field(t, width))
    out.append(pattern[pos:])
    return "".join(out)


def zone(name: str | None):
    if not name:
        return _dt.timezone.utc
    try:
        return ZoneInfo(name)
    except Exception:
        raise invalid(f"CustomTimeZone {name} is not a supported time zone.") from None


def check(prefix: str | None, error_prefix: str | None, dynamic: bool) -> None:
    """The rules a destination's Prefix and ErrorOutputPrefix must keep."""
    prefix, error_prefix = prefix or "", error_prefix or ""
    for name, value in (("Prefix", prefix), ("ErrorOutputPrefix", error_prefix)):
        rest = EXPRESSION.sub("", value)
        if "!{" in rest:
            raise invalid(f"{name} {value!r} has an expression that is not of the form !{{namespace:value}}.")
        for ns, val in EXPRESSION.findall(value):
            if ns not in NAMESPACES:
                raise invalid(f"The expression's namespace {ns!r} in {name} is not valid. "
                              f"Valid namespaces are: {', '.join(NAMESPACES)}.")
            if ns == "firehose" and val not in ("error-output-type", "random-string"):
                raise invalid(f"The expression !{{firehose:{val}}} in {name} is not valid. "
                              "Valid values are error-output-type and random-string.")
            if ns == "timestamp":
                java_format(val, _dt.datetime(2000, 1, 1))
            if ns.startswith("partitionKey") and name == "ErrorOutputPrefix":
                raise invalid("ErrorOutputPrefix cannot contain partitionKeyFromQuery or partitionKeyFromLambda "
                              "expressions.")
            if ns.startswith("partitionKey") and not dynamic:
                raise invalid("partitionKeyFromQuery and partitionKeyFromLambda namespaces can only be used when "
                              "dynamic partitioning is enabled.")
    if "!{firehose:error-output-type}" in prefix:
        raise invalid("The !{firehose:error-output-type} expression is only allowed in ErrorOutputPrefix.")
    if EXPRESSION.search(prefix) and not error_prefix:
        raise invalid("ErrorOutputPrefix cannot be null or empty when Prefix contains expressions.")
    if EXPRESSION.search(error_prefix) and "!{firehose:error-output-type}" not in error_prefix:
        raise invalid("ErrorOutputPrefix must contain the !{firehose:error-output-type} expression when it "
                      "contains expressions.")
    if dynamic and not re.search(r"!\{partitionKeyFrom(Query|Lambda):", prefix):
        raise invalid("When dynamic partitioning is enabled, Prefix must contain at least one "
                      "partitionKeyFromQuery or partitionKeyFromLambda expression.")


def evaluate(prefix: str, t: _dt.datetime, keys: dict | None = None, error_type: str | None = None) -> str:
    """A prefix with its expressions evaluated; a prefix without any gets the
    default ``YYYY/MM/dd/HH/`` (and an error prefix its error type first)."""
    if not EXPRESSION.search(prefix):
        return prefix + (f"{error_type}/" if error_type else "") + t.strftime("%Y/%m/%d/%H/")
    keys = keys or {}

    def one(m: re.Match) -> str:
        ns, val = m.group(1), m.group(2)
        if ns == "timestamp":
            return java_format(val, t)
        if ns == "firehose":
            return error_type or "" if val == "error-output-type" else "".join(
                secrets.choice(_ALNUM) for _ in range(11))
        return str(keys.get((ns, val), ""))

    return EXPRESSION.sub(one, prefix)


def object_name(stream: str, version: int, t: _dt.datetime, extension: str = "") -> str:
    """``<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>``."""
    return f"{stream}-{version}-{t.strftime('%Y-%m-%d-%H-%M-%S')}-{uuid.uuid4()}{extension}"
