"""Walking a bucket's keys in UTF-8 binary order, grouped by a delimiter.

Keys are bytes; a prefix ``p`` is the range ``[p, p + b"\\xff")`` (0xFF never
occurs in UTF-8), and once a common prefix is reported the walk jumps past
all of it the same way, so a delimiter listing of a huge "folder" costs one
query, not one row per key.
"""
from __future__ import annotations

import base64
import binascii
from typing import Callable
from urllib.parse import quote_plus

from . import errors

END = b"\xff"


def encode_token(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


def decode_token(token: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise errors.invalid_argument("The continuation token provided is incorrect",
                                      "continuation-token", token) from None


def url(value: str | None, enabled: bool) -> str | None:
    if value is None or not enabled:
        return value
    return quote_plus(value, safe="/")


def walk(fetch: Callable, prefix: bytes, delimiter: bytes, marker: bytes | None, max_keys: int,
         key_of=lambda item: item.key, after_item=None, start=None):
    """Items and common prefixes after ``marker``: ``(entries, truncated)`` where
    each entry is ``("item", obj)`` or ``("prefix", bytes)``.

    ``fetch(start, inclusive, end, limit)`` returns items in order from ``start``;
    ``after_item(item)`` gives the (start, inclusive) cursor past an item when
    that is not simply its key (versions: several rows per key)."""
    end = prefix + END if prefix else None
    if marker is None or marker < prefix:
        cursor, inclusive = prefix, True
    else:
        cursor, inclusive = marker, False
    if start is not None:
        cursor, inclusive = start
    entries: list = []
    if max_keys <= 0:
        return entries, False
    batch = min(max_keys + 1, 1001)
    while True:
        rows = fetch(cursor, inclusive, end, batch)
        if not rows:
            return entries, False
        jumped = False
        for item in rows:
            k = key_of(item)
            if delimiter:
                i = k.find(delimiter, len(prefix))
                if i >= 0:
                    cp = k[:i + len(delimiter)]
                    cursor, inclusive, jumped = cp + END, True, True
                    if marker is not None and cp <= marker:
                        break
                    if len(entries) == max_keys:
                        return entries, True
                    entries.append(("prefix", cp))
                    break
            if len(entries) == max_keys:
                return entries, True
            entries.append(("item", item))
            if after_item is not None:
                cursor, inclusive = after_item(item)
            else:
                cursor, inclusive = k, False
        if not jumped and len(rows) < batch:
            return entries, False


def finish(out: dict, params: dict, enc: bool, prefixes: list) -> dict:
    """What every listing answer ends with: the delimiter it was asked for,
    its common prefixes, and the encoding type when keys are URL-encoded."""
    if params.get("Delimiter"):
        out["Delimiter"] = url(params["Delimiter"], enc)
    if prefixes:
        out["CommonPrefixes"] = prefixes
    if enc:
        out["EncodingType"] = "url"
    return out
