"""S3 Control: access points and the account's public access block; Storage Lens
(``storage_lens.py``), Batch Operations jobs (``jobs.py``, run by ``job_runner.py``),
S3 Access Grants (``access_grants.py``) and Object Lambda access points (``object_lambda.py``).

Access points are regional names for a bucket (S3 user guide, "Managing
access to shared datasets with access points"). The S3 data plane reaches a
bucket through one by ARN or alias via ``access_point``/``by_alias`` below,
which ``services/s3/access_points.py`` calls; IAM evaluation reads an access
point's policy through ``policy_of``.
"""
from __future__ import annotations

import datetime as _dt
import json
import re

from ...protocol.errors import ServiceError
from ..base import Provider, RequestContext
from ..tags import merge_tags
from . import names
from .policy_document import checked_policy
from .access_grants import AccessGrants, AccessGrantsStore
from .job_store import JobStore
from .jobs import Jobs
from .object_lambda import ObjectLambda, ObjectLambdaStore
from .storage_lens import StorageLens, StorageLensStore
from .store import MIGRATIONS, AccessPoint, S3ControlStore

PUBLIC_ACCESS_BLOCK_FIELDS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
MAX_LIST = 1000
MAX_TAGS = 50


def no_such_access_point() -> ServiceError:
    return ServiceError("NoSuchAccessPoint", "The specified accesspoint does not exist", 404)


def access_denied() -> ServiceError:
    return ServiceError("AccessDenied", "Access Denied", 403)


def _ts(t: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc)


def _is_public(policy: str) -> bool:
    """A policy is public when it allows anyone ("*") without a condition (S3 user guide, "The meaning of public")."""
    try:
        doc = json.loads(policy)
    except ValueError:
        return False
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    for s in statements:
        if not isinstance(s, dict) or s.get("Effect") != "Allow" or s.get("Condition"):
            continue
        principal = s.get("Principal")
        if isinstance(principal, dict):
            principal = principal.get("AWS")
        if principal == "*" or (isinstance(principal, list) and "*" in principal):
            return True
    return False

# ResourceArn's pattern in the API reference (an S3 or S3 Express resource).
_S3_ARN = re.compile(r"arn:[^:]+:s3(express)?:[^:]")


