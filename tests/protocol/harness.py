"""The botocore half of the round trips, and the comparison.

Request:  drawn input --botocore serializer + request preparation--> wire
          --nubis parse--> params; compare with the drawn input.
Response: drawn output --nubis serialize--> wire --botocore parser--> dict;
          compare with the drawn output.
Error:    drawn error members --nubis serialize_error--> wire --botocore
          parser (+ the client's modeled-error step)--> Error/Code/Message/
          status and the modeled members.

``canon`` maps a value to what the wire can carry, so that both sides can be
compared with strict equality (types included: ``True`` is not ``1``). Each
normalization is there because the protocol (or botocore, the reference
client) cannot express a distinction, and says so beside it.
"""
from __future__ import annotations

import datetime as _dt
import functools
import io
import struct
import urllib.parse

import botocore.awsrequest
import botocore.parsers
import botocore.serialize
import botocore.session
from botocore.response import StreamingBody
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from urllib3._collections import HTTPHeaderDict  # what botocore's endpoint hands its parsers

from nubis.protocol import protocol_for
from nubis.protocol.errors import ServiceError
from nubis.protocol.models import load_service
from nubis.protocol.wire import Headers, HttpRequest

from . import strategies as S

ENDPOINT = "https://nubis.test"
UTC = _dt.timezone.utc
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=UTC)


class Skip(Exception):
    """This direction of this operation is outside what the harness checks."""


# -- models -------------------------------------------------------------------

def service_model(service: str, protocol: str):
    return load_service(service, protocol)


def serializable_protocols(service: str) -> list[str]:
    """The protocols of ``service`` that botocore can serialize, and the legacy
    ones nubis keeps (SQS query)."""
    from nubis.protocol.models import service_protocols

    return [p for p in service_protocols(service) if p in botocore.serialize.SERIALIZERS]


@functools.lru_cache(maxsize=None)
def _emitter():
    return botocore.session.get_session().get_component("event_emitter")


@functools.lru_cache(maxsize=None)
def serializer(service: str, protocol: str):
    """botocore's serializer for this service, configured as a client would
    configure it (the ``creating-serializer`` event sets the timestamp
    precision of some services)."""
    model = service_model(service, protocol)
    kwargs = {"timestamp_precision": botocore.serialize.TIMESTAMP_PRECISION_DEFAULT}
    _emitter().emit(f"creating-serializer.{model.endpoint_prefix}", protocol_name=protocol,
                    service_model=model, serializer_kwargs=kwargs)
    return (botocore.serialize.create_serializer(protocol, include_validation=False,
                                                  timestamp_precision=kwargs["timestamp_precision"]),
            kwargs["timestamp_precision"])


@functools.lru_cache(maxsize=None)
def parser(protocol: str):
    return botocore.parsers.create_parser(protocol)


# -- the wire, as botocore builds and reads it ---------------------------------

def build_request(service: str, protocol: str, operation, params: dict) -> HttpRequest:
    """What a botocore client would put on the wire for ``params``."""
    ser, _ = serializer(service, protocol)
    request_dict = ser.serialize_to_request(params, operation)
    botocore.awsrequest.prepare_request_dict(request_dict, endpoint_url=ENDPOINT)
    prepared = botocore.awsrequest.create_request_object(request_dict).prepare()
    url = urllib.parse.urlsplit(prepared.url)
    body = prepared.body
    if body is None:
        body = b""
    elif hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode("utf-8")
    # The HTTP client adds Host (with any host prefix botocore put in the URL).
    headers = [("Host", url.netloc)]
    for k, v in prepared.headers.items():
        headers.append((k, v.decode("latin-1") if isinstance(v, bytes) else v))
    return HttpRequest(prepared.method, path=url.path, query_string=url.query,
                       headers=Headers(headers), body=bytes(body), host=url.netloc)


def response_dict(resp, operation=None, streaming: bool = False) -> dict:
    """The dict botocore's endpoint hands its parser (see
    ``botocore.endpoint.convert_to_response_dict``)."""
    if resp.stream is not None and not resp.body:
        raise AssertionError("response body is a stream; the harness passes bytes and expects bytes")
    headers = HTTPHeaderDict()
    for k, v in resp.headers:
        headers.add(k, v)  # repeated fields join with ", " as urllib3 reads them
    body = resp.body
    if streaming and resp.status < 300:
        return {"status_code": resp.status, "headers": headers,
                "body": StreamingBody(io.BytesIO(body), len(body)), "context": {}}
    return {"status_code": resp.status, "headers": headers, "body": body, "context": {}}


