"""CORS, as S3 enforces it: the preflight ``OPTIONS`` a browser sends before a
cross-origin request, and the ``Access-Control-*`` headers of the actual
request (S3 developer guide, "Using cross-origin resource sharing").

A mixin of ``S3Provider``. The first rule of the bucket's CORS configuration
whose AllowedOrigin matches the ``Origin`` (one ``*`` wildcard allowed), whose
AllowedMethods has the method, and (preflight only) whose AllowedHeaders
match every requested header answers. Rules are read through a per-bucket
cache, dropped whenever the configuration changes: a request with an
``Origin`` costs a dictionary lookup, one without costs nothing here.
"""
from __future__ import annotations

from urllib.parse import unquote

from ...protocol import models, protocol_for
from ...protocol.errors import ServiceError
from ...protocol.wire import HttpRequest, HttpResponse, uuid4_text
from . import errors

VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
_NOT_ALLOWED = ("CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, "
                "request method / Access-Control-Request-Method or Access-Control-Request-Headers are not "
                "whitelisted by the resource's CORS spec.")
_NOT_ENABLED = "CORSResponse: CORS is not enabled for this bucket."
_CACHE_LIMIT = 10000


def wildcard_match(pattern: str, value: str) -> bool:
    """``pattern`` with at most one ``*`` (any run of characters) against ``value``."""
    star = pattern.find("*")
    if star < 0:
        return pattern == value
    head, tail = pattern[:star], pattern[star + 1:]
    return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)


def _origin_matches(rule: dict, origin: str) -> str | None:
    """The AllowedOrigin of ``rule`` that admits ``origin``, or None."""
    for allowed in rule.get("AllowedOrigins") or ():
        if wildcard_match(allowed, origin):
            return allowed
    return None


def _headers_match(rule: dict, requested: list[str]) -> bool:
    allowed = [h.lower() for h in rule.get("AllowedHeaders") or ()]
    return all(any(wildcard_match(a, h) for a in allowed) for h in requested)


def _answer(rule: dict, allowed_origin: str, origin: str) -> list[tuple[str, str]]:
    """The Access-Control-* headers of a request that ``rule`` admits."""
    star = allowed_origin == "*"
    out = [("Access-Control-Allow-Origin", "*" if star else origin),
           ("Access-Control-Allow-Methods", ", ".join(rule["AllowedMethods"]))]
    if rule.get("ExposeHeaders"):
        out.append(("Access-Control-Expose-Headers", ", ".join(rule["ExposeHeaders"])))
    if rule.get("MaxAgeSeconds") is not None:
        out.append(("Access-Control-Max-Age", str(rule["MaxAgeSeconds"])))
    if not star:
        out.append(("Access-Control-Allow-Credentials", "true"))
    out.append(("Vary", VARY))
    return out


