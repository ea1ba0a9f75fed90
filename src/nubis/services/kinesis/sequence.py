"""Kinesis positions: hash-key ranges, sequence numbers and shard iterators.

A sequence number is 56 decimal digits, like AWS's: ``49`` then the number
``time_ms << 64 | shard_index << 40 | counter``. The time comes first, so
numbers sort by arrival across the shards of a stream (as AWS's do), and the
per-shard counter after it makes them strictly increase within a shard even
when the clock stands still. The counter is also the record's key in the
store, so a sequence number leads straight to its place in the shard.
"""
from __future__ import annotations

import base64
import hashlib
import struct

from ...protocol.errors import ServiceError

HASH_SPACE = 2 ** 128
MAX_HASH = HASH_SPACE - 1
COUNTER_BITS = 40
MAX_COUNTER = (1 << COUNTER_BITS) - 1
_SHARD_MASK = (1 << 24) - 1


def uniform_ranges(count: int) -> list[tuple[int, int]]:
    """``count`` equal hash-key ranges covering the whole space, as AWS cuts them."""
    step = HASH_SPACE // count
    return [(i * step, MAX_HASH if i == count - 1 else (i + 1) * step - 1) for i in range(count)]


def hash_of(partition_key: str) -> int:
    """The 128-bit hash key a partition key maps to: its MD5 as a big-endian integer."""
    return int.from_bytes(hashlib.md5(partition_key.encode("utf-8")).digest(), "big")


def shard_id(index: int) -> str:
    return f"shardId-{index:012d}"


def sequence_number(ms: int, shard_index: int, counter: int) -> str:
    return "49" + str(ms << 64 | (shard_index & _SHARD_MASK) << COUNTER_BITS | counter).zfill(54)


def parse_sequence(text: str) -> tuple[int, int, int] | None:
    """(time_ms, shard_index, counter) of a sequence number, None if it is not one of ours."""
    if not isinstance(text, str) or len(text) != 56 or not text.startswith("49") or not text.isdigit():
        return None
    n = int(text[2:])
    return n >> 64, n >> COUNTER_BITS & _SHARD_MASK, n & MAX_COUNTER


# -- shard iterators ----------------------------------------------------------------------

_ITERATOR = struct.Struct(">QQQd")  # stream row id, shard row id, next counter, issued at
_KEY = b"nubis-kinesis-iterator"


def make_iterator(stream_id: int, shard_row: int, counter: int, issued: float) -> str:
    body = _ITERATOR.pack(stream_id, shard_row, counter, issued)
    check = hashlib.blake2b(body, key=_KEY, digest_size=8).digest()
    return base64.b64encode(body + check).decode("ascii")


def read_iterator(text: str) -> tuple[int, int, int, float]:
    """(stream id, shard row, counter, issued) of an iterator; InvalidArgumentException if forged."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raw = b""
    body, check = raw[:-8], raw[-8:]
    if len(body) != _ITERATOR.size or hashlib.blake2b(body, key=_KEY, digest_size=8).digest() != check:
        raise ServiceError("InvalidArgumentException", f"Invalid ShardIterator: {text}", status=400)
    return _ITERATOR.unpack(body)
