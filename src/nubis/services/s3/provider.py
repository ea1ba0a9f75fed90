"""Amazon S3: buckets, objects, listings, multipart uploads and versioning.

Bucket configurations (tagging, CORS, policy, ...) are in ``bucket_config``.
Bodies stream into and out of the blob store (``objects``); every blob is
fsynced before the row that points to it commits, and a blob whose row is
gone is queued as garbage in the same transaction and removed once that
commit is durable.
"""
from __future__ import annotations

import base64
import binascii
import datetime as _dt
import hashlib
import re
import secrets
from typing import Awaitable
from urllib.parse import parse_qsl, unquote

from ...auth import kms_keys
from ...protocol.errors import ServiceError
from ..base import Provider, RequestContext
from . import access_points, errors, events, listing, object_lambda, object_lock
from .bucket_config import BucketConfig, owner_of
from .cors import Cors
from .lifecycle import Lifecycle
from .names import check_bucket_name, check_key, key_text
from .objects import Bodies, as_stream, copy_body, delete_blobs, read_body, store_body, take_body
from .store import MIGRATIONS, Bucket, Obj, S3Store
from .website import Website
from .abac import Abac
from .express import DirectoryBucketOperations
from .metadata import MetadataTables
from .object_encryption import ObjectEncryption
from .torrent import Torrent

from . import checksums as cks
from . import chunked

US_EAST_1 = "us-east-1"
MIN_PART = 5 * 1024 * 1024
MAX_UPLOAD = 5 * 1024 ** 3  # one PutObject or UploadPart
MAX_TAGS = 10
CONTENT_FIELDS = ("ContentType", "ContentEncoding", "ContentDisposition", "ContentLanguage", "CacheControl",
                  "WebsiteRedirectLocation")
CHECKSUM_FIELDS = ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1", "ChecksumSHA256")
STORAGE_CLASSES = {"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
                   "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE", "FSX_OPENZFS"}
ARCHIVED = {"GLACIER", "DEEP_ARCHIVE"}
# How long a restore takes, per archive and retrieval tier (the upper ends of S3's ranges).
RESTORE_SECONDS = {("GLACIER", "Expedited"): 5 * 60, ("GLACIER", "Standard"): 5 * 3600,
                   ("GLACIER", "Bulk"): 12 * 3600, ("DEEP_ARCHIVE", "Standard"): 12 * 3600,
                   ("DEEP_ARCHIVE", "Bulk"): 48 * 3600}
MAX_METADATA = 2048
_CONTENT_ALL = frozenset(CONTENT_FIELDS)
_RARE_META = frozenset(("Metadata", "StorageClass", "Lock", "Restore", "Expires", "SSEKMSKeyId"))
_CONTENT_REST = frozenset(CONTENT_FIELDS[1:])
_RESPONSE_OVERRIDES = frozenset(("ResponseContentType", "ResponseContentLanguage", "ResponseContentDisposition",
                                 "ResponseContentEncoding", "ResponseCacheControl", "ResponseExpires"))
_CONDITIONS = frozenset(("IfMatch", "IfNoneMatch", "IfModifiedSince", "IfUnmodifiedSince"))
_ACL_PARAMS = frozenset(("ACL", "GrantFullControl", "GrantRead", "GrantReadACP", "GrantWriteACP"))
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _ts(t: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc)


def _quoted(etag: str) -> str:
    etag = etag.strip()
    return etag if etag.startswith('"') else f'"{etag}"'


def _etag_matches(header: str, etag: str) -> bool:
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.strip('"') == etag.strip('"'):
            return True
    return False


def _owner(account: str) -> dict:
    return owner_of(account)


def _epoch(value) -> float:
    if isinstance(value, _dt.datetime):
        return value.timestamp()
    return float(value)


def _parse_tagging(text: str) -> list:
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True) if text else []
    except ValueError:
        raise errors.invalid_argument("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded "
                                      "URL query parameters without tag name duplicates.") from None
    return _check_tags([{"Key": k, "Value": v} for k, v in pairs])


def _check_tags(tags: list) -> list:
    if len(tags) > MAX_TAGS:
        raise ServiceError("BadRequest", "Object tags cannot be greater than 10", 400)
    seen = set()
    for t in tags:
        k, v = t.get("Key", ""), t.get("Value", "")
        if k in seen:
            raise errors.invalid_argument("Cannot provide multiple Tags with the same key")
        seen.add(k)
        if not k or len(k) > 128:
            raise ServiceError("InvalidTag", "The TagKey you have provided is invalid", 400)
        if len(v) > 256:
            raise ServiceError("InvalidTag", "The TagValue you have provided is too long", 400)
    return [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags]


def _check_conditions(obj: Obj, if_match, if_none_match, if_modified, if_unmodified) -> None:
    """GET/HEAD preconditions, in the order (and with the precedence) S3 applies them."""
    modified = int(obj.modified)
    if if_match is not None:
        if not _etag_matches(if_match, obj.etag):
            raise errors.precondition_failed("If-Match")
    elif if_unmodified is not None and modified > _epoch(if_unmodified):
        raise errors.precondition_failed("If-Unmodified-Since")
    if if_none_match is not None:
        if _etag_matches(if_none_match, obj.etag):
            raise _not_modified(obj)
    elif if_modified is not None and modified <= _epoch(if_modified):
        raise _not_modified(obj)


def _not_modified(obj: Obj) -> ServiceError:
    e = ServiceError("NotModified", "Not Modified", 304)
    e.headers += [("ETag", obj.etag), ("Last-Modified", _ts(obj.modified).strftime("%a, %d %b %Y %H:%M:%S GMT"))]
    return e