class Cors:
    def __init__(self, runtime):
        super().__init__(runtime)
        # bucket -> its CORS rules (a tuple, empty for none)
        self._cors_rules: dict[str, tuple] = {}

    # -- the cached rules ----------------------------------------------------------------------

    def cors_rules(self, bucket: str) -> tuple:
        rules = self._cors_rules.get(bucket)
        if rules is None:
            if len(self._cors_rules) >= _CACHE_LIMIT:
                self._cors_rules.clear()
            rules = self._cors_rules[bucket] = tuple(self.bucket_cors_rules(bucket))
        return rules

    def forget_cors_rules(self, bucket: str | None = None) -> None:
        """Drop the cached rules of ``bucket`` (all of them for None: after a reset)."""
        if bucket is None:
            self._cors_rules.clear()
        else:
            self._cors_rules.pop(bucket, None)

    # A change drops every cached entry: the request may name the bucket by an
    # access point alias, and changes are rare.
    def put_bucket_cors(self, ctx, params: dict) -> dict:
        out = super().put_bucket_cors(ctx, params)
        self.forget_cors_rules()
        return out

    def delete_bucket_cors(self, ctx, params: dict) -> dict:
        out = super().delete_bucket_cors(ctx, params)
        self.forget_cors_rules()
        return out

    def forget_bucket_configs(self, bucket: str | None = None) -> None:
        super().forget_bucket_configs(bucket)
        self.forget_cors_rules(bucket)

    # -- actual requests ------------------------------------------------------------------------

    def cors_headers(self, request: HttpRequest, route) -> list[tuple[str, str]]:
        """The CORS headers for a request with an ``Origin`` (the gateway's hook).

        Like S3, the actual request is not refused here: without a matching
        rule it is answered without Access-Control-* headers and the browser
        withholds the response from the page."""
        params = route.uri_params
        bucket = params.get("Bucket") if params else None
        if not bucket:
            return []
        return self.cors_answer(bucket, request.method, request.headers.get("origin") or "")

    def cors_answer(self, bucket: str, method: str, origin: str) -> list[tuple[str, str]]:
        rules = self.cors_rules(bucket)
        if not rules:
            return []
        for rule in rules:
            allowed = _origin_matches(rule, origin)
            if allowed is not None and method in rule["AllowedMethods"]:
                return _answer(rule, allowed, origin)
        # A configured bucket answers differently per origin: caches must know.
        return [("Vary", VARY)]

    # -- preflight -----------------------------------------------------------------------------

    async def preflight(self, request: HttpRequest, route) -> HttpResponse:
        """S3's ``OPTIONS object``: answer a browser's preflight from the bucket's rules."""
        request_id = uuid4_text()
        try:
            headers = self._preflight(request, route)
        except ServiceError as error:
            return _s3_error(error, request_id)
        headers += [("x-amz-request-id", request_id), ("x-amz-id-2", request_id), ("Content-Length", "0")]
        return HttpResponse(200, headers, b"")

    def _preflight(self, request: HttpRequest, route) -> list[tuple[str, str]]:
        headers = request.headers
        origin = headers.get("origin")
        method = headers.get("access-control-request-method")
        if not origin or not method:
            raise ServiceError("BadRequest", "Insufficient information. Origin request header needed.", 400)
        bucket, key = self._addressed(request, route)
        resource = "OBJECT" if key else "BUCKET"
        if not bucket:
            raise ServiceError("AccessForbidden", _NOT_ENABLED, 403, Method=method, ResourceType=resource)
        if self.store.bucket(bucket) is None:
            raise errors.no_such_bucket(bucket)
        rules = self.cors_rules(bucket)
        if not rules:
            raise ServiceError("AccessForbidden", _NOT_ENABLED, 403, Method=method, ResourceType=resource)
        requested = [h.strip().lower() for h in (headers.get("access-control-request-headers") or "").split(",")
                     if h.strip()]
        for rule in rules:
            allowed = _origin_matches(rule, origin)
            if allowed is not None and method in rule["AllowedMethods"] and _headers_match(rule, requested):
                answer = _answer(rule, allowed, origin)
                if requested:
                    # The requested headers are echoed, as S3 does, before Expose-Headers.
                    answer.insert(2, ("Access-Control-Allow-Headers", ", ".join(requested)))
                return answer
        raise ServiceError("AccessForbidden", _NOT_ALLOWED, 403, Method=method, ResourceType=resource)

    def _addressed(self, request: HttpRequest, route) -> tuple[str, str]:
        """(bucket, key) of a request, virtual-host or path style."""
        host = route.host
        path = request.path[1:]
        if host.kind in ("s3", "s3-website") or (host.kind == "service" and self.store.bucket(host.name)):
            return host.name, unquote(path)
        bucket, _, key = path.partition("/")
        return unquote(bucket), unquote(key)


def _s3_error(error: ServiceError, request_id: str) -> HttpResponse:
    return protocol_for("rest-xml").serialize_error(models.load_service("s3", "rest-xml"), None, error, request_id)
