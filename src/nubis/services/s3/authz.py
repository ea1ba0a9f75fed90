"""Who may do what to a bucket, when IAM enforcement is on (``auth/enforce.py``
calls :func:`authorize` before the operation runs).

Each operation is an IAM action on a resource (the Service Authorization
Reference, "Actions defined by Amazon S3"): ``arn:aws:s3:::bucket`` or
``arn:aws:s3:::bucket/key``. Then, as the S3 user guide's "How Amazon S3
authorizes a request" goes, with callers that are accounts' roots:

- an explicit ``Deny`` in the bucket policy refuses anyone, except that the
  bucket owner's root may always read, change and delete the policy itself
  (so a policy cannot lock its owner out);
- the bucket owner's root is otherwise allowed;
- another account, or an anonymous caller, needs an ``Allow`` in the bucket
  policy; when that policy is public and the bucket's public access block
  has ``RestrictPublicBuckets``, only the owner's account gets in.

A request made through an access point passes two such gates: the access
point's policy (resource ``arn:aws:s3:<region>:<account>:accesspoint/<name>
[/object/<key>]``) and then the bucket's (with ``s3:DataAccessPointArn`` and
``s3:DataAccessPointAccount`` set, so a bucket can delegate to its access
points). Identity policies join once IAM users exist (``Credential.policies``).

Where a bucket's object ownership is not ``BucketOwnerEnforced`` (the default
since 2023), its ACL and its objects' ACLs are one more way in at the bucket's
gate, unless a policy denies or ``IgnorePublicAcls`` discounts public grants.

A denial is ``AccessDenied`` "Access Denied".
"""
from __future__ import annotations

import json
from urllib.parse import unquote

from ...auth import policy
from ...protocol.errors import ServiceError
from . import access_points
from .bucket_config import canonical_user_id
from .names import check_key