def botocore_parse(protocol: str, operation, resp) -> dict:
    streaming = operation.has_streaming_output
    rd = response_dict(resp, operation, streaming)
    parsed = parser(protocol).parse(rd, operation.output_shape)
    if operation.name == "GetBucketLocation" and operation.service_model.endpoint_prefix == "s3":
        # botocore clients read the region from the root's text, in a handler
        # (botocore.handlers.parse_get_bucket_location) the bare parser skips.
        import types

        import botocore.handlers
        botocore.handlers.parse_get_bucket_location(parsed, types.SimpleNamespace(raw=True, content=rd["body"]))
    if streaming:
        pname, _ = S.payload_member(operation.output_shape)
        body = parsed.get(pname)
        if isinstance(body, StreamingBody):
            parsed[pname] = body.read()
    parsed.pop("ResponseMetadata", None)
    return parsed


# -- canonical forms -------------------------------------------------------------

class _Absent:
    def __repr__(self):
        return "<absent>"


ABSENT = _Absent()


class Canon:
    """Canonical values for one protocol and direction (see module doc)."""

    def __init__(self, protocol: str, direction: str, precision: str = "default"):
        self.protocol = protocol
        self.direction = direction
        self.precision = precision
        self.rest = protocol in S.REST_PROTOCOLS

    # top-level shapes: members bound to HTTP locations
    def top(self, shape, value: dict | None, operation=None) -> dict:
        if shape is None:
            return {}
        value = dict(value or {})
        if self.direction == "response" and self.rest and operation is not None:
            for name, member in shape.members.items():
                if member.serialization.get("location") == "statusCode" and value.get(name) is None:
                    # The status line is always on the wire: a response that
                    # does not set the member has the operation's status.
                    value[name] = operation.http.get("responseCode", 200)
        pname, _ = S.payload_member(shape)
        greedy, _ = S._uri_parts(operation)
        out = {}
        for name, member in shape.members.items():
            if S._is_eventstream(member):
                continue
            loc = S._top_location(member, name, self.protocol, self.direction, greedy)
            if loc == "greedy":
                loc = "uri"
            if loc == "hostLabel" and self.rest:
                loc = member.serialization.get("location")
            v = value.get(name)
            if name == pname and self.rest:
                v = self._payload(member, v)
            else:
                v = self.value(member, v, loc)
            if v is not ABSENT:
                out[name] = v
        return out

    def _payload(self, member, v):
        if member.type_name in ("blob", "string"):
            # An HTTP message without a body and one with an empty body are
            # the same message: an empty blob/string payload is no payload.
            if v is None or len(v) == 0:
                return ABSENT
            return self.value(member, v, "payload")
        v = self.value(member, v, "payload")
        # botocore sends "{}" (rest-json) for an absent structure payload and
        # an empty element (rest-xml) for an empty one; a parser sees "{}" and
        # "no body" alike: an empty structure payload is no payload.
        if v == {}:
            return ABSENT
        return v

    def value(self, shape, v, loc=None):
        if v is None:
            return ABSENT
        t = shape.type_name
        if t == "structure":
            if shape.is_document_type:
                return v
            return self._structure(shape, v, loc)
        if t == "list":
            return self._list(shape, v, loc)
        if t == "map":
            return self._map(shape, v, loc)
        if t == "timestamp":
            return self._timestamp(shape, v, loc)
        if t in ("float", "double"):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                v = float(v)  # JSON and CBOR may carry 2.0 as the integer 2
                if t == "float" and self.protocol == "smithy-rpc-v2-cbor":
                    # A "float" is single precision and botocore's CBOR
                    # serializer writes it as a 32-bit float.
                    v = struct.unpack(">f", struct.pack(">f", v))[0]
                return round(v, 9)
            return v
        if t == "blob":
            if isinstance(v, (bytearray, memoryview)):
                return bytes(v)
            return v
        if t == "string":
            if isinstance(v, str) and self.protocol == "rest-xml" and self.direction == "request" \
                    and loc in (None, "payload"):
                # botocore writes a CR in XML text as is, and XML 1.0 (2.11)
                # reads CR and CRLF as LF.
                return v.replace("\r\n", "\n").replace("\r", "\n")
            return v
        return v

    def _structure(self, shape, v, loc):
        if not isinstance(v, dict):
            return v
        out = {}
        for name, member in shape.members.items():
            c = self.value(member, v.get(name))
            if c is not ABSENT:
                out[name] = c
        extra = set(v) - set(shape.members)
        for name in extra:
            out[name] = ("<not a member>", v[name])
        if not out and self.direction == "request" and self.protocol in ("query", "ec2"):
            # The query serializer writes a structure as its members' keys:
            # with none there is nothing on the wire.
            return ABSENT
        return out

    def _list(self, shape, v, loc):
        if not isinstance(v, list):
            return v
        item_loc = {"header": "header-item", "querystring": "querystring"}.get(loc)
        items = [self.value(shape.member, x, item_loc) for x in v]
        if self.direction == "request" and self.protocol in ("query", "ec2"):
            # An item with nothing on the wire (an empty structure) leaves no
            # key, and the indexes of the rest carry on: the item disappears.
            kept = [x for x in items if x is not ABSENT]
            if items and not kept:
                return ABSENT
            items = kept
        if not items:
            if loc in ("header", "querystring"):
                # botocore sends no header for an empty list and a query string
                # list of no items is no query parameter.
                return ABSENT
            if self.direction == "request" and self.protocol == "ec2":
                # The EC2 serializer writes nothing for an empty list.
                return ABSENT
            if self.protocol in S.XML_PROTOCOLS and shape.serialization.get("flattened") \
                    and not (self.direction == "request" and self.protocol == "query"):
                # A flattened XML list has no wrapper element: empty is absent.
                # (The query serializer sends "Name=" for an empty list, flattened or not.)
                return ABSENT
        return items

    def _map(self, shape, v, loc):
        if not isinstance(v, dict):
            return v
        out = {}
        for k, x in v.items():
            if loc == "headers" and isinstance(k, str):
                # HTTP field names are case-insensitive.
                k = k.lower()
                if not shape.serialization.get("name") and k in S._FRAMING_HEADERS:
                    # An unprefixed header map (dataexchange SendApiAsset)
                    # takes in every header, the protocol's own included.
                    continue
            out[k] = self.value(shape.value, x, "querystring" if loc == "querystring" else None)
        if not out:
            if loc in ("headers", "querystring"):
                # An empty header/query map is no header/parameter at all.
                return ABSENT
            if self.direction == "request" and self.protocol in ("query", "ec2"):
                # The query serializer writes a map as its entries' keys.
                return ABSENT
            if self.protocol in S.XML_PROTOCOLS and shape.serialization.get("flattened"):
                # A flattened XML map has no wrapper element.
                return ABSENT
        return out

    def _ts_format(self, shape, loc) -> str:
        fmt = shape.serialization.get("timestampFormat")
        if self.protocol == "smithy-rpc-v2-cbor":
            return "unixtimestamp"  # CBOR timestamps are tag 1 epoch seconds
        if fmt:
            return fmt.lower()
        if loc in ("header", "header-item"):
            return "rfc822"
        if loc in ("querystring", "uri"):
            return "iso8601"
        if self.protocol in ("json", "rest-json"):
            return "unixtimestamp"
        return "iso8601"

    def _timestamp(self, shape, v, loc):
        if not isinstance(v, _dt.datetime):
            return ("<not a datetime>", v)
        if v.tzinfo is None:
            return ("<naive datetime>", v)
        ms = (v - _EPOCH) // _dt.timedelta(milliseconds=1)
        fmt = self._ts_format(shape, loc)
        seconds_only = fmt == "rfc822"  # RFC 822 dates carry whole seconds
        if self.direction == "request" and fmt == "unixtimestamp" and self.precision != "millisecond":
            # botocore's default precision sends whole epoch seconds.
            seconds_only = True
        if self.direction == "request" and loc in ("header", "header-item"):
            # botocore turns a header timestamp into whole epoch seconds
            # before formatting it (BaseRestSerializer._convert_header_value).
            seconds_only = True
        if seconds_only:
            ms = ms // 1000 * 1000
        return ("ts", ms)


