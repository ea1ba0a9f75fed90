"""Capacity providers (Lambda Managed Instances): the VPC, permissions, instance
requirements and scaling a function's versions would run on in EC2.

nubis keeps the resource as the API reference describes it, with its states on
the controllable clock (Pending, then Active a moment after it is created;
Deleting, then gone a moment after it is deleted), but launches no instances:
a function on a capacity provider still runs locally in nubis, in the same
execution environments as any other function.
"""
from __future__ import annotations

import re

from ...protocol.errors import ServiceError
from ..base import RequestContext
from . import validation as v
from .capacity_provider_store import CapacityProviderRow
from .environments import lambda_time

ACTIVATION_SECONDS = 1.0   # Pending this long on the clock, then Active
DELETION_SECONDS = 1.0     # Deleting this long on the clock, then gone
MAX_TAGS = 50
NAME_PATTERN = (r"(arn:aws[a-zA-Z-]*:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:capacity-provider:"
                r"[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+")
_NAME = re.compile(r"^(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z]{2}(?:(?:-gov)|(?:-iso[a-z]?))?-[a-z]+-\d):"
                   r"(?P<account>\d{12}):capacity-provider:)?(?P<name>[a-zA-Z0-9_-]+)$")
ARN_PATTERN = (r"arn:aws[a-zA-Z-]*:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:capacity-provider:"
               r"[a-zA-Z0-9-_]+")
_INSTANCE_TYPE = re.compile(r"^[a-zA-Z0-9.\-]{1,30}$")
_KMS = re.compile(r"^arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*$")
_STATES = ("Pending", "Active", "Failed", "Deleting")


def _provider_not_found(name: str) -> ServiceError:
    return v.not_found(f"Capacity provider not found: {name}")