class S3ControlProvider(StorageLens, Jobs, AccessGrants, ObjectLambda, Provider):
    service = "s3control"
    migrations = MIGRATIONS

    def start(self) -> None:
        self.store = S3ControlStore(self.db)
        self.lens = StorageLensStore(self.db)
        self.jobs = JobStore(self.db)
        self.grants_store = AccessGrantsStore(self.db)
        self.ol_store = ObjectLambdaStore(self.db)
        self._register_job_timers()

    def reset(self) -> None:
        self.start()

    # -- what S3 and IAM read -------------------------------------------------------------

    def access_point(self, account: str, region: str, name: str) -> AccessPoint | None:
        return self.store.get(account, region, name)

    def by_alias(self, alias: str) -> AccessPoint | None:
        return self.store.by_alias(alias)

    def policy_of(self, arn: str) -> dict | None:
        """The policy document of the access point ``arn`` (None: no such access
        point, or it has no policy), for IAM evaluation of requests made through it."""
        parsed = names.parse_arn(arn)
        ap = self.store.get(parsed[1], parsed[0], parsed[2]) if parsed else None
        return json.loads(ap.policy) if ap is not None and ap.policy else None

    # -- helpers ----------------------------------------------------------------------------

    def _account(self, ctx: RequestContext, params: dict) -> str:
        """The request's AccountId, which must be the caller's own."""
        account = params["AccountId"]
        if account != ctx.account and not ctx.internal:
            raise access_denied()
        return account

    def _get(self, ctx: RequestContext, params: dict) -> AccessPoint:
        account = self._account(ctx, params)
        name = params["Name"]
        parsed = names.parse_arn(name)
        if parsed is not None:  # Name may be the access point's ARN
            region, arn_account, name = parsed
            if arn_account != account:
                raise access_denied()
        else:
            region = ctx.region
        ap = self.store.get(account, region, name)
        if ap is None:
            raise no_such_access_point()
        return ap

    def _by_arn(self, ctx: RequestContext, params: dict) -> AccessPoint:
        account = self._account(ctx, params)
        arn = params["ResourceArn"]
        parsed = names.parse_arn(arn)
        if parsed is None and not _S3_ARN.match(arn):  # the model's pattern: not an S3 resource's ARN at all
            raise ServiceError("InvalidRequest", "The resource ARN is not valid.", 400)
        if parsed is None:
            raise ServiceError("NotImplemented", f"nubis does not implement s3control:{ctx.operation} for {arn} "
                               "yet (only for access points).", 501, sender_fault=False)
        region, arn_account, name = parsed
        if arn_account != account:
            raise access_denied()
        ap = self.store.get(account, region, name)
        if ap is None:
            raise no_such_access_point()
        return ap

    def _endpoints(self, region: str) -> dict:
        host = self.config.hostname
        return {"ipv4": f"s3-accesspoint.{region}.{host}",
                "dualstack": f"s3-accesspoint.dualstack.{region}.{host}",
                "fips": f"s3-accesspoint-fips.{region}.{host}",
                "fips_dualstack": f"s3-accesspoint-fips.dualstack.{region}.{host}"}

    @staticmethod
    def _summary(ap: AccessPoint) -> dict:
        out = {"Name": ap.name, "NetworkOrigin": "VPC" if ap.vpc_id else "Internet", "Bucket": ap.bucket,
               "AccessPointArn": ap.arn, "Alias": ap.alias, "BucketAccountId": ap.bucket_account}
        if ap.vpc_id:
            out["VpcConfiguration"] = {"VpcId": ap.vpc_id}
        return out

    @staticmethod
    def _check_tags(tags: list) -> list:
        if len(tags) > MAX_TAGS:
            raise ServiceError("InvalidTag", f"Object tags cannot be greater than {MAX_TAGS}", 400)
        keys = [t["Key"] for t in tags]
        if len(set(keys)) != len(keys):
            raise ServiceError("InvalidTag", "Cannot provide multiple Tags with the same key", 400)
        for t in tags:
            if t["Key"].startswith("aws:"):
                raise ServiceError("InvalidTag", "System tags cannot be added/updated by requester", 400)
        return [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags]

    # -- access points ------------------------------------------------------------------------

    async def create_access_point(self, ctx: RequestContext, params: dict) -> dict:
        account = self._account(ctx, params)
        name = params["Name"]
        names.check_name(name)
        bucket = params["Bucket"]
        tags = self._check_tags(params.get("Tags") or [])
        # The bucket must exist; its owner is read through S3's own answers.
        try:
            acl = await self.internal.call("s3", "GetBucketAcl", {"Bucket": bucket}, account=account,
                                           region=ctx.region, principal="s3.amazonaws.com")
        except ServiceError as e:
            if e.code in ("NoSuchBucket", "InvalidBucketName"):
                raise ServiceError("NoSuchBucket", "The specified bucket does not exist", 404) from None
            raise
        owner = (acl.get("Owner") or {}).get("DisplayName") or account
        bucket_account = params.get("BucketAccountId") or owner
        if bucket_account != owner:
            raise access_denied()
        if self.store.get(account, ctx.region, name) is not None:
            raise ServiceError("AccessPointAlreadyOwnedByYou", "Your previous request to create the named "
                               "accesspoint succeeded and you already own it.", 409)
        vpc = params.get("VpcConfiguration")
        block = {f: True for f in PUBLIC_ACCESS_BLOCK_FIELDS}
        block.update({k: v for k, v in (params.get("PublicAccessBlockConfiguration") or {}).items()
                      if k in PUBLIC_ACCESS_BLOCK_FIELDS})
        alias = names.new_alias(name)
        while self.store.alias_taken(alias):
            alias = names.new_alias(name)
        ap = AccessPoint(account, ctx.region, name, bucket, bucket_account, alias, vpc["VpcId"] if vpc else None,
                         block, self.clock.now(), None, tags)
        self.store.add(ap)
        return {"AccessPointArn": ap.arn, "Alias": ap.alias}

    def get_access_point(self, ctx: RequestContext, params: dict) -> dict:
        ap = self._get(ctx, params)
        out = self._summary(ap)
        out.update({"PublicAccessBlockConfiguration": dict(ap.public_access_block), "CreationDate": _ts(ap.created),
                    "Endpoints": self._endpoints(ap.region)})
        return out

    def list_access_points(self, ctx: RequestContext, params: dict) -> dict:
        account = self._account(ctx, params)
        limit = params.get("MaxResults")
        if limit is not None and limit < 0:  # the model's range is 0..1000
            raise ServiceError("InvalidArgument", "MaxResults must be between 0 and 1000.", 400)
        limit = MAX_LIST if not limit else min(limit, MAX_LIST)
        token = params.get("NextToken")
        after = ""
        if token:
            try:
                after = bytes.fromhex(token).decode("utf-8")
            except ValueError:
                raise ServiceError("InvalidArgument", "Invalid continuation token", 400) from None
        found = self.store.page(account, ctx.region, params.get("Bucket"), after, limit + 1)
        out: dict = {"AccessPointList": [self._summary(ap) for ap in found[:limit]]}
        if len(found) > limit:
            out["NextToken"] = found[limit - 1].name.encode("utf-8").hex()
        return out

    def delete_access_point(self, ctx: RequestContext, params: dict) -> dict:
        self.store.delete(self._get(ctx, params))
        return {}

    # -- access point policies ------------------------------------------------------------------

    def put_access_point_policy(self, ctx: RequestContext, params: dict) -> dict:
        ap = self._get(ctx, params)
        self.store.set_policy(ap, checked_policy(params["Policy"]))
        return {}

    def get_access_point_policy(self, ctx: RequestContext, params: dict) -> dict:
        ap = self._get(ctx, params)
        if not ap.policy:
            raise ServiceError("NoSuchAccessPointPolicy", "The specified accesspoint policy does not exist", 404)
        return {"Policy": ap.policy}

    def delete_access_point_policy(self, ctx: RequestContext, params: dict) -> dict:
        self.store.set_policy(self._get(ctx, params), None)
        return {}

    def get_access_point_policy_status(self, ctx: RequestContext, params: dict) -> dict:
        ap = self._get(ctx, params)
        if not ap.policy:
            raise ServiceError("NoSuchAccessPointPolicy", "The specified accesspoint policy does not exist", 404)
        return {"PolicyStatus": {"IsPublic": _is_public(ap.policy)}}

    # -- the account's public access block ----------------------------------------------------

    def get_public_access_block(self, ctx: RequestContext, params: dict) -> dict:
        config = self.store.public_access_block(self._account(ctx, params))
        if config is None:
            raise ServiceError("NoSuchPublicAccessBlockConfiguration",
                               "The public access block configuration was not found", 404)
        return {"PublicAccessBlockConfiguration": config}

    def put_public_access_block(self, ctx: RequestContext, params: dict) -> dict:
        account = self._account(ctx, params)
        given = params.get("PublicAccessBlockConfiguration") or {}
        self.store.put_public_access_block(account, {f: bool(given.get(f, False))
                                                     for f in PUBLIC_ACCESS_BLOCK_FIELDS})
        return {}

    def delete_public_access_block(self, ctx: RequestContext, params: dict) -> dict:
        self.store.delete_public_access_block(self._account(ctx, params))
        return {}

    # -- tags -----------------------------------------------------------------------------------

    # TagResource and its siblings take an access point's, a Storage Lens group's or an
    # Access Grants instance's, location's or grant's ARN.

    def list_tags_for_resource(self, ctx: RequestContext, params: dict) -> dict:
        account = self._account(ctx, params)
        group = self.group_by_arn(account, params["ResourceArn"])
        if group is not None:
            return {"Tags": self.group_tags(group)}
        found = self.grants_resource(account, params["ResourceArn"])
        if found is not None:
            return {"Tags": found[3]}
        return {"Tags": list(self._by_arn(ctx, params).tags)}

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        account = self._account(ctx, params)
        group = self.group_by_arn(account, params["ResourceArn"])
        if group is not None:
            self.tag_group(group, self._check_tags(params.get("Tags") or []))
            return {}
        found = self.grants_resource(account, params["ResourceArn"])
        if found is not None:
            self.tag_grants_resource(account, found, params.get("Tags") or [])
            return {}
        ap = self._by_arn(ctx, params)
        merged = merge_tags(ap.tags, self._check_tags(params.get("Tags") or []))
        self.store.set_tags(ap, self._check_tags(merged))
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        drop = set(params.get("TagKeys") or [])
        account = self._account(ctx, params)
        group = self.group_by_arn(account, params["ResourceArn"])
        if group is not None:
            self.set_group_tags(group, [t for t in self.group_tags(group) if t["Key"] not in drop])
            return {}
        found = self.grants_resource(account, params["ResourceArn"])
        if found is not None:
            self.set_grants_resource_tags(account, found, [t for t in found[3] if t["Key"] not in drop])
            return {}
        ap = self._by_arn(ctx, params)
        self.store.set_tags(ap, [t for t in ap.tags if t["Key"] not in drop])
        return {}