# Operation -> IAM action, where it is not "s3:" + the operation's name.
ACTIONS = {
    "CompleteMultipartUpload": "s3:PutObject", "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject", "UploadPartCopy": "s3:PutObject", "CopyObject": "s3:PutObject",
    "HeadObject": "s3:GetObject", "SelectObjectContent": "s3:GetObject", "HeadBucket": "s3:ListBucket",
    "ListObjects": "s3:ListBucket", "ListObjectsV2": "s3:ListBucket", "ListObjectVersions": "s3:ListBucketVersions",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads", "ListParts": "s3:ListMultipartUploadParts",
    "ListBuckets": "s3:ListAllMyBuckets", "ListDirectoryBuckets": "s3express:ListAllMyDirectoryBuckets",
    "CreateSession": "s3express:CreateSession",
    "WriteGetObjectResponse": "s3-object-lambda:WriteGetObjectResponse",
    "DeleteObjects": "s3:DeleteObject",
    "GetBucketAccelerateConfiguration": "s3:GetAccelerateConfiguration",
    "PutBucketAccelerateConfiguration": "s3:PutAccelerateConfiguration",
    "GetBucketAnalyticsConfiguration": "s3:GetAnalyticsConfiguration",
    "ListBucketAnalyticsConfigurations": "s3:GetAnalyticsConfiguration",
    "PutBucketAnalyticsConfiguration": "s3:PutAnalyticsConfiguration",
    "DeleteBucketAnalyticsConfiguration": "s3:PutAnalyticsConfiguration",
    "GetBucketCors": "s3:GetBucketCORS", "PutBucketCors": "s3:PutBucketCORS", "DeleteBucketCors": "s3:PutBucketCORS",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration", "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "GetBucketIntelligentTieringConfiguration": "s3:GetIntelligentTieringConfiguration",
    "ListBucketIntelligentTieringConfigurations": "s3:GetIntelligentTieringConfiguration",
    "PutBucketIntelligentTieringConfiguration": "s3:PutIntelligentTieringConfiguration",
    "DeleteBucketIntelligentTieringConfiguration": "s3:PutIntelligentTieringConfiguration",
    "GetBucketInventoryConfiguration": "s3:GetInventoryConfiguration",
    "ListBucketInventoryConfigurations": "s3:GetInventoryConfiguration",
    "PutBucketInventoryConfiguration": "s3:PutInventoryConfiguration",
    "DeleteBucketInventoryConfiguration": "s3:PutInventoryConfiguration",
    "GetBucketLifecycle": "s3:GetLifecycleConfiguration", "GetBucketLifecycleConfiguration":
        "s3:GetLifecycleConfiguration", "PutBucketLifecycle": "s3:PutLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "GetBucketMetricsConfiguration": "s3:GetMetricsConfiguration",
    "ListBucketMetricsConfigurations": "s3:GetMetricsConfiguration",
    "PutBucketMetricsConfiguration": "s3:PutMetricsConfiguration",
    "DeleteBucketMetricsConfiguration": "s3:PutMetricsConfiguration",
    "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "GetBucketReplication": "s3:GetReplicationConfiguration", "PutBucketReplication": "s3:PutReplicationConfiguration",
    "DeleteBucketReplication": "s3:PutReplicationConfiguration",
    "DeleteBucketTagging": "s3:PutBucketTagging",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "s3:PutBucketObjectLockConfiguration",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock", "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "GetBucketAbac": "s3:GetBucketABAC", "PutBucketAbac": "s3:PutBucketABAC",
    # The V2 S3 Metadata operations use the V1 operations' actions (API reference).
    "CreateBucketMetadataConfiguration": "s3:CreateBucketMetadataTableConfiguration",
    "GetBucketMetadataConfiguration": "s3:GetBucketMetadataTableConfiguration",
    "DeleteBucketMetadataConfiguration": "s3:DeleteBucketMetadataTableConfiguration",
}
# Operations whose action names the version when a versionId is given.
VERSIONED = {"GetObject": "s3:GetObjectVersion", "HeadObject": "s3:GetObjectVersion",
             "DeleteObject": "s3:DeleteObjectVersion", "GetObjectAcl": "s3:GetObjectVersionAcl",
             "PutObjectAcl": "s3:PutObjectVersionAcl", "GetObjectTagging": "s3:GetObjectVersionTagging",
             "PutObjectTagging": "s3:PutObjectVersionTagging",
             "DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
             "GetObjectAttributes": "s3:GetObjectVersionAttributes",
             "GetObjectTorrent": "s3:GetObjectVersionTorrent"}
# What the owner's root may do whatever its bucket policy says.
POLICY_ACTIONS = frozenset({"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"})
# Operations that need no existing bucket (or none at all).
NO_BUCKET = frozenset({"CreateBucket", "ListBuckets", "ListDirectoryBuckets", "WriteGetObjectResponse",
                       "CreateSession"})


def action_of(operation: str, params: dict) -> str:
    if params.get("VersionId") and operation in VERSIONED:
        return VERSIONED[operation]
    return ACTIONS.get(operation) or "s3:" + operation


def resource_of(bucket: str | None, key: str | None = None) -> str:
    if not bucket:
        return "*"
    return f"arn:aws:s3:::{bucket}/{key}" if key is not None else f"arn:aws:s3:::{bucket}"


def denied() -> ServiceError:
    return ServiceError("AccessDenied", "Access Denied", 403)


def _condition_keys(ctx, params: dict, caller) -> dict:
    """S3's own condition keys for this request (the global ones come from the caller)."""
    headers = ctx.request.headers if ctx.request is not None else {}
    keys = {"s3:prefix": params.get("Prefix"), "s3:delimiter": params.get("Delimiter"),
            "s3:max-keys": str(params["MaxKeys"]) if params.get("MaxKeys") is not None else None,
            "s3:VersionId": params.get("VersionId"), "s3:authType": caller.auth_type,
            "s3:signatureversion": caller.signature_version,
            "s3:signatureAge": str(caller.signature_age_ms) if caller.signature_age_ms is not None else None,
            "aws:RequestedRegion": ctx.region}
    if ctx.operation == "ListObjects" or ctx.operation == "ListObjectsV2" or ctx.operation == "ListObjectVersions":
        keys["s3:prefix"] = params.get("Prefix", "")  # listing everything is the empty prefix
    for header in ("x-amz-acl", "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
                   "x-amz-storage-class", "x-amz-copy-source", "x-amz-metadata-directive", "x-amz-content-sha256",
                   "x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-full-control", "x-amz-object-ownership",
                   "x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date",
                   "x-amz-object-lock-legal-hold"):
        value = headers.get(header)
        if value is not None:
            keys["s3:" + header] = value
    return keys


