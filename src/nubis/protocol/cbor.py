"""smithy-rpc-v2-cbor: ``POST /service/<S>/operation/<Op>`` with CBOR bodies.

cbor2 does the encoding; this module maps shapes onto CBOR's types
(timestamps are tag 1 epoch seconds, blobs are byte strings).
"""
from __future__ import annotations

import datetime as _dt
import math

import cbor2

from . import json as _json
from .base import Protocol, bad_request, epoch, parse_timestamp
from .wire import HttpResponse

_CONTENT_TYPE = "application/cbor"


def _read(shape, value):
    if value is None:
        return None
    t = shape.type_name
    if t == "structure":
        if shape.is_document_type:
            return value
        if not isinstance(value, dict):
            raise bad_request(f"Expected a map for {shape.name}")
        out = {}
        for key, member in shape.members.items():
            raw = value.get(member.serialization.get("name", key))
            if raw is not None:
                out[key] = _read(member, raw)
        return out
    if t == "list":
        return [_read(shape.member, v) for v in value]
    if t == "map":
        return {k: _read(shape.value, v) for k, v in value.items()}
    if t == "timestamp":
        if isinstance(value, _dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
        return parse_timestamp(value)
    if t == "blob":
        return bytes(value)
    if t in ("float", "double") and isinstance(value, int):
        return float(value)
    return value


def _write(shape, value):
    t = shape.type_name
    if t == "structure":
        if shape.is_document_type:
            return value
        # botocore's CBOR reader looks members up by their model name.
        return {key: _write(member, value[key]) for key, member in shape.members.items()
                if value.get(key) is not None}
    if t == "list":
        return [_write(shape.member, v) for v in value]
    if t == "map":
        return {k: _write(shape.value, v) for k, v in value.items()}
    if t == "timestamp":
        return cbor2.CBORTag(1, epoch(value))
    if t == "blob":
        return value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if t in ("float", "double"):
        value = float(value)
        return value if not math.isnan(value) else math.nan
    return value


class CborProtocol(Protocol):
    name = "smithy-rpc-v2-cbor"

    def parse(self, request, operation, uri_params=None) -> dict:
        shape = operation.input_shape
        if shape is None or not request.body:
            return {}
        try:
            doc = cbor2.loads(request.body)
        except (cbor2.CBORDecodeError, ValueError) as e:
            raise bad_request(f"Invalid CBOR body: {e}") from None
        return _read(shape, doc) or {}

    def _headers(self, request_id):
        return [("Content-Type", _CONTENT_TYPE), ("smithy-protocol", "rpc-v2-cbor"),
                ("x-amzn-RequestId", request_id)]

    def serialize(self, operation, output, request_id) -> HttpResponse:
        shape = operation.output_shape
        doc = _write(shape, output or {}) if shape is not None else {}
        return HttpResponse(200, self._headers(request_id), cbor2.dumps(doc))

    def serialize_error(self, service, operation, error, request_id) -> HttpResponse:
        doc, headers = _json.error_body(service, error, write=_write)
        return HttpResponse(error.status, self._headers(request_id) + headers + error.headers, cbor2.dumps(doc))
