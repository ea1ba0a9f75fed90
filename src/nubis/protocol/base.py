"""What every protocol shares: the interface, timestamps, scalars, headers.

A protocol turns an ``HttpRequest`` into the operation's input dict
(``parse``) and the operation's output dict or a ``ServiceError`` into an
``HttpResponse`` (``serialize``, ``serialize_error``). It is driven entirely by
the botocore model; providers never see the wire.
"""
from __future__ import annotations

import abc
import base64
import calendar
import datetime as _dt
import email.utils
import functools
import json
import math
import re

from .errors import ServiceError
from .wire import HttpRequest, HttpResponse

UTC = _dt.timezone.utc
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=UTC)


class Protocol(abc.ABC):
    name = ""

    @abc.abstractmethod
    def parse(self, request: HttpRequest, operation, uri_params: dict | None = None) -> dict:
        ...

    @abc.abstractmethod
    def serialize(self, operation, output: dict | None, request_id: str) -> HttpResponse:
        ...

    @abc.abstractmethod
    def serialize_error(self, service, operation, error: ServiceError, request_id: str) -> HttpResponse:
        ...


def bad_request(message: str, code: str = "SerializationException") -> ServiceError:
    """A request the protocol could not read: the error a real client gets."""
    return ServiceError(code, message, status=400)


# -- timestamps ---------------------------------------------------------------

def to_datetime(value) -> _dt.datetime:
    """A provider's timestamp (datetime, epoch seconds, or text) as aware UTC."""
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return _EPOCH + _dt.timedelta(seconds=value)
    return parse_timestamp(value)


def epoch(value) -> float | int:
    dt = to_datetime(value)
    delta = dt - _EPOCH
    seconds = delta.days * 86400 + delta.seconds
    if delta.microseconds:
        return round(seconds + delta.microseconds / 1e6, 3)
    return seconds


def iso8601(value) -> str:
    dt = to_datetime(value).astimezone(UTC)
    if dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc822(value) -> str:
    if value.__class__ is _dt.datetime:
        return _rfc822_of(value)  # Last-Modified and friends: the same few times again and again
    dt = to_datetime(value)
    return email.utils.formatdate(calendar.timegm(dt.utctimetuple()), usegmt=True)


@functools.lru_cache(maxsize=4096)
def _rfc822_of(dt: _dt.datetime) -> str:
    return email.utils.formatdate(calendar.timegm(dt.utctimetuple()), usegmt=True)


def format_timestamp(value, fmt: str):
    if fmt == "unixtimestamp":
        return epoch(value)
    if fmt == "rfc822":
        return rfc822(value)
    return iso8601(value)


_ISO = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?)?\s*(Z|[+-]\d\d:?\d\d)?$",
    re.I)


def parse_timestamp(text) -> _dt.datetime:
    """Any timestamp form an SDK sends: ISO 8601, epoch seconds, RFC 822."""
    if isinstance(text, (int, float)):
        return _EPOCH + _dt.timedelta(seconds=text)
    text = str(text).strip()
    try:
        return _EPOCH + _dt.timedelta(seconds=float(text))
    except ValueError:
        pass
    m = _ISO.match(text)
    if m:
        y, mo, d, h, mi, s, frac, tz = m.groups()
        micro = int((frac or "0")[:6].ljust(6, "0"))
        dt = _dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro, tzinfo=UTC)
        if tz and tz.upper() != "Z":
            sign = 1 if tz[0] == "+" else -1
            tz = tz[1:].replace(":", "")
            dt -= sign * _dt.timedelta(hours=int(tz[:2]), minutes=int(tz[2:]))
        return dt
    try:
        dt = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        raise bad_request(f"Invalid timestamp: {text!r}") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def timestamp_format(shape, default: str) -> str:
    return (shape.serialization.get("timestampFormat") or default).lower()


# -- scalars ------------------------------------------------------------------

def b64encode(value) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(value).decode("ascii")


