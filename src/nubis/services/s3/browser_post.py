"""S3 POST Object: browser-based uploads through an HTML form.

A ``multipart/form-data`` POST to a bucket (``POST /<bucket>`` or ``POST /`` on
its virtual host) carries, as form fields, what a PutObject carries in headers
(``key``, ``acl``, ``Content-Type``, ``x-amz-meta-*``, ...), a base64 JSON
``policy`` whose expiration and conditions the fields must meet, the SigV4
(``x-amz-credential``, ...) or SigV2 (``AWSAccessKeyId``, ``signature``) fields
that sign the policy, and last the ``file``. It is not an operation of
botocore's model, so the router marks it as a data plane of its own
(``route``) and the gateway hands ``handle`` the request body as a stream.

The fields before the file are read and checked first; the file part then
streams into PutObject (``S3Provider.put_object``) without sitting in memory,
so the object is made exactly as a PUT makes it (versioning, ETag, checksums,
``ObjectCreated:Post`` notifications). Fields after the file are ignored, as
S3 ignores them.

python-multipart (the parser Starlette uses) reads the form: it is push-based
and streaming, where the standard library's ``email`` parser holds a whole
message in memory.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as _dt
import hashlib
import hmac
import importlib
import json
import logging
import re
from collections import deque
from typing import AsyncIterator
from urllib.parse import quote, unquote, urlencode, urlsplit

from ...auth.credentials import account_for
from ...protocol.errors import ServiceError, internal_error
from ...protocol.wire import Headers, HttpRequest, HttpResponse
from ...protocol.xml import escape, parse_document
from ..base import RequestContext
from . import errors

log = logging.getLogger("nubis.s3.post")

KIND = "s3-post"  # the router's data-plane name for a form upload
MAX_PRE_DATA = 20 * 1024  # "the form data and boundaries (excluding the file) cannot exceed 20 KB"
# Fields a policy need not name: the signature and what carries it, the file,
# and whatever the form's author marked to be ignored.
EXEMPT = frozenset({"policy", "file", "x-amz-signature", "signature", "awsaccesskeyid"})
# Form fields that are PutObject's header members.
_CONTENT = {"content-type": "ContentType", "cache-control": "CacheControl",
            "content-disposition": "ContentDisposition", "content-encoding": "ContentEncoding",
            "content-language": "ContentLanguage", "content-md5": "ContentMD5", "acl": "ACL",
            "x-amz-storage-class": "StorageClass",
            "x-amz-website-redirect-location": "WebsiteRedirectLocation",
            "x-amz-server-side-encryption": "ServerSideEncryption",
            "x-amz-grant-read": "GrantRead", "x-amz-grant-read-acp": "GrantReadACP",
            "x-amz-grant-write-acp": "GrantWriteACP", "x-amz-grant-full-control": "GrantFullControl"}


# -- routing (called by the router for POSTs only) ------------------------------------------

def route(request, route) -> bool:
    """Mark ``route`` as a form upload when ``request`` is one: a
    multipart/form-data POST to a bucket, with no subresource (``?delete``,
    ``?uploads``, ... are operations)."""
    if request.query_string or route.signing_name not in (None, "s3"):
        return False
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return False
    host, path = route.host, request.path
    if host.kind not in ("s3", "s3-path", "service", None):
        return False
    if host.kind in ("s3", "service") and host.name:
        # ``<bucket>.s3.localhost``, or ``<bucket>.localhost`` (what SDKs build for
        # virtual-host addressing against a custom endpoint): no service but S3
        # takes a form at a host's root.
        if path not in ("", "/"):
            return False
        bucket = host.name
        route.host = type(host)("s3", host.name, host.region)
    else:
        name = path[1:-1] if path.endswith("/") else path[1:]
        if not path.startswith("/") or not name or "/" in name:
            return False
        bucket = unquote(name)
    route.service, route.protocol, route.data_plane = "s3", "rest-xml", KIND
    route.uri_params = {"Bucket": bucket}
    return True


# -- the request ----------------------------------------------------------------------------

async def handle(runtime, request: HttpRequest, route, stream: AsyncIterator[bytes],
                 request_id: str) -> HttpResponse:
    """Answer a form upload; errors are S3's XML errors."""
    try:
        response = await _post(runtime, request, route, stream, request_id)
    except Exception as e:
        if not isinstance(e, ServiceError):
            log.exception("POST object")
            e = internal_error()
        await _drain(stream)  # keep the connection usable for the client's next request
        response = _error_response(e, request_id)
    if "origin" in request.headers:  # a form on another site's page: the bucket's CORS rules answer
        cors = getattr(runtime.providers.get("s3"), "cors_headers", None)
        if cors is not None:
            response.headers.extend(cors(request, route))
    return response


