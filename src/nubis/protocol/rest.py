"""The REST protocols: members bound to the URI, query string, headers and
status code, and a body that is JSON (rest-json) or XML (rest-xml)."""
from __future__ import annotations

import abc
import functools
import re
from urllib.parse import unquote

from . import eventstream
from . import json as _json
from .base import Protocol, header_text, modeled_error, parse_header, parse_scalar, rfc822, timestamp_format
from .wire import Headers, HttpResponse
from .xml import XmlReader, XmlWriter, escape, parse_document

_LABEL = re.compile(r"\{([^}]+)\}")


class UriTemplate:
    """A model's ``requestUri``: the path with labels, and the literal query
    parameters (``?uploads``, ``?list-type=2``) that tell operations apart."""

    def __init__(self, uri: str):
        path, _, query = uri.partition("?")
        self.path = path
        self.literal_query: list[tuple[str, str]] = []
        for part in filter(None, query.split("&")):
            k, _, v = part.partition("=")
            self.literal_query.append((k, v))
        self.labels: list[str] = []
        pattern, pos = [], 0
        for m in _LABEL.finditer(path):
            pattern.append(re.escape(path[pos:m.start()]))
            name = m.group(1)
            greedy = name.endswith("+")
            self.labels.append(name.rstrip("+"))
            pattern.append(f"(?P<g{len(self.labels) - 1}>{'.+' if greedy else '[^/]+'})")
            pos = m.end()
        pattern.append(re.escape(path[pos:]))
        tail = "" if path.endswith("/") else "/?"
        self.regex = re.compile("^" + "".join(pattern) + tail + "$")
        # How specific the template is: literal characters, then query keys.
        self.score = (len(_LABEL.sub("", path)), len(self.literal_query), -len(self.labels))
        # A path of labels and slashes only (S3's /{Bucket}/{Key+}).
        self.labels_only = set(_LABEL.sub("", path)) <= {"/"}

    def match(self, raw_path: str, query: dict[str, str] | None = None) -> dict | None:
        """The URI labels if ``raw_path`` (and the literal query, when
        ``query`` is given) fit this template, else None."""
        if query is not None:
            # The literal query first: a few dict lookups rule out most
            # templates before any regular expression runs.
            for k, v in self.literal_query:
                if k not in query:
                    # ``x-id`` is a hint some SDKs add; others leave it out.
                    if k == "x-id":
                        continue
                    return None
                if v and query[k] != v:
                    return None
        m = self.regex.match(raw_path)
        if m is None:
            return None
        # (the groups are the labels, in order)
        if "%" in raw_path:
            return {name: unquote(v) for name, v in zip(self.labels, m.groups())}
        return dict(zip(self.labels, m.groups()))


@functools.lru_cache(maxsize=None)
def uri_template(operation) -> UriTemplate:
    return UriTemplate(operation.http.get("requestUri", "/"))


@functools.lru_cache(maxsize=None)
def _host_pattern(operation):
    prefix = (operation.endpoint or {}).get("hostPrefix")
    if not prefix or "{" not in prefix:
        return None
    names = _LABEL.findall(prefix)
    rx = re.escape(prefix)
    for n in names:
        rx = rx.replace(re.escape("{" + n + "}"), f"(?P<{n}>[A-Za-z0-9-]+)")
    return re.compile("^" + rx), names


def host_labels(request, operation) -> dict:
    """Members the SDK put in the host name (``{AccountId}.s3-control...``)."""
    pat = _host_pattern(operation)
    if pat is None:
        return {}
    m = pat[0].match(request.headers.get("host", ""))
    return m.groupdict() if m else {}


def _header_writer(member):
    """The text of a header member's value: strings and integers (most of
    them) without the type dispatch of ``header_text``; None for strings,
    which go as they are."""
    if member.type_name == "string" and not member.serialization.get("jsonvalue"):
        return None
    if member.type_name in ("integer", "long"):
        return str
    if member.type_name == "timestamp" and timestamp_format(member, "rfc822") == "rfc822":
        return rfc822  # (Last-Modified, Expires, ...)
    return functools.partial(header_text, member)


def _header_reader(member):
    """How a header (or URI label) member's value is read from its text: None
    for strings (most of them), which are taken as they come."""
    if member.type_name == "string" and not member.serialization.get("jsonvalue"):
        return None
    return functools.partial(parse_header, member)


def undecoded(headers) -> dict[bytes, bytes] | None:
    """A request's headers still as ASGI gave them (lower-cased bytes), when
    nothing has decoded them all yet, else None: a reader that needs a few of
    a dozen headers decodes only those (decoding every one costs more than
    the rest of routing a request)."""
    return headers._raw if headers.__class__ is Headers and headers._map is None else None