def b64decode(text) -> bytes:
    try:
        return base64.b64decode(text)
    except (ValueError, TypeError):
        raise bad_request("Invalid base64 value") from None


def float_text(value) -> str:
    """A float as AWS writes it in text (``Infinity``, ``NaN``, shortest repr)."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value)) + ".0"
    return repr(value)


def parse_scalar(shape, text: str):
    """A scalar from its text form (query strings, headers, XML, URI labels)."""
    t = shape.type_name
    try:
        if t in ("integer", "long", "short", "byte"):
            return int(text)
        if t in ("float", "double"):
            return float(text)
    except ValueError:
        raise bad_request(f"Invalid value {text!r} for {shape.name}") from None
    if t == "boolean":
        low = text.strip().lower()
        if low not in ("true", "false"):
            raise bad_request(f"Invalid boolean {text!r} for {shape.name}")
        return low == "true"
    if t == "blob":
        return b64decode(text)
    if t == "timestamp":
        return parse_timestamp(text)
    return text


def scalar_text(shape, value, ts_default: str = "iso8601") -> str:
    t = shape.type_name
    if t == "boolean":
        return "true" if value else "false"
    if t in ("float", "double"):
        return float_text(value)
    if t == "blob":
        return b64encode(value)
    if t == "timestamp":
        return str(format_timestamp(value, timestamp_format(shape, ts_default)))
    return str(value)


# -- headers ------------------------------------------------------------------

def is_json_value(shape) -> bool:
    return shape.type_name == "string" and shape.serialization.get("jsonvalue", False)


def split_header_list(text: str) -> list[str]:
    """A comma-separated header list, honouring double-quoted items."""
    items, cur, quoted, i = [], [], False, 0
    while i < len(text):
        c = text[i]
        if quoted:
            if c == "\\" and i + 1 < len(text):
                cur.append(text[i + 1])
                i += 1
            elif c == '"':
                quoted = False
            else:
                cur.append(c)
        elif c == '"':
            quoted = True
        elif c == ",":
            items.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    items.append("".join(cur).strip())
    return items


def parse_header(shape, text: str):
    t = shape.type_name
    if t == "list":
        items = split_header_list(text)
        member = shape.member
        if member.type_name == "timestamp" and timestamp_format(member, "rfc822") == "rfc822":
            # An HTTP date has a comma of its own ("Mon, 01 Jan 2024 ..."):
            # list items are every two pieces.
            items = [f"{a}, {b}" for a, b in zip(items[::2], items[1::2])]
        return [parse_header(member, v) for v in items]
    if is_json_value(shape):
        return json.loads(b64decode(text))
    if t == "timestamp":
        return parse_timestamp(text)
    if t == "blob":
        return b64decode(text)
    return parse_scalar(shape, text)


def header_text(shape, value) -> str:
    t = shape.type_name
    if t == "list":
        parts = []
        for v in value:
            s = header_text(shape.member, v)
            if shape.member.type_name == "string" and ("," in s or '"' in s):
                s = '"' + s.replace('"', '\\"') + '"'
            parts.append(s)
        return ",".join(parts)
    if is_json_value(shape):
        return b64encode(json.dumps(value, separators=(",", ":")))
    if t == "timestamp":
        return str(format_timestamp(value, timestamp_format(shape, "rfc822")))
    return scalar_text(shape, value)


def error_code(shape) -> str:
    return shape.metadata.get("error", {}).get("code") or shape.name


@functools.lru_cache(maxsize=4096)
def modeled_error(service, code: str):
    """The error shape of ``service`` whose code (or name) is ``code``."""
    if service is None:
        return None
    shapes = service.error_shapes
    # A shape named like the code first: two shapes may share one code
    # (CloudWatch's ResourceNotFound and DashboardNotFoundError).
    for shape in shapes:
        if shape.name == code:
            return shape
    for shape in shapes:
        if error_code(shape) == code:
            return shape
    return None