async def _post(runtime, request, route, stream, request_id) -> HttpResponse:
    provider = runtime.provider("s3")
    bucket_name = route.uri_params["Bucket"]
    b = provider.store.bucket(bucket_name)
    if b is None:
        raise errors.no_such_bucket(bucket_name)
    form = FormReader(stream, _boundary(request.headers.get("content-type", "")))
    pairs = await form.fields()
    if form.filename is None:
        raise errors.invalid_argument("POST requires exactly one file upload per request.", "file", 0)
    fields: dict[str, str] = {}
    for name, value in pairs:
        # "${filename}" in any field is the name of the user's file (its last path segment).
        fields.setdefault(name.lower(), value.replace("${filename}", _basename(form.filename)))
    if not fields.get("key"):
        raise errors.invalid_argument("Bucket POST must contain a field named 'key'.  If it is specified, "
                                      "please check the order of the fields.", "key", "")
    now = provider.clock.now()
    access_key = _authenticate(fields)
    minimum, maximum = 0, None
    if "policy" in fields:
        minimum, maximum = check_policy(fields, bucket_name, now)
    region = route.region or route.host.region or runtime.config.default_region
    # Anonymous (unsigned) uploads write as the bucket's owner, as a public-write bucket lets them.
    account = account_for(access_key, runtime.config.default_account) if access_key else b.account
    ctx = RequestContext(service="s3", operation="PostObject", account=account, region=region,
                         request_id=request_id, access_key=access_key, protocol="rest-xml",
                         request=_as_put(request, fields))
    params = _put_params(bucket_name, fields)
    if runtime.config.enforce_iam:
        _enforce(runtime, ctx, fields, params, request)
    params["Body"] = _limited(form.file_chunks(), minimum, maximum)
    out = await provider.put_object(ctx, params)
    return _success(request, route, fields, out, request_id)


def _boundary(content_type: str) -> bytes:
    from python_multipart.multipart import parse_options_header

    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise _malformed()
    return boundary


def _basename(filename: str) -> str:
    return re.split(r"[/\\]", filename)[-1]


def _malformed() -> ServiceError:
    return ServiceError("MalformedPOSTRequest",
                        "The body of your POST request is not well-formed multipart/form-data.", 400)


def _missing(name: str) -> ServiceError:
    return errors.invalid_argument(f"Bucket POST must contain a field named '{name}'.  If it is specified, "
                                   "please check the order of the fields.", name, "")


def _authenticate(fields: dict) -> str | None:
    """The access key a signed form names (None: anonymous); S3's errors for an incomplete signature."""
    if "x-amz-credential" in fields or "x-amz-algorithm" in fields or "x-amz-signature" in fields:
        for name in ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "policy"):
            if not fields.get(name):
                raise _missing(name)
        if fields["x-amz-algorithm"] != "AWS4-HMAC-SHA256":
            raise errors.invalid_argument("Unsupported Algorithm: the only algorithm supported is "
                                          "AWS4-HMAC-SHA256", "x-amz-algorithm", fields["x-amz-algorithm"])
        if len(fields["x-amz-credential"].split("/")) != 5:
            raise errors.invalid_argument("Invalid argument.", "x-amz-credential", fields["x-amz-credential"])
        return fields["x-amz-credential"].split("/", 1)[0]
    if "awsaccesskeyid" in fields or "signature" in fields:
        for name, label in (("awsaccesskeyid", "AWSAccessKeyId"), ("signature", "signature"),
                            ("policy", "policy")):
            if not fields.get(name):
                raise _missing(label)
        return fields["awsaccesskeyid"]
    if "policy" in fields:
        raise _missing("AWSAccessKeyId")
    return None


