"""Static website hosting: ``<bucket>.s3-website[.-]<region>.<base>`` serving
a bucket's objects as web pages (S3 developer guide, "Hosting a static
website using Amazon S3").

A mixin of ``S3Provider``. Only GET and HEAD are served (an OPTIONS is the
bucket's CORS preflight); the bucket's website configuration decides:
``RedirectAllRequestsTo``; ``RoutingRules`` (a key prefix condition redirects
before the object is read, an error code condition after the read failed);
the ``IndexDocument`` for ``/`` and ``.../`` (and a 302 to ``key/`` when only
``key/<index>`` exists); an object's ``x-amz-website-redirect-location`` (301);
the ``ErrorDocument`` for a 4XX, else S3's HTML error page.

An object is read through GetObject / HeadObject, so a page has the headers,
conditional answers, ranges and streamed body that a GET of the object has.

Website endpoints serve only public content on AWS: anonymous readers need a
public bucket policy or ACL. nubis serves every object unless IAM enforcement
is on; then a page is read as an anonymous s3:GetObject (``_check_public``).
"""
from __future__ import annotations

import email.utils
import functools
import inspect
from html import escape
from urllib.parse import quote, unquote

from ...protocol import models, protocol_for
from ...protocol.errors import ServiceError
from ...protocol.wire import HttpRequest, HttpResponse, uuid4_text
from ..base import RequestContext
from . import browser_post
from .names import check_key

_REASONS = {301: "Moved Permanently", 302: "Found", 304: "Not Modified", 400: "Bad Request", 403: "Forbidden",
            404: "Not Found", 405: "Method Not Allowed", 412: "Precondition Failed",
            416: "Requested Range Not Satisfiable", 500: "Internal Server Error"}


@functools.cache
def _operations():
    model = models.load_service("s3", "rest-xml")
    return protocol_for("rest-xml"), model.operation_model("GetObject"), model.operation_model("HeadObject")


def _http_date(text: str | None):
    """An ``If-(Un)Modified-Since`` date, or None (an invalid date is ignored, RFC 9110)."""
    if not text:
        return None
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None


def _id_headers(request_id: str) -> list[tuple[str, str]]:
    return [("x-amz-request-id", request_id), ("x-amz-id-2", request_id)]


def _error_items(error: ServiceError) -> str:
    items = [("Code", error.code), ("Message", error.message)]
    items += [(k, str(v)) for k, v in error.fields.items() if k not in ("Code", "Message")]
    return "".join(f"<li>{escape(k)}: {escape(v)}</li>\n" for k, v in items)


def error_page(error: ServiceError, request_id: str, document_error: ServiceError | None = None) -> bytes:
    """The HTML page S3 website endpoints answer an error with (and, when the
    custom error document could not be read either, why)."""
    title = f"{error.status} {_REASONS.get(error.status, 'Error')}"
    extra = ""
    if document_error is not None:
        extra = ("<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n"
                 f"{_error_items(document_error)}</ul>\n<hr/>\n")
    return (f"<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n"
            f"{_error_items(error)}<li>RequestId: {request_id}</li>\n<li>HostId: {request_id}</li>\n</ul>\n"
            f"{extra}<hr/>\n</body>\n</html>\n").encode("utf-8")


def _html_error(error: ServiceError, request_id: str, document_error: ServiceError | None = None) -> HttpResponse:
    return HttpResponse(error.status, _id_headers(request_id) + [("Content-Type", "text/html; charset=utf-8")],
                        error_page(error, request_id, document_error))


def _redirect(status: int, location: str, request_id: str) -> HttpResponse:
    return HttpResponse(status, _id_headers(request_id) + [("Location", location), ("Content-Length", "0")], b"")


def _rule_redirect(redirect: dict, key: str, prefix: str, request: HttpRequest, request_id: str) -> HttpResponse:
    """Where a routing rule's Redirect sends a request for ``key``."""
    if redirect.get("ReplaceKeyWith") is not None:
        key = redirect["ReplaceKeyWith"]
    elif redirect.get("ReplaceKeyPrefixWith") is not None:
        key = redirect["ReplaceKeyPrefixWith"] + key[len(prefix):]
    protocol = redirect.get("Protocol") or "http"  # nubis is reached over http
    host = redirect.get("HostName") or request.headers.get("host", "")
    status = int(redirect.get("HttpRedirectCode") or 301)
    return _redirect(status, f"{protocol}://{host}/{quote(key, safe='/~')}", request_id)


