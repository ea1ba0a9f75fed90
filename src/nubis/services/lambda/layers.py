"""Layers: versioned zips a function unpacks under its /opt (nubis: a private
directory named by ``NUBIS_LAMBDA_OPT``, on the runtimes' search paths)."""
from __future__ import annotations

import json
import re
import uuid

from ..base import RequestContext
from . import validation as v
from .environments import lambda_time

_LAYER_NAME = re.compile(r"^(?:arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(?:-gov)?-[a-z]+-\d:\d{12}:layer:)?([a-zA-Z0-9_-]+)$")
_LAYER_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:([a-z]{2}(?:-gov)?-[a-z]+-\d):(\d{12}):layer:([a-zA-Z0-9_-]+):"
                        r"(\d+)$")


POLICY = "Policy"  # a layer version's resource policy, kept in its document, never in its description
_SID = re.compile(r"^([a-zA-Z0-9-_]+)$")


def _no_layer():
    return v.not_found("The resource you requested does not exist.")


class LayersMixin:
    def _layer_name(self, text: str) -> str:
        m = _LAYER_NAME.match(text or "")
        if m is None or len(m.group(1)) > 140:
            raise v.validation("layerName", text, "satisfy regular expression pattern: "
                                                  "(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:"
                                                  "[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+")
        return m.group(1)

    def _layer_answer(self, ctx: RequestContext, doc: dict, blob: str) -> dict:
        out = {k: v for k, v in doc.items() if k != POLICY}
        out["Content"] = dict(doc["Content"], Location=self.code_location(ctx, blob))
        return out

    def layer_by_arn(self, ctx: RequestContext, arn: str):
        m = _LAYER_ARN.match(arn or "")
        if m is None:
            return None
        return self.store.layer(m.group(2), m.group(1), m.group(3), int(m.group(4)))

    def layer_by_arn_for(self, fn, arn: str):
        m = _LAYER_ARN.match(arn or "")
        return None if m is None else self.store.layer(m.group(2), m.group(1), m.group(3), int(m.group(4)))

    async def publish_layer_version(self, ctx: RequestContext, params: dict) -> dict:
        name = self._layer_name(params["LayerName"])
        runtimes = params.get("CompatibleRuntimes") or []
        if len(runtimes) > 15:
            raise v.validation("compatibleRuntimes", runtimes, "have length less than or equal to 15")
        for r in runtimes:
            if r not in v.ALL_RUNTIMES:
                v.check_runtime(r)
        blob, size, sha = await self._code(ctx, params.get("Content") or {}, "PublishLayerVersion")
        version = self.store.next_layer_version(ctx.account, ctx.region, name)
        layer_arn = f"arn:aws:lambda:{ctx.region}:{ctx.account}:layer:{name}"
        doc = {"Content": {"CodeSha256": sha, "CodeSize": size}, "LayerArn": layer_arn,
               "LayerVersionArn": f"{layer_arn}:{version}", "Description": params.get("Description") or "",
               "CreatedDate": lambda_time(self.clock.now()), "Version": version}
        if runtimes:
            doc["CompatibleRuntimes"] = list(runtimes)
        if params.get("CompatibleArchitectures"):
            doc["CompatibleArchitectures"] = list(params["CompatibleArchitectures"])
        if params.get("LicenseInfo"):
            doc["LicenseInfo"] = params["LicenseInfo"]
        self.store.add_layer(ctx.account, ctx.region, name, version, doc, blob)
        return self._layer_answer(ctx, doc, blob)

    def get_layer_version(self, ctx: RequestContext, params: dict) -> dict:
        name = self._layer_name(params["LayerName"])
        found = self.store.layer(ctx.account, ctx.region, name, params["VersionNumber"])
        if found is None:
            raise _no_layer()
        return self._layer_answer(ctx, *found)

    def get_layer_version_by_arn(self, ctx: RequestContext, params: dict) -> dict:
        found = self.layer_by_arn(ctx, params["Arn"])
        if found is None:
            raise _no_layer()
        return self._layer_answer(ctx, *found)

    @staticmethod
    def _summary(doc: dict) -> dict:
        return {k: doc[k] for k in ("LayerVersionArn", "Version", "Description", "CreatedDate", "CompatibleRuntimes",
                                    "LicenseInfo", "CompatibleArchitectures") if k in doc}

    @staticmethod
    def _matches(doc: dict, params: dict) -> bool:
        runtime, arch = params.get("CompatibleRuntime"), params.get("CompatibleArchitecture")
        return ((not runtime or runtime in doc.get("CompatibleRuntimes", []))
                and (not arch or arch in doc.get("CompatibleArchitectures", [])))

    def list_layers(self, ctx: RequestContext, params: dict) -> dict:
        latest: dict[str, dict] = {}
        for name, doc in self.store.layer_versions(ctx.account, ctx.region):
            if name not in latest and self._matches(doc, params):
                latest[name] = doc
        layers = [{"LayerName": n, "LayerArn": d["LayerArn"], "LatestMatchingVersion": self._summary(d)}
                  for n, d in sorted(latest.items())]
        return self._page(layers, params, "Layers")

    def list_layer_versions(self, ctx: RequestContext, params: dict) -> dict:
        name = self._layer_name(params["LayerName"])
        docs = [self._summary(d) for _, d in self.store.layer_versions(ctx.account, ctx.region, name)
                if self._matches(d, params)]
        return self._page(docs, params, "LayerVersions")

    def delete_layer_version(self, ctx: RequestContext, params: dict) -> dict:
        name = self._layer_name(params["LayerName"])
        blob = self.store.delete_layer(ctx.account, ctx.region, name, params["VersionNumber"])
        if blob is not None:
            self._drop_blobs([blob])
        return {}

    # -- a layer version's permissions (who may use it) ----------------------------------------

    def _layer_version(self, ctx: RequestContext, params: dict) -> tuple[str, int, dict]:
        name = self._layer_name(params["LayerName"])
        version = params["VersionNumber"]
        found = self.store.layer(ctx.account, ctx.region, name, version)
        if found is None:
            raise _no_layer()
        return name, version, found[0]

    def add_layer_version_permission(self, ctx: RequestContext, params: dict) -> dict:
        name, version, doc = self._layer_version(ctx, params)
        sid, action, principal = params["StatementId"], params["Action"], params["Principal"]
        if not _SID.match(sid) or len(sid) > 100:
            raise v.validation("statementId", sid, "satisfy regular expression pattern: ([a-zA-Z0-9-_]+)")
        if action != "lambda:GetLayerVersion":
            raise v.validation("action", action, "satisfy regular expression pattern: lambda:GetLayerVersion")
        if principal != "*" and not re.fullmatch(r"\d{12}|arn:aws[a-zA-Z-]*:iam::\d{12}:root", principal):
            raise v.validation("principal", principal,
                               "satisfy regular expression pattern: \\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root")
        policy = doc.get(POLICY) or {"Version": "2012-10-17", "Id": "default", "Statement": [], "RevisionId": ""}
        self._check_revision(policy, params.get("RevisionId"))
        if any(s["Sid"] == sid for s in policy["Statement"]):
            raise v.conflict(f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
                             "or remove the existing statement.")
        statement = {"Sid": sid, "Effect": "Allow",
                     "Principal": "*" if principal == "*" else {"AWS": principal if principal.startswith("arn:")
                                                                 else f"arn:aws:iam::{principal}:root"},
                     "Action": action, "Resource": doc["LayerVersionArn"]}
        if params.get("OrganizationId"):
            statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": params["OrganizationId"]}}
        policy = dict(policy, Statement=policy["Statement"] + [statement], RevisionId=str(uuid.uuid4()))
        self.store.set_layer_doc(ctx.account, ctx.region, name, version, dict(doc, **{POLICY: policy}))
        return {"Statement": json.dumps(statement), "RevisionId": policy["RevisionId"]}

    def get_layer_version_policy(self, ctx: RequestContext, params: dict) -> dict:
        _, _, doc = self._layer_version(ctx, params)
        policy = doc.get(POLICY)
        if policy is None:
            raise v.not_found("No policy is associated with the given resource.")
        return {"Policy": json.dumps({k: policy[k] for k in ("Version", "Id", "Statement")}),
                "RevisionId": policy["RevisionId"]}

    def remove_layer_version_permission(self, ctx: RequestContext, params: dict) -> dict:
        name, version, doc = self._layer_version(ctx, params)
        policy = doc.get(POLICY)
        sid = params["StatementId"]
        if policy is None or not any(s["Sid"] == sid for s in policy["Statement"]):
            raise v.not_found(f"Statement {sid} is not found in resource policy.")
        self._check_revision(policy, params.get("RevisionId"))
        statements = [s for s in policy["Statement"] if s["Sid"] != sid]
        doc = dict(doc)
        if statements:
            doc[POLICY] = dict(policy, Statement=statements, RevisionId=str(uuid.uuid4()))
        else:
            doc.pop(POLICY)
        self.store.set_layer_doc(ctx.account, ctx.region, name, version, doc)
        return {}
