"""The remaining configuration, stored and returned as the API reference says:
code signing configs, provisioned concurrency, runtime management, recursive
loop detection, and the account's concurrency limit (a setting,
``lambda_concurrent_executions``, so that a test can lower it).

nubis does not verify code signatures. A provisioned concurrency config
starts its environments at once (``provisioned.py``) and is IN_PROGRESS until
they are up and a moment has passed on the controllable clock, then READY.
"""
from __future__ import annotations

import asyncio
import secrets
import string

from ...protocol.errors import ServiceError
from ..base import RequestContext
from . import provisioned
from . import validation as v
from .environments import lambda_time

ACCOUNT_CONCURRENCY = 1000
MIN_UNRESERVED = 100
PROVISIONING_SECONDS = 1.0     # IN_PROGRESS this long on the clock, then READY
_CSC_CHARS = string.ascii_lowercase + string.digits


class SettingsMixin:
    @property
    def concurrency_limit(self) -> int:
        return getattr(self.config, "lambda_concurrent_executions", ACCOUNT_CONCURRENCY)

    def reserved_total(self, ctx: RequestContext, besides: str | None = None) -> int:
        return sum(f.reserved or 0 for f in self.store.list(ctx.account, ctx.region, limit=1_000_000)
                   if f.name != besides)

    # -- code signing configs ----------------------------------------------------------------

    def _csc(self, ctx: RequestContext, arn: str) -> dict:
        csc_id = arn.rsplit(":", 1)[-1]
        doc = self.settings_store.code_signing(ctx.account, ctx.region, csc_id)
        if doc is None or doc["CodeSigningConfigArn"] != arn:
            raise ServiceError("ResourceNotFoundException",
                               f"The code signing configuration cannot be found. Check that the provided "
                               f"configuration is not deleted: {arn}.", status=404, Type="User")
        return doc

    @staticmethod
    def _csc_members(doc: dict, params: dict) -> None:
        if "Description" in params:
            if len(params["Description"] or "") > 256:
                raise v.validation("description", params["Description"], "have length less than or equal to 256")
            doc["Description"] = params["Description"] or ""
        if params.get("AllowedPublishers") is not None:
            arns = (params["AllowedPublishers"] or {}).get("SigningProfileVersionArns") or []
            if not 1 <= len(arns) <= 20:
                raise v.validation("allowedPublishers.signingProfileVersionArns", arns,
                                   "have length greater than or equal to 1")
            doc["AllowedPublishers"] = {"SigningProfileVersionArns": list(arns)}
        if params.get("CodeSigningPolicies") is not None:
            mode = (params["CodeSigningPolicies"] or {}).get("UntrustedArtifactOnDeployment") or "Warn"
            if mode not in ("Warn", "Enforce"):
                raise v.validation("codeSigningPolicies.untrustedArtifactOnDeployment", mode,
                                   "satisfy enum value set: [Warn, Enforce]")
            doc["CodeSigningPolicies"] = {"UntrustedArtifactOnDeployment": mode}

    def create_code_signing_config(self, ctx: RequestContext, params: dict) -> dict:
        csc_id = "csc-" + "".join(secrets.choice(_CSC_CHARS) for _ in range(17))
        doc = {"CodeSigningConfigId": csc_id,
               "CodeSigningConfigArn": f"arn:aws:lambda:{ctx.region}:{ctx.account}:code-signing-config:{csc_id}",
               "Description": "", "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": "Warn"}}
        self._csc_members(doc, params)
        if "AllowedPublishers" not in doc:
            raise v.validation("allowedPublishers", None, "not be null")
        doc["LastModified"] = lambda_time(self.clock.now())
        self.settings_store.save_code_signing(ctx.account, ctx.region, doc)
        return {"CodeSigningConfig": doc}

    def get_code_signing_config(self, ctx: RequestContext, params: dict) -> dict:
        return {"CodeSigningConfig": self._csc(ctx, params["CodeSigningConfigArn"])}

    def update_code_signing_config(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._csc(ctx, params["CodeSigningConfigArn"])
        self._csc_members(doc, params)
        doc["LastModified"] = lambda_time(self.clock.now())
        self.settings_store.save_code_signing(ctx.account, ctx.region, doc)
        return {"CodeSigningConfig": doc}

    def _functions_signed_by(self, ctx: RequestContext, arn: str) -> list[str]:
        return [name for name, _, doc in self.settings_store.settings_of_kind(ctx.account, ctx.region, "code-signing")
                if doc.get("CodeSigningConfigArn") == arn]

    def delete_code_signing_config(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._csc(ctx, params["CodeSigningConfigArn"])
        if self._functions_signed_by(ctx, doc["CodeSigningConfigArn"]):
            raise v.conflict("Cannot delete code signing config because it is used by one or more functions.")
        self.settings_store.delete_code_signing(ctx.account, ctx.region, doc["CodeSigningConfigId"])
        return {}

    def list_code_signing_configs(self, ctx: RequestContext, params: dict) -> dict:
        page, marker = v.marker_page(self.settings_store.code_signings(ctx.account, ctx.region), params, 50, 10000)
        out: dict = {"CodeSigningConfigs": page}
        if marker:
            out["NextMarker"] = marker
        return out

    def list_functions_by_code_signing_config(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._csc(ctx, params["CodeSigningConfigArn"])
        arns = [self.arn(ctx, name) for name in self._functions_signed_by(ctx, doc["CodeSigningConfigArn"])]
        page, marker = v.marker_page(arns, params, 50, 10000)
        out: dict = {"FunctionArns": page}
        if marker:
            out["NextMarker"] = marker
        return out

    def put_function_code_signing_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        arn = params["CodeSigningConfigArn"]
        csc_id = arn.rsplit(":", 1)[-1]
        found = self.settings_store.code_signing(ctx.account, ctx.region, csc_id)
        if found is None or found["CodeSigningConfigArn"] != arn:
            raise ServiceError("CodeSigningConfigNotFoundException",
                               f"The code signing configuration cannot be found. Check that the provided "
                               f"configuration is not deleted: {arn}.", status=404, Type="User")
        self.settings_store.put_setting(fn.account, fn.region, fn.name, "code-signing", "",
                                        {"CodeSigningConfigArn": arn})
        return {"CodeSigningConfigArn": arn, "FunctionName": fn.name}

    def get_function_code_signing_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        doc = self.settings_store.setting(fn.account, fn.region, fn.name, "code-signing") or {}
        return {"CodeSigningConfigArn": doc.get("CodeSigningConfigArn", ""), "FunctionName": fn.name}

    def delete_function_code_signing_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        self.settings_store.delete_setting(fn.account, fn.region, fn.name, "code-signing")
        return {}

    # -- provisioned concurrency ----------------------------------------------------------------

    def _provisioned_target(self, ctx: RequestContext, params: dict):
        fn, qualifier = self.function(ctx, params["FunctionName"], params.get("Qualifier"))
        if not qualifier or qualifier == "$LATEST":
            raise v.invalid("Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
        self.resolve(ctx, fn, qualifier)  # the version or alias must exist
        return fn, qualifier

    @property
    def _provisioning(self) -> dict:
        """(account, region, name, qualifier) -> the task starting its environments."""
        return self.__dict__.setdefault("_provisioning_tasks", {})

    def _provisioned_view(self, doc: dict, fn, qualifier: str, listed: bool = False) -> dict:
        """A stored config as it stands now: READY once its environments are up and
        its moment on the clock has passed."""
        out = {k: val for k, val in doc.items() if k != "ReadyAt"}
        requested = doc["RequestedProvisionedConcurrentExecutions"]
        task = self._provisioning.get((fn.account, fn.region, fn.name, qualifier))
        if self.clock.now() >= doc.get("ReadyAt", 0) and (task is None or task.done()):
            out.update(Status="READY", AvailableProvisionedConcurrentExecutions=requested,
                       AllocatedProvisionedConcurrentExecutions=requested)
        if listed:
            out["FunctionArn"] = f"{fn.arn}:{qualifier}"
        return out

    def put_provisioned_concurrency_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, qualifier = self._provisioned_target(ctx, params)
        n = params["ProvisionedConcurrentExecutions"]
        if n < 1:
            raise v.validation("provisionedConcurrentExecutions", n, "have value greater than or equal to 1")
        others = sum(d["RequestedProvisionedConcurrentExecutions"]
                     for q, d in self.settings_store.settings(fn.account, fn.region, fn.name, "provisioned")
                     if q != qualifier)
        if fn.reserved is not None and others + n > fn.reserved:
            raise v.invalid("Requested Provisioned Concurrency should not be greater than the "
                            "reservedConcurrentExecution for function")
        if fn.reserved is None and self.concurrency_limit - self.reserved_total(ctx) - others - n < MIN_UNRESERVED:
            raise v.invalid("Specified ConcurrentExecutions for function is greater than account's unreserved "
                            f"concurrency [{self.concurrency_limit - self.reserved_total(ctx)}].")
        now = self.clock.now()
        doc = {"RequestedProvisionedConcurrentExecutions": n, "AvailableProvisionedConcurrentExecutions": 0,
               "AllocatedProvisionedConcurrentExecutions": 0, "Status": "IN_PROGRESS",
               "LastModified": lambda_time(now), "ReadyAt": now + PROVISIONING_SECONDS}
        self.settings_store.put_setting(fn.account, fn.region, fn.name, "provisioned", qualifier, doc)
        version, cfg, blob = self.resolve(ctx, fn, qualifier)
        key = (fn.account, fn.region, fn.name, qualifier)
        self._provisioning[key] = asyncio.get_running_loop().create_task(
            provisioned.prestart(self, fn, version, cfg, blob, n))
        return {k: val for k, val in doc.items() if k != "ReadyAt"}

    def get_provisioned_concurrency_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, qualifier = self._provisioned_target(ctx, params)
        doc = self.settings_store.setting(fn.account, fn.region, fn.name, "provisioned", qualifier)
        if doc is None:
            raise ServiceError("ProvisionedConcurrencyConfigNotFoundException",
                               "No Provisioned Concurrency Config found for this function", status=404, Type="User")
        return self._provisioned_view(doc, fn, qualifier)

    def list_provisioned_concurrency_configs(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        docs = [self._provisioned_view(d, fn, q, listed=True)
                for q, d in self.settings_store.settings(fn.account, fn.region, fn.name, "provisioned")]
        page, marker = v.marker_page(docs, params, 50, 50)
        out: dict = {"ProvisionedConcurrencyConfigs": page}
        if marker:
            out["NextMarker"] = marker
        return out

    def delete_provisioned_concurrency_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, qualifier = self._provisioned_target(ctx, params)
        if not self.settings_store.delete_setting(fn.account, fn.region, fn.name, "provisioned", qualifier):
            raise ServiceError("ProvisionedConcurrencyConfigNotFoundException",
                               "No Provisioned Concurrency Config found for this function", status=404, Type="User")
        task = self._provisioning.pop((fn.account, fn.region, fn.name, qualifier), None)
        if task is not None:
            task.cancel()
        provisioned.release(self, fn, self.resolve(ctx, fn, qualifier)[0])
        return {}

    # -- runtime management ---------------------------------------------------------------------

    def put_runtime_management_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, qualifier = self.function(ctx, params["FunctionName"], params.get("Qualifier"))
        version, cfg, _ = self.resolve(ctx, fn, qualifier)
        mode = params["UpdateRuntimeOn"]
        if mode not in ("Auto", "Manual", "FunctionUpdate"):
            raise v.validation("updateRuntimeOn", mode, "satisfy enum value set: [Auto, Manual, FunctionUpdate]")
        arn = params.get("RuntimeVersionArn")
        if mode == "Manual" and not arn:
            raise v.invalid("RuntimeVersionArn must be provided when UpdateRuntimeOn is Manual.")
        if mode != "Manual" and arn:
            raise v.invalid("RuntimeVersionArn can only be provided when UpdateRuntimeOn is Manual.")
        doc = {"UpdateRuntimeOn": mode}
        if arn:
            doc["RuntimeVersionArn"] = arn
        self.settings_store.put_setting(fn.account, fn.region, fn.name, "runtime-management", version, doc)
        return dict(doc, FunctionArn=cfg["FunctionArn"])

    def get_runtime_management_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, qualifier = self.function(ctx, params["FunctionName"], params.get("Qualifier"))
        version, cfg, _ = self.resolve(ctx, fn, qualifier)
        doc = self.settings_store.setting(fn.account, fn.region, fn.name, "runtime-management", version)
        return dict(doc or {"UpdateRuntimeOn": "Auto"}, FunctionArn=cfg["FunctionArn"])

    # -- recursive loop detection ----------------------------------------------------------------

    def put_function_recursion_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        mode = params["RecursiveLoop"]
        if mode not in ("Allow", "Terminate"):
            raise v.validation("recursiveLoop", mode, "satisfy enum value set: [Allow, Terminate]")
        self.settings_store.put_setting(fn.account, fn.region, fn.name, "recursion", "", {"RecursiveLoop": mode})
        return {"RecursiveLoop": mode}

    def get_function_recursion_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        doc = self.settings_store.setting(fn.account, fn.region, fn.name, "recursion")
        return doc or {"RecursiveLoop": "Terminate"}