class _InputPlan:
    """An input shape's members by where they travel: path labels, query
    names, header names (lower-cased, with their readers), header prefixes,
    host labels."""

    def __init__(self, shape):
        self.uri: list[tuple] = []
        self.query: dict[str, tuple] = {}
        self.query_map: tuple | None = None
        self.headers: dict[str, tuple] = {}
        self.prefixed: list[tuple[str, str]] = []
        self.host_labels: list[str] = []
        for key, member in shape.members.items():
            loc = member.serialization.get("location")
            name = member.serialization.get("name", key)
            if loc == "uri":
                self.uri.append((key, name, None if member.type_name == "string" else
                                 functools.partial(parse_scalar, member)))
            elif loc == "querystring":
                if member.type_name == "map":
                    self.query_map = (key, member)
                else:
                    self.query[name] = (key, member, member.type_name == "list")
            elif loc == "header":
                self.headers[name.lower()] = (key, _header_reader(member), member.type_name == "list")
            elif loc == "headers":
                self.prefixed.append((key, name.lower()))
            elif member.serialization.get("hostLabel"):
                self.host_labels.append(key)
        # The same by the names' bytes, for headers not decoded yet.
        self.raw_headers = {k.encode("latin-1"): v for k, v in self.headers.items()}
        self.raw_prefixed = [(key, prefix.encode("latin-1")) for key, prefix in self.prefixed]


