"""Bucket configurations that S3 stores and returns: tagging, CORS, policy,
ACLs and ownership controls, public access block, encryption, lifecycle,
website, logging, notification, replication, accelerate, request payment,
object lock, intelligent tiering, inventory, analytics, metrics.

A mixin of ``S3Provider``: one method per operation, each a round trip
through the ``s3_bucket_configs`` table (one document per bucket and kind;
the id-keyed configurations are kinds ``<kind>:<id>``). The provider gives
``self.bucket(ctx, name)`` (the bucket, or NoSuchBucket) and calls
``self.forget_bucket_configs(name)`` when a bucket is deleted.

For the provider: ``apply_create_bucket_configs(ctx, name, params)`` (what
CreateBucket's x-amz-object-ownership, x-amz-acl / x-amz-grant-* and object
lock headers configure), ``notification_configuration(bucket)`` (for event
delivery), ``notification_configured(ctx, bucket, config)`` if the provider
defines it (called after every notification Put: the s3:TestEvent), and
readers for the rest: ``bucket_acl``, ``bucket_object_ownership``,
``bucket_public_access_block``, ``bucket_default_encryption``,
``bucket_object_lock_enabled``, ``object_lock_configuration``,
``bucket_cors_rules``, ``bucket_policy``, ``bucket_tags``, ``lifecycle_rules``,
``website_configuration``.

Defaults S3 gives every new bucket since April 2023 are answered without a
row: SSE-S3 encryption, all four public access blocks on, ownership
``BucketOwnerEnforced``, an owner-only ACL, payer ``BucketOwner``. Deleting
such a configuration stores an explicit "none" (a ``null`` document) so that
the Get answers S3's not-found error afterwards.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import inspect
import json
import re
import secrets

from ...protocol.errors import ServiceError
from .events import lambda_refusal

SCHEMA = """
CREATE TABLE s3_bucket_configs (
    bucket TEXT NOT NULL,
    kind TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (bucket, kind)
);
"""

# -- errors ----------------------------------------------------------------------------------

_MALFORMED_XML = ("The XML you provided was not well-formed or did not validate against our "
                  "published schema")


def malformed_xml() -> ServiceError:
    return ServiceError("MalformedXML", _MALFORMED_XML)


def malformed_acl() -> ServiceError:
    return ServiceError("MalformedACLError", _MALFORMED_XML)


def _require_acl(value: dict, key: str):
    if not isinstance(value, dict) or value.get(key) is None:
        raise malformed_acl()
    return value[key]


def invalid_argument(message: str, name: str | None = None, value=None) -> ServiceError:
    fields = {}
    if name is not None:
        fields = {"ArgumentName": name, "ArgumentValue": "" if value is None else str(value)}
    return ServiceError("InvalidArgument", message, **fields)


def invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", message)


def _not_found(code: str, message: str, bucket: str) -> ServiceError:
    return ServiceError(code, message, status=404, BucketName=bucket)


# kind -> (error code, message) when the configuration is absent
_ABSENT = {
    "tagging": ("NoSuchTagSet", "The TagSet does not exist"),
    "cors": ("NoSuchCORSConfiguration", "The CORS configuration does not exist"),
    "policy": ("NoSuchBucketPolicy", "The bucket policy does not exist"),
    "lifecycle": ("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"),
    "website": ("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration"),
    "encryption": ("ServerSideEncryptionConfigurationNotFoundError",
                   "The server side encryption configuration was not found"),
    "public_access_block": ("NoSuchPublicAccessBlockConfiguration",
                            "The public access block configuration was not found"),
    "ownership": ("OwnershipControlsNotFoundError", "The bucket ownership controls were not found"),
    "replication": ("ReplicationConfigurationNotFoundError", "The replication configuration was not found"),
    "object_lock": ("ObjectLockConfigurationNotFoundError",
                    "Object Lock configuration does not exist for this bucket"),
}

# -- constants ---------------------------------------------------------------------------------

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
_GROUP_URIS = {ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY}
_PERMISSIONS = ("FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP")
_GRANT_HEADERS = (("GrantFullControl", "FULL_CONTROL"), ("GrantWrite", "WRITE"), ("GrantWriteACP", "WRITE_ACP"),
                  ("GrantRead", "READ"), ("GrantReadACP", "READ_ACP"))
CANNED_ACLS = ("private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
               "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write")
OWNERSHIPS = ("BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced")
_PAB_FIELDS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
_SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
_CORS_METHODS = ("GET", "PUT", "HEAD", "POST", "DELETE")
MAX_BUCKET_TAGS = 50
MAX_LIFECYCLE_RULES = 1000
MAX_ID_CONFIGS = 1000
LIST_PAGE = 100
TRANSITION_MIN_SIZES = ("varies_by_storage_class", "all_storage_classes_128K")
DEFAULT_TRANSITION_MIN_SIZE = "all_storage_classes_128K"
_ID_KINDS = {
    # kind -> (payload member of Put/Get, list member of List)
    "intelligent_tiering": ("IntelligentTieringConfiguration", "IntelligentTieringConfigurationList"),
    "inventory": ("InventoryConfiguration", "InventoryConfigurationList"),
    "analytics": ("AnalyticsConfiguration", "AnalyticsConfigurationList"),
    "metrics": ("MetricsConfiguration", "MetricsConfigurationList"),
}
_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_TAG_TEXT = re.compile(r"^[\w\s.:/=+\-@]*$", re.UNICODE)

NOTIFICATION_EVENTS = frozenset("""
s3:ReducedRedundancyLostObject s3:ObjectCreated:* s3:ObjectCreated:Put s3:ObjectCreated:Post
s3:ObjectCreated:Copy s3:ObjectCreated:CompleteMultipartUpload s3:ObjectRemoved:* s3:ObjectRemoved:Delete
s3:ObjectRemoved:DeleteMarkerCreated s3:ObjectRestore:* s3:ObjectRestore:Post s3:ObjectRestore:Completed
s3:ObjectRestore:Delete s3:Replication:* s3:Replication:OperationFailedReplication
s3:Replication:OperationNotTracked s3:Replication:OperationMissedThreshold
s3:Replication:OperationReplicatedAfterThreshold s3:LifecycleExpiration:* s3:LifecycleExpiration:Delete
s3:LifecycleExpiration:DeleteMarkerCreated s3:LifecycleTransition s3:IntelligentTiering
s3:ObjectTagging:* s3:ObjectTagging:Put s3:ObjectTagging:Delete s3:ObjectAcl:Put
""".split())
_NOTIFICATION_KINDS = (("TopicConfigurations", "TopicArn", "sns"), ("QueueConfigurations", "QueueArn", "sqs"),
                       ("LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda"))


def canonical_user_id(account: str) -> str:
    """The 64-hex canonical user id S3 shows for an account (the provider's ``_owner``)."""
    return hashlib.sha256(f"nubis:{account}".encode()).hexdigest()


def owner_of(account: str) -> dict:
    return {"DisplayName": account, "ID": canonical_user_id(account)}


def _json_default(value):
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot store {type(value).__name__}")


def _require(value, *path):
    """``value[path...]``, or MalformedXML when a required element is missing."""
    for key in path:
        if not isinstance(value, dict) or value.get(key) is None:
            raise malformed_xml()
        value = value[key]
    return value


def _one_of(value: dict | None, keys, required: bool = True) -> str | None:
    """Which of ``keys`` a union-like element sets (exactly one), else MalformedXML."""
    present = [k for k in keys if isinstance(value, dict) and value.get(k) is not None]
    if len(present) > 1 or (required and not present):
        raise malformed_xml()
    return present[0] if present else None


class BucketConfig:
    # -- storage -----------------------------------------------------------------------------

    # The stored text of each (bucket, kind) read so far, None for no row: a
    # write consults its bucket's notification (and other) settings every time.
    # Dropped on every write to s3_bucket_configs, on reset and on rollback.
    _config_texts: dict

    def start_bucket_configs(self) -> None:
        self._config_texts = {}
        self.db.on_rollback(self._config_texts.clear)

    def forget_bucket_configs(self, bucket: str | None = None) -> None:
        """Drop a deleted bucket's settings (None: forget what is cached, after a reset)."""
        self._config_texts.clear()
        if bucket is not None:
            self.db.execute("DELETE FROM s3_bucket_configs WHERE bucket = ?", (bucket,))

    _MISSING = object()

    def _config(self, bucket: str, kind: str, default=_MISSING):
        """The stored document, ``None`` for an explicit "none", or ``default``
        (``_MISSING``) when there is no row."""
        key = (bucket, kind)
        try:
            text = self._config_texts[key]
        except KeyError:
            row = self.db.query_one("SELECT doc FROM s3_bucket_configs WHERE bucket = ? AND kind = ?",
                                    (bucket, kind))
            text = row[0] if row is not None else None
            if len(self._config_texts) < 100_000:
                self._config_texts[key] = text
        if text is None:
            return default
        return json.loads(text)

    def _required_config(self, bucket: str, kind: str):
        doc = self._config(bucket, kind, None)
        if doc is None:
            raise _not_found(*_ABSENT[kind], bucket)
        return doc

    def _store_config(self, bucket: str, kind: str, doc) -> None:
        text = json.dumps(doc, default=_json_default, separators=(",", ":"))
        self._config_texts.pop((bucket, kind), None)
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO s3_bucket_configs (bucket, kind, doc) VALUES (?, ?, ?) "
                "ON CONFLICT (bucket, kind) DO UPDATE SET doc = excluded.doc", (bucket, kind, text))

    def _drop_config(self, bucket: str, kind: str) -> None:
        self._config_texts.pop((bucket, kind), None)
        with self.db.transaction():
            self.db.execute("DELETE FROM s3_bucket_configs WHERE bucket = ? AND kind = ?", (bucket, kind))

    def _configs_like(self, bucket: str, prefix: str) -> list[tuple[str, object]]:
        rows = self.db.query("SELECT kind, doc FROM s3_bucket_configs WHERE bucket = ? AND kind >= ? AND kind < ? "
                             "ORDER BY kind", (bucket, prefix, prefix + "\uffff"))
        return [(r[0][len(prefix):], json.loads(r[1])) for r in rows]

    def _target(self, ctx, params: dict):
        """The request's bucket; AccessDenied when ``x-amz-expected-bucket-owner`` names another account."""
        b = self.bucket(ctx, params["Bucket"])
        expected = params.get("ExpectedBucketOwner")
        if expected is not None and expected != b.account:
            raise ServiceError("AccessDenied", "Access Denied", status=403)
        return b

    def _payload(self, params: dict, name: str) -> dict:
        value = params.get(name)
        if not isinstance(value, dict):
            raise ServiceError("MissingRequestBodyError", "Request Body is empty")
        return value

    # -- hooks for the provider ------------------------------------------------------------------

    def apply_create_bucket_configs(self, ctx, name: str, params: dict) -> None:
        """What CreateBucket's headers configure: object ownership, the ACL
        (canned or grants), object lock. Call inside CreateBucket's transaction."""
        ownership = params.get("ObjectOwnership")
        if ownership is not None:
            if ownership not in OWNERSHIPS:
                raise invalid_argument("Invalid x-amz-object-ownership header: " + str(ownership),
                                       "x-amz-object-ownership", ownership)
            self._store_config(name, "ownership", {"Rules": [{"ObjectOwnership": ownership}]})
        acl_headers = params.get("ACL") is not None or any(params.get(h) for h, _ in _GRANT_HEADERS)
        if acl_headers:
            owner = canonical_user_id(ctx.account)
            grants = self._grants_from_headers(owner, params)
            if self._ownership(name) == "BucketOwnerEnforced" and not self._owner_only(owner, grants):
                raise ServiceError("InvalidBucketAclWithObjectOwnership",
                                   "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
            self._store_config(name, "acl", {"Owner": owner_of(ctx.account), "Grants": grants})
        if params.get("ObjectLockEnabledForBucket"):
            self._store_config(name, "object_lock", {"ObjectLockEnabled": "Enabled"})

    def notification_configuration(self, bucket: str) -> dict:
        """The bucket's notification configuration as GetBucketNotificationConfiguration
        returns it (``{}`` when none): for event delivery."""
        return self._config(bucket, "notification", None) or {}

    def bucket_public_access_block(self, bucket: str) -> dict:
        return self._public_access_block(bucket) or {k: False for k in _PAB_FIELDS}

    def bucket_object_ownership(self, bucket: str) -> str | None:
        return self._ownership(bucket)

    def bucket_object_lock_enabled(self, ctx, bucket: str) -> bool:
        return self._object_lock_enabled(self.bucket(ctx, bucket))

    def bucket_default_encryption(self, bucket: str) -> dict:
        """The first rule's ApplyServerSideEncryptionByDefault (+ BucketKeyEnabled)."""
        doc = self._encryption(bucket)
        rule = (doc.get("Rules") or [{}])[0]
        return {**(rule.get("ApplyServerSideEncryptionByDefault") or {}),
                "BucketKeyEnabled": bool(rule.get("BucketKeyEnabled"))}

    # -- tagging -------------------------------------------------------------------------------

    def put_bucket_tagging(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        self.check_bucket_tagging_allowed(b.name)  # abac.py
        tagging = self._payload(params, "Tagging")
        tags = _require(tagging, "TagSet")
        self._check_tags(tags)
        self._store_config(b.name, "tagging", {"TagSet": [{"Key": t["Key"], "Value": t["Value"]} for t in tags]})
        return {}

    @staticmethod
    def _check_tags(tags: list) -> None:
        if len(tags) > MAX_BUCKET_TAGS:
            raise ServiceError("InvalidTag", f"Bucket tag count cannot be greater than {MAX_BUCKET_TAGS}")
        seen = set()
        for tag in tags:
            key, value = tag.get("Key"), tag.get("Value")
            if key is None or value is None:
                raise malformed_xml()
            if key in seen:
                raise ServiceError("InvalidTag", "Cannot provide multiple Tags with the same key",
                                   TagKey=key)
            seen.add(key)
            if key.lower().startswith("aws:"):
                raise ServiceError("InvalidTag", "System tags cannot be added/updated by requester")
            if not key or len(key) > 128:
                raise ServiceError("InvalidTag", "The TagKey you have provided is too long, max 128"
                                   if key else "The TagKey you have provided is invalid", TagKey=key)
            if len(value) > 256:
                raise ServiceError("InvalidTag", "The TagValue you have provided is too long, max 256",
                                   TagKey=key, TagValue=value)
            if not _TAG_TEXT.match(key):
                raise ServiceError("InvalidTag", "The TagKey you have provided is invalid", TagKey=key)
            if not _TAG_TEXT.match(value):
                raise ServiceError("InvalidTag", "The TagValue you have provided is invalid",
                                   TagKey=key, TagValue=value)

    def get_bucket_tagging(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        doc = self._required_config(b.name, "tagging")
        if not doc.get("TagSet"):
            raise _not_found(*_ABSENT["tagging"], b.name)
        return doc

    def delete_bucket_tagging(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        self.check_bucket_tagging_allowed(b.name)  # abac.py
        self._drop_config(b.name, "tagging")
        return {}

    def bucket_tags(self, bucket: str) -> dict[str, str]:
        doc = self._config(bucket, "tagging", None) or {}
        return {t["Key"]: t["Value"] for t in doc.get("TagSet") or []}

    # -- CORS ----------------------------------------------------------------------------------

    def put_bucket_cors(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        config = self._payload(params, "CORSConfiguration")
        rules = _require(config, "CORSRules")
        if not rules:
            raise malformed_xml()
        if len(rules) > 100:
            raise invalid_request("The number of CORS rules should not exceed allowed limit of 100 rules.")
        out = []
        for rule in rules:
            origins = _require(rule, "AllowedOrigins")
            methods = _require(rule, "AllowedMethods")
            if not origins or not methods:
                raise malformed_xml()
            for method in methods:
                if method not in _CORS_METHODS:
                    raise invalid_request(f"Found unsupported HTTP method in CORS config. Unsupported method is "
                                          f"{method}")
            for origin in origins:
                if origin.count("*") > 1:
                    raise invalid_request(f'AllowedOrigin "{origin}" can not have more than one wildcard.')
            for header in rule.get("AllowedHeaders") or []:
                if header.count("*") > 1:
                    raise invalid_request(f'AllowedHeader "{header}" can not have more than one wildcard.')
            if rule.get("ID") is not None and len(rule["ID"]) > 255:
                raise invalid_argument("ID length should not exceed allowed limit of 255", "ID", rule["ID"])
            kept = {k: rule[k] for k in ("ID", "AllowedHeaders", "AllowedMethods", "AllowedOrigins",
                                          "ExposeHeaders", "MaxAgeSeconds") if rule.get(k) is not None}
            out.append(kept)
        self._store_config(b.name, "cors", {"CORSRules": out})
        return {}

    def get_bucket_cors(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        return self._required_config(b.name, "cors")

    def delete_bucket_cors(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        self._drop_config(b.name, "cors")
        return {}

    def bucket_cors_rules(self, bucket: str) -> list[dict]:
        return (self._config(bucket, "cors", None) or {}).get("CORSRules") or []

    # -- policy --------------------------------------------------------------------------------

    def put_bucket_policy(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        text = params.get("Policy")
        if isinstance(text, (bytes, bytearray)):
            text = text.decode("utf-8", "replace")
        if not text or not text.strip():
            raise ServiceError("MissingRequestBodyError", "Request Body is empty")
        doc = self._check_policy(b, text)
        pab = self._public_access_block(b.name) or {}
        if pab.get("BlockPublicPolicy") and _policy_is_public(doc):
            raise ServiceError("AccessDenied", f"User: {ctx.principal or 'arn:aws:iam::' + ctx.account + ':root'} "
                               f"is not authorized to perform: s3:PutBucketPolicy on resource: "
                               f"\"arn:aws:s3:::{b.name}\" because public policies are blocked by the "
                               f"BlockPublicPolicy block public access setting.", status=403)
        self._store_config(b.name, "policy", {"Policy": text})
        return {}

    @staticmethod
    def _check_policy(b, text: str) -> dict:
        def bad(message: str) -> ServiceError:
            return ServiceError("MalformedPolicy", message)
        if not text.lstrip().startswith("{"):
            raise bad("Policies must be valid JSON and the first byte must be '{'")
        try:
            doc = json.loads(text)
        except ValueError:
            raise bad("This policy contains invalid Json") from None
        if not isinstance(doc, dict):
            raise bad("Policies must be valid JSON and the first byte must be '{'")
        unknown = set(doc) - {"Version", "Id", "Statement"}
        if unknown:
            raise bad(f"Unknown field {sorted(unknown)[0]}")
        if "Version" in doc and doc["Version"] not in ("2012-10-17", "2008-10-17"):
            raise bad("The policy must contain a valid version string")
        statements = doc.get("Statement")
        if statements is None:
            raise bad("Missing required field Statement")
        if isinstance(statements, dict):
            statements = [statements]
        if not isinstance(statements, list) or not statements:
            raise bad("Missing required field Statement")
        sids = set()
        for st in statements:
            if not isinstance(st, dict):
                raise bad("Statement is not an object")
            allowed = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                       "NotResource", "Condition"}
            extra = set(st) - allowed
            if extra:
                raise bad(f"Unknown field {sorted(extra)[0]}")
            sid = st.get("Sid")
            if sid is not None:
                if sid in sids:
                    raise bad("Statement IDs (SID) in a single policy must be unique.")
                sids.add(sid)
            effect = st.get("Effect")
            if effect is None:
                raise bad("Missing required field Effect")
            if effect not in ("Allow", "Deny"):
                raise bad(f"Invalid effect: {effect}")
            if "Principal" not in st and "NotPrincipal" not in st:
                raise bad("Missing required field Principal")
            if "Action" not in st and "NotAction" not in st:
                raise bad("Missing required field Action")
            actions = st.get("Action", st.get("NotAction"))
            for action in actions if isinstance(actions, list) else [actions]:
                if not isinstance(action, str) or (action != "*" and not re.match(r"^[A-Za-z0-9-]+:[\w*?]+$",
                                                                                  action)):
                    raise bad("Policy has invalid action")
                if action != "*" and not action.lower().startswith("s3:"):
                    raise bad("Policy has invalid action")
            if "Resource" not in st and "NotResource" not in st:
                raise bad("Missing required field Resource")
            resources = st.get("Resource", st.get("NotResource"))
            for resource in resources if isinstance(resources, list) else [resources]:
                if not isinstance(resource, str):
                    raise bad("Policy has invalid resource")
                if resource == "*":
                    continue
                m = re.match(r"^arn:aws[a-z-]*:s3:::([^/]+)(/.*)?$", resource)
                if m is None or m.group(1) != b.name and "*" not in m.group(1) and "?" not in m.group(1):
                    raise bad("Policy has invalid resource")
            cond = st.get("Condition")
            if cond is not None and not isinstance(cond, dict):
                raise bad("Invalid Condition type")
        return doc

    def get_bucket_policy(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        return {"Policy": self._required_config(b.name, "policy")["Policy"]}

    def delete_bucket_policy(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        self._drop_config(b.name, "policy")
        return {}

    def get_bucket_policy_status(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        text = self._required_config(b.name, "policy")["Policy"]
        public = _policy_is_public(json.loads(text))
        return {"PolicyStatus": {"IsPublic": public}}

    def bucket_policy(self, bucket: str) -> str | None:
        doc = self._config(bucket, "policy", None)
        return doc["Policy"] if doc else None

    # -- ACL and ownership controls ------------------------------------------------------------

    def _ownership(self, bucket: str) -> str | None:
        doc = self._config(bucket, "ownership")
        if doc is self._MISSING:
            return "BucketOwnerEnforced"
        if not doc:
            return None
        return doc["Rules"][0]["ObjectOwnership"]

    def _acl(self, b) -> dict:
        doc = self._config(b.name, "acl", None)
        if doc is None:
            owner = canonical_user_id(b.account)
            doc = {"Owner": owner_of(b.account), "Grants": [self._user_grant(owner, "FULL_CONTROL")]}
        # The owner's grants carry its display name, as S3 shows them.
        me = owner_of(b.account)
        for g in doc["Grants"]:
            if g["Grantee"].get("Type") == "CanonicalUser" and g["Grantee"].get("ID") == me["ID"]:
                g["Grantee"]["DisplayName"] = me["DisplayName"]
        return doc

    @staticmethod
    def _user_grant(user_id: str, permission: str) -> dict:
        return {"Grantee": {"ID": user_id, "Type": "CanonicalUser"}, "Permission": permission}

    @staticmethod
    def _group_grant(uri: str, permission: str) -> dict:
        return {"Grantee": {"Type": "Group", "URI": uri}, "Permission": permission}

    def _canned_grants(self, owner: str, acl: str) -> list[dict]:
        grants = [self._user_grant(owner, "FULL_CONTROL")]
        if acl == "public-read":
            grants.append(self._group_grant(ALL_USERS, "READ"))
        elif acl == "public-read-write":
            grants += [self._group_grant(ALL_USERS, "READ"), self._group_grant(ALL_USERS, "WRITE")]
        elif acl == "authenticated-read":
            grants.append(self._group_grant(AUTHENTICATED_USERS, "READ"))
        elif acl == "log-delivery-write":
            grants += [self._group_grant(LOG_DELIVERY, "WRITE"), self._group_grant(LOG_DELIVERY, "READ_ACP")]
        return grants

    def _grants_from_headers(self, owner: str, params: dict) -> list[dict]:
        acl = params.get("ACL")
        headers = [(h, p) for h, p in _GRANT_HEADERS if params.get(h)]
        if acl is not None and headers:
            raise invalid_request("Specifying both Canned ACLs and Header Grants is not allowed")
        if acl is not None:
            if acl not in CANNED_ACLS:
                raise invalid_argument("", "x-amz-acl", acl)
            return self._canned_grants(owner, acl)
        grants = []
        for header, permission in headers:
            for item in _split_grantees(params[header]):
                kind, _, value = item.partition("=")
                kind, value = kind.strip().lower(), value.strip().strip('"')
                if kind == "id":
                    grants.append(self._user_grant(value, permission))
                elif kind == "uri":
                    if value not in _GROUP_URIS:
                        raise invalid_argument("Invalid group uri", "uri", value)
                    grants.append(self._group_grant(value, permission))
                elif kind == "emailaddress":
                    grants.append({"Grantee": {"Type": "AmazonCustomerByEmail", "EmailAddress": value},
                                   "Permission": permission})
                else:
                    raise invalid_argument("Argument format not recognized", header, item)
        return grants

    @staticmethod
    def _owner_only(owner: str, grants: list[dict]) -> bool:
        return all(g["Grantee"].get("Type") == "CanonicalUser" and g["Grantee"].get("ID") == owner
                   and g["Permission"] == "FULL_CONTROL" for g in grants)

    def put_bucket_acl(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        owner = canonical_user_id(b.account)
        body = params.get("AccessControlPolicy")
        has_headers = params.get("ACL") is not None or any(params.get(h) for h, _ in _GRANT_HEADERS)
        if body and has_headers:
            raise ServiceError("UnexpectedContent", "This request does not support content")
        if params.get("ACL") is not None and params["ACL"] not in CANNED_ACLS:
            raise invalid_argument("", "x-amz-acl", params["ACL"])
        if body:
            grants = []
            for grant in body.get("Grants") or []:
                grantee = _require_acl(grant, "Grantee")
                permission = _require_acl(grant, "Permission")
                if permission not in _PERMISSIONS:
                    raise malformed_acl()
                kind = _require_acl(grantee, "Type")
                if kind == "CanonicalUser":
                    _require_acl(grantee, "ID")
                    g = {"ID": grantee["ID"], "Type": kind}
                elif kind == "Group":
                    uri = _require_acl(grantee, "URI")
                    if uri not in _GROUP_URIS:
                        raise invalid_argument("Invalid group uri", "Group/URI", uri)
                    g = {"Type": kind, "URI": uri}
                elif kind == "AmazonCustomerByEmail":
                    g = {"Type": kind, "EmailAddress": _require_acl(grantee, "EmailAddress")}
                else:
                    raise malformed_acl()
                grants.append({"Grantee": g, "Permission": permission})
            given_owner = (body.get("Owner") or {}).get("ID")
            if given_owner is not None and given_owner != owner:
                raise ServiceError("AccessDenied", "Access Denied", status=403)
        elif has_headers:
            grants = self._grants_from_headers(owner, params)
        else:
            raise ServiceError("MissingSecurityHeader", "Your request was missing a required header",
                               MissingHeaderName="x-amz-acl")
        if self._ownership(b.name) == "BucketOwnerEnforced" and not self._owner_only(owner, grants):
            raise ServiceError("AccessControlListNotSupported", "The bucket does not allow ACLs")
        pab = self._public_access_block(b.name) or {}
        if pab.get("BlockPublicAcls") and any(g["Grantee"].get("URI") in (ALL_USERS, AUTHENTICATED_USERS)
                                              for g in grants):
            raise ServiceError("AccessDenied", "Access Denied", status=403)
        self._store_config(b.name, "acl", {"Owner": owner_of(b.account), "Grants": grants})
        return {}

    def get_bucket_acl(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        return self._acl(b)

    def bucket_acl(self, ctx, bucket: str) -> dict:
        return self._acl(self.bucket(ctx, bucket))

    def put_bucket_ownership_controls(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        controls = self._payload(params, "OwnershipControls")
        rules = _require(controls, "Rules")
        if len(rules) != 1:
            raise malformed_xml()
        ownership = _require(rules[0], "ObjectOwnership")
        if ownership not in OWNERSHIPS:
            raise malformed_xml()
        if ownership == "BucketOwnerEnforced":
            acl = self._config(b.name, "acl", None)
            if acl and not self._owner_only(canonical_user_id(b.account), acl["Grants"]):
                raise ServiceError("InvalidBucketAclWithObjectOwnership",
                                   "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
        self._store_config(b.name, "ownership", {"Rules": [{"ObjectOwnership": ownership}]})
        return {}

    def get_bucket_ownership_controls(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        ownership = self._ownership(b.name)
        if ownership is None:
            raise _not_found(*_ABSENT["ownership"], b.name)
        return {"OwnershipControls": {"Rules": [{"ObjectOwnership": ownership}]}}

    def delete_bucket_ownership_controls(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        self._store_config(b.name, "ownership", None)
        return {}

    # -- public access block -------------------------------------------------------------------

    def _public_access_block(self, bucket: str) -> dict | None:
        doc = self._config(bucket, "public_access_block")
        if doc is self._MISSING:
            return {k: True for k in _PAB_FIELDS}
        return doc

    def put_public_access_block(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        config = self._payload(params, "PublicAccessBlockConfiguration")
        unknown = set(config) - set(_PAB_FIELDS)
        if unknown:
            raise malformed_xml()
        if not config:
            raise invalid_request("Must specify at least one configuration.")
        self._store_config(b.name, "public_access_block", {k: bool(config.get(k, False)) for k in _PAB_FIELDS})
        return {}

    def get_public_access_block(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        doc = self._public_access_block(b.name)
        if doc is None:
            raise _not_found(*_ABSENT["public_access_block"], b.name)
        return {"PublicAccessBlockConfiguration": doc}

    def delete_public_access_block(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        self._store_config(b.name, "public_access_block", None)
        return {}

    # -- encryption ----------------------------------------------------------------------------

    _DEFAULT_ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                                      "BucketKeyEnabled": False}]}

    def _encryption(self, bucket: str) -> dict:
        return self._config(bucket, "encryption", None) or self._DEFAULT_ENCRYPTION

    def put_bucket_encryption(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        config = self._payload(params, "ServerSideEncryptionConfiguration")
        rules = _require(config, "Rules")
        if len(rules) != 1:
            raise malformed_xml()
        out = []
        for rule in rules:
            default = rule.get("ApplyServerSideEncryptionByDefault")
            kept: dict = {}
            if default is not None:
                algorithm = _require(default, "SSEAlgorithm")
                if algorithm not in _SSE_ALGORITHMS:
                    raise malformed_xml()
                key = default.get("KMSMasterKeyID")
                if key is not None and algorithm == "AES256":
                    raise invalid_argument("a KMSMasterKeyID is not applicable if the default sse algorithm is not "
                                           "aws:kms or aws:kms:dsse", "ApplyServerSideEncryptionByDefault")
                kept["ApplyServerSideEncryptionByDefault"] = {
                    "SSEAlgorithm": algorithm, **({"KMSMasterKeyID": key} if key else {})}
            kept["BucketKeyEnabled"] = bool(rule.get("BucketKeyEnabled", False))
            if rule.get("BlockedEncryptionTypes") is not None:
                kept["BlockedEncryptionTypes"] = rule["BlockedEncryptionTypes"]
            out.append(kept)
        self._store_config(b.name, "encryption", {"Rules": out})
        return {}

    def get_bucket_encryption(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        return {"ServerSideEncryptionConfiguration": self._encryption(b.name)}

    def delete_bucket_encryption(self, ctx, params: dict) -> dict:
        # The bucket goes back to S3's default (SSE-S3), which Get returns.
        b = self._target(ctx, params)
        self._drop_config(b.name, "encryption")
        return {}

    # -- lifecycle -----------------------------------------------------------------------------

    def put_bucket_lifecycle_configuration(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        config = self._payload(params, "LifecycleConfiguration")
        rules = _require(config, "Rules")
        size = params.get("TransitionDefaultMinimumObjectSize") or DEFAULT_TRANSITION_MIN_SIZE
        if size not in TRANSITION_MIN_SIZES:
            raise invalid_request("Invalid TransitionDefaultMinimumObjectSize found: " + size)
        self._check_lifecycle(rules)
        rules = [r if r.get("ID") else {"ID": _generated_id(), **r} for r in rules]
        self._store_config(b.name, "lifecycle", {"Rules": rules, "TransitionDefaultMinimumObjectSize": size})
        self.lifecycle.configured(b.name)
        return {"TransitionDefaultMinimumObjectSize": size}

    def put_bucket_lifecycle(self, ctx, params: dict) -> dict:
        # The deprecated form: rules with a top-level Prefix and one Transition
        # each, stored as the current form has them.
        config = self._payload(params, "LifecycleConfiguration")
        rules = []
        for rule in _require(config, "Rules"):
            rule = dict(rule)
            for one, many in (("Transition", "Transitions"),
                              ("NoncurrentVersionTransition", "NoncurrentVersionTransitions")):
                if rule.get(one) is not None:
                    rule[many] = [rule.pop(one)]
            rules.append(rule)
        self.put_bucket_lifecycle_configuration(ctx, {**params, "LifecycleConfiguration": {"Rules": rules}})
        return {}

    @staticmethod
    def _check_lifecycle(rules: list) -> None:
        if not rules:
            raise malformed_xml()
        if len(rules) > MAX_LIFECYCLE_RULES:
            raise invalid_request(f"The number of lifecycle rules should not exceed allowed limit of "
                                  f"{MAX_LIFECYCLE_RULES} rules")
        ids = set()
        for rule in rules:
            rid = rule.get("ID")
            if rid is not None:
                if len(rid) > 255:
                    raise invalid_argument("ID length should not exceed allowed limit of 255", "ID", rid)
                if rid in ids:
                    raise invalid_argument("Rule ID must be unique. Found same ID for more than one rule", "ID", rid)
                ids.add(rid)
            status = _require(rule, "Status")
            if status not in ("Enabled", "Disabled"):
                raise malformed_xml()
            has_filter, has_prefix = "Filter" in rule, "Prefix" in rule
            if has_filter == has_prefix:
                raise malformed_xml()
            if has_filter:
                f = rule["Filter"] or {}
                which = _one_of(f, ("Prefix", "Tag", "And", "ObjectSizeGreaterThan", "ObjectSizeLessThan"),
                                required=False)
                if which == "And":
                    and_ = f["And"]
                    if not isinstance(and_, dict):
                        raise malformed_xml()
                    for tag in and_.get("Tags") or []:
                        if tag.get("Key") is None or tag.get("Value") is None:
                            raise malformed_xml()
                    lo, hi = and_.get("ObjectSizeGreaterThan"), and_.get("ObjectSizeLessThan")
                    if lo is not None and hi is not None and lo >= hi:
                        raise invalid_argument("ObjectSizeLessThan must be greater than ObjectSizeGreaterThan in "
                                               "a filter")
                elif which == "Tag":
                    _require(f["Tag"], "Key")
                    _require(f["Tag"], "Value")
            actions = [k for k in ("Expiration", "Transitions", "NoncurrentVersionExpiration",
                                   "NoncurrentVersionTransitions", "AbortIncompleteMultipartUpload", "Transition",
                                   "NoncurrentVersionTransition") if rule.get(k)]
            if not actions:
                raise invalid_request("At least one action needs to be specified in a rule")
            exp = rule.get("Expiration")
            if exp is not None:
                given = [k for k in ("Days", "Date", "ExpiredObjectDeleteMarker") if exp.get(k) is not None]
                if not given:
                    raise malformed_xml()
                if len(given) > 1:
                    if "ExpiredObjectDeleteMarker" in given:
                        raise invalid_request("ExpiredObjectDeleteMarker cannot be specified with Days or Date in "
                                              "a Lifecycle Expiration Policy")
                    raise malformed_xml()
                if exp.get("Days") is not None and exp["Days"] <= 0:
                    raise invalid_argument("'Days' for Expiration action must be a positive integer", "Days",
                                           exp["Days"])
                if exp.get("Date") is not None:
                    d = exp["Date"]
                    if isinstance(d, _dt.datetime) and (d.hour, d.minute, d.second, d.microsecond) != (0, 0, 0, 0):
                        raise invalid_argument("'Date' must be at midnight GMT", "Date", d.isoformat())
            for t in rule.get("Transitions") or []:
                if (t.get("Days") is None) == (t.get("Date") is None):
                    raise malformed_xml()
                if t.get("Days") is not None and t["Days"] < 0:
                    raise invalid_argument("'Days' for Transition action must be a positive integer", "Days",
                                           t["Days"])
                sc = t.get("StorageClass")
                if sc in ("STANDARD_IA", "ONEZONE_IA") and t.get("Days") is not None and t["Days"] < 30:
                    raise invalid_argument(f"'Days' in Transition action must be greater than or equal to 30 for "
                                           f"storageClass '{sc}'", "Days", t["Days"])
            nve = rule.get("NoncurrentVersionExpiration")
            if nve is not None and nve.get("NoncurrentDays") is not None and nve["NoncurrentDays"] <= 0:
                raise invalid_argument("'NoncurrentDays' for NoncurrentVersionExpiration action must be a "
                                       "positive integer", "NoncurrentDays", nve["NoncurrentDays"])
            abort = rule.get("AbortIncompleteMultipartUpload")
            if abort is not None:
                if abort.get("DaysAfterInitiation") is None:
                    raise malformed_xml()
                if abort["DaysAfterInitiation"] <= 0:
                    raise invalid_argument("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must "
                                           "be a positive integer", "DaysAfterInitiation",
                                           abort["DaysAfterInitiation"])
                f = rule.get("Filter") or {}
                if f.get("Tag") or (f.get("And") or {}).get("Tags"):
                    raise invalid_request("AbortIncompleteMultipartUpload cannot be specified with Tags.")
            if exp is not None and exp.get("ExpiredObjectDeleteMarker"):
                f = rule.get("Filter") or {}
                if f.get("Tag") or (f.get("And") or {}).get("Tags"):
                    raise invalid_request("ExpiredObjectDeleteMarker cannot be specified with Tags.")

    def get_bucket_lifecycle_configuration(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        doc = self._required_config(b.name, "lifecycle")
        return {"Rules": doc["Rules"],
                "TransitionDefaultMinimumObjectSize": doc.get("TransitionDefaultMinimumObjectSize")
                or DEFAULT_TRANSITION_MIN_SIZE}

    def get_bucket_lifecycle(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        doc = self._required_config(b.name, "lifecycle")
        rules = []
        for rule in doc["Rules"]:
            rule = dict(rule)
            if "Prefix" not in rule:
                rule["Prefix"] = ((rule.get("Filter") or {}).get("Prefix")) or ""
            for one, many in (("Transition", "Transitions"),
                              ("NoncurrentVersionTransition", "NoncurrentVersionTransitions")):
                if rule.get(many):
                    rule[one] = rule.pop(many)[0]
            rules.append(rule)
        return {"Rules": rules}

    def delete_bucket_lifecycle(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        self._drop_config(b.name, "lifecycle")
        self.lifecycle.removed(b.name)
        return {}

    def lifecycle_rules(self, bucket: str) -> list[dict]:
        return (self._config(bucket, "lifecycle", None) or {}).get("Rules") or []

    # -- website -------------------------------------------------------------------------------

    def put_bucket_website(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        config = self._payload(params, "WebsiteConfiguration")
        redirect_all = config.get("RedirectAllRequestsTo")
        if redirect_all is not None:
            _require(redirect_all, "HostName")
            if any(config.get(k) is not None for k in ("IndexDocument", "ErrorDocument", "RoutingRules")):
                raise invalid_request("RedirectAllRequestsTo cannot be provided in conjunction with other Routing "
                                      "Rules.")
            _check_protocol(redirect_all)
        else:
            index = config.get("IndexDocument")
            if index is None or index.get("Suffix") is None:
                raise invalid_argument("A value for IndexDocument Suffix must be provided if "
                                       "RedirectAllRequestsTo is empty", "IndexDocument", "")
            suffix = index["Suffix"]
            if not suffix or "/" in suffix:
                raise invalid_argument("The IndexDocument Suffix is not well formed", "IndexDocument", suffix)
            error = config.get("ErrorDocument")
            if error is not None and not error.get("Key"):
                raise invalid_argument("The ErrorDocument Key is not well formed", "ErrorDocument", "")
            for rule in config.get("RoutingRules") or []:
                redirect = _require(rule, "Redirect")
                _check_protocol(redirect)
                if redirect.get("ReplaceKeyWith") is not None and redirect.get("ReplaceKeyPrefixWith") is not None:
                    raise malformed_xml()
                code = redirect.get("HttpRedirectCode")
                if code is not None and (not code.isdigit() or not 300 <= int(code) < 400):
                    raise invalid_argument("The provided HTTP redirect code (" + code + ") is not valid. Valid "
                                           "codes are 3XX except 300.", "HttpRedirectCode", code)
                if len(config.get("RoutingRules") or []) > 50:
                    raise invalid_request("Routing rules cannot exceed 50")
        self._store_config(b.name, "website", config)
        return {}

    def get_bucket_website(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        return self._required_config(b.name, "website")

    def delete_bucket_website(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        self._drop_config(b.name, "website")
        return {}

    def website_configuration(self, bucket: str) -> dict | None:
        return self._config(bucket, "website", None)

    # -- logging -------------------------------------------------------------------------------

    def put_bucket_logging(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        status = params.get("BucketLoggingStatus")
        if status is None:
            raise ServiceError("MissingRequestBodyError", "Request Body is empty")
        enabled = status.get("LoggingEnabled")
        if enabled is None:
            self._drop_config(b.name, "logging")
            return {}
        target = _require(enabled, "TargetBucket")
        if enabled.get("TargetPrefix") is None:
            raise malformed_xml()
        try:
            tb = self.bucket(ctx, target)
        except ServiceError as e:
            if e.code != "NoSuchBucket":
                raise
            raise ServiceError("InvalidTargetBucketForLogging", "The target bucket for logging does not exist",
                               TargetBucket=target) from None
        if tb.account != b.account:
            raise ServiceError("InvalidTargetBucketForLogging",
                               "The owner for the bucket to be logged and the target bucket must be the same.",
                               TargetBucket=target)
        if getattr(tb, "region", None) != getattr(b, "region", None):
            raise ServiceError("CrossLocationLoggingProhibitted", "Cross S3 location logging not allowed. ",
                               TargetBucketLocation=getattr(tb, "region", ""))
        for grant in enabled.get("TargetGrants") or []:
            _require(grant, "Grantee", "Type")
            if grant.get("Permission") not in ("FULL_CONTROL", "READ", "WRITE"):
                raise malformed_xml()
        self._store_config(b.name, "logging", {"LoggingEnabled": enabled})
        return {}

    def get_bucket_logging(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        return self._config(b.name, "logging", None) or {}

    # -- notification --------------------------------------------------------------------------

    async def put_bucket_notification_configuration(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        config = params.get("NotificationConfiguration")
        if config is None:
            raise ServiceError("MissingRequestBodyError", "Request Body is empty")
        out: dict = {}
        flat: list[tuple[list[str], str, str]] = []
        ids = set()
        for member, arn_key, service in _NOTIFICATION_KINDS:
            items = config.get(member)
            if not items:
                continue
            kept_items = []
            for item in items:
                arn = _require(item, arn_key)
                if not re.match(rf"^arn:aws[a-z-]*:{service}:[a-z0-9-]+:\d{{12}}:\S+$", arn):
                    raise invalid_argument("The ARN is not well formed", arn_key, arn)
                if arn.split(":")[3] != b.region:  # destinations live in the bucket's Region
                    raise invalid_argument("The notification destination service region is not valid for the "
                                           "bucket location constraint", arn_key, arn)
                events = _require(item, "Events")
                if not events:
                    raise malformed_xml()
                for event in events:
                    if event not in NOTIFICATION_EVENTS:
                        raise invalid_argument("The event is not supported for notifications", "Event", event)
                prefix = suffix = ""
                f = item.get("Filter")
                if f is not None:
                    rules = _require(f, "Key", "FilterRules")
                    seen = set()
                    for rule in rules:
                        name = (_require(rule, "Name") or "").lower()
                        value = rule.get("Value") or ""
                        if name not in ("prefix", "suffix"):
                            raise invalid_argument("filter rule name must be either prefix or suffix",
                                                   "FilterRule", rule.get("Name"))
                        if name in seen:
                            raise invalid_argument(f"Cannot specify more than one {name} rule in a filter.",
                                                   "FilterRule", name)
                        seen.add(name)
                        if name == "prefix":
                            prefix = value
                        else:
                            suffix = value
                nid = item.get("Id") or secrets.token_hex(16)
                if nid in ids:
                    raise invalid_argument("Same ID used for multiple configurations. IDs must be unique.", "Id",
                                           nid)
                ids.add(nid)
                kept = {"Id": nid, arn_key: arn, "Events": list(events)}
                if f is not None:
                    # S3 gives the rule names back capitalized, whatever the case sent.
                    kept["Filter"] = {"Key": {"FilterRules": [
                        {"Name": rule["Name"].capitalize(), "Value": rule.get("Value") or ""}
                        for rule in f["Key"]["FilterRules"]]}}
                kept_items.append(kept)
                flat.append((list(events), prefix, suffix))
            out[member] = kept_items
        if config.get("EventBridgeConfiguration") is not None:
            out["EventBridgeConfiguration"] = {}
        for i in range(len(flat)):
            for j in range(i + 1, len(flat)):
                if _events_overlap(flat[i][0], flat[j][0]) and _filters_overlap(flat[i][1:], flat[j][1:]):
                    raise invalid_argument("Configurations overlap. Configurations on the same bucket cannot share "
                                           "a common event type.", "Event", ", ".join(flat[j][0]))
        if not params.get("SkipDestinationValidation"):
            await self._check_destinations(out, b)
        if out:
            self._store_config(b.name, "notification", out)
        else:
            self._drop_config(b.name, "notification")
        # The provider sends the s3:TestEvent (and anything else it wants) here.
        hook = getattr(self, "notification_configured", None)
        if hook is not None:
            result = hook(ctx, b, out)
            if inspect.isawaitable(result):
                await result
        return {}

    async def _check_destinations(self, config: dict, bucket=None) -> None:
        """That every queue and topic exists (and every function, when nubis has
        Lambda): S3 checks them before it stores the configuration."""
        failed: list[tuple[str, str]] = []
        for member, arn_key, service in _NOTIFICATION_KINDS:
            for item in config.get(member) or []:
                arn = item[arn_key]
                parts = arn.split(":")
                region, account = parts[3], parts[4]
                if service == "sqs":
                    call = ("GetQueueAttributes", {"QueueUrl": f"/{account}/{parts[5]}",
                                                   "AttributeNames": ["QueueArn"]})
                    missing = "The destination queue does not exist"
                elif service == "sns":
                    call = ("GetTopicAttributes", {"TopicArn": arn})
                    missing = "The destination topic does not exist"
                else:
                    if self.runtime.provider("lambda") is None:
                        continue
                    call = ("GetFunction", {"FunctionName": arn})
                    missing = "The destination Lambda function does not exist"
                try:
                    await self.internal.call(service, call[0], call[1], account=account, region=region,
                                             principal="s3.amazonaws.com")
                except ServiceError as e:
                    if e.code == "NotImplemented":
                        continue
                    if (arn, missing) not in failed:
                        failed.append((arn, missing))
                else:  # and that a function's policy lets S3 invoke it
                    refusal = service == "lambda" and bucket and await lambda_refusal(self, bucket, arn)
                    if refusal and (arn, refusal) not in failed:
                        failed.append((arn, refusal))
        if failed:
            fields = {}
            for i, (arn, reason) in enumerate(failed, start=1):
                fields[f"ArgumentName{i}"] = arn
                fields[f"ArgumentValue{i}"] = reason
            raise ServiceError("InvalidArgument", "Unable to validate the following destination configurations",
                               **fields)

    # The deprecated form: at most one configuration of each kind.
    _DEPRECATED_NOTIFICATIONS = (("TopicConfiguration", "Topic", "TopicConfigurations", "TopicArn"),
                                 ("QueueConfiguration", "Queue", "QueueConfigurations", "QueueArn"),
                                 ("CloudFunctionConfiguration", "CloudFunction", "LambdaFunctionConfigurations",
                                  "LambdaFunctionArn"))

    async def put_bucket_notification(self, ctx, params: dict) -> dict:
        config = params.get("NotificationConfiguration")
        if config is None:
            raise ServiceError("MissingRequestBodyError", "Request Body is empty")
        current: dict = {}
        for old, arn_old, new, arn_new in self._DEPRECATED_NOTIFICATIONS:
            item = config.get(old)
            if not item:
                continue
            events = list(item.get("Events") or ([item["Event"]] if item.get("Event") else []))
            current[new] = [{k: v for k, v in (("Id", item.get("Id")), (arn_new, item.get(arn_old)),
                                               ("Events", events)) if v is not None}]
        await self.put_bucket_notification_configuration(ctx, {**params, "NotificationConfiguration": current})
        return {}

    def get_bucket_notification(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        config = self.notification_configuration(b.name)
        out = {}
        for old, arn_old, new, arn_new in self._DEPRECATED_NOTIFICATIONS:
            items = config.get(new)
            if items:
                item = items[0]
                out[old] = {"Id": item["Id"], arn_old: item[arn_new], "Events": item["Events"]}
        return out

    def get_bucket_notification_configuration(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        return self.notification_configuration(b.name)

    # -- replication ---------------------------------------------------------------------------

    def put_bucket_replication(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        config = self._payload(params, "ReplicationConfiguration")
        _require(config, "Role")
        rules = _require(config, "Rules")
        if not rules:
            raise malformed_xml()
        if len(rules) > 1000:
            raise invalid_request("Number of rules in the replication configuration exceeds the maximum of 1000")
        if getattr(b, "versioning", None) != "Enabled":
            raise invalid_request("Versioning must be 'Enabled' on the bucket to apply a replication "
                                  "configuration")
        ids, priorities = set(), set()
        v2 = any("Filter" in r for r in rules)
        for rule in rules:
            status = _require(rule, "Status")
            if status not in ("Enabled", "Disabled"):
                raise malformed_xml()
            dest = _require(rule, "Destination", "Bucket")
            if not re.match(r"^arn:aws[a-z-]*:s3:::[a-z0-9.-]{3,63}$", dest):
                raise invalid_argument("Invalid bucket ARN.", "Destination/Bucket", dest)
            rid = rule.get("ID")
            if rid is not None:
                if rid in ids:
                    raise invalid_argument("Rule Id must be unique", "ID", rid)
                if len(rid) > 255:
                    raise invalid_argument("ID length should not exceed allowed limit of 255", "ID", rid)
                ids.add(rid)
            if v2:
                if "Prefix" in rule:
                    raise malformed_xml()
                if rule.get("Priority") is None and len(rules) > 1:
                    raise invalid_request("Priority must be specified for this version of Cross Region "
                                          "Replication configuration schema.")
                if rule.get("Priority") is not None:
                    if rule["Priority"] in priorities:
                        raise invalid_request("Found duplicate priority " + str(rule["Priority"]) +
                                              " for rules. Priorities must be unique.")
                    priorities.add(rule["Priority"])
                if rule.get("DeleteMarkerReplication") is None:
                    raise invalid_request("DeleteMarkerReplication must be specified for this version of Cross "
                                          "Region Replication configuration schema.")
                _one_of(rule.get("Filter"), ("Prefix", "Tag", "And"), required=False)
            elif "Prefix" not in rule:
                raise malformed_xml()
        config = {**config, "Rules": [r if r.get("ID") else {"ID": _generated_id(), **r} for r in rules]}
        self._store_config(b.name, "replication", config)
        return {}

    def get_bucket_replication(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        return {"ReplicationConfiguration": self._required_config(b.name, "replication")}

    def delete_bucket_replication(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        self._drop_config(b.name, "replication")
        return {}

    # -- accelerate, request payment -------------------------------------------------------------

    def put_bucket_accelerate_configuration(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        config = self._payload(params, "AccelerateConfiguration")
        status = _require(config, "Status")
        if status not in ("Enabled", "Suspended"):
            raise malformed_xml()
        if "." in b.name:
            raise invalid_request("S3 Transfer Acceleration is not supported for buckets with periods (.) in "
                                  "their names")
        self._store_config(b.name, "accelerate", {"Status": status})
        return {}

    def get_bucket_accelerate_configuration(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        return self._config(b.name, "accelerate", None) or {}

    def put_bucket_request_payment(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        config = self._payload(params, "RequestPaymentConfiguration")
        payer = _require(config, "Payer")
        if payer not in ("Requester", "BucketOwner"):
            raise malformed_xml()
        self._store_config(b.name, "request_payment", {"Payer": payer})
        return {}

    def get_bucket_request_payment(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        return self._config(b.name, "request_payment", None) or {"Payer": "BucketOwner"}

    # -- object lock ---------------------------------------------------------------------------

    def _object_lock_enabled(self, b) -> bool:
        if getattr(b, "object_lock", False) or getattr(b, "object_lock_enabled", False):
            return True
        doc = self._config(b.name, "object_lock", None)
        return bool(doc and doc.get("ObjectLockEnabled") == "Enabled")

    def put_object_lock_configuration(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        config = self._payload(params, "ObjectLockConfiguration")
        if config.get("ObjectLockEnabled") != "Enabled":
            raise malformed_xml()
        if not self._object_lock_enabled(b):
            versioning = getattr(b, "versioning", None)
            if versioning != "Enabled":
                raise ServiceError("InvalidBucketState", "Versioning must be 'Enabled' on the bucket to apply a "
                                   "Object Lock configuration", status=409)
        out: dict = {"ObjectLockEnabled": "Enabled"}
        rule = config.get("Rule")
        if rule is not None:
            retention = _require(rule, "DefaultRetention")
            mode = retention.get("Mode")
            if mode not in ("GOVERNANCE", "COMPLIANCE"):
                raise malformed_xml()
            which = _one_of(retention, ("Days", "Years"))
            if retention[which] <= 0:
                raise invalid_argument("Default retention period must be a positive integer value.",
                                       "ObjectLockConfiguration/Rule/DefaultRetention/" + which, retention[which])
            out["Rule"] = {"DefaultRetention": {"Mode": mode, which: retention[which]}}
        self._store_config(b.name, "object_lock", out)
        return {}

    def get_object_lock_configuration(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        doc = self._config(b.name, "object_lock", None)
        if doc is None:
            if not self._object_lock_enabled(b):
                raise _not_found(*_ABSENT["object_lock"], b.name)
            doc = {"ObjectLockEnabled": "Enabled"}
        return {"ObjectLockConfiguration": doc}

    def object_lock_configuration(self, bucket: str) -> dict | None:
        return self._config(bucket, "object_lock", None)

    # -- id-keyed configurations: intelligent tiering, inventory, analytics, metrics ---------------

    def _put_by_id(self, ctx, params: dict, kind: str, check) -> dict:
        b = self._target(ctx, params)
        member = _ID_KINDS[kind][0]
        config = self._payload(params, member)
        cid = params.get("Id")
        body_id = _require(config, "Id")
        if not cid:
            raise invalid_argument("Id must be specified", "Id", "")
        if body_id != cid:
            raise invalid_argument("Configuration ID mismatch", "Id", body_id)
        if not _ID.match(cid):
            raise invalid_argument("The configuration ID is invalid", "Id", cid)
        check(b, config)
        existing = self._configs_like(b.name, kind + ":")
        if len(existing) >= MAX_ID_CONFIGS and cid not in {k for k, _ in existing}:
            raise ServiceError("TooManyConfigurations", "You are attempting to create a new configuration but "
                               f"have already reached the {MAX_ID_CONFIGS}-configuration limit.")
        self._store_config(b.name, f"{kind}:{cid}", config)
        return {}

    def _get_by_id(self, ctx, params: dict, kind: str) -> dict:
        b = self._target(ctx, params)
        doc = self._config(b.name, f"{kind}:{params.get('Id') or ''}", None)
        if doc is None:
            raise _not_found("NoSuchConfiguration", "The specified configuration does not exist.", b.name)
        return {_ID_KINDS[kind][0]: doc}

    def _delete_by_id(self, ctx, params: dict, kind: str) -> dict:
        b = self._target(ctx, params)
        key = f"{kind}:{params.get('Id') or ''}"
        if self._config(b.name, key, None) is None:
            raise _not_found("NoSuchConfiguration", "The specified configuration does not exist.", b.name)
        self._drop_config(b.name, key)
        return {}

    def _list_by_id(self, ctx, params: dict, kind: str) -> dict:
        b = self._target(ctx, params)
        items = self._configs_like(b.name, kind + ":")
        token = params.get("ContinuationToken")
        start = 0
        if token:
            try:
                after = bytes.fromhex(token).decode("utf-8")
            except ValueError:
                raise invalid_argument("The continuation token provided is incorrect", "continuation-token",
                                       token) from None
            start = next((i for i, (k, _) in enumerate(items) if k > after), len(items))
        page = items[start:start + LIST_PAGE]
        out: dict = {"IsTruncated": start + LIST_PAGE < len(items)}
        if token:
            out["ContinuationToken"] = token
        if out["IsTruncated"]:
            out["NextContinuationToken"] = page[-1][0].encode("utf-8").hex()
        if page:
            out[_ID_KINDS[kind][1]] = [doc for _, doc in page]
        return out

    def put_bucket_intelligent_tiering_configuration(self, ctx, params):
        return self._put_by_id(ctx, params, "intelligent_tiering", _check_intelligent_tiering)

    def get_bucket_intelligent_tiering_configuration(self, ctx, params):
        return self._get_by_id(ctx, params, "intelligent_tiering")

    def delete_bucket_intelligent_tiering_configuration(self, ctx, params):
        return self._delete_by_id(ctx, params, "intelligent_tiering")

    def list_bucket_intelligent_tiering_configurations(self, ctx, params):
        return self._list_by_id(ctx, params, "intelligent_tiering")

    def put_bucket_inventory_configuration(self, ctx, params):
        return self._put_by_id(ctx, params, "inventory", _check_inventory)

    def get_bucket_inventory_configuration(self, ctx, params):
        return self._get_by_id(ctx, params, "inventory")

    def delete_bucket_inventory_configuration(self, ctx, params):
        return self._delete_by_id(ctx, params, "inventory")

    def list_bucket_inventory_configurations(self, ctx, params):
        return self._list_by_id(ctx, params, "inventory")

    def put_bucket_analytics_configuration(self, ctx, params):
        return self._put_by_id(ctx, params, "analytics", _check_analytics)

    def get_bucket_analytics_configuration(self, ctx, params):
        return self._get_by_id(ctx, params, "analytics")

    def delete_bucket_analytics_configuration(self, ctx, params):
        return self._delete_by_id(ctx, params, "analytics")

    def list_bucket_analytics_configurations(self, ctx, params):
        return self._list_by_id(ctx, params, "analytics")

    def put_bucket_metrics_configuration(self, ctx, params):
        return self._put_by_id(ctx, params, "metrics", _check_metrics)

    def get_bucket_metrics_configuration(self, ctx, params):
        return self._get_by_id(ctx, params, "metrics")

    def delete_bucket_metrics_configuration(self, ctx, params):
        return self._delete_by_id(ctx, params, "metrics")

    def list_bucket_metrics_configurations(self, ctx, params):
        return self._list_by_id(ctx, params, "metrics")


# -- helpers -----------------------------------------------------------------------------------

def _generated_id() -> str:
    """The id S3 gives a lifecycle or replication rule put without one."""
    return secrets.token_urlsafe(36)[:48]


def _split_grantees(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _check_protocol(redirect: dict) -> None:
    protocol = redirect.get("Protocol")
    if protocol is not None and protocol not in ("http", "https"):
        raise invalid_argument("Invalid protocol, protocol can be http or https. If not defined the protocol will "
                               "be selected automatically.", "Protocol", protocol)


def _principal_is_public(principal) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        aws = principal.get("AWS")
        values = aws if isinstance(aws, list) else [aws]
        return "*" in values
    return False


def _policy_is_public(doc: dict) -> bool:
    """Whether a policy grants access to everyone: an Allow to ``*`` with no
    condition that pins the caller (a simplification of S3's rule)."""
    statements = doc.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    for st in statements or []:
        if st.get("Effect") != "Allow":
            continue
        if not _principal_is_public(st.get("Principal")):
            continue
        cond = st.get("Condition") or {}
        fixed = {"aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:sourcevpc", "aws:sourcevpce",
                 "aws:sourceip", "aws:principalorgid", "aws:principalaccount", "aws:principalarn",
                 "aws:userid", "aws:principalorgpaths", "s3:dataaccesspointarn", "s3:dataaccesspointaccount"}
        pinned = any(k.lower() in fixed for ops in cond.values() if isinstance(ops, dict) for k in ops)
        if not pinned:
            return True
    return False


def _event_matches(a: str, b: str) -> bool:
    if a == b:
        return True
    if a.endswith(":*") and b.startswith(a[:-1]):
        return True
    if b.endswith(":*") and a.startswith(b[:-1]):
        return True
    return False


def _events_overlap(a: list[str], b: list[str]) -> bool:
    return any(_event_matches(x, y) for x in a for y in b)


def _filters_overlap(a: tuple[str, str], b: tuple[str, str]) -> bool:
    (pa, sa), (pb, sb) = a, b
    prefixes = pa.startswith(pb) or pb.startswith(pa)
    suffixes = sa.endswith(sb) or sb.endswith(sa)
    return prefixes and suffixes


def _check_filter_tags(f: dict | None) -> None:
    if not f:
        return
    which = _one_of(f, ("Prefix", "Tag", "And", "AccessPointArn"), required=False)
    if which == "Tag":
        _require(f["Tag"], "Key")
        _require(f["Tag"], "Value")


def _check_intelligent_tiering(b, config: dict) -> None:
    status = _require(config, "Status")
    if status not in ("Enabled", "Disabled"):
        raise malformed_xml()
    tierings = _require(config, "Tierings")
    if not tierings:
        raise malformed_xml()
    seen = set()
    for t in tierings:
        days = _require(t, "Days")
        tier = _require(t, "AccessTier")
        if tier in seen:
            raise invalid_argument("Intelligent-Tiering configuration cannot have the same AccessTier twice",
                                   "AccessTier", tier)
        seen.add(tier)
        if tier == "ARCHIVE_ACCESS" and not 90 <= days <= 730:
            raise invalid_argument("The ARCHIVE_ACCESS tier days must be between 90 and 730", "Days", days)
        if tier == "DEEP_ARCHIVE_ACCESS" and not 180 <= days <= 730:
            raise invalid_argument("The DEEP_ARCHIVE_ACCESS tier days must be between 180 and 730", "Days", days)
        if tier not in ("ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS"):
            raise malformed_xml()
    f = config.get("Filter")
    if f:
        _one_of(f, ("Prefix", "Tag", "And"), required=False)


def _check_inventory(b, config: dict) -> None:
    dest = _require(config, "Destination", "S3BucketDestination")
    arn = _require(dest, "Bucket")
    if not re.match(r"^arn:aws[a-z-]*:s3:::[a-z0-9.-]{3,63}$", arn):
        raise invalid_argument("Invalid bucket ARN.", "Destination/S3BucketDestination/Bucket", arn)
    if _require(dest, "Format") not in ("CSV", "ORC", "Parquet"):
        raise malformed_xml()
    if not isinstance(config.get("IsEnabled"), bool):
        raise malformed_xml()
    if _require(config, "IncludedObjectVersions") not in ("All", "Current"):
        raise malformed_xml()
    if _require(config, "Schedule", "Frequency") not in ("Daily", "Weekly"):
        raise malformed_xml()


def _check_analytics(b, config: dict) -> None:
    _check_filter_tags(config.get("Filter"))
    sca = config.get("StorageClassAnalysis")
    if sca is None:
        raise malformed_xml()
    export = sca.get("DataExport")
    if export is not None:
        if _require(export, "OutputSchemaVersion") != "V_1":
            raise malformed_xml()
        dest = _require(export, "Destination", "S3BucketDestination")
        if _require(dest, "Format") != "CSV":
            raise malformed_xml()
        arn = _require(dest, "Bucket")
        if not re.match(r"^arn:aws[a-z-]*:s3:::[a-z0-9.-]{3,63}$", arn):
            raise invalid_argument("Invalid bucket ARN.", "Bucket", arn)


def _check_metrics(b, config: dict) -> None:
    _check_filter_tags(config.get("Filter"))