def _mentions_object_tags(policies) -> bool:
    return any("existingobjecttag/" in (p if isinstance(p, str) else json.dumps(p)).lower() for p in policies)


def _object_tags(provider, bucket: str, key: str, version_id: str | None) -> dict:
    """``s3:ExistingObjectTag/<tag>`` of the object a request names (none when it does not exist)."""
    try:
        raw = check_key(key)
    except ServiceError:
        return {}
    o = provider.store.version(bucket, raw, version_id) if version_id else provider.store.current(bucket, raw)
    if o is None or o.delete_marker:
        return {}
    return {f"s3:ExistingObjectTag/{t['Key']}": t["Value"] for t in o.tags}


# What each ACL permission grants (S3 user guide, "Access control list (ACL) overview":
# mapping of ACL permissions to access policy permissions).
_BUCKET_ACL = {"READ": {"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"},
               "WRITE": {"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload"},
               "READ_ACP": {"s3:GetBucketAcl"}, "WRITE_ACP": {"s3:PutBucketAcl"}}
_OBJECT_ACL = {"READ": {"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTorrent",
                        "s3:GetObjectVersionTorrent"},
               "READ_ACP": {"s3:GetObjectAcl", "s3:GetObjectVersionAcl"},
               "WRITE_ACP": {"s3:PutObjectAcl", "s3:PutObjectVersionAcl"}}
_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
_AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


def _acl_allows(provider, ctx, caller, b, key: str | None, version_id: str | None, action: str,
                pab: dict) -> bool:
    """Whether the bucket's (or the object's) ACL grants ``action`` to the caller; ACLs
    count only where object ownership is not ``BucketOwnerEnforced`` (the default)."""
    if provider.bucket_object_ownership(b.name) in ("BucketOwnerEnforced", None):
        return False
    table = _BUCKET_ACL
    grants = None
    if any(action in perms for perms in _OBJECT_ACL.values()) and key is not None:
        table = _OBJECT_ACL
        try:
            raw = check_key(key)
        except ServiceError:
            return False
        o = provider.store.version(b.name, raw, version_id) if version_id else provider.store.current(b.name, raw)
        if o is None or o.delete_marker:
            return False
        grants = o.meta.get("Grants") or []
    elif action not in set().union(*_BUCKET_ACL.values()):
        return False
    if grants is None:
        grants = provider.bucket_acl(ctx, b.name).get("Grants", [])
    me = canonical_user_id(caller.account) if caller.account else None
    for g in grants:
        grantee, permission = g.get("Grantee", {}), g.get("Permission")
        if permission != "FULL_CONTROL" and action not in table.get(permission, ()):
            continue
        uri = grantee.get("URI")
        if uri in (_ALL_USERS, _AUTHENTICATED):
            if pab.get("IgnorePublicAcls") or (uri == _AUTHENTICATED and caller.anonymous):
                continue
            return True
        if me is not None and grantee.get("ID") == me:
            return True
    return False


def _public_restricted(policies: list, public_access_block: dict) -> bool:
    return bool(public_access_block.get("RestrictPublicBuckets")) and any(policy.is_public(p) for p in policies)