class CapacityProvidersMixin:
    # -- names ----------------------------------------------------------------------------------

    @staticmethod
    def capacity_provider_arn(ctx: RequestContext, name: str) -> str:
        return f"arn:aws:lambda:{ctx.region}:{ctx.account}:capacity-provider:{name}"

    @staticmethod
    def _capacity_provider_name(ctx: RequestContext, text: str, field: str = "capacityProviderName") -> str:
        m = _NAME.match(text or "")
        if m is None or len(text) > 140:
            raise v.validation(field, text, f"satisfy regular expression pattern: {NAME_PATTERN}")
        if m.group("account") and (m.group("account"), m.group("region")) != (ctx.account, ctx.region):
            raise _provider_not_found(text)
        return m.group("name")

    def _capacity_provider_row(self, ctx: RequestContext, name: str) -> CapacityProviderRow | None:
        """The provider of that name, unless its deletion has finished."""
        row = self.capacity_providers.get(ctx.account, ctx.region, name)
        if row is None or (row.gone_at is not None and self.clock.now() >= row.gone_at):
            return None
        return row

    def _capacity_provider(self, ctx: RequestContext, text: str) -> CapacityProviderRow:
        name = self._capacity_provider_name(ctx, text)
        row = self._capacity_provider_row(ctx, name)
        if row is None:
            raise _provider_not_found(name)
        return row

    def _capacity_provider_view(self, row: CapacityProviderRow) -> dict:
        """The document with its state as it stands on the clock now."""
        out = dict(row.doc)
        now = self.clock.now()
        if row.gone_at is not None:
            out["State"] = "Deleting"
        elif now >= row.ready_at:
            out["State"] = "Active"
        else:
            out["State"] = "Pending"
        return out

    # -- validation -----------------------------------------------------------------------------

    @staticmethod
    def _check_scaling(scaling: dict) -> dict:
        out: dict = {}
        if "MaxVCpuCount" in scaling:
            v.check_range("capacityProviderScalingConfig.maxVCpuCount", scaling["MaxVCpuCount"], 2, 15000)
            out["MaxVCpuCount"] = scaling["MaxVCpuCount"]
        mode = scaling.get("ScalingMode") or "Auto"
        if mode not in ("Auto", "Manual"):
            raise v.validation("capacityProviderScalingConfig.scalingMode", mode,
                               "satisfy enum value set: [Auto, Manual]")
        out["ScalingMode"] = mode
        policies = scaling.get("ScalingPolicies")
        if policies is not None:
            if not 1 <= len(policies) <= 10:
                raise v.validation("capacityProviderScalingConfig.scalingPolicies", policies,
                                   "have length between 1 and 10")
            checked = []
            for policy in policies:
                metric = policy.get("PredefinedMetricType")
                if metric != "LambdaCapacityProviderAverageCPUUtilization":
                    raise v.validation("capacityProviderScalingConfig.scalingPolicies.member.predefinedMetricType",
                                       metric, "satisfy enum value set: [LambdaCapacityProviderAverageCPUUtilization]")
                target = policy.get("TargetValue")
                if not isinstance(target, (int, float)) or not 0.0 <= target <= 100.0:
                    raise v.validation("capacityProviderScalingConfig.scalingPolicies.member.targetValue", target,
                                       "have value between 0.0 and 100.0")
                checked.append({"PredefinedMetricType": metric, "TargetValue": float(target)})
            out["ScalingPolicies"] = checked
        # Scaling policies are what Manual mode scales by, and only Manual mode takes them.
        if mode == "Manual" and not out.get("ScalingPolicies"):
            raise v.invalid("ScalingPolicies must be provided when ScalingMode is Manual.")
        if mode == "Auto" and out.get("ScalingPolicies"):
            raise v.invalid("ScalingPolicies can only be provided when ScalingMode is Manual.")
        return out

    @staticmethod
    def _check_instance_requirements(req: dict) -> dict:
        archs = req.get("Architectures") or ["x86_64"]
        if len(archs) != 1:
            raise v.validation("instanceRequirements.architectures", archs, "have length less than or equal to 1")
        if archs[0] not in ("x86_64", "arm64"):
            raise v.validation("instanceRequirements.architectures", archs,
                               "satisfy enum value set: [x86_64, arm64]")
        out: dict = {"Architectures": list(archs)}
        for key, field in (("AllowedInstanceTypes", "allowedInstanceTypes"),
                           ("ExcludedInstanceTypes", "excludedInstanceTypes")):
            types = req.get(key)
            if types is None:
                continue
            if len(types) > 400:
                raise v.validation(f"instanceRequirements.{field}", types, "have length less than or equal to 400")
            for t in types:
                if not _INSTANCE_TYPE.match(t or ""):
                    raise v.validation(f"instanceRequirements.{field}.member", t,
                                       r"satisfy regular expression pattern: [a-zA-Z0-9\.\-]+")
            out[key] = list(types)
        if out.get("AllowedInstanceTypes") and out.get("ExcludedInstanceTypes"):
            raise v.invalid("Only one of AllowedInstanceTypes or ExcludedInstanceTypes can be specified.")
        return out

    @staticmethod
    def _check_capacity_vpc(vpc: dict) -> dict:
        subnets = vpc.get("SubnetIds") or []
        groups = vpc.get("SecurityGroupIds") or []
        if not 1 <= len(subnets) <= 16:
            raise v.validation("vpcConfig.subnetIds", subnets, "have length between 1 and 16")
        if len(groups) > 5:
            raise v.validation("vpcConfig.securityGroupIds", groups, "have length less than or equal to 5")
        return {"SubnetIds": list(subnets), "SecurityGroupIds": list(groups)}

    # -- operations -----------------------------------------------------------------------------

    def create_capacity_provider(self, ctx: RequestContext, params: dict) -> dict:
        name = self._capacity_provider_name(ctx, params["CapacityProviderName"])
        vpc = self._check_capacity_vpc(params.get("VpcConfig") or {})
        role = (params.get("PermissionsConfig") or {}).get("CapacityProviderOperatorRoleArn") or ""
        if not re.match(v.ROLE_PATTERN + "$", role):
            raise v.validation("permissionsConfig.capacityProviderOperatorRoleArn", role,
                               f"satisfy regular expression pattern: {v.ROLE_PATTERN}")
        requirements = self._check_instance_requirements(params.get("InstanceRequirements") or {})
        scaling = self._check_scaling(params.get("CapacityProviderScalingConfig") or {})
        kms = params.get("KmsKeyArn")
        if kms is not None and not _KMS.match(kms):
            raise v.validation("kmsKeyArn", kms,
                               "satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*")
        tags = params.get("Tags") or {}
        if len(tags) > MAX_TAGS:
            raise v.invalid("Number of tags exceeds resource tag limit.")
        now = self.clock.now()
        if self._capacity_provider_row(ctx, name) is not None:
            raise v.conflict(f"Capacity provider already exists: {name}")
        doc = {"CapacityProviderArn": self.capacity_provider_arn(ctx, name), "State": "Pending", "VpcConfig": vpc,
               "PermissionsConfig": {"CapacityProviderOperatorRoleArn": role},
               "InstanceRequirements": requirements, "CapacityProviderScalingConfig": scaling,
               "LastModified": lambda_time(now)}
        if kms:
            doc["KmsKeyArn"] = kms
        with self.db.transaction():
            self.capacity_providers.purge(ctx.account, ctx.region, now)
            self.capacity_providers.save(CapacityProviderRow(ctx.account, ctx.region, name, doc, dict(tags),
                                                             now + ACTIVATION_SECONDS, None))
        return {"CapacityProvider": dict(doc, State="Pending")}

    def get_capacity_provider(self, ctx: RequestContext, params: dict) -> dict:
        row = self._capacity_provider(ctx, params["CapacityProviderName"])
        return {"CapacityProvider": self._capacity_provider_view(row)}

    def list_capacity_providers(self, ctx: RequestContext, params: dict) -> dict:
        state = params.get("State")
        if state is not None and state not in _STATES:
            raise v.validation("state", state, f"satisfy enum value set: [{', '.join(_STATES)}]")
        now = self.clock.now()
        views = [self._capacity_provider_view(r) for r in self.capacity_providers.list(ctx.account, ctx.region)
                 if r.gone_at is None or now < r.gone_at]
        if state:
            views = [d for d in views if d["State"] == state]
        page, marker = v.marker_page(views, params, 50, 50)
        out: dict = {"CapacityProviders": page}
        if marker:
            out["NextMarker"] = marker
        return out

    def update_capacity_provider(self, ctx: RequestContext, params: dict) -> dict:
        row = self._capacity_provider(ctx, params["CapacityProviderName"])
        state = self._capacity_provider_view(row)["State"]
        if state != "Active":
            raise v.conflict(f"Capacity provider {row.name} cannot be updated while it is in state {state}.")
        if "CapacityProviderScalingConfig" in params:
            row.doc["CapacityProviderScalingConfig"] = self._check_scaling(params["CapacityProviderScalingConfig"]
                                                                          or {})
        row.doc["LastModified"] = lambda_time(self.clock.now())
        self.capacity_providers.save(row)
        return {"CapacityProvider": self._capacity_provider_view(row)}

    def delete_capacity_provider(self, ctx: RequestContext, params: dict) -> dict:
        row = self._capacity_provider(ctx, params["CapacityProviderName"])
        if row.gone_at is None:
            using = self._versions_on_capacity_provider(ctx, row.doc["CapacityProviderArn"])
            if using:
                raise v.conflict(f"Capacity provider {row.name} cannot be deleted because it is used by function "
                                 f"versions: {[arn for arn, _ in using[:10]]}")
            row.gone_at = self.clock.now() + DELETION_SECONDS
            self.capacity_providers.save(row)
        return {"CapacityProvider": self._capacity_provider_view(row)}

    def list_function_versions_by_capacity_provider(self, ctx: RequestContext, params: dict) -> dict:
        row = self._capacity_provider(ctx, params["CapacityProviderName"])
        arn = row.doc["CapacityProviderArn"]
        items = [{"FunctionArn": fn_arn, "State": state}
                 for fn_arn, state in self._versions_on_capacity_provider(ctx, arn)]
        page, marker = v.marker_page(items, params, 50, 50)
        out: dict = {"CapacityProviderArn": arn, "FunctionVersions": page}
        if marker:
            out["NextMarker"] = marker
        return out

    # -- functions on a capacity provider -------------------------------------------------------

    def _versions_on_capacity_provider(self, ctx: RequestContext, arn: str) -> list[tuple[str, str]]:
        """(qualified function ARN, state) of every version, $LATEST included, configured with it."""
        out = []
        for fn in self.store.list(ctx.account, ctx.region, limit=1_000_000):
            latest_published = self.store.latest_published(fn)
            configs = [fn.config] + [c for c, _ in self.store.versions(fn)] + (
                [latest_published[0]] if latest_published else [])
            for cfg in configs:
                if _provider_of(cfg) == arn:
                    qualified = cfg["FunctionArn"] if cfg["Version"] != "$LATEST" else f"{fn.arn}:$LATEST"
                    out.append((qualified, cfg.get("State") or "Active"))
        return out

    def apply_capacity_provider_config(self, ctx: RequestContext, cfg: dict, given: dict | None) -> None:
        """CreateFunction's and UpdateFunctionConfiguration's CapacityProviderConfig: the provider
        must exist in this account and Region, and not be on its way out."""
        if not given:
            cfg.pop("CapacityProviderConfig", None)
            return
        managed = given.get("LambdaManagedInstancesCapacityProviderConfig")
        if not managed:
            raise v.validation("capacityProviderConfig.lambdaManagedInstancesCapacityProviderConfig", None,
                               "not be null")
        arn = managed.get("CapacityProviderArn") or ""
        m = _NAME.match(arn)
        if m is None or not m.group("account"):
            raise v.validation("capacityProviderConfig.lambdaManagedInstancesCapacityProviderConfig."
                               "capacityProviderArn", arn, f"satisfy regular expression pattern: {ARN_PATTERN}")
        row = None
        if (m.group("account"), m.group("region")) == (ctx.account, ctx.region):
            row = self._capacity_provider_row(ctx, m.group("name"))
        if row is None or row.gone_at is not None:
            raise v.invalid(f"Capacity provider {arn} does not exist.")
        out: dict = {"CapacityProviderArn": row.doc["CapacityProviderArn"]}
        if "PerExecutionEnvironmentMaxConcurrency" in managed:
            v.check_range("capacityProviderConfig.lambdaManagedInstancesCapacityProviderConfig."
                          "perExecutionEnvironmentMaxConcurrency", managed["PerExecutionEnvironmentMaxConcurrency"],
                          1, 1600)
            out["PerExecutionEnvironmentMaxConcurrency"] = managed["PerExecutionEnvironmentMaxConcurrency"]
        if "ExecutionEnvironmentMemoryGiBPerVCpu" in managed:
            ratio = managed["ExecutionEnvironmentMemoryGiBPerVCpu"]
            if not isinstance(ratio, (int, float)) or not 2.0 <= ratio <= 8.0:
                raise v.validation("capacityProviderConfig.lambdaManagedInstancesCapacityProviderConfig."
                                   "executionEnvironmentMemoryGiBPerVCpu", ratio, "have value between 2.0 and 8.0")
            out["ExecutionEnvironmentMemoryGiBPerVCpu"] = float(ratio)
        cfg["CapacityProviderConfig"] = {"LambdaManagedInstancesCapacityProviderConfig": out}

    # -- tags -------------------------------------------------------------------------------------

    def capacity_provider_tags(self, ctx: RequestContext, resource: str, add: dict | None = None,
                               remove: list | None = None) -> dict:
        """TagResource (``add``), UntagResource (``remove``) or ListTags of a capacity provider."""
        m = _NAME.match(resource or "")
        row = None
        if m is not None and (m.group("account"), m.group("region")) == (ctx.account, ctx.region):
            row = self._capacity_provider_row(ctx, m.group("name"))
        if row is None:
            raise _provider_not_found(resource)
        if add is None and remove is None:
            return {"Tags": dict(row.tags)}
        tags = {k: val for k, val in row.tags.items() if k not in set(remove or ())}
        tags.update(add or {})
        if len(tags) > MAX_TAGS:
            raise v.invalid("Number of tags exceeds resource tag limit.")
        row.tags = tags
        self.capacity_providers.save(row)
        return {}


def _provider_of(cfg: dict) -> str | None:
    return (((cfg.get("CapacityProviderConfig") or {}).get("LambdaManagedInstancesCapacityProviderConfig") or {})
            .get("CapacityProviderArn"))