def _enforce(runtime, ctx: RequestContext, fields: dict, params: dict, request: HttpRequest) -> None:
    """With IAM enforcement on: the policy's signature must be the access key's,
    the caller becomes the key's principal, and S3's authorizer decides as for
    the PutObject the form makes (an unsigned form is an anonymous caller).
    The string to sign is the base64 policy as sent."""
    from ...auth import enforce
    from ...auth.errors import S3

    credential = None
    if ctx.access_key:
        # The key's credential (STS keys: with their x-amz-security-token, unexpired).
        credential = enforce._credential(runtime, S3, ctx.access_key, fields.get("x-amz-security-token"))
        given = fields.get("x-amz-signature") or fields.get("signature") or ""
        if not hmac.compare_digest(expected_signature(credential.secret, fields).encode(), given.encode()):
            raise ServiceError("SignatureDoesNotMatch", "The request signature we calculated does not match "
                               "the signature you provided. Check your key and signing method.", 403,
                               AWSAccessKeyId=ctx.access_key, StringToSign=fields["policy"])
        ctx.account, ctx.principal = credential.account, credential.principal
    client = getattr(request, "client", None)
    caller = enforce.Caller(credential, client[0] if client else None, "POST",
                            None if credential is None else
                            "AWS4-HMAC-SHA256" if "x-amz-credential" in fields else "AWS")
    module, _, name = enforce.AUTHORIZERS["s3"].partition(":")
    authorize = getattr(importlib.import_module(module), name)
    authorize(runtime, dataclasses.replace(ctx, operation="PutObject"), params, caller)


def expected_signature(secret: str, fields: dict) -> str:
    """The signature of a form's policy: SigV4 when it names a credential scope, else SigV2."""
    policy = fields["policy"].encode("utf-8")
    if fields.get("x-amz-credential"):
        _, date, region, service, _ = fields["x-amz-credential"].split("/")
        key = ("AWS4" + secret).encode("utf-8")
        for part in (date, region, service, "aws4_request"):
            key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
        return hmac.new(key, policy, hashlib.sha256).hexdigest()
    return base64.b64encode(hmac.new(secret.encode("utf-8"), policy, hashlib.sha1).digest()).decode("ascii")


# -- the policy -----------------------------------------------------------------------------

def _invalid_policy(detail: str) -> ServiceError:
    return ServiceError("InvalidPolicyDocument", f"Invalid Policy: {detail}", 400)


def _denied(detail: str) -> ServiceError:
    return ServiceError("AccessDenied", f"Invalid according to Policy: {detail}", 403)


def check_policy(fields: dict, bucket: str, now: float) -> tuple[int, int | None]:
    """Check the form against its policy; return the file size range it allows (min, max or None)."""
    try:
        doc = json.loads(base64.b64decode(fields["policy"], validate=True))
    except (binascii.Error, ValueError):
        raise _invalid_policy("Invalid JSON.") from None
    if not isinstance(doc, dict):
        raise _invalid_policy("Invalid JSON.")
    expiration = doc.get("expiration")
    if expiration is None:
        raise _invalid_policy("Policy missing expiration.")
    conditions = doc.get("conditions")
    if not isinstance(conditions, list):
        raise _invalid_policy("Policy missing conditions.")
    if now > _expiry(expiration):
        raise _denied("Policy expired.")
    covered = set()
    minimum, maximum = 0, None
    for condition in conditions:
        if isinstance(condition, dict):
            if len(condition) != 1:
                raise _invalid_policy("Invalid Simple-Condition: Simple-Conditions must have exactly one "
                                      "property specified.")
            (name, expected), = condition.items()
            if not isinstance(expected, str):
                raise _invalid_policy("Invalid Simple-Condition: value must be a string.")
            condition = ["eq", "$" + name, expected]
        if not isinstance(condition, list) or len(condition) != 3 or not isinstance(condition[0], str):
            raise _invalid_policy("Invalid Condition: must be an array of three elements.")
        op = condition[0].lower()
        if op == "content-length-range":
            try:
                low, high = int(condition[1]), int(condition[2])
            except (TypeError, ValueError):
                raise _invalid_policy("Invalid content-length-range: must be two integers.") from None
            minimum, maximum = max(minimum, low), high if maximum is None else min(maximum, high)
            continue
        target, expected = condition[1], condition[2]
        if op not in ("eq", "starts-with"):
            raise _invalid_policy(f"Invalid Condition: unknown operation {condition[0]}.")
        if not isinstance(target, str) or not target.startswith("$") or not isinstance(expected, str):
            raise _invalid_policy("Invalid Condition: the field must be a string starting with $ and the "
                                  "value a string.")
        name = target[1:].lower()
        covered.add(name)
        value = bucket if name == "bucket" else fields.get(name, "")
        if not _meets(op, name, value, expected):
            raise _denied("Policy Condition failed: " + json.dumps(condition))
    extra = [n for n in fields if n not in covered and n not in EXEMPT and not n.startswith("x-ignore-")]
    if extra:
        raise _denied("Extra input fields: " + ", ".join(extra))
    return minimum, maximum