class RestProtocol(Protocol):
    content_type = ""

    # -- requests -------------------------------------------------------------

    def _plan(self, shape) -> "_InputPlan":
        """Where each input member of ``shape`` comes from, found once per shape."""
        plans = self.__dict__.setdefault("_plans", {})
        hit = plans.get(id(shape))
        if hit is None or hit[0] is not shape:
            hit = plans[id(shape)] = (shape, _InputPlan(shape))
        return hit[1]

    def parse(self, request, operation, uri_params=None) -> dict:
        shape = operation.input_shape
        if shape is None:
            return {}
        if uri_params is None:
            uri_params = uri_template(operation).match(request.path) or {}
        plan = self._plan(shape)
        params: dict = {}
        for key, name, read in plan.uri:
            if name in uri_params:
                params[key] = uri_params[name] if read is None else read(uri_params[name])
        query = request.query
        if query:
            by_name = plan.query
            found_map: dict = {}
            claimed = {k for k, _ in uri_template(operation).literal_query} if plan.query_map else ()
            for k, v in query:
                hit = by_name.get(k)
                if hit is None:
                    if plan.query_map is not None and k not in claimed:
                        if plan.query_map[1].value.type_name == "list":
                            found_map.setdefault(k, []).append(v)
                        else:
                            found_map[k] = v
                    continue
                key, member, is_list = hit
                if is_list:
                    params.setdefault(key, []).append(parse_scalar(member.member, v))
                elif key not in params:
                    params[key] = parse_scalar(member, v)
            if found_map:
                params[plan.query_map[0]] = found_map
        raw = undecoded(request.headers)
        if raw is not None:  # only the members' headers are decoded
            by_header, prefixed = plan.raw_headers, plan.raw_prefixed
            for name, value in raw.items():
                hit = by_header.get(name)
                if hit is not None:
                    key, read, is_list = hit
                    text = value.decode("latin-1")
                    if read is None:
                        params[key] = text
                    elif not (is_list and text == ""):
                        params[key] = read(text)
                if prefixed:
                    for key, prefix in prefixed:
                        if name.startswith(prefix):
                            params.setdefault(key, {})[name[len(prefix):].decode("latin-1")] = value.decode("latin-1")
        else:
            by_header, prefixed = plan.headers, plan.prefixed
            for lname, text in request.headers.as_dict().items():
                hit = by_header.get(lname)
                if hit is not None:
                    key, read, is_list = hit
                    if read is None:
                        params[key] = text
                    elif not (is_list and text == ""):
                        params[key] = read(text)
                if prefixed:
                    for key, prefix in prefixed:
                        if lname.startswith(prefix):
                            params.setdefault(key, {})[lname[len(prefix):]] = text
        if plan.host_labels:
            hosted = host_labels(request, operation)
            for key in plan.host_labels:
                if key in hosted:
                    params[key] = hosted[key]
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]
            if member.type_name in ("blob", "string"):
                if request.stream is not None:
                    params[payload] = request.stream
                elif request.body or member.serialization.get("streaming") or member.type_name == "blob":
                    body = request.body
                    params[payload] = body if member.type_name == "blob" else body.decode("utf-8")
            elif request.body.strip():
                params[payload] = self.read_payload(member, request.body)
        elif request.body.strip():
            params.update(self.read_body(shape, request.body))
        return params

    @abc.abstractmethod
    def read_payload(self, shape, body: bytes):
        ...

    @abc.abstractmethod
    def read_body(self, shape, body: bytes) -> dict:
        ...

    # -- responses ------------------------------------------------------------

    def _output_plan(self, shape) -> dict:
        """``{member: (location, wire name, writer)}`` of an output shape's
        non-body members, made once: a response walks its own few keys, not the
        shape's members (GetObjectOutput has sixty). The location is ``"header"``,
        ``"list"`` (a list header, left out when empty), ``"statusCode"`` or ``"headers"``."""
        plans = self.__dict__.setdefault("_out_plans", {})
        hit = plans.get(id(shape))
        if hit is None or hit[0] is not shape:
            plan = {}
            for key, member in shape.members.items():
                loc = member.serialization.get("location")
                if loc in ("statusCode", "header", "headers"):
                    name = member.serialization.get("name", key if loc == "header" else "")
                    if loc == "header" and member.type_name == "list":
                        loc = "list"
                    plan[key] = (loc, name, _header_writer(member))
            hit = plans[id(shape)] = (shape, plan)
        return hit[1]

    def _body_members(self, shape) -> tuple:
        """The members of an output shape that travel in the body, found once."""
        cache = self.__dict__.setdefault("_body_member_names", {})
        hit = cache.get(id(shape))
        if hit is None or hit[0] is not shape:
            names = tuple(k for k, m in shape.members.items() if m.serialization.get("location") is None)
            hit = cache[id(shape)] = (shape, names)
        return hit[1]

    def serialize(self, operation, output, request_id) -> HttpResponse:
        output = output or {}
        shape = operation.output_shape
        status = operation.http.get("responseCode", 200)
        headers = self.id_headers(request_id)
        if shape is None:
            return HttpResponse(status, headers, b"")
        body = b""
        stream = None
        plan = self._output_plan(shape)
        for key, value in output.items():
            found = plan.get(key)
            if found is None or value is None:
                continue
            loc, name, write = found
            if loc == "header":
                if write is not None:
                    value = write(value)
                elif value.__class__ is not str:
                    value = str(value)
                headers.append((name, value))
            elif loc == "list":
                if value:
                    headers.append((name, write(value)))
            elif loc == "statusCode":
                status = int(value)
            else:
                headers.extend((name + k, str(v)) for k, v in value.items())
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]
            value = output.get(payload)
            if member.serialization.get("eventstream"):  # async iterator of event dicts
                if value is not None:
                    stream = eventstream.frames(member, value, lambda s, v: self.write_payload(operation, s, s.name, v))
                    if not any(k.lower() == "content-type" for k, _ in headers):
                        headers.append(("Content-Type", "application/vnd.amazon.eventstream"))
            elif member.type_name in ("blob", "string"):
                if isinstance(value, str):
                    body = value.encode("utf-8")
                elif isinstance(value, (bytes, bytearray, memoryview)):
                    body = bytes(value)
                elif value is not None:
                    stream = value
            elif value is not None:
                body = self.write_payload(operation, member, payload, value)
                self._content_type(headers)
        else:
            body = self.write_body(operation, shape, output)
            if body:
                self._content_type(headers)
        return HttpResponse(status, headers, body, stream)

    def _content_type(self, headers: list) -> None:
        # A modeled Content-Type member (S3, MediaStore) wins over ours.
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", self.content_type))

    def id_headers(self, request_id: str) -> list[tuple[str, str]]:
        return [("x-amzn-RequestId", request_id)]

    @abc.abstractmethod
    def write_payload(self, operation, shape, name: str, value) -> bytes:
        ...

    @abc.abstractmethod
    def write_body(self, operation, shape, output: dict) -> bytes:
        ...


class RestJsonProtocol(RestProtocol):
    name = "rest-json"
    content_type = "application/json"
    codec = _json.JsonCodec(body_only=True)
    payload_codec = _json.JsonCodec()

    def read_payload(self, shape, body):
        return self.payload_codec.read(shape, _json.loads(body))

    def read_body(self, shape, body):
        return self.codec.read(shape, _json.loads(body)) or {}

    def write_payload(self, operation, shape, name, value):
        return _json.dumps(self.payload_codec.write(shape, value))

    def write_body(self, operation, shape, output):
        return _json.dumps(self.codec.write(shape, output))

    def serialize_error(self, service, operation, error, request_id) -> HttpResponse:
        doc, headers = _json.error_body(service, error)
        doc.pop("__type")
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", error.code)] + headers
        return HttpResponse(error.status, self.id_headers(request_id) + headers + error.headers, _json.dumps(doc))