# -- comparison ---------------------------------------------------------------------

def first_difference(a, b, path="") -> str | None:
    """Strict deep comparison; the path and the two sides of the first difference."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k not in b:
                return f"{path}.{k}: missing in nubis (expected {_short(a[k])})"
            if k not in a:
                return f"{path}.{k}: unexpected {_short(b[k])}"
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and type(a) is type(b):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}: expected {_short(a)}, got {_short(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if type(a) is not type(b) or a != b:
        return f"{path}: expected {_short(a)}, got {_short(b)}"
    return None


def _short(v, n: int = 160) -> str:
    r = repr(v)
    return r if len(r) <= n else r[: n - 3] + "..."


def assert_same(expected, actual, what: str) -> None:
    d = first_difference(expected, actual)
    if d:
        raise AssertionError(f"{what}: {d or '(root)'}")


# -- the three round trips ------------------------------------------------------------

_FRAMING = ("content-type", "content-length")


def with_framing_headers(shape, value: dict, header) -> dict:
    """``value`` with its Content-Type/Content-Length members, when it leaves
    them unset, taken from the wire: the sender frames a message with a body
    by these headers itself (botocore's rest serializers set Content-Type,
    its HTTP layer Content-Length; a service labels its body), and a member
    bound to them reads what was sent. When the value sets them, the wire
    must carry exactly that."""
    if shape is None or value is None:
        return value
    value = dict(value)
    for name, member in shape.members.items():
        wire = member.serialization.get("name", name).lower()
        if member.serialization.get("location") == "header" and wire in _FRAMING and value.get(name) is None:
            text = header(wire)
            if text is not None:
                value[name] = int(text) if member.type_name in ("integer", "long") else text
    return value


def check_request(service: str, protocol: str, operation, params: dict) -> None:
    if operation.has_event_stream_input:
        raise Skip("event-stream input: botocore does not serialize it over HTTP/1.1")
    request = build_request(service, protocol, operation, params)
    params = with_framing_headers(operation.input_shape, params, request.headers.get)
    got = protocol_for(protocol).parse(request, operation)
    _, precision = serializer(service, protocol)
    canon = Canon(protocol, "request", precision)
    shape = operation.input_shape
    expected = canon.top(shape, params, operation)
    actual = canon.top(shape, got, operation)
    extra = set(got or {}) - set(shape.members if shape is not None else ())
    if extra:
        actual.update({k: ("<not a member>", got[k]) for k in extra})
    assert_same(expected, actual, "request")


def check_response(service: str, protocol: str, operation, output: dict) -> None:
    if operation.has_event_stream_output:
        raise Skip("event-stream output")
    resp = protocol_for(protocol).serialize(operation, output, "req-1")
    output = with_framing_headers(operation.output_shape, output, resp.header)
    if resp.status >= 300:
        raise AssertionError(f"response: status {resp.status} for a successful response")
    parsed = botocore_parse(protocol, operation, resp)
    canon = Canon(protocol, "response")
    shape = operation.output_shape
    assert_same(canon.top(shape, output, operation), canon.top(shape, parsed, operation), "response")


def message_member(shape) -> str | None:
    for name in shape.members:
        if name.lower() == "message":
            return name
    return None


def error_code(shape) -> str:
    return shape.metadata.get("error", {}).get("code") or shape.name


def error_status(shape) -> int:
    return shape.metadata.get("error", {}).get("httpStatusCode", 400)


def split_error_members(shape, members: dict) -> tuple[str, dict]:
    """The message and the other members of a drawn error shape value."""
    mname = message_member(shape)
    message = members.get(mname, "") if mname else ""
    fields = {k: v for k, v in members.items() if k != mname and k.lower() != "code"}
    return message, fields


def check_error(service: str, protocol: str, operation, shape, members: dict, message: str) -> None:
    model = operation.service_model
    code = error_code(shape)
    status = error_status(shape)
    _, fields = split_error_members(shape, members)
    sender = shape.metadata.get("error", {}).get("senderFault", status < 500)
    # ``fields=``: a member may be named like a ServiceError parameter
    # (cloudsearchdomain's DocumentServiceException has ``status``).
    err = ServiceError(code, message, status=status, sender_fault=sender, fields=fields)
    resp = protocol_for(protocol).serialize_error(model, operation, err, "req-1")
    rd = response_dict(resp)
    p = parser(protocol)
    parsed = p.parse(rd, operation.output_shape)
    assert resp.status == status, f"error: HTTP status {resp.status} != {status}"
    error = parsed.get("Error", {})
    assert error.get("Code") == code, f"error: Error.Code {error.get('Code')!r} != {code!r}"
    assert error.get("Message") == message, f"error: Error.Message {error.get('Message')!r} != {message!r}"
    if model.metadata.get("awsQueryCompatible") is not None and protocol in ("json", "smithy-rpc-v2-cbor"):
        # botocore takes the code from x-amzn-query-error and keeps the
        # JSON error type and the fault kind beside it.
        # Where several shapes share the code (CloudWatch's ResourceNotFound and
        # DashboardNotFoundError), the code does not say which was meant.
        names = {s.name for s in model.error_shapes if error_code(s) == code}
        assert error.get("QueryErrorCode") in names, \
            f"error: QueryErrorCode {error.get('QueryErrorCode')!r} not in {sorted(names)!r}"
        assert error.get("Type") == ("Sender" if sender else "Receiver"), f"error: Type {error.get('Type')!r}"
    # The client's modeled-error step (botocore.endpoint._add_modeled_error_fields).
    found = model.shape_for_error_code(error.get("Code"))
    assert found is not None, f"error: botocore finds no modeled error for code {error.get('Code')!r}"
    if found.name != shape.name:
        # Two error shapes of the model share this code (CloudWatch's
        # DashboardNotFoundError and ResourceNotFound): the code cannot say
        # which one was meant, and the client picks one.
        assert error_code(found) == code, f"error: botocore resolves {code!r} to {found.name!r}"
        return
    modeled = p.parse(rd, found)
    canon = Canon(protocol, "response")
    expected = canon.top(shape, fields)
    actual = canon.top(shape, {k: v for k, v in modeled.items() if k in fields})
    assert_same(expected, actual, "error members")


# -- running one case under hypothesis -----------------------------------------------


KINDS = ("request", "response", "error")


def message_text():
    """An error message a service can send in any of its protocols."""
    # Non-empty: an XML protocol cannot tell an empty <Message/> from a missing
    # one (botocore reads both as None).
    return st.text(S._XML_TEXT, min_size=1, max_size=20)


def cases(service: str, protocol: str):
    """(kind, name) for every operation (request, response) and every modeled
    error shape (error; checked through the first operation that lists it)."""
    model = service_model(service, protocol)
    out, errors = [], {}
    for name in model.operation_names:
        op = model.operation_model(name)
        if not op.has_event_stream_input:
            out.append(("request", name))
        if not op.has_event_stream_output:
            out.append(("response", name))
        for shape in op.error_shapes:
            errors.setdefault(shape.name, name)
    out += [("error", f"{shape}@{op}") for shape, op in errors.items()]
    return out


def case_strategy_and_check(kind: str, service: str, protocol: str, name: str):
    model = service_model(service, protocol)
    if kind == "error":
        shape_name, op_name = name.split("@")
        op = model.operation_model(op_name)
        shape = model.shape_for(shape_name)
        strat = st.tuples(S.top_level(shape, protocol, "response"), message_text())
        return strat, lambda v: check_error(service, protocol, op, shape, v[0], v[1])
    op = model.operation_model(name)
    if kind == "request":
        return (S.top_level(op.input_shape, protocol, "request", op),
                lambda v: check_request(service, protocol, op, v))
    return (S.top_level(op.output_shape, protocol, "response", op),
            lambda v: check_response(service, protocol, op, v))


def run_case(kind: str, service: str, protocol: str, name: str, max_examples: int = 5,
             derandomize: bool = True, shrink: bool = True) -> None:
    """Run one case; raises the (shrunk) failure, with the falsifying example
    attached as a note by hypothesis."""
    strat, check = case_strategy_and_check(kind, service, protocol, name)
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])

    @settings(max_examples=max_examples, derandomize=derandomize, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=phases, report_multiple_bugs=False,
              print_blob=False)
    @given(strat)
    def roundtrip(value):
        check(value)

    roundtrip()


def sweep_targets() -> list[tuple[str, str]]:
    """(service, protocol) for every service in botocore's data and every
    protocol it lists that botocore can serialize (plus nubis's legacy ones)."""
    from nubis.protocol.models import service_index

    return [(s, p) for s, entry in sorted(service_index().items())
            for p in entry["protocols"] if p in botocore.serialize.SERIALIZERS]


def describe(exc: BaseException, notes: bool = True) -> str:
    """The first line of a failure, and hypothesis's falsifying example."""
    text = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    if notes:
        for note in getattr(exc, "__notes__", ()):
            if note.startswith("Falsifying example"):
                text += " | " + " ".join(note.split())[:400]
    return text