class Website:
    # -- the data plane hook --------------------------------------------------------------------

    def data_plane(self, kind: str):
        """The handler of a data-plane host kind S3 serves (the gateway's hook)."""
        if kind == browser_post.KIND:
            return self._form_upload
        return {"s3-website": self.serve_website, "s3-preflight": self.preflight}.get(kind)

    async def _form_upload(self, request: HttpRequest, route) -> HttpResponse:
        return await browser_post.handle(self.runtime, request, route, request.stream, uuid4_text())

    _form_upload.streams_body = True

    async def serve_website(self, request: HttpRequest, route) -> HttpResponse:
        response = await self._website(request, route)
        if "origin" in request.headers and request.method != "OPTIONS":
            response.headers += self.cors_answer(route.host.name, request.method, request.headers.get("origin"))
        return response

    async def _website(self, request: HttpRequest, route) -> HttpResponse:
        if request.method == "OPTIONS":
            return await self.preflight(request, route)
        request_id = uuid4_text()
        name = route.host.name
        if request.method not in ("GET", "HEAD"):
            return _html_error(ServiceError("MethodNotAllowed", "The specified method is not allowed against this "
                                            "resource.", 405, Method=request.method, ResourceType="OBJECT"),
                               request_id)
        b = self.store.bucket(name)
        if b is None:
            return _html_error(ServiceError("NoSuchBucket", "The specified bucket does not exist", 404,
                                            BucketName=name), request_id)
        config = self.website_configuration(name)
        if config is None:
            return _html_error(ServiceError("NoSuchWebsiteConfiguration", "The specified bucket does not have a "
                                            "website configuration", 404, BucketName=name), request_id)

        every = config.get("RedirectAllRequestsTo")
        if every is not None:
            protocol = every.get("Protocol") or "http"
            return _redirect(301, f"{protocol}://{every['HostName']}{request.path}", request_id)

        key = unquote(request.path[1:])
        rules = config.get("RoutingRules") or []
        for rule in rules:
            cond = rule.get("Condition") or {}
            prefix = cond.get("KeyPrefixEquals") or ""
            if cond.get("HttpErrorCodeReturnedEquals") is None and key.startswith(prefix):
                return _rule_redirect(rule["Redirect"], key, prefix, request, request_id)

        suffix = config["IndexDocument"]["Suffix"]
        target = key + suffix if key == "" or key.endswith("/") else key
        try:
            return await self._page(b, target, request, request_id)
        except ServiceError as error:
            failed = error
        if failed.status == 304:
            return HttpResponse(304, _id_headers(request_id) + failed.headers, b"")
        if failed.code == "NoSuchKey" and target == key and self._exists(b, f"{key}/{suffix}"):
            # A "folder" asked for without its slash: S3 sends the browser to it.
            return _redirect(302, "/" + quote(key, safe="/~") + "/", request_id)
        code = str(failed.status)
        for rule in rules:
            cond = rule.get("Condition") or {}
            prefix = cond.get("KeyPrefixEquals") or ""
            if cond.get("HttpErrorCodeReturnedEquals") == code and key.startswith(prefix):
                return _rule_redirect(rule["Redirect"], key, prefix, request, request_id)
        document = (config.get("ErrorDocument") or {}).get("Key")
        if document and 400 <= failed.status < 500:
            try:
                response = await self._page(b, document, request, request_id, error_document=True)
            except ServiceError as document_error:
                return _html_error(failed, request_id, document_error)
            if response.status == 200:  # (an error document may redirect too)
                response.status = failed.status
            return response
        return _html_error(failed, request_id)

    def _exists(self, b, key: str) -> bool:
        try:
            o = self.store.current(b.name, check_key(key))
        except ServiceError:  # too long a key: no such object
            return False
        return o is not None and not o.delete_marker

    def _check_public(self, ctx: RequestContext, request: HttpRequest, b, key: str) -> None:
        """AccessDenied unless an anonymous reader may s3:GetObject the page (the
        bucket policy decides; ACLs are not evaluated), as website endpoints
        serve only public content."""
        from ...auth.enforce import Caller
        from . import authz

        client = getattr(request, "client", None)
        authz.check(self.runtime, ctx, Caller(None, client[0] if client else None), b.name, key, "s3:GetObject", {})

    async def _page(self, b, key: str, request: HttpRequest, request_id: str,
                    error_document: bool = False) -> HttpResponse:
        """The object ``key`` as a web page: its GetObject answer, or its redirect."""
        protocol, get, head = _operations()
        operation = head if request.method == "HEAD" else get
        params: dict = {"Bucket": b.name, "Key": key}
        if not error_document:  # an error page is the page itself, whatever the request asked
            headers = request.headers
            for name, field in (("range", "Range"), ("if-match", "IfMatch"), ("if-none-match", "IfNoneMatch")):
                value = headers.get(name)
                if value is not None:
                    params[field] = value
            for name, field in (("if-modified-since", "IfModifiedSince"),
                                ("if-unmodified-since", "IfUnmodifiedSince")):
                value = _http_date(headers.get(name))
                if value is not None:
                    params[field] = value
        ctx = RequestContext(service="s3", operation=operation.name, account=b.account, region=b.region,
                             request_id=request_id, principal="*", request=request, internal=True)
        if self.config.enforce_iam:
            self._check_public(ctx, request, b, key)
        result = (self.get_object if operation is get else self.head_object)(ctx, params)
        if inspect.isawaitable(result):
            result = await result
        location = result.get("WebsiteRedirectLocation")
        if location:
            return _redirect(301, location, request_id)
        response = protocol.serialize(operation, result, request_id)
        response.headers += ctx.extra_headers
        if ctx.status:
            response.status = ctx.status
        return response
