"""S3's Signature Version 2, for old clients (S3 developer guide, "Signing and
authenticating REST requests"): ``Authorization: AWS <key>:<signature>`` or the
query form ``AWSAccessKeyId``/``Signature``/``Expires``; the signature is the
base64 HMAC-SHA1 of the verb, Content-MD5, Content-Type, the date (or
``Expires``), the ``x-amz-*`` headers and the resource with its sub-resources.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import unquote

from . import errors

# The query parameters that are part of the signed resource.
SUB_RESOURCES = frozenset({
    "accelerate", "acl", "analytics", "cors", "delete", "encryption", "intelligent-tiering", "inventory",
    "lifecycle", "location", "logging", "metrics", "notification", "object-lock", "ownershipControls",
    "partNumber", "policy", "policyStatus", "publicAccessBlock", "replication", "requestPayment", "restore",
    "retention", "legal-hold", "select", "select-type", "tagging", "torrent", "uploadId", "uploads", "versionId",
    "versioning", "versions", "website", "attributes", "response-cache-control", "response-content-disposition",
    "response-content-encoding", "response-content-language", "response-content-type", "response-expires"})
_SPACES = re.compile(r"\s+")


def string_to_sign(request, bucket_host: str | None, date: str, bucket_slash: bool = True) -> str:
    headers = request.headers
    amz = sorted((k, _SPACES.sub(" ", v.strip())) for k, v in headers.items() if k.startswith("x-amz-"))
    resource = request.path or "/"
    if bucket_host:  # virtual-hosted: the bucket is in the Host, the signed resource names it
        resource = "/" + bucket_host + resource
    elif bucket_slash and resource.count("/") == 1 and len(resource) > 1:
        resource += "/"  # a path-style bucket ("/bucket") is the resource "/bucket/", as virtual-hosted
    subs = sorted((k, v) for k, v in request.query if k in SUB_RESOURCES)
    if subs:
        resource += "?" + "&".join(f"{k}={unquote(v)}" if v else k for k, v in subs)
    return "\n".join((request.method, headers.get("content-md5", ""), headers.get("content-type", ""), date,
                      *(f"{k}:{v}" for k, v in amz), resource))


def verify(request, bucket_host: str | None, access_key: str, provided: str, secret: str,
           expires: str | None) -> None:
    """Check a SigV2 signature (``expires``: the query form's ``Expires``)."""
    if expires is not None:
        date = expires
    elif "x-amz-date" in request.headers:
        date = ""  # x-amz-date is among the x-amz-* headers; Date then counts as empty
    else:
        date = request.headers.get("date", "")
    sts = string_to_sign(request, bucket_host, date)
    if _matches(secret, sts, provided):
        return
    # Clients differ on a path-style bucket's resource: some sign the path as sent.
    if not bucket_host and _matches(secret, string_to_sign(request, None, date, bucket_slash=False), provided):
        return
    raise errors.signature_mismatch(errors.S3, access_key, sts, provided, None)


def _matches(secret: str, sts: str, provided: str) -> bool:
    expected = base64.b64encode(hmac.new(secret.encode("utf-8"), sts.encode("utf-8"), hashlib.sha1).digest())
    return hmac.compare_digest(expected, provided.encode("utf-8", "replace"))