def _meets(op: str, name: str, value: str, expected: str) -> bool:
    if op == "eq":
        return value == expected
    if name == "content-type" and "," in value:
        # A list of content types: each must start with the prefix.
        return all(v.strip().startswith(expected) for v in value.split(","))
    return value.startswith(expected)


def _expiry(text) -> float:
    """The policy's ``expiration`` (ISO 8601, GMT) in epoch seconds."""
    if isinstance(text, str):
        try:
            when = _dt.datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return (when if when.tzinfo else when.replace(tzinfo=_dt.timezone.utc)).timestamp()
    raise _invalid_policy(f"Invalid 'expiration' value: '{text}'")


async def _limited(chunks: AsyncIterator[bytes], minimum: int, maximum: int | None) -> AsyncIterator[bytes]:
    """The file, failing PutObject's write once it is outside the policy's content-length-range."""
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if maximum is not None and size > maximum:
            # Nothing more is written; the rest is only counted, for the size S3 reports.
            async for rest in chunks:
                size += len(rest)
            raise ServiceError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400,
                               ProposedSize=size, MaxSizeAllowed=maximum)
        yield chunk
    if size < minimum:
        raise ServiceError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size",
                           400, ProposedSize=size, MinSizeAllowed=minimum)


# -- as a PutObject -------------------------------------------------------------------------

# Headers that describe a request body's framing, not the object: a form field
# named like them must not make PutObject read the file as aws-chunked.
_FRAMING = frozenset({"x-amz-content-sha256", "x-amz-decoded-content-length", "x-amz-trailer"})


def _as_put(request: HttpRequest, fields: dict) -> HttpRequest:
    """The request PutObject reads its headers from (checksums, Expires): the form's fields."""
    pairs = [(k, v) for k, v in fields.items() if (k.startswith("x-amz-") and k not in _FRAMING) or k == "expires"]
    if "acl" in fields:
        pairs.append(("x-amz-acl", fields["acl"]))
    pairs.append(("host", request.headers.get("host", "")))
    return HttpRequest("PUT", request.path, "", Headers(pairs), host=request.host)


def _put_params(bucket: str, fields: dict) -> dict:
    params: dict = {"Bucket": bucket, "Key": fields["key"]}
    for name, member in _CONTENT.items():
        if name in fields:
            params[member] = fields[name]
    meta = {k[len("x-amz-meta-"):]: v for k, v in fields.items() if k.startswith("x-amz-meta-")}
    if meta:
        params["Metadata"] = meta
    if fields.get("tagging"):
        params["Tagging"] = urlencode(_tags(fields["tagging"]))
    return params


def _tags(xml: str) -> list[tuple[str, str]]:
    """The tags of a ``tagging`` field (a ``<Tagging>`` document, as PutObjectTagging takes)."""
    root = parse_document(xml.encode("utf-8"))
    out = []
    for tag in root.iter():
        if tag.tag.rsplit("}", 1)[-1] != "Tag":
            continue
        parts = {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in tag}
        if "Key" not in parts:
            raise errors.malformed_xml()
        out.append((parts["Key"], parts.get("Value", "")))
    return out


# -- the answer -----------------------------------------------------------------------------