def _check_copy_conditions(obj: Obj, params: dict) -> None:
    modified = int(obj.modified)
    im, inm = params.get("CopySourceIfMatch"), params.get("CopySourceIfNoneMatch")
    ims, ius = params.get("CopySourceIfModifiedSince"), params.get("CopySourceIfUnmodifiedSince")
    if im is not None:
        if not _etag_matches(im, obj.etag):
            raise errors.precondition_failed("x-amz-copy-source-If-Match")
    elif ius is not None and modified > _epoch(ius):
        raise errors.precondition_failed("x-amz-copy-source-If-Unmodified-Since")
    if inm is not None:
        if _etag_matches(inm, obj.etag):
            raise errors.precondition_failed("x-amz-copy-source-If-None-Match")
    elif ims is not None and modified <= _epoch(ims):
        raise errors.precondition_failed("x-amz-copy-source-If-Modified-Since")


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) of a ``Range`` header, None to send the whole object; 416 when unsatisfiable."""
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None
    if not m.group(1):
        n = int(m.group(2))
        if n == 0 or size == 0:
            raise _invalid_range(header, size)
        return max(0, size - n), size - 1
    first = int(m.group(1))
    last = int(m.group(2)) if m.group(2) else size - 1
    if m.group(2) and last < first:
        return None
    if first >= size:
        raise _invalid_range(header, size)
    return first, min(last, size - 1)


def _invalid_range(header: str, size: int) -> ServiceError:
    return ServiceError("InvalidRange", "The requested range is not satisfiable", 416,
                        RangeRequested=header, ActualObjectSize=size)


def _check_upload_size(ctx: RequestContext) -> None:
    """S3's 5 GiB limit of one PUT (or part), told by the request's length before its body is read."""
    if ctx.request is None:
        return
    headers = ctx.request.headers
    length = headers.get("x-amz-decoded-content-length") or headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_UPLOAD:
        error = ServiceError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400,
                             ProposedSize=int(length), MaxSizeAllowed=MAX_UPLOAD)
        error.headers.append(("Connection", "close"))  # rather than read gigabytes to keep it open
        raise error


def _new_version_id() -> str:
    return secrets.token_urlsafe(24).replace("-", "A").replace("_", "B")[:32]

# GetObjectAttributes' x-amz-object-attributes values.
_OBJECT_ATTRIBUTES = frozenset({"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"})


class S3Provider(object_lock.ObjectLock, ObjectEncryption, Torrent, DirectoryBucketOperations, Abac, MetadataTables,
                 Website, Cors, BucketConfig, Provider):
    service = "s3"
    migrations = MIGRATIONS

    def start(self) -> None:
        self.store = S3Store(self.db)
        self.start_bucket_configs()
        self.bodies = Bodies(self.blobs, self.db)
        self.scheduler.on(events.KIND, lambda payload: events.on_timer(self, payload))
        self.lifecycle = Lifecycle(self)
        self.object_lambda_pending = object_lambda.Pending()
        self._collect_now()

    def reset(self) -> None:
        self.store.reload()
        self.forget_bucket_configs()
        self.forget_cors_rules()
        self.lifecycle.load()

    # -- helpers ----------------------------------------------------------------------------

    def bucket(self, ctx: RequestContext, name: str) -> Bucket:
        """The bucket ``name``, or S3's NoSuchBucket (AccessDenied for another account's)."""
        b = self.store.bucket(name)
        if b is None:
            return access_points.bucket_for(self, ctx, name)  # an access point's alias or ARN host, or NoSuchBucket
        if b.account != ctx.account and not ctx.internal and not self.config.enforce_iam:  # else: authz.py
            raise errors.access_denied()
        return b

    def _collect_now(self) -> None:
        pending = self.store.pending_garbage()
        for b in pending:
            self.bodies.delete(b)
        if pending:
            self.store.collected(pending)

    async def _collect(self) -> None:
        """Remove the blobs whose rows are gone, once that is committed."""
        if not self.store.files_to_collect:
            return
        pending = self.store.pending_garbage()
        if not pending:
            self.store.files_to_collect = False
            return
        await self.db.durable()
        await delete_blobs(self.bodies, pending)
        self.store.collected(pending)

    def _location_host(self, ctx: RequestContext) -> str:
        host = ctx.request.headers.get("host") if ctx.request is not None else None
        return f"http://{host or f'{self.config.hostname}:{self.config.port}'}"

    def _version_for_write(self, b: Bucket) -> str:
        return _new_version_id() if b.versioning == "Enabled" else "null"

    def _object(self, b: Bucket, key: str, version_id: str | None, *, allow_marker: bool = False,
                body: bool = False) -> Obj:
        """The current object (or a version of it): NoSuchKey, NoSuchVersion, or the delete marker errors.
        ``body``: with a small body's bytes read along (``Obj.data``)."""
        raw = check_key(key)
        if version_id is None:
            o = self.store.current(b.name, raw, body)
            if o is None:
                raise errors.no_such_key(key)
            if o.delete_marker and not allow_marker:
                e = errors.no_such_key(key)
                e.headers += [("x-amz-delete-marker", "true"), ("x-amz-version-id", o.version_id)]
                raise e
            return o
        o = self.store.version(b.name, raw, version_id, body)
        if o is None:
            if version_id != "null" and not re.fullmatch(r"[A-Za-z0-9._-]{1,1024}", version_id):
                raise errors.invalid_argument("Invalid version id specified", "versionId", version_id)
            raise errors.no_such_version(key, version_id)
        if o.delete_marker and not allow_marker:
            e = ServiceError("MethodNotAllowed", "The specified method is not allowed against this resource.",
                             405, Method="GET", ResourceType="DeleteMarker")
            e.headers += [("x-amz-delete-marker", "true"), ("x-amz-version-id", o.version_id),
                          ("Last-Modified", _ts(o.modified).strftime("%a, %d %b %Y %H:%M:%S GMT"))]
            raise e
        return o

    def _request_header(self, ctx: RequestContext, name: str) -> str | None:
        """A request header by its lower-cased name."""
        return ctx.request.headers.get(name) if ctx.request is not None else None

    # -- buckets ----------------------------------------------------------------------------

    def create_bucket(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        check_bucket_name(name)
        conf = params.get("CreateBucketConfiguration") or {}
        constraint = conf.get("LocationConstraint")
        region = ctx.region or US_EAST_1
        if constraint is not None and constraint == "":
            constraint = None
        if constraint is None:
            if region != US_EAST_1:
                raise ServiceError("IllegalLocationConstraintException",
                                   "The unspecified location constraint is incompatible for the region "
                                   "specific endpoint this request was sent to.", 400)
            bucket_region = US_EAST_1
        else:
            if constraint == US_EAST_1:
                raise ServiceError("InvalidLocationConstraint", "The specified location-constraint is not valid",
                                   400, LocationConstraint=constraint)
            if constraint == "EU":
                constraint = "eu-west-1"
            if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", constraint):
                raise ServiceError("InvalidLocationConstraint", "The specified location-constraint is not valid",
                                   400, LocationConstraint=constraint)
            if region != US_EAST_1 and constraint != region:
                raise ServiceError("IllegalLocationConstraintException",
                                   f"The {constraint} location constraint is incompatible for the region "
                                   "specific endpoint this request was sent to.", 400)
            bucket_region = constraint
        existing = self.store.bucket(name)
        if existing is not None:
            if existing.account != ctx.account:
                raise ServiceError("BucketAlreadyExists", "The requested bucket name is not available. The bucket "
                                   "namespace is shared by all users of the system. Please select a different "
                                   "name and try again.", 409, BucketName=name)
            if region == US_EAST_1 and existing.region == US_EAST_1 and bucket_region == US_EAST_1:
                # us-east-1 keeps its legacy answer: re-creating your own bucket is a no-op 200.
                return {"Location": f"/{name}"}
            raise ServiceError("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket "
                               "succeeded and you already own it.", 409, BucketName=name)
        lock = bool(params.get("ObjectLockEnabledForBucket"))
        with self.db.transaction():
            self.store.add_bucket(Bucket(name, ctx.account, bucket_region, self.clock.now(),
                                         "Enabled" if lock else None, lock))
            self.apply_create_bucket_configs(ctx, name, params)
        location = f"/{name}" if bucket_region == US_EAST_1 else f"{self._location_host(ctx)}/{name}/"
        return {"Location": location, "BucketArn": f"arn:aws:s3:::{name}"}

    def head_bucket(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        b = self.store.bucket(name)
        if b is None:
            return access_points.head_bucket(self, ctx, name)  # or NoSuchBucket "Not Found"
        if b.account != ctx.account and not ctx.internal and not self.config.enforce_iam:  # else: authz.py
            e = errors.access_denied()
            e.headers.append(("x-amz-bucket-region", b.region))
            raise e
        return {"BucketRegion": b.region, "AccessPointAlias": False, "BucketArn": f"arn:aws:s3:::{name}"}

    def get_bucket_location(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        return {"LocationConstraint": None if b.region == US_EAST_1 else b.region}

    def list_buckets(self, ctx: RequestContext, params: dict) -> dict:
        limit = params.get("MaxBuckets")
        if limit is not None and not 1 <= limit <= 10000:
            raise errors.invalid_argument("Argument max-buckets must be an integer between 1 and 10000",
                                          "max-buckets", limit)
        token = params.get("ContinuationToken")
        after = listing.decode_token(token).decode("utf-8", "replace") if token else ""
        prefix = params.get("Prefix") or ""
        page = limit or 10000
        found = self.store.buckets(ctx.account, after, prefix, params.get("BucketRegion"), page + 1)
        out: dict = {"Buckets": [{"Name": b.name, "CreationDate": _ts(b.created), "BucketRegion": b.region}
                                 for b in found[:page]],
                     "Owner": _owner(ctx.account)}
        if len(found) > page:
            out["ContinuationToken"] = listing.encode_token(found[page - 1].name.encode())
        if params.get("Prefix") is not None:
            out["Prefix"] = prefix
        return out

    async def delete_bucket(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        if not self.store.bucket_is_empty(b.name):
            raise ServiceError("BucketNotEmpty", "The bucket you tried to delete is not empty", 409,
                               BucketName=b.name)
        with self.db.transaction():
            self.store.delete_bucket(b.name)
            self.forget_bucket_configs(b.name)
            self.lifecycle.removed(b.name)
        await self._collect()
        return {}

    # -- versioning -------------------------------------------------------------------------

    def put_bucket_versioning(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        conf = params.get("VersioningConfiguration") or {}
        status = conf.get("Status")
        if status not in ("Enabled", "Suspended"):
            raise errors.malformed_xml()
        if status == "Suspended" and self._object_lock_enabled(b):
            raise ServiceError("InvalidBucketState", "An Object Lock configuration is present on this bucket, "
                               "so the versioning state cannot be changed.", 409)
        with self.db.transaction():
            self.store.set_versioning(b.name, status)
        return {}

    def get_bucket_versioning(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        return {"Status": b.versioning} if b.versioning else {}

    # -- writing objects --------------------------------------------------------------------

    def _incoming(self, ctx: RequestContext, params: dict, aws_chunked: bool | None = None):
        """The request body (an ``aws-chunked`` framing taken off), the checksums it
        carries ``{algorithm: value or None when it trails}``, their hashers, and the
        dict the trailers arrive in. ``aws_chunked``: whether the body is framed, when
        the caller knows already."""
        headers = ctx.request.headers if ctx.request is not None else {}
        requested = cks.requested_checksums(headers) if ctx.request is not None else {}
        if not requested and params.get("ChecksumAlgorithm") and ctx.request is None:
            requested = {params["ChecksumAlgorithm"].upper(): None}
        hashers = {alg: cks.hasher(alg) for alg in requested}
        body = params.get("Body")
        trailers: dict = {}
        if aws_chunked is None:
            aws_chunked = ctx.request is not None and chunked.is_aws_chunked(headers)
        if aws_chunked:
            body = chunked.decode_request(headers, as_stream(body), trailers,
                                          getattr(ctx.request, "chunk_verifier", None))  # auth/enforce.py
        return body, requested, hashers, trailers

    async def _receive(self, ctx: RequestContext, params: dict, aws_chunked: bool | None = None,
                       in_row: bool = False) -> tuple[str, int, str, dict, bytes | None]:
        """A PutObject or UploadPart body stored: its blob, size, ETag (its MD5), the
        checksums it carries, each checked (``Content-MD5`` too), and, ``in_row``, a
        small body's bytes for the object's row (its blob ``IN_ROW``); a failed check
        leaves nothing."""
        body, requested, hashers, trailers = self._incoming(ctx, params, aws_chunked)
        if not hashers:
            # S3 gives an object uploaded without a checksum a CRC64NVME one.
            hashers = {"CRC64NVME": cks.hasher("CRC64NVME")}
        md5 = hashlib.md5()
        if in_row:
            blob_id, size, data = await take_body(self.bodies, body, [md5, *hashers.values()])
        else:
            (blob_id, size), data = await store_body(self.bodies, body, [md5, *hashers.values()]), None
        try:
            if params.get("ContentMD5") is not None:
                cks.verify_content_md5(params["ContentMD5"], md5.digest())
            checksums = self._verify(ctx, requested, hashers, trailers)
        except BaseException:
            await delete_blobs(self.bodies, [blob_id])
            raise
        return blob_id, size, f'"{md5.hexdigest()}"', checksums, data

    def _verify(self, ctx: RequestContext, requested: dict, hashers: dict, trailers: dict) -> dict:
        """Check the checksums the client sent against the body; return them as ``{"ChecksumCRC32": value, ...}``."""
        headers = ctx.request.headers if ctx.request is not None else {}
        trailing = cks.trailing_checksum(headers, trailers) if ctx.request is not None else {}
        out = {}
        for alg, h in hashers.items():
            actual = h.b64()
            expected = requested.get(alg)
            if expected is not None:
                cks.verify(alg, expected, actual)
            elif trailing.get(alg) is not None:
                cks.verify(alg, trailing[alg], actual, trailing=True)
            out[cks.member_name(alg)] = actual
        return out

    def _object_meta(self, params: dict, b: Bucket | None = None) -> dict:
        meta = {} if _CONTENT_ALL.isdisjoint(params) else {
            f: params[f] for f in CONTENT_FIELDS if params.get(f) is not None}
        if b is not None and not _ACL_PARAMS.isdisjoint(params) and (
                params.get("ACL") is not None
                or any(params.get(h) for h in ("GrantFullControl", "GrantRead", "GrantReadACP", "GrantWriteACP"))):
            meta["Grants"] = self._object_grants(b, params)
        if params.get("Metadata"):
            meta["Metadata"] = {k.lower(): v for k, v in params["Metadata"].items()}
            size = sum(len(k.encode()) + len(str(v).encode()) for k, v in meta["Metadata"].items())
            if size > MAX_METADATA:
                raise ServiceError("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata "
                                   "size", 400, Size=size, MaxSizeAllowed=MAX_METADATA)
        storage = params.get("StorageClass")
        if storage is not None and storage not in STORAGE_CLASSES:
            raise ServiceError("InvalidStorageClass", "The storage class you specified is not valid", 400,
                               StorageClassRequested=storage)
        if storage and storage != "STANDARD":
            meta["StorageClass"] = storage
        if params.get("ServerSideEncryption"):
            meta["ServerSideEncryption"] = params["ServerSideEncryption"]
        if params.get("SSEKMSKeyId") and b is not None:  # the named key must be usable (auth/kms_keys.py)
            key = kms_keys.check_now(self.runtime, params["SSEKMSKeyId"], kms_keys.S3, account=b.account,
                                     region=b.region, principal="s3.amazonaws.com")
            meta["SSEKMSKeyId"] = key.get("Arn") or params["SSEKMSKeyId"]  # S3 answers with the key's ARN
            if params.get("BucketKeyEnabled"):
                meta["BucketKeyEnabled"] = True
        if b is not None:
            object_lock.on_write(self, b, params, meta)  # x-amz-object-lock-*, or the bucket's default retention
        return meta

    def _expires_header(self, ctx: RequestContext, meta: dict) -> None:
        raw = self._request_header(ctx, "expires")
        if raw:
            meta["Expires"] = raw

    def _check_write_conditions(self, b: Bucket, raw: bytes, key: str, params: dict) -> None:
        inm, im = params.get("IfNoneMatch"), params.get("IfMatch")
        if inm is None and im is None:
            return
        cur = self.store.current(b.name, raw)
        exists = cur is not None and not cur.delete_marker
        if inm is not None:
            if inm.strip() != "*":
                raise ServiceError("NotImplemented", "A header you provided implies functionality that is not "
                                   "implemented", 501, Header="If-None-Match")
            if exists:
                raise errors.precondition_failed("If-None-Match")
        if im is not None:
            if not exists:
                raise errors.no_such_key(key)
            if not _etag_matches(im, cur.etag):
                raise errors.precondition_failed("If-Match")

    def _commit_object(self, b: Bucket, raw: bytes, blobs: list, size: int, etag: str, meta: dict,
                       tags: list, data: bytes | None = None) -> Obj:
        o = Obj(b.name, raw, self._version_for_write(b), self.store.next_seq(), True, False, blobs, size, etag,
                self.clock.now(), meta, tags, data)
        self.store.insert(o, only_version=b.versioning is None)
        return o

    def _version_out(self, b: Bucket, o: Obj) -> str | None:
        return o.version_id if (b.versioning or o.version_id != "null") else None

    async def put_object(self, ctx: RequestContext, params: dict) -> dict:
        _check_upload_size(ctx)
        try:
            return self.lifecycle.written(params, await self._put_object(ctx, params))
        except BaseException:
            await drain(params.get("Body"))
            raise

    async def _put_object(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        key = params["Key"]
        raw = check_key(key)
        meta = self._object_meta(params, b)
        self._expires_header(ctx, meta)
        tags = _parse_tagging(params["Tagging"]) if params.get("Tagging") else []
        md5_b64 = params.get("ContentMD5")
        expected_md5 = None
        if md5_b64 is not None:
            try:
                expected_md5 = base64.b64decode(md5_b64, validate=True)
            except (binascii.Error, ValueError):
                expected_md5 = b""
            if len(expected_md5) != 16:
                raise ServiceError("InvalidDigest", "The Content-MD5 you specified was invalid.", 400,
                                   fields={"Content-MD5": md5_b64})
        self._check_write_conditions(b, raw, key, params)
        aws_chunked = ctx.request is not None and chunked.is_aws_chunked(ctx.request.headers)
        if aws_chunked:
            encoding = chunked.stored_content_encoding(ctx.request.headers)
            meta.pop("ContentEncoding", None)
            if encoding:
                meta["ContentEncoding"] = encoding
        blob_id, size, etag, checksums, data = await self._receive(ctx, params, aws_chunked, in_row=True)
        try:
            if checksums:
                meta["Checksums"] = checksums
                meta["ChecksumType"] = "FULL_OBJECT"
            with self.db.transaction():
                self._check_write_conditions(b, raw, key, params)
                o = self._commit_object(b, raw, [[blob_id, size]], size, etag, meta, tags, data)
        except BaseException:
            await delete_blobs(self.bodies, [blob_id])
            raise
        if self.store.files_to_collect:  # (an overwrite of a small body frees no file)
            await self._collect()
        events.emit(self, ctx, b, "ObjectCreated:Post" if ctx.operation == "PostObject" else "ObjectCreated:Put",
                    key, size=size, etag=etag, version_id=o.version_id,
                    seq=o.seq)
        out = {"ETag": etag, "VersionId": self._version_out(b, o),
               "ServerSideEncryption": meta.get("ServerSideEncryption", "AES256")}
        out.update(checksums)
        if checksums:
            out["ChecksumType"] = "FULL_OBJECT"
        return out

    # -- reading objects --------------------------------------------------------------------

    def _headers_of(self, ctx: RequestContext, b: Bucket, o: Obj, params: dict) -> dict:
        meta = o.meta
        out: dict = {"ETag": o.etag, "LastModified": _ts(o.modified), "AcceptRanges": "bytes",
                     "ContentType": meta.get("ContentType", "binary/octet-stream"),
                     "VersionId": self._version_out(b, o)}
        if not _CONTENT_REST.isdisjoint(meta):  # (most objects have none of them)
            for f in CONTENT_FIELDS[1:]:
                if meta.get(f) is not None:
                    out[f] = meta[f]
        rare = not _RARE_META.isdisjoint(meta)  # (most objects have none of these either)
        if rare and meta.get("Metadata"):
            out["Metadata"] = meta["Metadata"]
        if rare and meta.get("StorageClass"):
            out["StorageClass"] = meta["StorageClass"]
        out["ServerSideEncryption"] = meta.get("ServerSideEncryption", "AES256")
        if rare and meta.get("SSEKMSKeyId"):
            out["SSEKMSKeyId"] = meta["SSEKMSKeyId"]
            if meta.get("BucketKeyEnabled"):
                out["BucketKeyEnabled"] = True
        if o.tags:
            out["TagCount"] = len(o.tags)
        if rare and "Lock" in meta:
            out.update(object_lock.headers(meta["Lock"]))
        restore = meta.get("Restore") if rare else None
        if restore:
            if self.clock.now() < restore["ready"]:
                out["Restore"] = 'ongoing-request="true"'
            elif self.clock.now() < restore["expiry"]:
                expiry = _ts(restore["expiry"]).strftime("%a, %d %b %Y %H:%M:%S GMT")
                out["Restore"] = f'ongoing-request="false", expiry-date="{expiry}"'
        if params.get("ChecksumMode") == "ENABLED" and meta.get("Checksums"):
            out.update(meta["Checksums"])
            out["ChecksumType"] = meta.get("ChecksumType", "FULL_OBJECT")
        expires = meta.get("Expires") if rare else None
        if not _RESPONSE_OVERRIDES.isdisjoint(params):
            for field, name in (("ResponseContentType", "ContentType"),
                                ("ResponseContentLanguage", "ContentLanguage"),
                                ("ResponseContentDisposition", "ContentDisposition"),
                                ("ResponseContentEncoding", "ContentEncoding"),
                                ("ResponseCacheControl", "CacheControl")):
                if params.get(field) is not None:
                    out[name] = params[field]
            if params.get("ResponseExpires") is not None:
                expires = self._request_query(ctx, "response-expires") or expires
        if expires:
            ctx.extra_headers.append(("Expires", expires))
        return out

    def _request_query(self, ctx: RequestContext, name: str) -> str | None:
        if ctx.request is None:
            return None
        for k, v in ctx.request.query:
            if k == name:
                return v
        return None

    def _read(self, ctx: RequestContext, params: dict,
              body: bool = False) -> tuple[Bucket, Obj, dict, tuple[int, int] | None]:
        b = self.bucket(ctx, params["Bucket"])
        o = self._object(b, params["Key"], params.get("VersionId"), body=body)
        if not _CONDITIONS.isdisjoint(params):
            _check_conditions(o, params.get("IfMatch"), params.get("IfNoneMatch"), params.get("IfModifiedSince"),
                              params.get("IfUnmodifiedSince"))
        out = self._headers_of(ctx, b, o, params)
        part = params.get("PartNumber")
        if part is not None:
            if params.get("Range"):
                raise errors.invalid_request("Cannot specify both Range header and partNumber query parameter")
            if not 1 <= part <= max(1, len(o.blobs)):
                raise ServiceError("InvalidPartNumber", "The requested partnumber is not satisfiable", 416,
                                   PartNumberRequested=part, ActualPartCount=len(o.blobs))
            if len(o.blobs) > 1 or o.meta.get("Multipart"):
                first = sum(s for _, s in o.blobs[:part - 1])
                rng = (first, first + o.blobs[part - 1][1] - 1)
                out["PartsCount"] = len(o.blobs)
            else:
                rng = None
        else:
            rng = _byte_range(params["Range"], o.size) if "Range" in params else None
        if rng is None:
            out["ContentLength"] = o.size
        else:
            for f in CHECKSUM_FIELDS + ("ChecksumType",):
                out.pop(f, None)  # a checksum covers the whole object, not a range of it
            out["ContentLength"] = rng[1] - rng[0] + 1
            out["ContentRange"] = f"bytes {rng[0]}-{rng[1]}/{o.size}"
        return b, o, out, rng

    def get_object(self, ctx: RequestContext, params: dict) -> dict | Awaitable[dict]:
        """The answer at once for a small body (read with its row), else once its
        files are open (an awaitable: the runtime awaits either)."""
        try:
            b, o, out, rng = self._read(ctx, params, body=True)
        except ServiceError as e:
            olap = object_lambda.named(self.runtime, ctx, params["Bucket"]) if e.code == "NoSuchBucket" else None
            if olap is None:
                raise
            return object_lambda.get_object(self, ctx, params, olap)  # through an Object Lambda access point
        self.lifecycle.expiration(b, o, out)
        if o.meta.get("StorageClass") in ARCHIVED and not self._restored(o):
            raise ServiceError("InvalidObjectState", "The operation is not valid for the object's storage class",
                               403, StorageClass=o.meta["StorageClass"])
        if rng is not None:
            ctx.status = 206  # a partial body
        first, last = rng if rng is not None else (0, o.size - 1)
        if o.size == 0 or last < first:
            out["Body"] = b""
        elif o.data is not None and len(o.blobs) == 1:  # a small body, read with the row
            out["Body"] = o.data if rng is None else o.data[first:last + 1]
        else:
            return self._with_body(out, o.blobs, first, last)
        return out

    def write_get_object_response(self, ctx: RequestContext, params: dict) -> Awaitable[dict]:
        """An Object Lambda function's answer to the GetObject waiting on its token."""
        return object_lambda.write_get_object_response(self, ctx, params)

    async def _with_body(self, out: dict, blobs: list, first: int, last: int) -> dict:
        out["Body"] = await read_body(self.bodies, blobs, first, last)
        return out

    def head_object(self, ctx: RequestContext, params: dict) -> dict:
        b, o, out, rng = self._read(ctx, params)
        self.lifecycle.expiration(b, o, out)
        return out

    # -- deleting ---------------------------------------------------------------------------

    def _delete_one(self, b: Bucket, key: str, version_id: str | None, bypass: bool = False) -> dict:
        """DeleteObject's effect (inside a transaction): the response fields."""
        raw = check_key(key)
        if version_id is not None:
            o = self.store.version(b.name, raw, version_id)
            if o is None:
                if version_id != "null" and not re.fullmatch(r"[A-Za-z0-9._-]{1,1024}", version_id):
                    raise errors.invalid_argument("Invalid version id specified", "versionId", version_id)
                return {"VersionId": version_id}
            object_lock.check_delete(self, o, bypass)
            self.store.remove(o)
            out = {"VersionId": version_id, "_event": "ObjectRemoved:Delete"}
            if o.delete_marker:
                out["DeleteMarker"] = True
            return out
        if b.versioning is None:
            o = self.store.current(b.name, raw)
            if o is not None:
                self.store.remove(o)
            return {"_event": "ObjectRemoved:Delete"}
        marker = Obj(b.name, raw, self._version_for_write(b), self.store.next_seq(), True, True, [], 0, "",
                     self.clock.now(), {}, [])
        self.store.insert(marker)
        return {"DeleteMarker": True, "VersionId": marker.version_id, "_event": "ObjectRemoved:DeleteMarkerCreated",
                "_seq": marker.seq}

    async def delete_object(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        with self.db.transaction():
            out = self._delete_one(b, params["Key"], params.get("VersionId"),
                                   bool(params.get("BypassGovernanceRetention")))
        await self._collect()
        self._emit_delete(ctx, b, params["Key"], out)
        return out

    def _emit_delete(self, ctx: RequestContext, b: Bucket, key: str, out: dict) -> None:
        event = out.pop("_event", None)
        seq = out.pop("_seq", 0)
        if event:
            events.emit(self, ctx, b, event, key, version_id=out.get("VersionId"), seq=seq)

    async def delete_objects(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        spec = params.get("Delete") or {}
        objects = spec.get("Objects") or []
        if not objects or len(objects) > 1000:
            raise errors.malformed_xml()
        quiet = bool(spec.get("Quiet"))
        deleted, failed, removed = [], [], []
        with self.db.transaction():
            for item in objects:
                key, vid = item.get("Key", ""), item.get("VersionId")
                try:
                    with self.db.transaction():
                        r = self._delete_one(b, key, vid, bool(params.get("BypassGovernanceRetention")))
                except ServiceError as e:
                    failed.append({"Key": key, "VersionId": vid, "Code": e.code, "Message": e.message})
                    continue
                removed.append((key, r))
                if quiet:
                    continue
                entry: dict = {"Key": key}
                if vid is not None:
                    entry["VersionId"] = vid
                    if r.get("DeleteMarker"):
                        entry["DeleteMarker"] = True
                        entry["DeleteMarkerVersionId"] = vid
                elif r.get("DeleteMarker"):
                    entry["DeleteMarker"] = True
                    entry["DeleteMarkerVersionId"] = r["VersionId"]
                deleted.append(entry)
        await self._collect()
        for key, r in removed:
            self._emit_delete(ctx, b, key, r)
        out: dict = {}
        if deleted:
            out["Deleted"] = deleted
        if failed:
            out["Errors"] = failed
        return out

    # -- copying ----------------------------------------------------------------------------

    def _copy_source(self, ctx: RequestContext, params: dict) -> tuple[Bucket, Obj]:
        source = params.get("CopySource") or ""
        path, _, query = source.partition("?")
        path = unquote(path).lstrip("/")
        bucket, _, key = access_points.copy_source(path) or path.partition("/")  # "<AP ARN>/object/<key>"
        if not bucket or not key:
            raise errors.invalid_argument("Invalid copy source object key", "x-amz-copy-source", source)
        version_id = None
        for k, v in parse_qsl(query):
            if k == "versionId":
                version_id = v
        sb = self.bucket(ctx, bucket)
        try:
            so = self._object(sb, key, version_id, body=True)
        except ServiceError as e:
            if e.code == "MethodNotAllowed":
                raise errors.invalid_request("The source of a copy request may not specifically refer to a "
                                             "delete marker by version id.") from None
            raise
        if so.meta.get("StorageClass") in ARCHIVED and not self._restored(so):
            raise ServiceError("InvalidObjectState", "The operation is not valid for the object's storage class",
                               403, StorageClass=so.meta["StorageClass"])
        _check_copy_conditions(so, params)
        return sb, so

    async def copy_object(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        key = params["Key"]
        raw = check_key(key)
        sb, so = self._copy_source(ctx, params)
        directive = params.get("MetadataDirective") or "COPY"
        tagging_directive = params.get("TaggingDirective") or "COPY"
        if directive not in ("COPY", "REPLACE") or tagging_directive not in ("COPY", "REPLACE"):
            raise errors.invalid_argument("Unknown metadata directive.", "x-amz-metadata-directive", directive)
        if directive == "REPLACE":
            meta = self._object_meta(params, b)
            self._expires_header(ctx, meta)
        else:
            meta = {k: v for k, v in so.meta.items()
                    if k not in ("Checksums", "ChecksumType", "Multipart", "Grants", "Restore", "Lock")}
            acl_meta = self._object_meta(params, b)
            if "Grants" in acl_meta:
                meta["Grants"] = acl_meta["Grants"]
            if "Lock" in acl_meta:  # a copy is locked by its own request or bucket, never by its source's lock
                meta["Lock"] = acl_meta["Lock"]
            if params.get("StorageClass"):
                meta["StorageClass"] = params["StorageClass"]
                if params["StorageClass"] == "STANDARD":
                    meta.pop("StorageClass")
            if params.get("WebsiteRedirectLocation"):
                meta["WebsiteRedirectLocation"] = params["WebsiteRedirectLocation"]
            if params.get("ServerSideEncryption"):  # the request's encryption, not the source's
                meta["ServerSideEncryption"] = params["ServerSideEncryption"]
                for f in ("SSEKMSKeyId", "BucketKeyEnabled"):
                    meta.pop(f, None)
                    if f in acl_meta:
                        meta[f] = acl_meta[f]
        same = sb.name == b.name and so.key == raw
        if same and directive == "COPY" and not any(params.get(f) for f in (
                "StorageClass", "WebsiteRedirectLocation", "ServerSideEncryption", "SSEKMSKeyId")) \
                and "versionId=" not in (params.get("CopySource") or ""):
            raise errors.invalid_request("This copy request is illegal because it is trying to copy an object to "
                                         "itself without changing the object's metadata, storage class, website "
                                         "redirect location or encryption attributes.")
        tags = so.tags if tagging_directive == "COPY" else (
            _parse_tagging(params["Tagging"]) if params.get("Tagging") else [])
        self._check_write_conditions(b, raw, key, params)
        algorithm = cks.normalize_algorithm(params.get("ChecksumAlgorithm"))
        if algorithm is None and so.meta.get("Checksums") and directive == "COPY":
            algorithm = next(iter(so.meta["Checksums"]))[len("Checksum"):]
        hashers = {cks.member_name(algorithm): cks.hasher(algorithm)} if algorithm else {}
        md5 = hashlib.md5()
        if so.data is not None and len(so.blobs) == 1:  # a small body, read with its row
            blob_id, size = await store_body(self.bodies, so.data, [md5, *hashers.values()])
        elif so.size:
            blob_id, size = await copy_body(self.bodies, so.blobs, 0, so.size - 1, [md5, *hashers.values()])
        else:
            blob_id, size = await store_body(self.bodies, b"", [md5, *hashers.values()])
        etag = f'"{md5.hexdigest()}"'
        checksums = {f: h.b64() for f, h in hashers.items()}
        if checksums:
            meta["Checksums"] = checksums
            meta["ChecksumType"] = "FULL_OBJECT"
        try:
            with self.db.transaction():
                self._check_write_conditions(b, raw, key, params)
                o = self._commit_object(b, raw, [[blob_id, size]], size, etag, meta, tags)
        except BaseException:
            await delete_blobs(self.bodies, [blob_id])
            raise
        await self._collect()
        events.emit(self, ctx, b, "ObjectCreated:Copy", key, size=size, etag=etag, version_id=o.version_id,
                    seq=o.seq)
        result: dict = {"ETag": etag, "LastModified": _ts(o.modified)}
        result.update(checksums)
        out = {"CopyObjectResult": result, "VersionId": self._version_out(b, o),
               "ServerSideEncryption": meta.get("ServerSideEncryption", "AES256")}
        if sb.versioning or so.version_id != "null":
            out["CopySourceVersionId"] = so.version_id
        self.lifecycle.expiration(b, o, out)
        return out

    # -- object tagging ---------------------------------------------------------------------

    def get_object_tagging(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        o = self._object(b, params["Key"], params.get("VersionId"))
        return {"TagSet": o.tags, "VersionId": self._version_out(b, o)}

    def put_object_tagging(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        o = self._object(b, params["Key"], params.get("VersionId"))
        tags = _check_tags((params.get("Tagging") or {}).get("TagSet") or [])
        with self.db.transaction():
            self.store.set_tags(o, tags)
        events.emit(self, ctx, b, "ObjectTagging:Put", params["Key"], version_id=o.version_id, etag=o.etag)
        return {"VersionId": self._version_out(b, o)}

    def delete_object_tagging(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        o = self._object(b, params["Key"], params.get("VersionId"))
        with self.db.transaction():
            self.store.set_tags(o, [])
        events.emit(self, ctx, b, "ObjectTagging:Delete", params["Key"], version_id=o.version_id, etag=o.etag)
        return {"VersionId": self._version_out(b, o)}

    # -- event notifications ----------------------------------------------------------------

    def notification_configured(self, ctx: RequestContext, b: Bucket, config: dict) -> None:
        events.test_event(self, ctx, b, config)

    # -- archived objects -------------------------------------------------------------------

    def _restored(self, o: Obj) -> bool:
        restore = o.meta.get("Restore")
        return bool(restore) and restore["ready"] <= self.clock.now() < restore["expiry"]

    def restore_object(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        o = self._object(b, params["Key"], params.get("VersionId"))
        storage = o.meta.get("StorageClass", "STANDARD")
        if storage not in ARCHIVED:
            raise ServiceError("InvalidObjectState", "Restore is not allowed for the object's current storage "
                               "class", 403, StorageClass=storage)
        request = params.get("RestoreRequest") or {}
        days = request.get("Days")
        if days is None or days < 1:
            raise errors.malformed_xml()
        tier = (request.get("GlacierJobParameters") or {}).get("Tier") or request.get("Tier") or "Standard"
        delay = RESTORE_SECONDS.get((storage, tier))
        if delay is None:
            raise errors.malformed_xml()
        now = self.clock.now()
        restore = o.meta.get("Restore")
        if restore and now < restore["ready"]:
            raise ServiceError("RestoreAlreadyInProgress", "Object restore is already in progress", 409)
        if restore and now < restore["expiry"]:
            # Already restored: a new request only moves the expiry.
            restore = dict(restore, expiry=now + days * 86400)
        else:
            ready = now + delay
            restore = {"ready": ready, "expiry": ready + days * 86400}
        with self.db.transaction():
            self.store.set_meta(o, dict(o.meta, Restore=restore))
        events.restore_requested(self, ctx, b, o, storage, restore)
        return {}

    # -- object ACLs ------------------------------------------------------------------------

    def _object_grants(self, b: Bucket, params: dict) -> list:
        owner = owner_of(b.account)["ID"]
        grants = self._grants_from_headers(owner, params)
        if self.bucket_object_ownership(b.name) == "BucketOwnerEnforced" and not self._owner_only(owner, grants):
            raise ServiceError("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)
        return grants

    def get_object_acl(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        o = self._object(b, params["Key"], params.get("VersionId"))
        owner = owner_of(b.account)
        grants = o.meta.get("Grants") or [self._user_grant(owner["ID"], "FULL_CONTROL")]
        for g in grants:
            if g["Grantee"].get("Type") == "CanonicalUser" and g["Grantee"].get("ID") == owner["ID"]:
                g["Grantee"]["DisplayName"] = owner["DisplayName"]
        return {"Owner": owner, "Grants": grants}

    def put_object_acl(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        o = self._object(b, params["Key"], params.get("VersionId"))
        policy = params.get("AccessControlPolicy")
        if policy and policy.get("Grants") is not None:
            grants = [{"Grantee": {k: v for k, v in g.get("Grantee", {}).items() if k != "DisplayName"},
                       "Permission": g.get("Permission")} for g in policy["Grants"]]
            owner = owner_of(b.account)["ID"]
            if self.bucket_object_ownership(b.name) == "BucketOwnerEnforced" and not self._owner_only(owner, grants):
                raise ServiceError("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)
        else:
            grants = self._object_grants(b, params)
        meta = dict(o.meta, Grants=grants)
        with self.db.transaction():
            self.store.set_meta(o, meta)
        events.emit(self, ctx, b, "ObjectAcl:Put", params["Key"], version_id=o.version_id, etag=o.etag)
        return {}

    # -- object attributes ------------------------------------------------------------------

    def get_object_attributes(self, ctx: RequestContext, params: dict) -> dict:
        wanted = {a.strip() for a in params.get("ObjectAttributes") or [] if a.strip()}
        if not wanted:
            raise errors.invalid_request("The x-amz-object-attributes header specifying the attributes to be "
                                         "retrieved is either missing or empty")
        if not wanted & _OBJECT_ATTRIBUTES:
            raise errors.invalid_argument("Invalid attribute name specified.")
        b = self.bucket(ctx, params["Bucket"])
        o = self._object(b, params["Key"], params.get("VersionId"))
        out: dict = {"LastModified": _ts(o.modified), "VersionId": self._version_out(b, o)}
        if "ETag" in wanted:
            out["ETag"] = o.etag.strip('"')
        if "ObjectSize" in wanted:
            out["ObjectSize"] = o.size
        if "StorageClass" in wanted:
            out["StorageClass"] = o.meta.get("StorageClass", "STANDARD")
        if "Checksum" in wanted and o.meta.get("Checksums"):
            out["Checksum"] = {**o.meta["Checksums"], "ChecksumType": o.meta.get("ChecksumType", "FULL_OBJECT")}
        if "ObjectParts" in wanted and o.meta.get("Multipart"):
            marker = params.get("PartNumberMarker") or 0
            limit = params.get("MaxParts") or 1000
            field, sums = next(iter(o.meta.get("Checksums") or {}), None), o.meta.get("PartChecksums") or []
            parts = [{"PartNumber": i + 1, "Size": s, **({field: sums[i]} if i < len(sums) else {})}
                     for i, (_, s) in enumerate(o.blobs)][marker:]
            out["ObjectParts"] = {"TotalPartsCount": len(o.blobs), "PartNumberMarker": marker,
                                  "MaxParts": limit, "IsTruncated": len(parts) > limit}
            # S3 lists the parts only of an object with an additional checksum (API reference,
            # GetObjectAttributesParts).
            if field:
                out["ObjectParts"]["Parts"] = parts[:limit]
            if len(parts) > limit:
                out["ObjectParts"]["NextPartNumberMarker"] = parts[limit - 1]["PartNumber"]
        return out

    # -- listing ----------------------------------------------------------------------------

    def _list_entries(self, b: Bucket, params: dict, marker: bytes | None, max_keys: int):
        prefix = (params.get("Prefix") or "").encode("utf-8")
        delimiter = (params.get("Delimiter") or "").encode("utf-8")

        def fetch(start, inclusive, end, limit):
            return self.store.listing(b.name, start, inclusive, end, limit)

        return listing.walk(fetch, prefix, delimiter, marker, max_keys)

    def _max_keys(self, params: dict, name: str = "MaxKeys") -> int:
        n = params.get(name)
        if n is None:
            return 1000
        if n < 0:
            raise errors.invalid_argument("Provided max-keys not an integer or within integer range",
                                          "max-keys", n)
        return min(n, 1000)

    def _contents(self, entries, enc: bool, owner: dict | None) -> tuple[list, list]:
        contents, prefixes = [], []
        for kind, item in entries:
            if kind == "prefix":
                prefixes.append({"Prefix": listing.url(key_text(item), enc)})
                continue
            entry = {"Key": listing.url(item.key_text, enc), "LastModified": _ts(item.modified),
                     "ETag": item.etag, "Size": item.size,
                     "StorageClass": item.meta.get("StorageClass", "STANDARD")}
            if item.meta.get("Checksums"):
                entry["ChecksumAlgorithm"] = [f[len("Checksum"):] for f in item.meta["Checksums"]]
                entry["ChecksumType"] = item.meta.get("ChecksumType", "FULL_OBJECT")
            if owner is not None:
                entry["Owner"] = owner
            contents.append(entry)
        return contents, prefixes

    def _check_encoding(self, params: dict) -> bool:
        enc = params.get("EncodingType")
        if enc is not None and enc != "url":
            raise errors.invalid_argument("Invalid Encoding Method specified in Request", "encoding-type", enc)
        return enc == "url"

    def list_objects_v2(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        enc = self._check_encoding(params)
        max_keys = self._max_keys(params)
        token = params.get("ContinuationToken")
        start_after = params.get("StartAfter")
        if token is not None:
            marker = listing.decode_token(token)
        elif start_after:
            marker = start_after.encode("utf-8")
        else:
            marker = None
        entries, truncated = self._list_entries(b, params, marker, max_keys)
        contents, prefixes = self._contents(entries, enc, _owner(b.account) if params.get("FetchOwner") else None)
        out: dict = {"Name": b.name, "Prefix": listing.url(params.get("Prefix") or "", enc), "MaxKeys": max_keys,
                     "KeyCount": len(entries), "IsTruncated": truncated}
        if contents:
            out["Contents"] = contents
        if token is not None:
            out["ContinuationToken"] = token
        if start_after:
            out["StartAfter"] = listing.url(start_after, enc)
        if truncated:
            kind, last = entries[-1]
            out["NextContinuationToken"] = listing.encode_token(last if kind == "prefix" else last.key)
        return listing.finish(out, params, enc, prefixes)

    def list_objects(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        enc = self._check_encoding(params)
        max_keys = self._max_keys(params)
        marker_text = params.get("Marker") or ""
        entries, truncated = self._list_entries(b, params, marker_text.encode("utf-8") or None, max_keys)
        contents, prefixes = self._contents(entries, enc, _owner(b.account))
        out: dict = {"Name": b.name, "Prefix": listing.url(params.get("Prefix") or "", enc),
                     "Marker": listing.url(marker_text, enc), "MaxKeys": max_keys, "IsTruncated": truncated}
        if params.get("Delimiter") and truncated:
            kind, last = entries[-1]
            out["NextMarker"] = listing.url(key_text(last if kind == "prefix" else last.key), enc)
        if contents:
            out["Contents"] = contents
        return listing.finish(out, params, enc, prefixes)

    def list_object_versions(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        enc = self._check_encoding(params)
        max_keys = self._max_keys(params)
        key_marker = params.get("KeyMarker") or ""
        vid_marker = params.get("VersionIdMarker")
        if vid_marker and not key_marker:
            raise errors.invalid_argument("A version-id marker cannot be specified without a key marker.",
                                          "version-id-marker", vid_marker)
        marker = key_marker.encode("utf-8") or None
        start = None
        if marker is not None and vid_marker:
            v = self.store.version(b.name, marker, vid_marker)
            if v is None:
                if vid_marker != "null":
                    raise errors.invalid_argument("Invalid version id specified", "version-id-marker", vid_marker)
            else:
                start = (("v", marker, v.seq), False)
        prefix = (params.get("Prefix") or "").encode("utf-8")
        delimiter = (params.get("Delimiter") or "").encode("utf-8")

        def fetch(cursor, inclusive, end, limit):
            if isinstance(cursor, tuple):
                _, k, seq = cursor
                return self.store.versions(b.name, k, seq, end, limit)
            if inclusive:
                return self.store.versions(b.name, cursor, None, end, limit)
            return self.store.versions(b.name, cursor + b"\x00", None, end, limit)

        entries, truncated = listing.walk(fetch, prefix, delimiter, marker, max_keys,
                                          after_item=lambda o: (("v", o.key, o.seq), False), start=start)
        owner = _owner(b.account)
        versions, markers, prefixes = [], [], []
        for kind, o in entries:
            if kind == "prefix":
                prefixes.append({"Prefix": listing.url(key_text(o), enc)})
                continue
            entry = {"Owner": owner, "Key": listing.url(o.key_text, enc), "VersionId": o.version_id,
                     "IsLatest": o.is_latest, "LastModified": _ts(o.modified)}
            if o.delete_marker:
                markers.append(entry)
            else:
                entry.update({"ETag": o.etag, "Size": o.size,
                              "StorageClass": o.meta.get("StorageClass", "STANDARD")})
                versions.append(entry)
        out: dict = {"Name": b.name, "Prefix": listing.url(params.get("Prefix") or "", enc),
                     "KeyMarker": listing.url(key_marker, enc), "VersionIdMarker": vid_marker or "",
                     "MaxKeys": max_keys, "IsTruncated": truncated}
        if versions:
            out["Versions"] = versions
        if markers:
            out["DeleteMarkers"] = markers
        if truncated:
            kind, last = entries[-1]
            if kind == "prefix":
                out["NextKeyMarker"] = listing.url(key_text(last), enc)
            else:
                out["NextKeyMarker"] = listing.url(last.key_text, enc)
                out["NextVersionIdMarker"] = last.version_id
        return listing.finish(out, params, enc, prefixes)

    # -- multipart uploads ------------------------------------------------------------------

    def create_multipart_upload(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        key = params["Key"]
        raw = check_key(key)
        meta = self._object_meta(params, b)
        self._expires_header(ctx, meta)
        kind = cks.multipart_checksum_type(params.get("ChecksumAlgorithm"), params.get("ChecksumType"))
        if kind is not None:
            meta["ChecksumAlgorithm"] = params["ChecksumAlgorithm"].upper()
            meta["MultipartChecksumType"] = kind
        tags = _parse_tagging(params["Tagging"]) if params.get("Tagging") else []
        upload_id = secrets.token_urlsafe(48)
        with self.db.transaction():
            self.store.add_upload(upload_id, b.name, raw, self.clock.now(), meta, tags)
        out = {"Bucket": b.name, "Key": key, "UploadId": upload_id,
               "ServerSideEncryption": meta.get("ServerSideEncryption", "AES256")}
        if meta.get("ChecksumAlgorithm"):
            out["ChecksumAlgorithm"] = meta["ChecksumAlgorithm"]
            out["ChecksumType"] = meta["MultipartChecksumType"]
        self.lifecycle.abort_date(b.name, key, self.clock.now(), out)
        return out

    def _upload(self, b: Bucket, key: str, upload_id: str) -> dict:
        u = self.store.upload(upload_id)
        if u is None or u["bucket"] != b.name or u["key"] != check_key(key):
            raise errors.no_such_upload(upload_id)
        return u

    def _part_number(self, params: dict) -> int:
        n = params.get("PartNumber")
        if n is None or not 1 <= n <= 10000:
            raise errors.invalid_argument("Part number must be an integer between 1 and 10000, inclusive",
                                          "partNumber", n)
        return n

    async def upload_part(self, ctx: RequestContext, params: dict) -> dict:
        _check_upload_size(ctx)
        try:
            return await self._upload_part(ctx, params)
        except BaseException:
            await drain(params.get("Body"))
            raise

    async def _upload_part(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        u = self._upload(b, params["Key"], params["UploadId"])
        number = self._part_number(params)
        blob_id, size, etag, checksums, _ = await self._receive(ctx, params)
        try:
            with self.db.transaction():
                if self.store.upload(u["id"]) is None:
                    raise errors.no_such_upload(u["id"])
                self.store.put_part(u["id"], number, blob_id, size, etag, self.clock.now(), checksums)
        except BaseException:
            await delete_blobs(self.bodies, [blob_id])
            raise
        await self._collect()
        return {"ETag": etag, "ServerSideEncryption": u["meta"].get("ServerSideEncryption", "AES256"), **checksums}

    async def upload_part_copy(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        u = self._upload(b, params["Key"], params["UploadId"])
        number = self._part_number(params)
        sb, so = self._copy_source(ctx, params)
        rng = params.get("CopySourceRange")
        if rng:
            m = re.fullmatch(r"bytes=(\d+)-(\d+)", rng.strip())
            if not m or int(m.group(2)) < int(m.group(1)):
                raise errors.invalid_argument("The x-amz-copy-source-range value must be of the form "
                                              "bytes=first-last where first and last are the zero-based offsets "
                                              "of the first and last bytes to copy", "x-amz-copy-source-range", rng)
            first, last = int(m.group(1)), int(m.group(2))
            if last >= so.size:
                raise errors.invalid_argument(f"Range specified is not valid for source object of size: {so.size}",
                                              "x-amz-copy-source-range", rng)
        else:
            first, last = 0, so.size - 1
        md5 = hashlib.md5()
        if last >= first and so.data is not None and len(so.blobs) == 1:  # a small body, read with its row
            blob_id, size = await store_body(self.bodies, so.data[first:last + 1], [md5])
        elif last >= first:
            blob_id, size = await copy_body(self.bodies, so.blobs, first, last, [md5])
        else:
            blob_id, size = await store_body(self.bodies, b"", [md5])
        etag = f'"{md5.hexdigest()}"'
        now = self.clock.now()
        try:
            with self.db.transaction():
                if self.store.upload(u["id"]) is None:
                    raise errors.no_such_upload(u["id"])
                self.store.put_part(u["id"], number, blob_id, size, etag, now, {})
        except BaseException:
            await delete_blobs(self.bodies, [blob_id])
            raise
        await self._collect()
        out = {"CopyPartResult": {"ETag": etag, "LastModified": _ts(now)}}
        if sb.versioning or so.version_id != "null":
            out["CopySourceVersionId"] = so.version_id
        return out

    async def complete_multipart_upload(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        key = params["Key"]
        u = self._upload(b, key, params["UploadId"])
        requested = (params.get("MultipartUpload") or {}).get("Parts") or []
        if not requested:
            raise errors.malformed_xml()
        stored = {p["number"]: p for p in self.store.parts(u["id"])}
        chosen = []
        last_number = 0
        for item in requested:
            n = item.get("PartNumber")
            if n is None or n <= last_number:
                raise ServiceError("InvalidPartOrder", "The list of parts was not in ascending order. Parts must "
                                   "be ordered by part number.", 400, UploadId=u["id"])
            last_number = n
            p = stored.get(n)
            if p is None or _quoted(item.get("ETag") or "") != p["etag"]:
                raise ServiceError("InvalidPart", "One or more of the specified parts could not be found.  The "
                                   "part may not have been uploaded, or the specified entity tag may not have "
                                   "matched the part's entity tag.", 400, UploadId=u["id"], PartNumber=n,
                                   ETag=item.get("ETag"))
            chosen.append(p)
        for p in chosen[:-1]:
            if p["size"] < MIN_PART:
                raise ServiceError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed "
                                   "size", 400, ProposedSize=p["size"], MinSizeAllowed=MIN_PART,
                                   PartNumber=p["number"], ETag=p["etag"])
        digest = hashlib.md5(b"".join(bytes.fromhex(p["etag"].strip('"')) for p in chosen)).hexdigest()
        etag = f'"{digest}-{len(chosen)}"'
        size = sum(p["size"] for p in chosen)
        meta = dict(u["meta"])
        meta["Multipart"] = True
        checksums: dict = {}
        algorithm = meta.pop("ChecksumAlgorithm", None)
        kind = meta.pop("MultipartChecksumType", None)
        if algorithm:
            field = cks.member_name(algorithm)
            values = [p["meta"].get(field) for p in chosen]
            if all(values):
                digests = [base64.b64decode(v) for v in values]
                if kind == "FULL_OBJECT":
                    checksums[field] = cks.full_object_crc(algorithm, zip(digests, [p["size"] for p in chosen]))
                else:
                    checksums[field] = cks.composite(algorithm, digests)
                given = params.get(field)
                if given and given != checksums[field] and given.split("-")[0] != checksums[field].split("-")[0]:
                    raise ServiceError("BadDigest", f"The {algorithm} you specified did not match the "
                                       "calculated checksum.", 400)
        if checksums:
            meta["Checksums"] = checksums
            meta["ChecksumType"] = kind or "COMPOSITE"
            meta["PartChecksums"] = values  # GetObjectAttributes lists each part's own
        raw = check_key(key)
        with self.db.transaction():
            self._check_write_conditions(b, raw, key, params)
            o = self._commit_object(b, raw, [[p["blob"], p["size"]] for p in chosen], size, etag, meta, u["tags"])
            self.store.drop_upload(u["id"], keep={p["blob"] for p in chosen})
        await self._collect()
        events.emit(self, ctx, b, "ObjectCreated:CompleteMultipartUpload", key, size=size, etag=etag,
                    version_id=o.version_id, seq=o.seq)
        out = {"Location": f"{self._location_host(ctx)}/{b.name}/{key}", "Bucket": b.name, "Key": key,
               "ETag": etag, "VersionId": self._version_out(b, o),
               "ServerSideEncryption": meta.get("ServerSideEncryption", "AES256")}
        if checksums:
            out.update(checksums)
            out["ChecksumType"] = meta["ChecksumType"]
        self.lifecycle.expiration(b, o, out)
        return out

    async def abort_multipart_upload(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        u = self._upload(b, params["Key"], params["UploadId"])
        with self.db.transaction():
            self.store.drop_upload(u["id"])
        await self._collect()
        return {}

    def list_parts(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        u = self._upload(b, params["Key"], params["UploadId"])
        marker = params.get("PartNumberMarker") or 0
        limit = params.get("MaxParts")
        limit = 1000 if limit is None else max(0, min(limit, 1000))
        parts = self.store.parts(u["id"], marker, limit + 1)
        owner = _owner(b.account)
        out: dict = {"Bucket": b.name, "Key": params["Key"], "UploadId": u["id"], "PartNumberMarker": marker,
                     "MaxParts": limit, "IsTruncated": len(parts) > limit, "Initiator": owner, "Owner": owner,
                     "StorageClass": u["meta"].get("StorageClass", "STANDARD"),
                     "Parts": [{"PartNumber": p["number"], "LastModified": _ts(p["modified"]), "ETag": p["etag"],
                                "Size": p["size"], **p["meta"]} for p in parts[:limit]]}
        if parts[:limit]:
            out["NextPartNumberMarker"] = parts[:limit][-1]["number"]
        self.lifecycle.abort_date(b.name, params["Key"], u["initiated"], out)
        return out

    def list_multipart_uploads(self, ctx: RequestContext, params: dict) -> dict:
        b = self.bucket(ctx, params["Bucket"])
        enc = self._check_encoding(params)
        limit = params.get("MaxUploads")
        limit = 1000 if limit is None else max(0, min(limit, 1000))
        key_marker = params.get("KeyMarker") or ""
        id_marker = params.get("UploadIdMarker")
        marker = key_marker.encode("utf-8") or None
        start = ((("u", marker, id_marker)), False) if marker is not None and id_marker else None
        prefix = (params.get("Prefix") or "").encode("utf-8")
        delimiter = (params.get("Delimiter") or "").encode("utf-8")

        def fetch(cursor, inclusive, end, n):
            if isinstance(cursor, tuple):
                return self.store.uploads(b.name, cursor[1], cursor[2], end, n)
            return self.store.uploads(b.name, cursor if inclusive else cursor + b"\x00", None, end, n)

        entries, truncated = listing.walk(fetch, prefix, delimiter, marker, limit, key_of=lambda u: u["key"],
                                          after_item=lambda u: (("u", u["key"], u["id"]), False), start=start)
        owner = _owner(b.account)
        uploads, prefixes = [], []
        for kind, u in entries:
            if kind == "prefix":
                prefixes.append({"Prefix": listing.url(key_text(u), enc)})
            else:
                uploads.append({"UploadId": u["id"], "Key": listing.url(key_text(u["key"]), enc),
                                "Initiated": _ts(u["initiated"]), "Owner": owner, "Initiator": owner,
                                "StorageClass": u["meta"].get("StorageClass", "STANDARD")})
        out: dict = {"Bucket": b.name, "KeyMarker": listing.url(key_marker, enc), "UploadIdMarker": id_marker or "",
                     "Prefix": listing.url(params.get("Prefix") or "", enc), "MaxUploads": limit,
                     "IsTruncated": truncated}
        if uploads:
            out["Uploads"] = uploads
        if truncated:
            kind, last = entries[-1]
            if kind == "prefix":
                out["NextKeyMarker"] = listing.url(key_text(last), enc)
            else:
                out["NextKeyMarker"] = listing.url(key_text(last["key"]), enc)
                out["NextUploadIdMarker"] = last["id"]
        return listing.finish(out, params, enc, prefixes)


async def drain(body) -> None:
    """Read what is left of a request body an error left unread, so that the
    connection stays usable for the client's next request."""
    if body is None or isinstance(body, (bytes, bytearray, memoryview, str)):
        return
    try:
        async for _ in body:
            pass
    except Exception:
        pass