def check(runtime, ctx, caller, name: str, key: str | None, action: str, keys: dict) -> None:
    """Raise AccessDenied unless ``caller`` may do ``action`` on the bucket ``name``
    (or its ``key``); ``name`` may be an access point's alias or ARN host."""
    provider = runtime.provider("s3")
    b = provider.store.bucket(name)
    ap = None
    if b is None:
        ap = access_points.access_point_named(runtime, ctx, name)
        b = provider.store.bucket(ap.bucket) if ap is not None else None
        if b is None:
            return  # the operation answers NoSuchBucket
    cred = caller.credential
    if cred is not None and cred.is_root and cred.account == b.account and action in POLICY_ACTIONS:
        return
    keys = {**keys, "s3:ResourceAccount": b.account}
    # The gates a request passes: the access point's (when it came through one), then the bucket's.
    gates = []
    if ap is not None:
        ap_arn = f"arn:aws:s3:{ap.region}:{ap.account}:accesspoint/{ap.name}"
        keys["s3:DataAccessPointArn"], keys["s3:DataAccessPointAccount"] = ap_arn, ap.account
        doc = runtime.provider("s3control").policy_of(ap_arn)
        gates.append((ap.account, [doc] if doc else [], ap_arn + (f"/object/{key}" if key is not None else ""),
                      ap.public_access_block or {}))
    text = provider.bucket_policy(b.name)
    gates.append((b.account, [text] if text else [], resource_of(b.name, key),
                  provider.bucket_public_access_block(b.name)))
    now = runtime.clock.now()
    identity = cred.policies if cred is not None else None
    if key is not None and _mentions_object_tags([*(p for g in gates for p in g[1]), *(identity or ())]):
        keys.update(_object_tags(provider, b.name, key, keys.get("s3:VersionId")))
    for i, (owner, policies, resource, pab) in enumerate(gates):
        request = caller.request(action, resource, now, keys)
        same = cred is not None and cred.account == owner
        if not policy.decide(request, policies, identity, same) or (not same and _public_restricted(policies, pab)):
            # The bucket's gate has one more way in: an ACL grant (no explicit deny, identity allowing).
            bucket_gate = i == len(gates) - 1
            if not (bucket_gate and policy.evaluate(policies, request, resource_policy=True) != policy.DENY
                    and (identity is None or policy.evaluate(identity, request) == policy.ALLOW)
                    and _acl_allows(provider, ctx, caller, b, key, keys.get("s3:VersionId"), action, pab)):
                raise denied()
    if caller.anonymous:
        ctx.account = b.account  # what an anonymous caller writes belongs to the bucket owner


def _identity_allows(runtime, caller, action: str, resource: str) -> bool:
    """For what no resource policy governs (ListBuckets, CreateBucket): anonymous
    callers never, roots always, others as their identity policies say."""
    if caller.anonymous:
        return False
    policies = caller.credential.policies
    if policies is None:
        return True
    request = caller.request(action, resource, runtime.clock.now())
    return policy.evaluate(policies, request) == policy.ALLOW


def authorize(runtime, ctx, params: dict, caller) -> None:
    """The S3 hook of ``auth/enforce.py``: raise AccessDenied when the caller may not run the operation."""
    operation = ctx.operation
    bucket = params.get("Bucket")
    keys = _condition_keys(ctx, params, caller)
    action = action_of(operation, params)
    if operation in NO_BUCKET or not bucket:  # CreateBucket: the bucket is not there yet, or not the caller's
        if not _identity_allows(runtime, caller, action, resource_of(bucket)):
            raise denied()
        return
    if operation == "DeleteObjects":
        # Each key is a DeleteObject (or DeleteObjectVersion) of its own; one refused key refuses the request.
        for entry in (params.get("Delete") or {}).get("Objects") or []:
            act = "s3:DeleteObjectVersion" if entry.get("VersionId") else "s3:DeleteObject"
            check(runtime, ctx, caller, bucket, entry.get("Key", ""), act, keys)
        return
    key = params.get("Key")
    check(runtime, ctx, caller, bucket, key, action, keys)
    if operation in ("CopyObject", "UploadPartCopy") and params.get("CopySource"):
        source = unquote(params["CopySource"]).lstrip("/")
        source, _, version = source.partition("?versionId=")
        through = access_points.copy_source(source)  # <access point ARN>/object/<key>
        src_bucket, _, src_key = through if through else source.partition("/")
        if src_bucket and src_key:
            check(runtime, ctx, caller, src_bucket, src_key,
                  "s3:GetObjectVersion" if version else "s3:GetObject", {**keys, "s3:VersionId": version or None})
