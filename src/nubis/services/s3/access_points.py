"""S3 requests addressed to an access point, resolved to its bucket.

A client names an access point where a bucket name goes, two ways:

- by alias (``<prefix>-<random>-s3alias``), path-style or virtual-host;
- by ARN: against a custom endpoint botocore sends
  ``Bucket="arn:aws:s3:<region>:<account>:accesspoint/<name>"`` to the host
  ``<name>-<account>.<endpoint host>``, which the router reads like a
  virtual-hosted bucket named ``<name>-<account>``; so does
  ``<name>-<account>.s3-accesspoint.<region>.<base>`` (AWS's own form, the
  ``Endpoints`` GetAccessPoint returns).

The S3 provider's ``bucket()`` helper calls ``bucket_for`` only when no
bucket has the requested name, so requests to plain buckets pay nothing. A
real bucket named ``<name>-<account>`` therefore wins over the access point
an ARN would reach through that host: the two requests are the same bytes.

Access points live in S3 Control (``services/s3control``); this module reads
them through that provider, never its tables.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ...protocol.errors import ServiceError
from . import errors

if TYPE_CHECKING:
    from ..base import RequestContext
    from ..s3control.store import AccessPoint
    from .store import Bucket

ALIAS_SUFFIX = "-s3alias"
_ARN_HOST = re.compile(r"^(?P<name>[a-z0-9][a-z0-9-]{1,48}[a-z0-9])-(?P<account>\d{12})$")
_ARN = re.compile(r"^arn:[^:]+:s3:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):accesspoint/(?P<name>[^/]+)$")
_ARN_OBJECT = re.compile(r"^(arn:[^:/]+:s3:[a-z0-9-]+:\d{12}:accesspoint/[^/]+)/object/(.+)$", re.S)

# The S3 operations an access point serves (S3 user guide, "Access point
# compatibility"); everything else is a bucket operation it does not.
SUPPORTED = frozenset({
    "AbortMultipartUpload", "CompleteMultipartUpload", "CopyObject", "CreateMultipartUpload", "DeleteObject",
    "DeleteObjects", "DeleteObjectTagging", "GetBucketAcl", "GetBucketCors", "GetBucketLocation",
    "GetBucketNotificationConfiguration", "GetBucketPolicy", "GetObject", "GetObjectAcl", "GetObjectAttributes",
    "GetObjectLegalHold", "GetObjectRetention", "GetObjectTagging", "HeadBucket", "HeadObject",
    "ListMultipartUploads", "ListObjects", "ListObjectsV2", "ListObjectVersions", "ListParts", "PutObject",
    "PutObjectLegalHold", "PutObjectRetention", "PutObjectAcl", "PutObjectTagging", "RestoreObject", "UploadPart",
    "UploadPartCopy",
})


def copy_source(path: str) -> tuple[str, str, str] | None:
    """An ``x-amz-copy-source`` of ``<access point ARN>/object/<key>`` as (ARN, "/", key)."""
    m = _ARN_OBJECT.match(path) if path.startswith("arn:") else None
    return (m[1], "/", m[2]) if m else None


def access_point_named(runtime, ctx: "RequestContext", name: str) -> "AccessPoint | None":
    """The access point a bucket name stands for (an alias, ``<name>-<account>``
    from an ARN's host, or the ARN itself in a copy source), or None. IAM
    evaluation uses this to find the access point (and, through
    ``S3ControlProvider.policy_of``, its policy) of a request."""
    if name.endswith(ALIAS_SUFFIX):
        control = runtime.provider("s3control")
        return control.by_alias(name) if control is not None else None
    m = _ARN_HOST.match(name)
    region = ctx.region
    if m is None:
        m = _ARN.match(name) if name.startswith("arn:") else None
        if m is None:
            return None
        region = m["region"]
    control = runtime.provider("s3control")
    return control.access_point(m["account"], region, m["name"]) if control is not None else None


def bucket_for(s3, ctx: "RequestContext", name: str) -> "Bucket":
    """The bucket behind the access point ``name`` names; S3's NoSuchBucket when
    it names none (or its bucket is gone: deleting a bucket leaves its access
    points, which then fail)."""
    ap = access_point_named(s3.runtime, ctx, name)
    if ap is None:
        raise errors.no_such_bucket(name)
    if ctx.operation not in SUPPORTED and not ctx.internal:
        raise errors.invalid_request(f"The {ctx.operation} operation is not supported through an access point.")
    if ap.account != ctx.account and not ctx.internal:
        raise errors.access_denied()
    b = s3.store.bucket(ap.bucket)
    if b is None or b.account != ap.bucket_account:
        raise errors.no_such_bucket(name)
    return b


def head_bucket(s3, ctx: "RequestContext", name: str) -> dict:
    """HeadBucket through an access point: its bucket's region, flagged as an alias."""
    try:
        b = bucket_for(s3, ctx, name)
    except ServiceError as e:
        if e.code == "NoSuchBucket":
            raise ServiceError("NoSuchBucket", "Not Found", 404, BucketName=name) from None
        raise
    return {"BucketRegion": b.region, "AccessPointAlias": name.endswith(ALIAS_SUFFIX)}
