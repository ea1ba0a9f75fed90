"""The json protocol (1.0 and 1.1): ``X-Amz-Target`` requests, JSON bodies.

``JsonCodec`` (values of a shape to and from JSON) is shared with rest-json.
"""
from __future__ import annotations

import json
import math
import zlib

import orjson

from . import eventstream, models
from .base import (Protocol, b64decode, b64encode, bad_request, format_timestamp, modeled_error,
                   parse_timestamp, timestamp_format)
from .errors import ServiceError
from .wire import HttpResponse

_BODYLESS = ("header", "headers", "statusCode", "uri", "querystring")
# Services whose responses carry the CRC32 of the body, which their SDKs verify.
_CRC32_SERVICES = {"dynamodb", "dynamodbstreams"}


def _dynamodb_type(code: str) -> str:
    """DynamoDB's error types carry their namespace, as its service sends them."""
    if code == "ValidationException":
        return "com.amazon.coral.validate#ValidationException"
    return f"com.amazonaws.dynamodb.v20120810#{code}"


def _float_in(value):
    if isinstance(value, str):
        # NaN and the infinities travel as strings in JSON.
        try:
            return float(value)
        except ValueError:
            raise bad_request(f"Invalid number {value!r}") from None
    return value


def _float_out(value):
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


class JsonCodec:
    """Values of a shape to and from JSON.

    Each shape is turned once into a reader and a writer function (kept per
    service model and shape name), so a request does not walk botocore's
    shape objects: scalars that JSON carries as they are cost nothing, and
    only members that need work (blobs, timestamps, nested structures) are
    converted.
    """

    def __init__(self, body_only: bool = False):
        # rest-json bodies leave out members bound to the URI, headers, status.
        self.body_only = body_only
        self._readers: dict[tuple, tuple] = {}
        self._writers: dict[tuple, tuple] = {}
        # The same functions by the shape object a request holds (an operation's
        # input or output shape, kept by its model): found without building a key.
        self._read_by_id: dict[int, tuple] = {}
        self._write_by_id: dict[int, tuple] = {}

    def read(self, shape, value):
        if value is None:
            return None
        hit = self._read_by_id.get(id(shape))
        if hit is None or hit[0] is not shape:
            hit = self._read_by_id[id(shape)] = (shape, self._reader(shape))
        return hit[1](value)

    def write(self, shape, value):
        hit = self._write_by_id.get(id(shape))
        if hit is None or hit[0] is not shape:
            hit = self._write_by_id[id(shape)] = (shape, self._writer(shape))
        return hit[1](value)

    # -- building ----------------------------------------------------------------

    @staticmethod
    def _key(shape) -> tuple:
        return (id(shape._shape_resolver), shape.name, shape.type_name,
                shape.serialization.get("timestampFormat"))

    def _cached(self, cache: dict, shape, build):
        key = self._key(shape)
        hit = cache.get(key)
        if hit is not None:
            return hit[1]
        # A recursive shape (DynamoDB's AttributeValue) meets itself while it
        # is built: it gets a trampoline to the function being built.
        cell = []
        cache[key] = (shape, lambda v: cell[0](v))
        fn = build(shape)
        cell.append(fn)
        cache[key] = (shape, fn)  # the shape is kept so its resolver's id stays unique
        return fn

    def _members(self, shape):
        for key, member in shape.members.items():
            if self.body_only and member.serialization.get("location") in _BODYLESS:
                continue
            yield key, member.serialization.get("name", key), member

    def _reader(self, shape):
        return self._cached(self._readers, shape, self._build_reader)

    def _writer(self, shape):
        return self._cached(self._writers, shape, self._build_writer)

    def _build_reader(self, shape):
        t = shape.type_name
        if t == "structure":
            if shape.is_document_type:
                return _same
            plan = [(wire, key, _SCALAR_CHECKS.get(m.type_name), None if m.type_name in _SCALAR_CHECKS
                     else self._reader(m)) for key, wire, m in self._members(shape)]
            order = {entry[0]: i for i, entry in enumerate(plan)}
            sparse = max(len(plan) // 3, 1)
            name = shape.name

            def invalid(raw, key, check):
                if raw.__class__ is float and check is int:
                    # orjson reads an integer beyond 64 bits as a float: the
                    # json protocol reads such a body again with the stdlib.
                    return _LostInteger(f"{raw!r} is not a valid value for {name}.{key}")
                return bad_request(f"{raw!r} is not a valid value for {name}.{key}")

            # By wire name: (position, key, check, sub). A value is walked by its own
            # keys, in one lookup each; its answer is built in the model's order.
            by_wire = {entry[0]: (i, *entry[1:]) for i, entry in enumerate(plan)}

            def read_structure(value):
                if value.__class__ is not dict:
                    raise bad_request(f"Expected an object for {name}")
                if len(value) > sparse:
                    return read_all(value)
                out = {}
                last = -1
                try:
                    for wire, raw in value.items():
                        hit = by_wire.get(wire)
                        if hit is None or raw is None:
                            continue
                        i, key, check, sub = hit
                        if i < last:  # keys out of the model's order: the answer keeps the model's
                            return read_some(value)
                        last = i
                        if sub is not None:
                            out[key] = sub(raw)
                        elif raw.__class__ is check:
                            out[key] = raw
                        else:  # (a subclass, or wrong): the checks below, and their error
                            return read_some(value)
                except Exception:
                    # A member before this one in the model's order (later in the
                    # value) may fail too: its error is the one read_some gives.
                    read_some({w: r for w, r in value.items() if (j := order.get(w)) is not None and j < i})
                    raise
                return out

            def read_some(value):
                # A value that sets few of many members (a DynamoDB AttributeValue
                # one of ten), in the model's order, so the answer and the first
                # error are the same as read_all's.
                out = {}
                found = [(i, raw) for wire, raw in value.items()
                         if raw is not None and (i := order.get(wire)) is not None]
                if len(found) > 1:
                    found.sort()  # by position: positions differ, the values are never compared
                for i, raw in found:
                    _wire, key, check, sub = plan[i]
                    if sub is not None:
                        out[key] = sub(raw)
                    elif not isinstance(raw, check) or (raw.__class__ is bool and check is not bool):
                        raise invalid(raw, key, check)
                    else:
                        out[key] = raw
                return out

            def read_all(value):
                out = {}
                for wire, key, check, sub in plan:
                    raw = value.get(wire)
                    if raw is None:
                        continue
                    if sub is not None:
                        out[key] = sub(raw)
                    elif not isinstance(raw, check) or (raw.__class__ is bool and check is not bool):
                        raise invalid(raw, key, check)
                    else:
                        out[key] = raw
                return out
            return read_structure
        if t == "list":
            sub = self._reader(shape.member)
            name = shape.name

            def read_list(value):
                if value.__class__ is not list:
                    raise bad_request(f"Expected a list for {name}")
                return [None if v is None else sub(v) for v in value]
            return read_list
        if t == "map":
            sub = self._reader(shape.value)
            name = shape.name

            def read_map(value):
                if value.__class__ is not dict:
                    raise bad_request(f"Expected a map for {name}")
                return {k: None if v is None else sub(v) for k, v in value.items()}
            return read_map
        if t == "timestamp":
            return parse_timestamp
        if t == "blob":
            return b64decode
        if t in ("float", "double"):
            return _float_in
        return _same

    def _build_writer(self, shape):
        t = shape.type_name
        if t == "structure":
            if shape.is_document_type:
                return _same
            # Walked by the value's own keys: a value sets few of its shape's
            # members (a DynamoDB AttributeValue one of ten).
            plan = {key: (wire, None if m.type_name in _SCALAR_CHECKS else self._writer(m))
                    for key, wire, m in self._members(shape)}
            find = plan.get

            def write_structure(value):
                if value.__class__ is Fragment:
                    return value
                out = {}
                for key, v in value.items():
                    hit = find(key)
                    if hit is not None and v is not None:
                        wire, sub = hit
                        out[wire] = v if sub is None else sub(v)
                return out
            return write_structure
        if t == "list":
            sub = self._writer(shape.member)
            if shape.member.type_name in _SCALAR_CHECKS:
                return _list
            return lambda value: value if value.__class__ is Fragment else [sub(v) for v in value]
        if t == "map":
            sub = self._writer(shape.value)
            if shape.value.type_name in _SCALAR_CHECKS:
                return _dict
            return lambda value: value if value.__class__ is Fragment else {k: sub(v) for k, v in value.items()}
        if t == "timestamp":
            fmt = timestamp_format(shape, "unixtimestamp")
            return lambda value: format_timestamp(value, fmt)
        if t == "blob":
            return b64encode
        if t in ("float", "double"):
            return _float_out
        return _same


def _same(value):
    return value


def _list(value):
    return value if value.__class__ is Fragment else list(value)


def _dict(value):
    return value if value.__class__ is Fragment else dict(value)


class _LostInteger(ServiceError):
    """An integer member read as a float (see ``loads``): the error the body
    gets unless it is read again with the stdlib's exact integers."""

    def __init__(self, message: str):
        super().__init__("SerializationException", message, status=400)


# Scalars JSON carries as they are, with the Python types a request may hold for them.
_SCALAR_CHECKS = {"string": str, "integer": int, "long": int, "boolean": bool}


# Already-serialized JSON a provider hands over (DynamoDB's stored items), emitted as it is.
Fragment = orjson.Fragment

# orjson does the work; what it refuses (integers beyond 64 bits, NaN literals,
# lone surrogates, types it would serialize where the stdlib does not) goes the
# stdlib's way, so a body reads and writes as it always did.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# Made once: json.dumps/loads with options build a new encoder per call.
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_DECODE = json.JSONDecoder().decode


def dumps(obj) -> bytes:
    try:
        return orjson.dumps(obj, option=_ORJSON_OPTIONS)
    except TypeError:
        return _ENCODE(obj).encode("utf-8")


def loads(body: bytes):
    if not body or not body.strip():
        return {}
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return loads_exact(body)


def loads_exact(body: bytes):
    """The stdlib's reading: integers of any size, NaN and Infinity, lone surrogates."""
    try:
        return _DECODE(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Start of structure or map found where not expected.") from None


def error_body(service, error, write=None) -> tuple[dict, list[tuple[str, str]]]:
    """The JSON error document and extra headers shared by json, rest-json and cbor.

    For services marked awsQueryCompatible the error's code is the query
    protocol's code; it travels in ``x-amzn-query-error`` while ``__type``
    names the JSON error shape.
    """
    headers = []
    type_name = error.code
    shape = modeled_error(service, error.code)
    if service is not None and service.metadata.get("awsQueryCompatible") is not None:
        kind = "Sender" if error.sender_fault else "Receiver"
        headers.append(("x-amzn-query-error", f"{error.code};{kind}"))
        if shape is None:
            shape = _shape_by_query_code(service, error.code)
        if shape is not None:
            type_name = shape.name
    doc = {"__type": type_name, "message": error.message}
    if shape is not None and error.fields:
        fields = {k: v for k, v in error.fields.items() if k not in ("Code", "Message", "message")}
        doc.update((write or JsonCodec().write)(shape, fields))
    return doc, headers


def _shape_by_query_code(service, code: str):
    """SQS's JSON model names its errors without their query codes
    (``QueueDoesNotExist`` is ``AWS.SimpleQueueService.NonExistentQueue``):
    find the shape through the service's query model, where they live."""
    try:
        query_model = models.load_service(service.service_name, "query")
    except KeyError:
        return None
    found = modeled_error(query_model, code)
    if found is None:
        return None
    return next((s for s in service.error_shapes if s.name == found.name), None)


_CONTENT_TYPES = {"1.0": "application/x-amz-json-1.0", "1.1": "application/x-amz-json-1.1"}
_ANSWER_KINDS: dict[int, tuple] = {}


def _answer_kind(metadata: dict) -> tuple[str, bool]:
    """(Content-Type, whether a CRC32 header goes along) of a service's answers,
    found once per service model's metadata."""
    if not metadata:  # an error without a service: nothing kept for it
        return _CONTENT_TYPES["1.0"], False
    hit = _ANSWER_KINDS.get(id(metadata))
    if hit is None or hit[0] is not metadata:
        content_type = (_CONTENT_TYPES.get(metadata.get("jsonVersion", "1.0"))
                        or f"application/x-amz-json-{metadata.get('jsonVersion')}")
        hit = _ANSWER_KINDS[id(metadata)] = (metadata, (content_type,
                                                        metadata.get("endpointPrefix") in _CRC32_SERVICES))
    return hit[1]


class JsonProtocol(Protocol):
    name = "json"
    codec = JsonCodec()

    def parse(self, request, operation, uri_params=None) -> dict:
        shape = operation.input_shape
        if shape is None:
            return {}
        try:
            return self.codec.read(shape, loads(request.body)) or {}
        except _LostInteger:
            return self.codec.read(shape, loads_exact(request.body)) or {}

    def _headers(self, metadata: dict, request_id: str, body: bytes) -> list[tuple[str, str]]:
        content_type, crc = _answer_kind(metadata)
        if crc:
            return [("Content-Type", content_type), ("x-amzn-RequestId", request_id),
                    ("x-amz-crc32", str(zlib.crc32(body)))]
        return [("Content-Type", content_type), ("x-amzn-RequestId", request_id)]

    def serialize(self, operation, output, request_id) -> HttpResponse:
        if operation.has_event_stream_output:
            return self._event_stream(operation, output or {}, request_id)
        if not output:
            body = b"{}"  # (what the codec and dumps make of an empty answer: a write's, mostly)
        else:
            shape = operation.output_shape
            body = dumps(self.codec.write(shape, output) if shape is not None else {})
        return HttpResponse(200, self._headers(operation.metadata, request_id, body), body)

    def _event_stream(self, operation, output, request_id) -> HttpResponse:
        """An event-stream output (Kinesis SubscribeToShard): an ``initial-response``
        event with the other output members, then the provider's events, framed."""
        shape = operation.output_shape
        name = next(k for k, m in shape.members.items() if m.serialization.get("eventstream"))
        content_type = _CONTENT_TYPES.get(operation.metadata.get("jsonVersion", "1.0"), "application/json")
        initial = eventstream.encode_message(
            {":message-type": "event", ":event-type": "initial-response", ":content-type": content_type},
            dumps(self.codec.write(shape, {k: v for k, v in output.items() if k != name})))

        async def stream():
            yield initial
            if output.get(name) is not None:
                async for frame in eventstream.frames(shape.members[name], output[name],
                                                      lambda s, v: dumps(self.codec.write(s, v)), content_type):
                    yield frame

        return HttpResponse(200, [("Content-Type", "application/vnd.amazon.eventstream"),
                                  ("x-amzn-RequestId", request_id)], b"", stream())

    def serialize_error(self, service, operation, error, request_id) -> HttpResponse:
        doc, headers = error_body(service, error)
        metadata = service.metadata if service is not None else {}
        if metadata.get("endpointPrefix") == "dynamodb":
            doc["__type"] = _dynamodb_type(doc["__type"])
        body = dumps(doc)
        return HttpResponse(error.status, self._headers(metadata, request_id, body) + headers + error.headers, body)
