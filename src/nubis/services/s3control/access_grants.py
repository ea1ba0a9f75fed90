"""S3 Access Grants: an instance per account and Region, its locations (an S3 path
and the IAM role that reaches it), its grants (a grantee, a permission, a scope
within a location) and GetDataAccess, which vends the location role's temporary
credentials, scoped to the grant, through STS (S3 user guide, "Managing access
with S3 Access Grants"). Error codes are those of the S3 API reference's
"List of Amazon S3 Access Grants error codes".
"""
from __future__ import annotations

import datetime as _dt
import json
import re
import secrets
import uuid

from ...auth.credentials import root_arn
from ...auth.enforce import resolver
from ...auth.policy import role_of_session
from ...protocol.errors import ServiceError
from ..base import RequestContext
from ..tags import merge_tags

PRINCIPAL = "access-grants.s3.amazonaws.com"
MAX_LOCATIONS = 1000
MAX_GRANTS = 100000
MAX_LIST = 1000
_ROLE = re.compile(r"^arn:[^:]+:iam::\d{12}:role/.+$")
_IDENTITY_CENTER = re.compile(r"^arn:[^:]+:sso::(\d{12})?:instance/(ssoins-[a-zA-Z0-9-.]{16,1200})$")
_APPLICATION = re.compile(r"^arn:[^:]+:sso::\d{12}:application/.+$")
_ORGANIZATION = re.compile(r"^o-[a-z0-9]{10,32}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ARN = re.compile(r"^arn:[^:]+:s3:([a-z0-9-]+):(\d{12}):access-grants/default(?:/(location|grant)/([a-zA-Z0-9-]+))?$")
PERMISSIONS = ("READ", "WRITE", "READWRITE")
GRANTEE_TYPES = ("DIRECTORY_USER", "DIRECTORY_GROUP", "IAM")
# The S3 actions a vended session may take, per permission.
_READ_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl", "s3:GetObjectVersionAcl",
                 "s3:ListMultipartUploadParts"]
_WRITE_ACTIONS = ["s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectVersionAcl", "s3:DeleteObject",
                  "s3:DeleteObjectVersion", "s3:AbortMultipartUpload"]

MIGRATION = """
CREATE TABLE s3control_ag_instances (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    created REAL NOT NULL,
    identity_center TEXT,
    application TEXT,
    policy TEXT,
    organization TEXT,
    policy_created REAL,
    tags TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (account, region)
);
CREATE TABLE s3control_ag_locations (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    id TEXT NOT NULL,
    scope TEXT NOT NULL,
    role TEXT NOT NULL,
    created REAL NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (account, region, id),
    UNIQUE (account, region, scope)
);
CREATE TABLE s3control_ag_grants (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    id TEXT NOT NULL,
    location TEXT NOT NULL,
    sub_prefix TEXT,
    scope TEXT NOT NULL,
    grantee_type TEXT NOT NULL,
    grantee TEXT NOT NULL,
    permission TEXT NOT NULL,
    application TEXT,
    prefix_type TEXT,
    created REAL NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (account, region, id)
);
CREATE INDEX s3control_ag_grants_location ON s3control_ag_grants(account, region, location);
"""


def _err(code: str, message: str, status: int = 400) -> ServiceError:
    return ServiceError(code, message, status)


def no_instance() -> ServiceError:
    return _err("AccessGrantsInstanceNotExistsError", "Access Grants Instance does not exist", 404)


def _ts(t: float | None) -> _dt.datetime | None:
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc) if t is not None else None


def instance_arn(region: str, account: str) -> str:
    return f"arn:aws:s3:{region}:{account}:access-grants/default"


def _check_scope(scope: str) -> str:
    """A location's scope: ``s3://`` (the default location), ``s3://bucket`` or ``s3://bucket/prefix``."""
    if not isinstance(scope, str) or not scope.startswith("s3://") or len(scope) > 2000 or "*" in scope:
        raise _err("InvalidAccessGrantsLocation", "The specified Access Grants Location is invalid")
    if scope == "s3://":
        return scope
    bucket = scope[5:].split("/", 1)[0]
    if not _BUCKET.match(bucket):
        raise _err("InvalidAccessGrantsLocation", "The specified Access Grants Location is invalid")
    return scope.rstrip("/") if scope[5:].count("/") == 1 and scope.endswith("/") else scope


