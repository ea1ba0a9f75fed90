"""Versions (immutable snapshots of $LATEST) and aliases (names that point at one
or two of them, with routing weights)."""
from __future__ import annotations

import re
import uuid

from ..base import RequestContext
from . import validation as v

LATEST_PUBLISHED = "$LATEST.PUBLISHED"
_ALIAS = re.compile(r"^(?!^[0-9]+$)([a-zA-Z0-9_-]+)$")
# What makes two snapshots of $LATEST the same version.
_SAME = ("CodeSha256", "Runtime", "Role", "Handler", "Timeout", "MemorySize", "Environment", "Layers",
         "EphemeralStorage", "Architectures", "TracingConfig", "DeadLetterConfig", "VpcConfig", "LoggingConfig",
         "CapacityProviderConfig", "DurableConfig")


class VersionsMixin:
    # -- versions -----------------------------------------------------------------------------

    def publish(self, fn, description: str) -> dict:
        """Snapshot $LATEST as the next version (or answer the last one, when nothing changed)."""
        versions = self.store.versions(fn)
        if versions:
            last = versions[-1][0]
            if all(last.get(k) == fn.config.get(k) for k in _SAME):
                return last
        number = fn.next_version
        cfg = dict(fn.config, Version=str(number), FunctionArn=f"{fn.arn}:{number}",
                   RevisionId=str(uuid.uuid4()))
        cfg.pop("LastUpdateStatusReason", None)
        cfg.pop("LastUpdateStatusReasonCode", None)
        if description:
            cfg["Description"] = description
        with self.db.transaction():
            self.store.add_version(fn, number, cfg, fn.code_blob)
            fn.next_version = number + 1
            self.store.save(fn)
        return cfg

    def publish_latest(self, fn, description: str) -> dict:
        """Create or republish $LATEST.PUBLISHED, the version a Lambda Managed Instances function's
        unqualified invocations run, from $LATEST."""
        if not fn.config.get("CapacityProviderConfig"):
            raise v.invalid("PublishTo LATEST_PUBLISHED is only supported for functions that use a capacity "
                            "provider.")
        cfg = dict(fn.config, Version=LATEST_PUBLISHED, FunctionArn=f"{fn.arn}:{LATEST_PUBLISHED}",
                   RevisionId=str(uuid.uuid4()))
        cfg.pop("LastUpdateStatusReason", None)
        cfg.pop("LastUpdateStatusReasonCode", None)
        if description:
            cfg["Description"] = description
        old = self.store.latest_published(fn)
        self.store.set_latest_published(fn, cfg, fn.code_blob)
        self.pool.retire((fn.account, fn.region, fn.name), LATEST_PUBLISHED)
        if old is not None and old[1] != fn.code_blob:
            self._drop_blobs([old[1]])
        return cfg

    @staticmethod
    def check_publish_to(value: str | None) -> bool:
        """Whether PublishTo asks for $LATEST.PUBLISHED."""
        if value is not None and value != "LATEST_PUBLISHED":
            raise v.validation("publishTo", value, "satisfy enum value set: [LATEST_PUBLISHED]")
        return value == "LATEST_PUBLISHED"

    def publish_version(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        self._check_revision(fn.config, params.get("RevisionId"))
        sha = params.get("CodeSha256")
        if sha and sha != fn.config["CodeSha256"]:
            raise v.invalid(f"CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST "
                            f"({fn.config['CodeSha256']}). Please try again with the CodeSHA256 in $LATEST.")
        if self.check_publish_to(params.get("PublishTo")):
            return self.publish_latest(fn, params.get("Description") or "")
        return self.publish(fn, params.get("Description") or "")

    def list_versions_by_function(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        every = [fn.config] + [c for c, _ in self.store.versions(fn)]
        return self._page(every, params, "Versions")

    @staticmethod
    def _page(items: list, params: dict, key: str) -> dict:
        limit = params.get("MaxItems") or 50
        v.check_range("maxItems", limit, 1, 10000)
        start = 0
        if params.get("Marker"):
            try:
                start = int(params["Marker"])
            except ValueError:
                raise v.invalid("Invalid marker.") from None
        page = items[start:start + limit]
        out = {key: page}
        if start + limit < len(items):
            out["NextMarker"] = str(start + limit)
        return out

    # -- aliases ------------------------------------------------------------------------------

    def _alias_arn(self, fn, name: str) -> str:
        return f"{fn.arn}:{name}"

    def _check_version(self, fn, version: str) -> None:
        if version != "$LATEST" and (not version.isdigit() or self.store.version(fn, int(version)) is None):
            raise v.not_found(f"Function not found: {fn.arn}:{version}")

    def _routing(self, fn, version: str, routing: dict | None) -> dict | None:
        if routing is None:
            return None
        weights = routing.get("AdditionalVersionWeights") or {}
        if len(weights) > 1:
            raise v.invalid("Number of items in AdditionalVersionWeights cannot be greater than 1")
        for other, weight in weights.items():
            if not 0.0 <= weight <= 1.0:
                raise v.validation("routingConfig.additionalVersionWeights", weight,
                                   "have value less than or equal to 1.0")
            self._check_version(fn, other)
            if other == version:
                raise v.invalid(f"Invalid function version {other}. Function version {other} is already included in "
                                "routing configuration.")
            if version == "$LATEST" or other == "$LATEST":
                raise v.invalid("$LATEST is not supported for an alias pointing to more than 1 version")
        return {"AdditionalVersionWeights": dict(weights)}

    def create_alias(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        name = params["Name"]
        if not _ALIAS.match(name) or len(name) > 128:
            raise v.validation("name", name, "satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)")
        version = params["FunctionVersion"]
        self._check_version(fn, version)
        if self.store.alias(fn, name) is not None:
            raise v.conflict(f"Alias already exists: {self._alias_arn(fn, name)}")
        doc = {"AliasArn": self._alias_arn(fn, name), "Name": name, "FunctionVersion": version,
               "Description": params.get("Description") or "", "RevisionId": str(uuid.uuid4())}
        routing = self._routing(fn, version, params.get("RoutingConfig"))
        if routing:
            doc["RoutingConfig"] = routing
        self.store.save_alias(fn, doc)
        return doc

    def _alias(self, ctx: RequestContext, params: dict):
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        doc = self.store.alias(fn, params["Name"])
        if doc is None:
            raise v.not_found(f"Alias not found: {self._alias_arn(fn, params['Name'])}")
        return fn, doc

    def get_alias(self, ctx: RequestContext, params: dict) -> dict:
        return self._alias(ctx, params)[1]

    def update_alias(self, ctx: RequestContext, params: dict) -> dict:
        fn, doc = self._alias(ctx, params)
        if params.get("RevisionId") and params["RevisionId"] != doc["RevisionId"]:
            self._check_revision(doc, params["RevisionId"])
        if params.get("FunctionVersion"):
            self._check_version(fn, params["FunctionVersion"])
            doc["FunctionVersion"] = params["FunctionVersion"]
        if "Description" in params:
            doc["Description"] = params["Description"] or ""
        if "RoutingConfig" in params:
            routing = self._routing(fn, doc["FunctionVersion"], params["RoutingConfig"])
            doc.pop("RoutingConfig", None)
            if routing and routing["AdditionalVersionWeights"]:
                doc["RoutingConfig"] = routing
        doc["RevisionId"] = str(uuid.uuid4())
        self.store.save_alias(fn, doc)
        return doc

    def delete_alias(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        self.store.delete_alias(fn, params["Name"])
        return {}

    def list_aliases(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        aliases = self.store.aliases(fn)
        if params.get("FunctionVersion"):
            aliases = [a for a in aliases if a["FunctionVersion"] == params["FunctionVersion"]]
        return self._page(aliases, params, "Aliases")
