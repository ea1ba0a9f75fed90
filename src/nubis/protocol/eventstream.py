"""The ``application/vnd.amazon.eventstream`` framing, as an encoder.

A message is: total length (4 bytes), headers length (4), CRC32 of those 8
bytes, the headers, the payload, and a CRC32 of everything before it. Used
by Kinesis SubscribeToShard, S3 SelectObjectContent and Lambda response
streaming; services build events as dicts and this module frames them.
"""
from __future__ import annotations

import struct
import uuid
import zlib
from datetime import datetime

# Header value types of the event stream encoding.
_TRUE, _FALSE, _BYTE, _SHORT, _INT, _LONG, _BYTES, _STRING, _TIMESTAMP, _UUID = range(10)


def _header(name: str, value) -> bytes:
    key = name.encode("utf-8")
    out = struct.pack("B", len(key)) + key
    if value is True:
        return out + struct.pack("B", _TRUE)
    if value is False:
        return out + struct.pack("B", _FALSE)
    if isinstance(value, int):
        return out + struct.pack(">Bi", _INT, value) if -2**31 <= value < 2**31 else out + struct.pack(">Bq", _LONG, value)
    if isinstance(value, datetime):
        return out + struct.pack(">Bq", _TIMESTAMP, int(value.timestamp() * 1000))
    if isinstance(value, uuid.UUID):
        return out + struct.pack("B", _UUID) + value.bytes
    if isinstance(value, (bytes, bytearray)):
        return out + struct.pack(">BH", _BYTES, len(value)) + bytes(value)
    data = str(value).encode("utf-8")
    return out + struct.pack(">BH", _STRING, len(data)) + data


def encode_message(headers: dict, payload: bytes = b"") -> bytes:
    head = b"".join(_header(k, v) for k, v in headers.items())
    total = 12 + len(head) + len(payload) + 4
    prelude = struct.pack(">II", total, len(head))
    prelude += struct.pack(">I", zlib.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + head + payload
    return message + struct.pack(">I", zlib.crc32(message) & 0xFFFFFFFF)


def event(event_type: str, payload: bytes = b"", content_type: str = "application/octet-stream") -> bytes:
    """A modeled event (``:message-type event``)."""
    return encode_message({":message-type": "event", ":event-type": event_type, ":content-type": content_type},
                          payload)


def exception(code: str, payload: bytes, content_type: str = "application/json") -> bytes:
    """A modeled exception inside the stream."""
    return encode_message({":message-type": "exception", ":exception-type": code, ":content-type": content_type},
                          payload)


def error(code: str, message: str) -> bytes:
    """An unmodeled error that ends the stream."""
    return encode_message({":message-type": "error", ":error-code": code, ":error-message": message})


async def frames(union, events, write_structure, structure_type: str = "application/json"):
    """Frame a provider's events for an event-stream output member.

    ``union`` is the stream's shape; ``events`` an async iterator of one-key
    dicts ``{EventName: members}``. A member marked ``eventheader`` becomes a
    header, one marked ``eventpayload`` is the payload (a blob as is, a string
    as UTF-8, a structure through ``write_structure(shape, value)``); the
    other members are the payload, written by ``write_structure``. A service
    error raised by the iterator ends the stream as an unmodeled error.
    """
    from .errors import ServiceError

    try:
        async for item in events:
            (name, value), = item.items()
            shape = union.members[name]
            if shape.metadata.get("exception"):  # a modeled exception of the union, e.g. a session's timeout
                headers: dict = {":message-type": "exception", ":exception-type": name}
            else:
                headers = {":message-type": "event", ":event-type": name}
            payload, content_type, rest = None, structure_type, {}
            for key, member in shape.members.items():
                found = value.get(key)
                if found is None:
                    continue
                if member.serialization.get("eventheader"):
                    headers[key] = found
                elif member.serialization.get("eventpayload"):
                    if member.type_name == "blob":
                        payload, content_type = bytes(found), "application/octet-stream"
                    elif member.type_name == "string":
                        payload, content_type = found.encode("utf-8"), "text/plain"
                    else:
                        payload = write_structure(member, found)
                else:
                    rest[key] = found
            if payload is None:
                payload = write_structure(shape, rest)
            headers[":content-type"] = content_type
            yield encode_message(headers, payload)
    except ServiceError as e:
        yield error(e.code, e.message)