def _success(request, route, fields: dict, out: dict, request_id: str) -> HttpResponse:
    """204 (the default), 200, 201 with a ``PostResponse``, or a 303 to ``success_action_redirect``."""
    bucket, key, etag = route.uri_params["Bucket"], fields["key"], out["ETag"]
    host = request.headers.get("host", "")
    path = quote(key, safe="/~")
    location = f"http://{host}/{path}" if route.host.kind == "s3" else f"http://{host}/{quote(bucket)}/{path}"
    headers = [("x-amz-request-id", request_id), ("x-amz-id-2", request_id), ("ETag", etag),
               ("Location", location)]
    if out.get("VersionId"):
        headers.append(("x-amz-version-id", out["VersionId"]))
    if out.get("ServerSideEncryption"):
        headers.append(("x-amz-server-side-encryption", out["ServerSideEncryption"]))
    redirect = fields.get("success_action_redirect") or fields.get("redirect")
    if redirect and urlsplit(redirect).scheme in ("http", "https") and urlsplit(redirect).netloc:
        query = urlencode({"bucket": bucket, "key": key, "etag": etag})
        headers[3] = ("Location", redirect + ("&" if "?" in redirect else "?") + query)
        return HttpResponse(303, headers)
    status = fields.get("success_action_status")
    if status == "201":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>'
                f"<Location>{escape(location)}</Location><Bucket>{escape(bucket)}</Bucket>"
                f"<Key>{escape(key)}</Key><ETag>{escape(etag)}</ETag></PostResponse>")
        return HttpResponse(201, headers + [("Content-Type", "application/xml")], body.encode("utf-8"))
    return HttpResponse(200 if status == "200" else 204, headers)


def _error_response(error: ServiceError, request_id: str) -> HttpResponse:
    from ...protocol import models, protocol_for

    return protocol_for("rest-xml").serialize_error(models.load_service("s3", "rest-xml"), None, error,
                                                    request_id)


# -- the form -------------------------------------------------------------------------------

class FormReader:
    """A multipart/form-data body read as it arrives: the fields before the
    file part at once (``fields``), then the file's bytes as a stream
    (``file_chunks``)."""

    def __init__(self, stream: AsyncIterator[bytes], boundary: bytes):
        from python_multipart.multipart import MultipartParser

        self._stream = stream.__aiter__()
        self._events: deque = deque()
        self._headers: dict = {}
        self._header = [b"", b""]
        self.filename: str | None = None
        self._parser = MultipartParser(boundary, {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda d, s, e: self._header.__setitem__(0, self._header[0] + d[s:e]),
            "on_header_value": lambda d, s, e: self._header.__setitem__(1, self._header[1] + d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": lambda: self._events.append(("part", self._headers)),
            "on_part_data": lambda d, s, e: self._events.append(("data", bytes(d[s:e]))),
            "on_part_end": lambda: self._events.append(("end", None)),
            "on_end": lambda: self._events.append(("done", None)),
        })
        self._finished = False

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_end(self) -> None:
        self._headers[self._header[0].decode("latin-1").lower()] = self._header[1].decode("utf-8", "replace")
        self._header = [b"", b""]

    async def _next(self):
        """The next parse event, reading more of the body as needed (None: the body ended)."""
        from python_multipart.exceptions import MultipartParseError

        while not self._events:
            if self._finished:
                return None
            try:
                chunk = await self._stream.__anext__()
            except StopAsyncIteration:
                self._finished = True
                continue
            try:
                self._parser.write(chunk)
            except MultipartParseError:
                raise _malformed() from None
        return self._events.popleft()

    async def fields(self) -> list[tuple[str, str]]:
        """The fields before the file part (whose name, if any, is then in ``filename``)."""
        from python_multipart.multipart import parse_options_header

        out: list[tuple[str, str]] = []
        name, value = None, []
        pre = 0  # bytes of field values so far
        while True:
            event = await self._next()
            if event is None:
                if name is not None:
                    raise _malformed()
                return out
            kind, data = event
            if kind == "part":
                _, options = parse_options_header(data.get("content-disposition", ""))
                field = options.get(b"name", b"").decode("utf-8", "replace")
                if field.lower() == "file" or b"filename" in options:
                    self.filename = options.get(b"filename", b"").decode("utf-8", "replace")
                    return out
                name, value = field, []
            elif kind == "data":
                value.append(data)
                pre += len(data)
                if pre > MAX_PRE_DATA:
                    raise ServiceError("MaxPostPreDataLengthExceeded", "Your POST request fields preceding "
                                       "the upload file were too large.", 400)
            elif kind == "end":
                out.append((name, b"".join(value).decode("utf-8", "replace")))
                name, value = None, []
            elif kind == "done":
                return out

    async def file_chunks(self) -> AsyncIterator[bytes]:
        """The file part's bytes; the parts after it are read past, unparsed."""
        while True:
            event = await self._next()
            if event is None:
                raise _malformed()
            kind, data = event
            if kind == "data":
                if data:
                    yield data
            elif kind in ("end", "done"):
                break
        self._events.clear()
        await _drain(self._stream)


async def _drain(stream) -> None:
    try:
        async for _ in stream:
            pass
    except Exception:
        pass