# The root elements S3 writes for outputs without a payload member (the API
# reference's Response Syntax). Smithy's models name them with @xmlName, but
# botocore's JSON drops that trait, leaving only the shape names
# (``GetBucketAclOutput``); S3 also writes them when they are empty.
_S3_ROOTS = {
    "ListBuckets": "ListAllMyBucketsResult",
    "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListObjectVersions": "ListVersionsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListParts": "ListPartsResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketAcl": "AccessControlPolicy",
    "GetObjectAcl": "AccessControlPolicy",
    "GetBucketTagging": "Tagging",
    "GetObjectTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketLogging": "BucketLoggingStatus",
    "GetBucketCors": "CORSConfiguration",
    "GetBucketLifecycle": "LifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
    "GetBucketWebsite": "WebsiteConfiguration",
    "GetBucketNotification": "NotificationConfiguration",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
    "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetBucketRequestPayment": "RequestPaymentConfiguration",
    "GetObjectAttributes": "GetObjectAttributesResponse",
    "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationResult",
    "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
    "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
    "ListBucketIntelligentTieringConfigurations": "ListBucketIntelligentTieringConfigurationsOutput",
    "CreateSession": "CreateSessionResult",
}


class RestXmlProtocol(RestProtocol):
    name = "rest-xml"
    content_type = "application/xml"
    writer = XmlWriter("iso8601")
    reader = XmlReader()

    def read_payload(self, shape, body):
        root = parse_document(body)
        return self.reader.value(shape, root)

    def read_body(self, shape, body):
        return self.reader.structure(shape, parse_document(body))

    def _is_s3(self, operation) -> bool:
        return operation.metadata.get("endpointPrefix") == "s3"

    def _root_ns(self, operation, shape) -> str:
        if shape.serialization.get("xmlNamespace"):
            return ""  # the writer adds the shape's own
        ns = operation.metadata.get("xmlNamespace")
        if not ns and self._is_s3(operation):
            ns = "http://s3.amazonaws.com/doc/2006-03-01/"
        return ns or ""

    def _document(self, operation, shape, name, value) -> bytes:
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
        if shape.type_name == "structure":
            ns = self._root_ns(operation, shape)
            attr = self.writer.attributes(shape, value)
            out.append(f'<{name}{f" xmlns={chr(34)}{ns}{chr(34)}" if ns else ""}{attr}>')
            self.writer.members(shape, value, out)
            out.append(f"</{name}>")
        else:
            self.writer.write(shape, value, name, out)
        return "".join(out).encode("utf-8")

    def write_payload(self, operation, shape, name, value):
        return self._document(operation, shape, shape.serialization.get("name") or name, value)

    def write_body(self, operation, shape, output):
        if operation.name == "GetBucketLocation" and self._is_s3(operation):
            # The region is the root element's own text (empty for us-east-1).
            region = escape(output.get("LocationConstraint") or "")
            return (f'<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint '
                    f'xmlns="{self._root_ns(operation, shape)}">{region}</LocationConstraint>').encode("utf-8")
        root = _S3_ROOTS.get(operation.name) if self._is_s3(operation) else None
        if root is None and not any(output.get(k) is not None for k in self._body_members(shape)):
            return b""
        return self._document(operation, shape, root or shape.serialization.get("name") or shape.name, output)

    def id_headers(self, request_id):
        return [("x-amz-request-id", request_id), ("x-amz-id-2", request_id), ("x-amzn-RequestId", request_id)]

    def serialize_error(self, service, operation, error, request_id) -> HttpResponse:
        extra = ""
        shape = modeled_error(service, error.code)
        fields = {k: v for k, v in error.fields.items() if k not in ("Code", "Message")}
        if fields:
            parts: list[str] = []
            modeled = shape.members if shape is not None else {}
            if shape is not None:
                self.writer.members(shape, fields, parts)
            # Unmodeled details S3 adds (Key, BucketName, Condition, ...).
            parts += [f"<{k}>{escape(scalar_text_any(v))}</{k}>" for k, v in fields.items() if k not in modeled]
            extra = "".join(parts)
        head = f"<Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message>{extra}"
        if service is not None and service.metadata.get("endpointPrefix") == "s3":
            body = f"<Error>{head}<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
        else:
            kind = "Sender" if error.sender_fault else "Receiver"
            ns = (service.metadata.get("xmlNamespace") if service else None) or ""
            ns_attr = f' xmlns="{ns}"' if ns else ""
            body = (f"<ErrorResponse{ns_attr}><Error><Type>{kind}</Type>{head}</Error>"
                    f"<RequestId>{request_id}</RequestId></ErrorResponse>")
        body = '<?xml version="1.0" encoding="UTF-8"?>\n' + body
        return HttpResponse(error.status, self.id_headers(request_id) + [("Content-Type", "application/xml")]
                            + error.headers, body.encode("utf-8"))


def scalar_text_any(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