def grant_scope(location_scope: str, sub_prefix: str | None) -> str:
    base = location_scope if location_scope == "s3://" else location_scope.rstrip("/") + "/"
    return base + (sub_prefix if sub_prefix else "*")


def covers(scope: str, target: str) -> bool:
    """Whether a grant's scope (``...*`` for a prefix, else one object) reaches ``target``
    (a prefix, ``...*``, or an object)."""
    if scope.endswith("*"):
        return target.rstrip("*").startswith(scope[:-1])
    return target == scope


def _allows(granted: str, wanted: str) -> bool:
    return granted == wanted or granted == "READWRITE"


def _session_policy(scope: str, permission: str) -> str:
    """The session policy that limits vended credentials to ``scope``."""
    path = scope[5:]
    bucket, _, prefix = path.partition("/")
    actions = (_READ_ACTIONS if permission in ("READ", "READWRITE") else []) + \
        (_WRITE_ACTIONS if permission in ("WRITE", "READWRITE") else [])
    objects = f"arn:aws:s3:::{path}" if bucket and bucket != "*" else "arn:aws:s3:::*"
    statements = [{"Effect": "Allow", "Action": actions, "Resource": objects}]
    if permission in ("READ", "READWRITE"):
        listing = {"Effect": "Allow", "Action": "s3:ListBucket",
                   "Resource": f"arn:aws:s3:::{bucket}" if bucket and bucket != "*" else "arn:aws:s3:::*"}
        if prefix and prefix != "*":
            listing["Condition"] = {"StringLike": {"s3:prefix": prefix}}
        statements.append(listing)
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))


def _page(token: str | None) -> int | None:
    """The row sequence number a NextToken continues after (rows list in creation order)."""
    if not token:
        return None
    try:
        return int(bytes.fromhex(token).decode("ascii"))
    except ValueError:
        raise ServiceError("InvalidRequest", "The continuation token is not valid.", 400) from None


def _token(seq: int) -> str:
    return str(seq).encode("ascii").hex()


def _limit(params: dict) -> int:
    limit = params.get("MaxResults")
    if limit is None or limit == 0:
        return MAX_LIST
    if not 0 < limit <= MAX_LIST:
        raise ServiceError("InvalidRequest", "MaxResults must be between 0 and 1000.", 400)
    return limit


