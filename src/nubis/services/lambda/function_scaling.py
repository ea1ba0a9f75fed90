"""A Lambda Managed Instances function version's scaling configuration: the
least and most execution environments Lambda keeps for it.

The requested configuration is stored at once; it is the applied one a moment
later on the controllable clock (Lambda applies it asynchronously, hence the
202). nubis starts environments on demand as for any function, so the numbers
are kept and reported, not enforced.
"""
from __future__ import annotations

import re

from ..base import RequestContext
from . import validation as v
from .capacity_providers import _provider_of

APPLY_SECONDS = 1.0
QUALIFIER_PATTERN = r"(\$LATEST\.PUBLISHED|[0-9]+)"
_QUALIFIER = re.compile(r"^(\$LATEST\.PUBLISHED|[0-9]+)$")
# What a version runs with before any configuration is put: three environments, no upper bound.
DEFAULT_APPLIED = {"MinExecutionEnvironments": 3}


class FunctionScalingMixin:
    def _scaled_version(self, ctx: RequestContext, params: dict):
        qualifier = params.get("Qualifier") or ""
        if not _QUALIFIER.match(qualifier) or len(qualifier) > 128:
            raise v.validation("qualifier", qualifier, f"satisfy regular expression pattern: {QUALIFIER_PATTERN}")
        fn, qualifier = self.function(ctx, params["FunctionName"], qualifier)
        found = (self.store.latest_published(fn) if qualifier == "$LATEST.PUBLISHED"
                 else self.store.version(fn, int(qualifier)))
        if found is None:
            raise v.not_found(f"Function not found: {fn.arn}:{qualifier}")
        cfg = found[0]
        if _provider_of(cfg) is None:
            raise v.invalid("Function scaling configuration is only supported for function versions that use a "
                            "capacity provider.")
        return fn, qualifier, cfg

    def _applied_scaling(self, doc: dict | None) -> dict:
        if doc is None:
            return dict(DEFAULT_APPLIED)
        if self.clock.now() >= doc["AppliedAt"]:
            return dict(doc["Requested"])
        return dict(doc["Previous"])

    def put_function_scaling_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, version, cfg = self._scaled_version(ctx, params)
        given = params.get("FunctionScalingConfig") or {}
        requested: dict = {}
        for key, field in (("MinExecutionEnvironments", "functionScalingConfig.minExecutionEnvironments"),
                           ("MaxExecutionEnvironments", "functionScalingConfig.maxExecutionEnvironments")):
            if given.get(key) is not None:
                v.check_range(field, given[key], 0, 15000)
                requested[key] = given[key]
        low, high = requested.get("MinExecutionEnvironments"), requested.get("MaxExecutionEnvironments")
        if low is not None and high is not None and low > high:
            raise v.invalid("MinExecutionEnvironments must be less than or equal to MaxExecutionEnvironments.")
        old = self.settings_store.setting(fn.account, fn.region, fn.name, "scaling", version)
        doc = {"Requested": requested, "Previous": self._applied_scaling(old),
               "AppliedAt": self.clock.now() + APPLY_SECONDS}
        self.settings_store.put_setting(fn.account, fn.region, fn.name, "scaling", version, doc)
        return {"FunctionState": cfg.get("State") or "Active"}

    def get_function_scaling_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, version, cfg = self._scaled_version(ctx, params)
        doc = self.settings_store.setting(fn.account, fn.region, fn.name, "scaling", version)
        out = {"FunctionArn": cfg["FunctionArn"], "AppliedFunctionScalingConfig": self._applied_scaling(doc)}
        if doc is not None:
            out["RequestedFunctionScalingConfig"] = dict(doc["Requested"])
        return out
