"""S3 Object Lambda access points: the control plane.

An Object Lambda access point sits in front of a supporting (standard)
access point and names the Lambda functions that transform what it serves
(S3 user guide, "Transforming objects with S3 Object Lambda"). Its ARN is
``arn:aws:s3-object-lambda:<region>:<account>:accesspoint/<name>`` and its
alias ends in ``--ol-s3``. nubis stores the configuration as given, checked
against the API reference's constraints; it does not run the data plane.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
import secrets
import string

from ...protocol.errors import ServiceError
from ..base import RequestContext
from . import names
from .policy_document import checked_policy

MIGRATION = """
CREATE TABLE s3control_object_lambda_access_points (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    alias TEXT NOT NULL UNIQUE,
    configuration TEXT NOT NULL,
    created REAL NOT NULL,
    policy TEXT,
    PRIMARY KEY (account, region, name)
);
"""

# ObjectLambdaAccessPointName: 3-45 characters (API reference).
_NAME = re.compile(r"^[a-z0-9]([a-z0-9\-]*[a-z0-9])?$")
# ObjectLambdaSupportingAccessPointArn and FunctionArnString (API reference patterns).
_SUPPORTING = re.compile(r"^arn:[^:]+:s3:[^:]*:\d{12}:accesspoint/.*$")
_FUNCTION = re.compile(r"^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
                       r"(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$")
ACTIONS = ("GetObject", "HeadObject", "ListObjects", "ListObjectsV2")
FEATURES = ("GetObject-Range", "GetObject-PartNumber", "HeadObject-Range", "HeadObject-PartNumber")
ALIAS_SUFFIX = "--ol-s3"
_ALPHABET = string.ascii_lowercase + string.digits
MAX_LIST = 1000


def no_such_access_point() -> ServiceError:
    return ServiceError("NoSuchAccessPoint", "The specified accesspoint does not exist", 404)


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", message, 400)


def arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:s3-object-lambda:{region}:{account}:accesspoint/{name}"


_ARN = re.compile(r"^arn:[^:]+:s3-object-lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
                  r"accesspoint/(?P<name>[^/]+)$")


def parse_arn(value: str) -> tuple[str, str, str] | None:
    m = _ARN.match(value)
    return (m["region"], m["account"], m["name"]) if m else None


def check_configuration(config: dict, account: str, region: str, supporting_exists) -> dict:
    """The configuration as stored, or the AWS error for what it breaks."""
    supporting = config.get("SupportingAccessPoint") or ""
    if not _SUPPORTING.match(supporting) or len(supporting) > 2048:
        raise invalid("Invalid SupportingAccessPoint ARN.")
    parsed = names.parse_arn(supporting)
    if parsed is None or not supporting_exists(parsed):
        raise invalid("The supporting access point does not exist.")
    if parsed[1] != account or parsed[0] != region:
        raise invalid("The supporting access point must be in the same account and Region.")
    features = config.get("AllowedFeatures") or []
    for f in features:
        if f not in FEATURES:
            raise ServiceError("InvalidArgument", f"Invalid AllowedFeature: {f}", 400)
    transformations = config.get("TransformationConfigurations") or []
    if not transformations:
        raise invalid("At least one TransformationConfiguration is required.")
    seen: set[str] = set()
    out_transformations = []
    for t in transformations:
        actions = t.get("Actions") or []
        if not actions:
            raise invalid("A TransformationConfiguration needs at least one Action.")
        for a in actions:
            if a not in ACTIONS:
                raise ServiceError("InvalidArgument", f"Invalid Action: {a}", 400)
            if a in seen:
                raise invalid(f"The action {a} is configured more than once.")
            seen.add(a)
        fn = ((t.get("ContentTransformation") or {}).get("AwsLambda") or {})
        function_arn = fn.get("FunctionArn") or ""
        if not function_arn or len(function_arn) > 1024 or not _FUNCTION.match(function_arn):
            raise invalid("Invalid FunctionArn.")
        lam = {"FunctionArn": function_arn}
        if fn.get("FunctionPayload") is not None:
            lam["FunctionPayload"] = fn["FunctionPayload"]
        out_transformations.append({"Actions": list(actions), "ContentTransformation": {"AwsLambda": lam}})
    out: dict = {"SupportingAccessPoint": supporting,
                 "CloudWatchMetricsEnabled": bool(config.get("CloudWatchMetricsEnabled", False)),
                 "TransformationConfigurations": out_transformations}
    if features:
        out["AllowedFeatures"] = list(features)
    return out


class ObjectLambdaStore:
    def __init__(self, db):
        self.db = db

    def add(self, account: str, region: str, name: str, alias: str, config: dict, created: float) -> None:
        self.db.execute("INSERT INTO s3control_object_lambda_access_points (account, region, name, alias,"
                        " configuration, created) VALUES (?, ?, ?, ?, ?, ?)",
                        (account, region, name, alias, json.dumps(config), created))

    def get(self, account: str, region: str, name: str):
        return self.db.query_one("SELECT * FROM s3control_object_lambda_access_points"
                                 " WHERE account = ? AND region = ? AND name = ?", (account, region, name))

    def by_alias(self, alias: str):
        return self.db.query_one("SELECT * FROM s3control_object_lambda_access_points WHERE alias = ?", (alias,))

    def page(self, account: str, region: str, after: str, limit: int):
        return self.db.query("SELECT * FROM s3control_object_lambda_access_points WHERE account = ? AND region = ?"
                             " AND name > ? ORDER BY name LIMIT ?", (account, region, after, limit))

    def set(self, account: str, region: str, name: str, column: str, value) -> None:
        assert column in ("configuration", "policy")
        self.db.execute(f"UPDATE s3control_object_lambda_access_points SET {column} = ?"
                        " WHERE account = ? AND region = ? AND name = ?", (value, account, region, name))

    def delete(self, account: str, region: str, name: str) -> None:
        self.db.execute("DELETE FROM s3control_object_lambda_access_points"
                        " WHERE account = ? AND region = ? AND name = ?", (account, region, name))


def _new_alias(name: str) -> str:
    # Stands where a bucket name does: at most 63 characters.
    prefix = name[:63 - 1 - 34 - len(ALIAS_SUFFIX)].rstrip("-")
    return f"{prefix}-{''.join(secrets.choice(_ALPHABET) for _ in range(34))}{ALIAS_SUFFIX}"


class ObjectLambda:
    """The *ForObjectLambda operations of S3 Control (mixed into its provider)."""

    # -- what the S3 data plane reads ----------------------------------------------------------

    def object_lambda_access_point(self, account: str, region: str, name: str) -> dict | None:
        r = self.ol_store.get(account, region, name)
        return self._ol_row(r) if r else None

    def object_lambda_by_alias(self, alias: str) -> dict | None:
        r = self.ol_store.by_alias(alias)
        return self._ol_row(r) if r else None

    @staticmethod
    def _ol_row(r) -> dict:
        return {"Account": r["account"], "Region": r["region"], "Name": r["name"], "Alias": r["alias"],
                "Configuration": json.loads(r["configuration"]), "Created": r["created"], "Policy": r["policy"]}

    # -- helpers ------------------------------------------------------------------------------------

    def _ol_get(self, ctx: RequestContext, params: dict):
        account = self._account(ctx, params)
        name = params["Name"]
        region = ctx.region
        parsed = parse_arn(name)
        if parsed is not None:
            region, arn_account, name = parsed
            if arn_account != account:
                raise ServiceError("AccessDenied", "Access Denied", 403)
        r = self.ol_store.get(account, region, name)
        if r is None:
            raise no_such_access_point()
        return r

    def _ol_config(self, ctx: RequestContext, account: str, params: dict) -> dict:
        return check_configuration(params.get("Configuration") or {}, account, ctx.region,
                                   lambda p: self.store.get(p[1], p[0], p[2]) is not None)

    # -- operations ---------------------------------------------------------------------------------

    def create_access_point_for_object_lambda(self, ctx: RequestContext, params: dict) -> dict:
        account = self._account(ctx, params)
        name = params["Name"]
        if not 3 <= len(name) <= 45 or not _NAME.match(name):
            raise names.invalid_uri()
        config = self._ol_config(ctx, account, params)
        if self.ol_store.get(account, ctx.region, name) is not None:
            raise ServiceError("AccessPointAlreadyOwnedByYou", "Your previous request to create the named "
                               "accesspoint succeeded and you already own it.", 409)
        alias = _new_alias(name)
        while self.ol_store.by_alias(alias) is not None:
            alias = _new_alias(name)
        self.ol_store.add(account, ctx.region, name, alias, config, self.clock.now())
        return {"ObjectLambdaAccessPointArn": arn(ctx.region, account, name),
                "Alias": {"Value": alias, "Status": "READY"}}

    def get_access_point_for_object_lambda(self, ctx: RequestContext, params: dict) -> dict:
        r = self._ol_get(ctx, params)
        return {"Name": r["name"],
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                                   "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
                "CreationDate": _dt.datetime.fromtimestamp(r["created"], _dt.timezone.utc),
                "Alias": {"Value": r["alias"], "Status": "READY"}}

    def get_access_point_configuration_for_object_lambda(self, ctx: RequestContext, params: dict) -> dict:
        return {"Configuration": json.loads(self._ol_get(ctx, params)["configuration"])}

    def put_access_point_configuration_for_object_lambda(self, ctx: RequestContext, params: dict) -> dict:
        r = self._ol_get(ctx, params)
        config = self._ol_config(ctx, r["account"], params)
        self.ol_store.set(r["account"], r["region"], r["name"], "configuration", json.dumps(config))
        return {}

    def list_access_points_for_object_lambda(self, ctx: RequestContext, params: dict) -> dict:
        account = self._account(ctx, params)
        limit = params.get("MaxResults")
        if limit is not None and limit < 0:
            raise ServiceError("InvalidArgument", "MaxResults must be between 0 and 1000.", 400)
        limit = MAX_LIST if not limit else min(limit, MAX_LIST)
        after = ""
        if params.get("NextToken"):
            try:
                after = bytes.fromhex(params["NextToken"]).decode("utf-8")
            except ValueError:
                raise ServiceError("InvalidArgument", "Invalid continuation token", 400) from None
        found = self.ol_store.page(account, ctx.region, after, limit + 1)
        out: dict = {"ObjectLambdaAccessPointList": [
            {"Name": r["name"], "ObjectLambdaAccessPointArn": arn(r["region"], r["account"], r["name"]),
             "Alias": {"Value": r["alias"], "Status": "READY"}} for r in found[:limit]]}
        if len(found) > limit:
            out["NextToken"] = found[limit - 1]["name"].encode("utf-8").hex()
        return out

    def delete_access_point_for_object_lambda(self, ctx: RequestContext, params: dict) -> dict:
        r = self._ol_get(ctx, params)
        self.ol_store.delete(r["account"], r["region"], r["name"])
        return {}

    def put_access_point_policy_for_object_lambda(self, ctx: RequestContext, params: dict) -> dict:
        r = self._ol_get(ctx, params)
        self.ol_store.set(r["account"], r["region"], r["name"], "policy", checked_policy(params["Policy"]))
        return {}

    def _ol_policy(self, ctx: RequestContext, params: dict) -> str:
        policy = self._ol_get(ctx, params)["policy"]
        if not policy:
            raise ServiceError("NoSuchAccessPointPolicy", "The specified accesspoint policy does not exist", 404)
        return policy

    def get_access_point_policy_for_object_lambda(self, ctx: RequestContext, params: dict) -> dict:
        return {"Policy": self._ol_policy(ctx, params)}

    def delete_access_point_policy_for_object_lambda(self, ctx: RequestContext, params: dict) -> dict:
        r = self._ol_get(ctx, params)
        self.ol_store.set(r["account"], r["region"], r["name"], "policy", None)
        return {}

    def get_access_point_policy_status_for_object_lambda(self, ctx: RequestContext, params: dict) -> dict:
        from .provider import _is_public  # one reading of "public" for both kinds of access point
        return {"PolicyStatus": {"IsPublic": _is_public(self._ol_policy(ctx, params))}}
