"""The expiry of presigned URLs, which AWS checks whether or not it checks
signatures: SigV4's ``X-Amz-Date`` + ``X-Amz-Expires`` (at most a week) and
SigV2's ``Expires`` (epoch seconds), against the controllable clock, so a
test can let a URL expire by advancing the clock.
"""
from __future__ import annotations

import datetime as _dt

from ..protocol.errors import ServiceError

MAX_EXPIRES = 604_800  # a week


def _iso(t: float) -> str:
    return _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_expiry(query: dict[str, str], now: float) -> None:
    """Raise AWS's error when a presigned request's time is up (or its expiry is malformed)."""
    if "X-Amz-Expires" in query:
        text = query["X-Amz-Expires"]
        try:
            expires = int(text)
            signed = _dt.datetime.strptime(query.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ").replace(
                tzinfo=_dt.timezone.utc).timestamp()
        except ValueError:
            raise ServiceError("AuthorizationQueryParametersError",
                               "X-Amz-Expires should be a number and X-Amz-Date an ISO 8601 basic-format date.",
                               400) from None
        if expires < 0:
            raise ServiceError("AuthorizationQueryParametersError",
                               "X-Amz-Expires must be non-negative", 400)
        if expires > MAX_EXPIRES:
            raise ServiceError("AuthorizationQueryParametersError",
                               "X-Amz-Expires must be less than a week (in seconds) that is; 604800", 400)
        if now > signed + expires:
            raise ServiceError("AccessDenied", "Request has expired", 403,
                               fields={"X-Amz-Expires": str(expires), "Expires": _iso(signed + expires),
                                       "ServerTime": _iso(now)})
    elif "Expires" in query and ("AWSAccessKeyId" in query or "Signature" in query):
        try:
            until = int(query["Expires"])
        except ValueError:
            raise ServiceError("AccessDenied", "Invalid date (should be seconds since epoch): "
                               f"{query['Expires']}", 403) from None
        if now > until:
            raise ServiceError("AccessDenied", "Request has expired", 403,
                               fields={"Expires": _iso(until), "ServerTime": _iso(now)})


def hoist_query_headers(request) -> None:
    """A SigV2 presigned URL carries the ``x-amz-*``, ``Content-Type`` and
    ``Content-MD5`` headers it signs as query parameters (as botocore writes
    them); S3 reads them from there when the request does not send them."""
    query = request.query_string
    if "AWSAccessKeyId=" not in query or ("x-amz-" not in query and "content-" not in query):
        return
    headers = request.headers
    hoisted = [(k.lower(), v) for k, v in request.query
               if (k.lower().startswith("x-amz-") or k.lower() in ("content-type", "content-md5"))
               and k.lower() not in headers]
    if hoisted:
        from ..protocol.wire import Headers

        request.headers = Headers(list(headers.items()) + hoisted)