class AccessGrantsStore:
    def __init__(self, db):
        self.db = db

    def instance(self, account: str, region: str):
        return self.db.query_one("SELECT * FROM s3control_ag_instances WHERE account = ? AND region = ?",
                                 (account, region))

    def instances(self, account: str):
        return self.db.query("SELECT rowid AS seq, * FROM s3control_ag_instances WHERE account = ? ORDER BY rowid", (account,))

    def add_instance(self, account: str, region: str, now: float, identity_center, application, tags) -> None:
        self.db.execute("INSERT INTO s3control_ag_instances (account, region, created, identity_center, application,"
                        " tags) VALUES (?, ?, ?, ?, ?, ?)",
                        (account, region, now, identity_center, application, json.dumps(tags)))

    def update_instance(self, account: str, region: str, **fields) -> None:
        self.db.execute(f"UPDATE s3control_ag_instances SET {', '.join(f'{k} = ?' for k in fields)}"
                        " WHERE account = ? AND region = ?", (*fields.values(), account, region))

    def delete_instance(self, account: str, region: str) -> None:
        self.db.execute("DELETE FROM s3control_ag_instances WHERE account = ? AND region = ?", (account, region))

    def location(self, account: str, region: str, location_id: str):
        return self.db.query_one("SELECT * FROM s3control_ag_locations WHERE account = ? AND region = ? AND id = ?",
                                 (account, region, location_id))

    def location_by_scope(self, account: str, region: str, scope: str):
        return self.db.query_one("SELECT * FROM s3control_ag_locations WHERE account = ? AND region = ?"
                                 " AND scope = ?", (account, region, scope))

    def locations(self, account: str, region: str):
        return self.db.query("SELECT rowid AS seq, * FROM s3control_ag_locations WHERE account = ? AND region = ?"
                             " ORDER BY rowid", (account, region))

    def count(self, table: str, account: str, region: str) -> int:
        return self.db.query_one(f"SELECT COUNT(*) FROM s3control_ag_{table} WHERE account = ? AND region = ?",
                                 (account, region))[0]

    def add_location(self, account, region, location_id, scope, role, now, tags) -> None:
        self.db.execute("INSERT INTO s3control_ag_locations (account, region, id, scope, role, created, tags)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (account, region, location_id, scope, role, now, json.dumps(tags)))

    def set_location_role(self, account, region, location_id, role) -> None:
        self.db.execute("UPDATE s3control_ag_locations SET role = ? WHERE account = ? AND region = ? AND id = ?",
                        (role, account, region, location_id))

    def delete_location(self, account, region, location_id) -> None:
        self.db.execute("DELETE FROM s3control_ag_locations WHERE account = ? AND region = ? AND id = ?",
                        (account, region, location_id))

    def grant(self, account: str, region: str, grant_id: str):
        return self.db.query_one("SELECT * FROM s3control_ag_grants WHERE account = ? AND region = ? AND id = ?",
                                 (account, region, grant_id))

    def grants(self, account: str, region: str, location: str | None = None):
        if location is not None:
            return self.db.query("SELECT rowid AS seq, * FROM s3control_ag_grants WHERE account = ? AND region = ?"
                                 " AND location = ? ORDER BY rowid", (account, region, location))
        return self.db.query("SELECT rowid AS seq, * FROM s3control_ag_grants WHERE account = ? AND region = ?"
                             " ORDER BY rowid", (account, region))

    def grants_of(self, account: str, region: str, grantees: list[str]):
        return self.db.query(f"SELECT rowid AS seq, * FROM s3control_ag_grants WHERE account = ? AND region = ? AND"
                             f" grantee_type = 'IAM' AND grantee IN ({', '.join('?' for _ in grantees)}) ORDER BY rowid",
                             (account, region, *grantees))

    def add_grant(self, row: dict) -> None:
        self.db.execute(f"INSERT INTO s3control_ag_grants ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
                        tuple(row.values()))

    def delete_grant(self, account, region, grant_id) -> None:
        self.db.execute("DELETE FROM s3control_ag_grants WHERE account = ? AND region = ? AND id = ?",
                        (account, region, grant_id))

    def set_tags(self, table: str, account: str, region: str, key: str | None, tags: list) -> None:
        if table == "instances":
            self.db.execute("UPDATE s3control_ag_instances SET tags = ? WHERE account = ? AND region = ?",
                            (json.dumps(tags), account, region))
        else:
            self.db.execute(f"UPDATE s3control_ag_{table} SET tags = ? WHERE account = ? AND region = ? AND id = ?",
                            (json.dumps(tags), account, region, key))


class AccessGrants:
    """The Access Grants operations of the S3 Control provider."""

    # -- helpers ------------------------------------------------------------------------------

    def _instance(self, ctx: RequestContext, params: dict):
        account = self._account(ctx, params)
        row = self.grants_store.instance(account, ctx.region)
        if row is None:
            raise no_instance()
        return row

    def _ag_tags(self, tags: list) -> list:
        if len(tags) > 50:
            raise _err("TooManyTags", "The number of tags exceeds the limit of 50 tags. Remove some tags and try "
                       "again.")
        keys = [t["Key"] for t in tags]
        if len(set(keys)) != len(keys):
            raise _err("InvalidTag", "There are duplicate tag keys in your request. Remove the duplicate tag keys "
                       "and try again.")
        for t in tags:
            if t["Key"].lower().startswith("aws:"):
                raise _err("InvalidTags", "Tag keys cannot start with AWS reserved prefix for system tags.")
            if not 1 <= len(t["Key"]) <= 128 or len(t.get("Value") or "") > 256:
                raise _err("InvalidTag", "This request contains a tag key or value that isn't valid.")
        return [{"Key": t["Key"], "Value": t.get("Value") or ""} for t in tags]

    def _role_arn(self, role: str) -> str:
        if not isinstance(role, str) or not _ROLE.match(role) or len(role) > 2048:
            raise _err("InvalidIamRole", "The specified IAM Role is invalid")
        return role

    @staticmethod
    def _location_out(r) -> dict:
        return {"CreatedAt": _ts(r["created"]), "AccessGrantsLocationId": r["id"],
                "AccessGrantsLocationArn": f"{instance_arn(r['region'], r['account'])}/location/{r['id']}",
                "LocationScope": r["scope"], "IAMRoleArn": r["role"]}

    @staticmethod
    def _grant_out(r) -> dict:
        out = {"CreatedAt": _ts(r["created"]), "AccessGrantId": r["id"],
               "AccessGrantArn": f"{instance_arn(r['region'], r['account'])}/grant/{r['id']}",
               "Grantee": {"GranteeType": r["grantee_type"], "GranteeIdentifier": r["grantee"]},
               "Permission": r["permission"], "AccessGrantsLocationId": r["location"], "GrantScope": r["scope"]}
        if r["sub_prefix"]:
            out["AccessGrantsLocationConfiguration"] = {"S3SubPrefix": r["sub_prefix"]}
        if r["application"]:
            out["ApplicationArn"] = r["application"]
        return out

    @staticmethod
    def _instance_out(r) -> dict:
        out = {"AccessGrantsInstanceId": "default", "AccessGrantsInstanceArn": instance_arn(r["region"], r["account"]),
               "CreatedAt": _ts(r["created"])}
        if r["identity_center"]:
            out.update({"IdentityCenterArn": r["identity_center"], "IdentityCenterInstanceArn": r["identity_center"],
                        "IdentityCenterApplicationArn": r["application"]})
        return out

    def _identity_center(self, account: str, arn) -> tuple[str, str]:
        m = _IDENTITY_CENTER.match(arn) if isinstance(arn, str) else None
        if m is None:
            raise _err("InvalidIdentityCenterInstance", "The specified identity center instance is invalid")
        return arn, f"arn:aws:sso::{account}:application/{m[2]}/apl-{secrets.token_hex(8)}"

    # -- the instance -------------------------------------------------------------------------

    def create_access_grants_instance(self, ctx: RequestContext, params: dict) -> dict:
        account = self._account(ctx, params)
        tags = self._ag_tags(params.get("Tags") or [])
        center = application = None
        if params.get("IdentityCenterArn") is not None:
            center, application = self._identity_center(account, params["IdentityCenterArn"])
        with self.db.transaction():
            if self.grants_store.instance(account, ctx.region) is not None:
                raise _err("AccessGrantsInstanceAlreadyExists", "Access Grants Instance already exists", 409)
            self.grants_store.add_instance(account, ctx.region, self.clock.now(), center, application, tags)
        return self._instance_out(self.grants_store.instance(account, ctx.region))

    def get_access_grants_instance(self, ctx: RequestContext, params: dict) -> dict:
        return self._instance_out(self._instance(ctx, params))

    def delete_access_grants_instance(self, ctx: RequestContext, params: dict) -> dict:
        row = self._instance(ctx, params)
        with self.db.transaction():
            if self.grants_store.count("locations", row["account"], row["region"]):
                raise _err("AccessGrantsInstanceNotEmptyError", "Please clean up locations before deleting the "
                           "access grants instance")
            self.grants_store.delete_instance(row["account"], row["region"])
        return {}

    def list_access_grants_instances(self, ctx: RequestContext, params: dict) -> dict:
        account = self._account(ctx, params)
        limit, after = _limit(params), _page(params.get("NextToken"))
        rows = [r for r in self.grants_store.instances(account) if after is None or r["seq"] > after]
        out: dict = {"AccessGrantsInstancesList": [self._instance_out(r) for r in rows[:limit]]}
        if len(rows) > limit:
            out["NextToken"] = _token(rows[limit - 1]["seq"])
        return out

    def get_access_grants_instance_for_prefix(self, ctx: RequestContext, params: dict) -> dict:
        row = self._instance(ctx, params)
        prefix = params["S3Prefix"]
        if not isinstance(prefix, str) or not prefix.startswith("s3://"):
            raise _err("InvalidRequest", "The S3Prefix must be an S3 path (s3://...).")
        if not any(covers(grant_scope(loc["scope"], None), prefix)
                   for loc in self.grants_store.locations(row["account"], row["region"])):
            raise no_instance()
        return {"AccessGrantsInstanceArn": instance_arn(row["region"], row["account"]),
                "AccessGrantsInstanceId": "default"}

    def associate_access_grants_identity_center(self, ctx: RequestContext, params: dict) -> dict:
        row = self._instance(ctx, params)
        center, application = self._identity_center(row["account"], params["IdentityCenterArn"])
        self.grants_store.update_instance(row["account"], row["region"], identity_center=center,
                                          application=application)
        return {}

    def dissociate_access_grants_identity_center(self, ctx: RequestContext, params: dict) -> dict:
        row = self._instance(ctx, params)
        self.grants_store.update_instance(row["account"], row["region"], identity_center=None, application=None)
        return {}

    # -- the instance's resource policy --------------------------------------------------------

    def put_access_grants_instance_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        row = self._instance(ctx, params)
        policy = params["Policy"]
        try:
            doc = json.loads(policy)
        except (TypeError, ValueError):
            doc = None
        if not isinstance(doc, dict) or not doc.get("Statement") or len(policy) > 350000:
            raise _err("InvalidResourcePolicy", "The specified Resource Policy is invalid")
        org = params.get("Organization")
        if org is not None and not _ORGANIZATION.match(org):
            raise _err("InvalidResourcePolicy", "The specified Resource Policy is invalid")
        now = self.clock.now()
        self.grants_store.update_instance(row["account"], row["region"], policy=policy, organization=org,
                                          policy_created=now)
        out = {"Policy": policy, "CreatedAt": _ts(now)}
        if org:
            out["Organization"] = org
        return out

    def get_access_grants_instance_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        row = self._instance(ctx, params)
        if not row["policy"]:
            raise _err("AccessGrantsInstanceResourcePolicyNotExists",
                       "Access Grants Instance Resource Policy does not exist", 404)
        out = {"Policy": row["policy"], "CreatedAt": _ts(row["policy_created"])}
        if row["organization"]:
            out["Organization"] = row["organization"]
        return out

    def delete_access_grants_instance_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        row = self._instance(ctx, params)
        self.grants_store.update_instance(row["account"], row["region"], policy=None, organization=None,
                                          policy_created=None)
        return {}

    # -- locations ----------------------------------------------------------------------------

    def _location(self, ctx: RequestContext, params: dict):
        row = self._instance(ctx, params)
        loc = self.grants_store.location(row["account"], row["region"], params["AccessGrantsLocationId"])
        if loc is None:
            raise _err("NoSuchAccessGrantsLocationError", "The specified access grants location does not exist",
                       404)
        return loc

    def create_access_grants_location(self, ctx: RequestContext, params: dict) -> dict:
        row = self._instance(ctx, params)
        scope = _check_scope(params["LocationScope"])
        role = self._role_arn(params["IAMRoleArn"])
        tags = self._ag_tags(params.get("Tags") or [])
        account, region = row["account"], row["region"]
        # The default location (all of S3) has the ID "default".
        location_id = "default" if scope == "s3://" else str(uuid.uuid4())
        with self.db.transaction():
            if self.grants_store.location_by_scope(account, region, scope) is not None:
                raise _err("AccessGrantsLocationAlreadyExistsError",
                           "The specified access grants location already exists", 409)
            if self.grants_store.count("locations", account, region) >= MAX_LOCATIONS:
                raise _err("AccessGrantsLocationsQuotaExceededError", "The access grants location quota has been "
                           f"exceeded. Access Grants Locations Quota: {MAX_LOCATIONS}. Please reach out to S3 if an "
                           "increase is required.", 409)
            self.grants_store.add_location(account, region, location_id, scope, role, self.clock.now(), tags)
        return self._location_out(self.grants_store.location(account, region, location_id))

    def get_access_grants_location(self, ctx: RequestContext, params: dict) -> dict:
        return self._location_out(self._location(ctx, params))

    def update_access_grants_location(self, ctx: RequestContext, params: dict) -> dict:
        loc = self._location(ctx, params)
        role = self._role_arn(params["IAMRoleArn"])
        self.grants_store.set_location_role(loc["account"], loc["region"], loc["id"], role)
        return self._location_out(self.grants_store.location(loc["account"], loc["region"], loc["id"]))

    def delete_access_grants_location(self, ctx: RequestContext, params: dict) -> dict:
        loc = self._location(ctx, params)
        with self.db.transaction():
            if self.grants_store.grants(loc["account"], loc["region"], loc["id"]):
                raise _err("AccessGrantsLocationNotEmptyError", "Please clean up access grants before deleting "
                           "access grants location")
            self.grants_store.delete_location(loc["account"], loc["region"], loc["id"])
        return {}

    def list_access_grants_locations(self, ctx: RequestContext, params: dict) -> dict:
        row = self._instance(ctx, params)
        limit, after = _limit(params), _page(params.get("NextToken"))
        wanted = params.get("LocationScope")
        rows = [r for r in self.grants_store.locations(row["account"], row["region"])
                if (wanted is None or r["scope"].startswith(wanted))
                and (after is None or r["seq"] > after)]
        out: dict = {"AccessGrantsLocationsList": [self._location_out(r) for r in rows[:limit]]}
        if len(rows) > limit:
            out["NextToken"] = _token(rows[limit - 1]["seq"])
        return out

    # -- grants -------------------------------------------------------------------------------

    def _grant(self, ctx: RequestContext, params: dict):
        row = self._instance(ctx, params)
        grant = self.grants_store.grant(row["account"], row["region"], params["AccessGrantId"])
        if grant is None:
            raise _err("NoSuchAccessGrantError", "The specified access grant does not exist", 404)
        return grant

    def create_access_grant(self, ctx: RequestContext, params: dict) -> dict:
        row = self._instance(ctx, params)
        account, region = row["account"], row["region"]
        invalid = _err("InvalidAccessGrant", "The specified Access Grant is invalid")
        grantee = params["Grantee"] or {}
        kind, identifier = grantee.get("GranteeType"), grantee.get("GranteeIdentifier")
        if kind not in GRANTEE_TYPES or not isinstance(identifier, str) or not identifier:
            raise invalid
        if kind == "IAM" and not re.match(r"^arn:[^:]+:(iam|sts)::\d{12}:.+$", identifier):
            raise invalid
        if kind != "IAM" and not row["identity_center"]:
            raise invalid  # directory users and groups need an associated IAM Identity Center instance
        permission = params["Permission"]
        if permission not in PERMISSIONS:
            raise invalid
        application = params.get("ApplicationArn")
        if application is not None and not _APPLICATION.match(application):
            raise invalid
        prefix_type = params.get("S3PrefixType")
        if prefix_type not in (None, "Object"):
            raise invalid
        sub = (params.get("AccessGrantsLocationConfiguration") or {}).get("S3SubPrefix")
        if sub is not None and (not sub or len(sub) > 2000 or sub.startswith("/")):
            raise invalid
        if prefix_type == "Object" and (not sub or "*" in sub):
            raise invalid  # an object grant names one object key
        tags = self._ag_tags(params.get("Tags") or [])
        loc = self.grants_store.location(account, region, params["AccessGrantsLocationId"])
        if loc is None:
            raise _err("InvalidAccessGrantsLocation", "The specified Access Grants Location is invalid")
        if loc["scope"] == "s3://" and not sub:
            raise invalid  # a grant on the default location names the bucket it is for
        scope = grant_scope(loc["scope"], sub)
        with self.db.transaction():
            for other in self.grants_store.grants(account, region, loc["id"]):
                if (other["grantee_type"], other["grantee"], other["scope"], other["permission"],
                        other["application"]) == (kind, identifier, scope, permission, application):
                    raise _err("AccessGrantAlreadyExists", "The specified access grant already exists", 409)
            if self.grants_store.count("grants", account, region) >= MAX_GRANTS:
                raise _err("AccessGrantsQuotaExceededError", "The access grants quota has been exceeded. Access "
                           f"Grants Quota: {MAX_GRANTS}. Please reach out to S3 if an increase is required.", 409)
            grant_id = str(uuid.uuid4())
            self.grants_store.add_grant({"account": account, "region": region, "id": grant_id,
                                         "location": loc["id"], "sub_prefix": sub, "scope": scope,
                                         "grantee_type": kind, "grantee": identifier, "permission": permission,
                                         "application": application, "prefix_type": prefix_type,
                                         "created": self.clock.now(), "tags": json.dumps(tags)})
        return self._grant_out(self.grants_store.grant(account, region, grant_id))

    def get_access_grant(self, ctx: RequestContext, params: dict) -> dict:
        return self._grant_out(self._grant(ctx, params))

    def delete_access_grant(self, ctx: RequestContext, params: dict) -> dict:
        grant = self._grant(ctx, params)
        self.grants_store.delete_grant(grant["account"], grant["region"], grant["id"])
        return {}

    def list_access_grants(self, ctx: RequestContext, params: dict) -> dict:
        row = self._instance(ctx, params)
        limit, after = _limit(params), _page(params.get("NextToken"))
        filters = {"grantee_type": params.get("GranteeType"), "grantee": params.get("GranteeIdentifier"),
                   "permission": params.get("Permission"), "scope": params.get("GrantScope"),
                   "application": params.get("ApplicationArn")}
        rows = [r for r in self.grants_store.grants(row["account"], row["region"])
                if all(v is None or r[k] == v for k, v in filters.items())
                and (after is None or r["seq"] > after)]
        out: dict = {"AccessGrantsList": [self._grant_out(r) for r in rows[:limit]]}
        if len(rows) > limit:
            out["NextToken"] = _token(rows[limit - 1]["seq"])
        return out

    # -- the caller's grants and GetDataAccess ---------------------------------------------------

    def _caller_arns(self, ctx: RequestContext) -> list[str]:
        """The IAM identities a grant may name for this caller: its ARN, and for a role
        session, the role's."""
        principal = ctx.principal
        if not principal and ctx.access_key:
            cred = resolver(self.runtime).resolve(ctx.access_key)
            principal = cred.principal if cred is not None and not cred.is_root else ""
        principal = principal or root_arn(ctx.account, ctx.region)
        role = role_of_session(principal)
        return [principal] + ([role] if role else [])

    def list_caller_access_grants(self, ctx: RequestContext, params: dict) -> dict:
        row = self._instance(ctx, params)
        limit, after = _limit(params), _page(params.get("NextToken"))
        wanted = params.get("GrantScope")
        rows = [r for r in self.grants_store.grants_of(row["account"], row["region"], self._caller_arns(ctx))
                if (wanted is None or covers(r["scope"], wanted) or covers(wanted, r["scope"].rstrip("*")))
                and (after is None or r["seq"] > after)]
        entries = []
        for r in rows[:limit]:
            entry = {"Permission": r["permission"], "GrantScope": r["scope"]}
            if r["application"]:
                entry["ApplicationArn"] = r["application"]
            entries.append(entry)
        out: dict = {"CallerAccessGrantsList": entries}
        if len(rows) > limit:
            out["NextToken"] = _token(rows[limit - 1]["seq"])
        return out

    async def get_data_access(self, ctx: RequestContext, params: dict) -> dict:
        row = self._instance(ctx, params)
        target, permission = params["Target"], params["Permission"]
        if not isinstance(target, str) or not target.startswith("s3://") or len(target) > 2000:
            raise _err("InvalidRequest", "The Target must be an S3 path (s3://...).")
        if permission not in PERMISSIONS:
            raise _err("InvalidRequest", "Permission must be READ, WRITE or READWRITE.")
        duration = params.get("DurationSeconds")
        if duration is not None and not 900 <= duration <= 43200:
            raise _err("InvalidRequest", "DurationSeconds must be between 900 and 43200.")
        privilege = params.get("Privilege") or "Default"
        if privilege not in ("Default", "Minimal") or params.get("TargetType") not in (None, "Object"):
            raise _err("InvalidRequest", "The Privilege or TargetType is not valid.")
        # The most specific grant of the caller that covers the target with the permission.
        matches = [g for g in self.grants_store.grants_of(row["account"], row["region"], self._caller_arns(ctx))
                   if covers(g["scope"], target) and _allows(g["permission"], permission)]
        if not matches:
            raise ServiceError("AccessDenied", f"You do not have {permission} permissions to the requested S3 "
                               f"Prefix: {target}", 403)
        grant = max(matches, key=lambda g: len(g["scope"].rstrip("*")))
        loc = self.grants_store.location(row["account"], row["region"], grant["location"])
        scope = target if privilege == "Minimal" else grant["scope"]
        request = {"RoleArn": loc["role"], "RoleSessionName": f"access-grants-{grant['id'][:8]}",
                   "Policy": _session_policy(scope, permission), "DurationSeconds": duration or 3600}
        try:
            out = await self.internal.call("sts", "AssumeRole", request, account=row["account"],
                                           region=row["region"], principal=PRINCIPAL)
        except ServiceError as e:
            if e.status == 403:
                raise _err("StsNotAuthorizedError", f"User: {PRINCIPAL} is not authorized to perform: "
                           f"sts:AssumeRole on resource: {loc['role']}", 403) from None
            if "packed" in e.message.lower() or e.code == "PackedPolicyTooLarge":
                raise _err("StsPackedPolicyTooLargeError", "Serialized token too large for session") from None
            raise _err("StsValidationError", e.message) from None
        creds = out["Credentials"]
        return {"Credentials": {"AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretAccessKey"],
                                "SessionToken": creds["SessionToken"], "Expiration": creds["Expiration"]},
                "MatchedGrantTarget": grant["scope"],
                "Grantee": {"GranteeType": grant["grantee_type"], "GranteeIdentifier": grant["grantee"]}}

    # -- tags through TagResource, UntagResource and ListTagsForResource ---------------------------

    def grants_resource(self, account: str, arn: str):
        """(table, region, key, tags) of the Access Grants resource ``arn`` names; None when
        ``arn`` names none; the resource's not-found error when it names a missing one."""
        m = _ARN.match(arn)
        if m is None:
            return None
        region, arn_account, kind, key = m[1], m[2], m[3], m[4]
        if arn_account != account:
            raise ServiceError("AccessDenied", "Access Denied", 403)
        instance = self.grants_store.instance(account, region)
        if instance is None:
            raise no_instance()
        if kind is None:
            return "instances", region, None, json.loads(instance["tags"])
        if kind == "location":
            row = self.grants_store.location(account, region, key)
            if row is None:
                raise _err("NoSuchAccessGrantsLocationError", "The specified access grants location does not "
                           "exist", 404)
            return "locations", region, key, json.loads(row["tags"])
        row = self.grants_store.grant(account, region, key)
        if row is None:
            raise _err("NoSuchAccessGrantError", "The specified access grant does not exist", 404)
        return "grants", region, key, json.loads(row["tags"])

    def set_grants_resource_tags(self, account: str, found: tuple, tags: list) -> None:
        table, region, key, _ = found
        self.grants_store.set_tags(table, account, region, key, tags)

    def tag_grants_resource(self, account: str, found: tuple, tags: list) -> None:
        self.set_grants_resource_tags(account, found, self._ag_tags(merge_tags(found[3], self._ag_tags(tags))))
