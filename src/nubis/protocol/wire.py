"""The plain HTTP shapes that the protocol layer reads and writes.

The gateway turns ASGI into an ``HttpRequest``; a protocol parser turns that
into the operation's input dict; a serializer turns the output dict (or a
``ServiceError``) into an ``HttpResponse`` that the gateway sends.
"""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Iterable
from urllib.parse import parse_qsl


# Header names as asked for (a handful of literals) -> their lower-cased bytes.
_RAW_NAMES: dict[str, bytes] = {}


def _raw_name(name: str) -> bytes:
    key = name.lower().encode("latin-1")
    if len(_RAW_NAMES) < 1024:
        _RAW_NAMES[name] = key
    return key


class Headers:
    """Case-insensitive, multi-valued request headers (keys are lower-cased).

    From ASGI the pairs stay bytes until asked for: a request reads a handful
    of its dozen headers, so decoding them all up front is wasted work.
    """

    __slots__ = ("_map", "_raw")

    def __init__(self, items: Iterable[tuple[str, str]] = ()):
        self._raw: dict[bytes, bytes] | None = None
        self._map: dict[str, str] = {}
        for k, v in items:
            k = k.lower()
            # Repeated headers fold into one comma-separated value, as HTTP allows.
            self._map[k] = f"{self._map[k]},{v}" if k in self._map else v

    @classmethod
    def from_asgi(cls, raw: list[tuple[bytes, bytes]]) -> "Headers":
        """From ASGI's header pairs (uvicorn gives the names lower-cased)."""
        self = cls.__new__(cls)
        self._raw = dict(raw)
        self._map = None
        if len(self._raw) != len(raw):  # a repeated header: fold it
            self.__init__((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw)
        return self

    def _decoded(self) -> dict[str, str]:
        if self._map is None:
            self._map = {k.decode("latin-1"): v.decode("latin-1") for k, v in self._raw.items()}
        return self._map

    def get(self, name: str, default: Any = None) -> Any:
        if self._map is None:
            key = _RAW_NAMES.get(name)
            if key is None:
                key = _raw_name(name)
            value = self._raw.get(key)
            return default if value is None else value.decode("latin-1")
        return self._map.get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: str) -> bool:
        if self._map is None:
            key = _RAW_NAMES.get(name)
            return (key if key is not None else _raw_name(name)) in self._raw
        return name.lower() in self._map

    def items(self):
        return self._decoded().items()

    def as_dict(self) -> dict[str, str]:
        """Every header, decoded (lower-cased names): for readers of many."""
        return self._decoded()

    def __repr__(self) -> str:
        return f"Headers({self._decoded()!r})"


@dataclass
class HttpRequest:
    method: str
    path: str  # raw, still percent-encoded, without the query string
    query_string: str = ""  # raw
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    # For streaming operations (S3 PutObject, ...) the gateway leaves ``body``
    # empty and gives the provider this async iterator of chunks instead.
    stream: AsyncIterator[bytes] | None = None
    host: str = ""

    _query: list[tuple[str, str]] | None = None
    _form: list[tuple[str, str]] | None = None

    @property
    def query(self) -> list[tuple[str, str]]:
        """The query string as decoded (name, value) pairs, in order."""
        if self._query is None:
            self._query = parse_qsl(self.query_string, keep_blank_values=True) if self.query_string else []
        return self._query

    @property
    def form(self) -> list[tuple[str, str]]:
        """Query-string pairs followed by those of a form-encoded body."""
        if self._form is None:
            pairs = list(self.query)
            ctype = self.headers.get("content-type", "")
            if self.body and (not ctype or "x-www-form-urlencoded" in ctype):
                try:
                    pairs += parse_qsl(self.body.decode("utf-8"), keep_blank_values=True)
                except UnicodeDecodeError:
                    from .base import bad_request

                    raise bad_request("Request body is not valid UTF-8", code="MalformedQueryString") from None
            self._form = pairs
        return self._form


@dataclass
class HttpResponse:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    # A streamed body (S3 GetObject, event streams): async iterator of chunks.
    stream: AsyncIterator[bytes] | None = None

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None


def uuid4_text() -> str:
    """A unique id in UUID form, for request and message ids.

    Random per process (64 bits) plus a counter: unique like uuid4() but
    without drawing 16 random bytes and building a UUID object each time.
    """
    n = next(_COUNTER)
    if n < _LOW:  # (always, in practice: the counter starts below 2**24)
        return f"{_HEAD}{n:012x}"
    return f"{_PREFIX}{n >> 48 & 0xFFF:03x}-{_VARIANT}-{n & 0xFFFFFFFFFFFF:012x}"


def _prefix() -> tuple[str, str]:
    r = os.urandom(8).hex()
    variant = f"{(int(r[12], 16) & 0x3) | 0x8:x}{r[13:16]}"
    return f"{r[:8]}-{r[8:12]}-4", variant


_PREFIX, _VARIANT = _prefix()
_LOW = 1 << 48
_HEAD = f"{_PREFIX}000-{_VARIANT}-"  # what every id below _LOW starts with
_COUNTER = itertools.count(int.from_bytes(os.urandom(3), "big"))
