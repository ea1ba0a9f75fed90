"""What CloudWatch Logs stores for an account and returns: resource policies
(account-wide, or one per log group), destinations for cross-account
subscriptions (a subscription to one delivers to its target), and Logs
Insights query definitions.

A mixin of ``LogsProvider`` (which gives ``self.store``, ``self._now()`` and
``self._group_from_arn_or_name``). Resource policies are kept, not enforced:
nubis's own services write logs through the internal client.
"""
from __future__ import annotations

import json
import uuid

from ...protocol.errors import ServiceError
from . import validation as v

MAX_ACCOUNT_POLICIES = 10


def _aborted() -> ServiceError:
    return ServiceError("OperationAbortedException",
                        "Multiple concurrent requests to update the same resource were in conflict.")


class AccountConfig:
    # -- resource policies ---------------------------------------------------------------

    def _policy_key(self, ctx, params: dict) -> tuple[str, str | None]:
        """(the stored key, the log group ARN for a resource-scoped policy)."""
        arn = params.get("resourceArn")
        if arn:
            g = self._group_from_arn_or_name(ctx, arn.removesuffix(":*"))
            return "arn:" + g.arn, g.arn
        name = params.get("policyName")
        if not name:
            raise v.invalid("Either policyName or resourceArn must be specified.")
        return "name:" + name, None

    def put_resource_policy(self, ctx, params: dict) -> dict:
        document = v.required(params, "policyDocument")
        if not 1 <= len(document) <= 51200:
            raise v.constraint("...", "policyDocument", "Member must have length less than or equal to 51200")
        try:
            if not isinstance(json.loads(document), dict):
                raise ValueError
        except ValueError:
            raise v.invalid("The policy document is not a valid JSON object.") from None
        key, arn = self._policy_key(ctx, params)
        existing = {r[0]: r for r in self.store.resource_policies(ctx.account, ctx.region)}
        expected = params.get("expectedRevisionId")
        if expected is not None and (key not in existing or existing[key][5] != expected):
            raise _aborted()
        if arn is None and key not in existing and sum(1 for r in existing.values() if r[3] == "ACCOUNT") \
                >= MAX_ACCOUNT_POLICIES:
            raise v.limit_exceeded("Resource limit exceeded.")
        revision, now = str(uuid.uuid4()), self._now()
        name = params.get("policyName")
        self.store.put_resource_policy(ctx.account, ctx.region, key, name, document,
                                       "RESOURCE" if arn else "ACCOUNT", arn, revision, now)
        row = (key, name if key not in existing else existing[key][1], document, "RESOURCE" if arn else "ACCOUNT",
               arn, revision, now)
        return {"resourcePolicy": _policy(row), "revisionId": revision}

    def describe_resource_policies(self, ctx, params: dict) -> dict:
        limit = v.limit(params, 50, 50)
        rows = self.store.resource_policies(ctx.account, ctx.region)
        if params.get("resourceArn"):
            _, arn = self._policy_key(ctx, {"resourceArn": params["resourceArn"]})
            rows = [r for r in rows if r[4] == arn]
        if params.get("policyScope"):
            rows = [r for r in rows if r[3] == params["policyScope"]]
        start = 0
        if params.get("nextToken"):
            start = int(params["nextToken"]) if str(params["nextToken"]).isdigit() else -1
            if start < 0:
                raise v.invalid("The specified nextToken is invalid.")
        out: dict = {"resourcePolicies": [_policy(r) for r in rows[start:start + limit]]}
        if start + limit < len(rows):
            out["nextToken"] = str(start + limit)
        return out

    def delete_resource_policy(self, ctx, params: dict) -> dict:
        key, _ = self._policy_key(ctx, params)
        existing = {r[0]: r for r in self.store.resource_policies(ctx.account, ctx.region)}
        if key not in existing:
            raise v.not_found("resource policy")
        expected = params.get("expectedRevisionId")
        if expected is not None and existing[key][5] != expected:
            raise _aborted()
        self.store.delete_resource_policy(ctx.account, ctx.region, key)
        return {}

    # -- destinations ----------------------------------------------------------------------------

    def put_destination(self, ctx, params: dict) -> dict:
        name = v.name(params, "destinationName", v.STREAM_NAME)
        target = v.required(params, "targetArn")
        if target.split(":")[2:3] not in (["kinesis"], ["firehose"]):
            raise v.invalid("Invalid targetArn: only Kinesis data streams and Firehose delivery streams are "
                            "supported.")
        role = v.required(params, "roleArn")
        self.store.put_destination(ctx.account, ctx.region, name, target, role, v.tags(params.get("tags")),
                                   self._now())
        return {"destination": self._destination(ctx, self.store.destination(ctx.account, ctx.region, name))}

    def put_destination_policy(self, ctx, params: dict) -> dict:
        name = v.name(params, "destinationName", v.STREAM_NAME)
        policy = v.required(params, "accessPolicy")
        try:
            json.loads(policy)
        except ValueError:
            raise v.invalid("The access policy is not valid JSON.") from None
        if not self.store.set_destination_policy(ctx.account, ctx.region, name, policy):
            raise v.not_found("destination")
        return {}

    def describe_destinations(self, ctx, params: dict) -> dict:
        limit = v.limit(params, 50, 50)
        prefix = params.get("DestinationNamePrefix") or ""
        rows = [d for d in self.store.destinations(ctx.account, ctx.region) if d["name"].startswith(prefix)]
        start = 0
        if params.get("nextToken"):
            start = int(params["nextToken"]) if str(params["nextToken"]).isdigit() else -1
            if start < 0:
                raise v.invalid("The specified nextToken is invalid.")
        out: dict = {"destinations": [self._destination(ctx, d) for d in rows[start:start + limit]]}
        if start + limit < len(rows):
            out["nextToken"] = str(start + limit)
        return out

    def delete_destination(self, ctx, params: dict) -> dict:
        if not self.store.delete_destination(ctx.account, ctx.region, v.name(params, "destinationName", v.STREAM_NAME)):
            raise v.not_found("destination")
        return {}

    @staticmethod
    def _destination(ctx, d: dict) -> dict:
        return {"destinationName": d["name"], "targetArn": d["target_arn"], "roleArn": d["role_arn"],
                "accessPolicy": d["access_policy"], "creationTime": d["created"],
                "arn": f"arn:aws:logs:{ctx.region}:{ctx.account}:destination:{d['name']}"}

    # -- query definitions -------------------------------------------------------------------

    def put_query_definition(self, ctx, params: dict) -> dict:
        name = v.required(params, "name")
        if not 1 <= len(name) <= 255:
            raise v.constraint(name, "name", "Member must have length less than or equal to 255")
        text = v.required(params, "queryString")
        if not 1 <= len(text) <= 10000:
            raise v.constraint("...", "queryString", "Member must have length less than or equal to 10000")
        definition_id = params.get("queryDefinitionId")
        if definition_id is not None:
            if not self.store.query_definition_exists(ctx.account, ctx.region, definition_id):
                raise v.not_found("query definition")
        else:
            definition_id = str(uuid.uuid4())
        self.store.put_query_definition(definition_id, ctx.account, ctx.region, name, text,
                                        list(params.get("logGroupNames") or []),
                                        params.get("queryLanguage") or "CWLI", self._now())
        return {"queryDefinitionId": definition_id}

    def describe_query_definitions(self, ctx, params: dict) -> dict:
        limit = params.get("maxResults") or 1000
        if not 1 <= limit <= 1000:
            raise v.constraint(limit, "maxResults", "Member must have value less than or equal to 1000")
        prefix = params.get("queryDefinitionNamePrefix") or ""
        language = params.get("queryLanguage")
        rows = [r for r in self.store.query_definitions(ctx.account, ctx.region)
                if r[1].startswith(prefix) and (language is None or r[4] == language)]
        start = 0
        if params.get("nextToken"):
            start = int(params["nextToken"]) if str(params["nextToken"]).isdigit() else -1
            if start < 0:
                raise v.invalid("The specified nextToken is invalid.")
        out: dict = {"queryDefinitions": [
            {"queryLanguage": r[4], "queryDefinitionId": r[0], "name": r[1], "queryString": r[2],
             "lastModified": r[5], "logGroupNames": r[3]} for r in rows[start:start + limit]]}
        if start + limit < len(rows):
            out["nextToken"] = str(start + limit)
        return out

    def delete_query_definition(self, ctx, params: dict) -> dict:
        if not self.store.delete_query_definition(ctx.account, ctx.region, v.required(params, "queryDefinitionId")):
            raise v.not_found("query definition")
        return {"success": True}


def _policy(row) -> dict:
    key, name, document, scope, arn, revision, updated = row
    return {"policyName": name, "policyDocument": document, "lastUpdatedTime": updated, "policyScope": scope,
            "resourceArn": arn, "revisionId": revision}
