"""The plain HTTP shapes that the protocol layer reads and writes.

The gateway turns ASGI into an ``HttpRequest``; a protocol parser turns that
into the operation's input dict; a serializer turns the output dict (or a
``ServiceError``) into an ``HttpResponse`` that the gateway sends.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Iterable
from urllib.parse import parse_qsl


class Headers:
    """Case-insensitive, multi-valued request headers (keys are lower-cased)."""

    __slots__ = ("_map",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()):
        self._map: dict[str, str] = {}
        for k, v in items:
            k = k.lower()
            # Repeated headers fold into one comma-separated value, as HTTP allows.
            self._map[k] = f"{self._map[k]},{v}" if k in self._map else v

    def get(self, name: str, default: Any = None) -> Any:
        return self._map.get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return self._map[name.lower()]

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._map

    def items(self):
        return self._map.items()

    def __repr__(self) -> str:
        return f"Headers({self._map!r})"


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
