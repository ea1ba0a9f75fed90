"""Auto scaling settings of a table's replicas: DescribeTableReplicaAutoScaling
and UpdateTableReplicaAutoScaling, and the settings' shapes that the global
table settings operations (global_settings.py) share.

The settings are stored in each replica's definition (``AutoScaling``: ``Read``,
``Write`` and, per global secondary index, ``Indexes[name]`` with the same two),
so they go with the table and survive a restart. Write settings are the same on
every replica of a global table (the API sets them once for all); read settings
are a Region's own. Setting a range moves the provisioned capacity into it, as
Application Auto Scaling does when a scalable target is registered; nubis does
not meter consumed capacity, so nothing scales after that.
"""
from __future__ import annotations

import copy

from ...protocol.errors import ServiceError
from ..base import RequestContext
from .tables import INVALID, Table, require, validation

# Application Auto Scaling's target utilization for DynamoDB (the developer guide: 20 to 90 percent).
TARGET_RANGE = (20.0, 90.0)
_ROLE = ("arn:aws:iam::{account}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/"
         "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable")
_UNITS = {"Read": "ReadCapacityUnits", "Write": "WriteCapacityUnits"}


def _at_least(value, where: str, low) -> None:
    if value is not None and value < low:
        raise validation(f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: "
                         f"Member must have value greater than or equal to {low}")


def merge_settings(current: dict | None, update: dict, where: str, account: str, policy_name: str) -> dict | None:
    """The settings after an ``AutoScalingSettingsUpdate`` (None: auto scaling is off)."""
    if update.get("AutoScalingDisabled"):
        return None
    _at_least(update.get("MinimumUnits"), f"{where}.minimumUnits", 1)
    _at_least(update.get("MaximumUnits"), f"{where}.maximumUnits", 1)
    out = copy.deepcopy(current) if current else {"AutoScalingRoleArn": _ROLE.format(account=account)}
    for k in ("MinimumUnits", "MaximumUnits", "AutoScalingRoleArn"):
        if update.get(k) is not None:
            out[k] = update[k]
    policy = update.get("ScalingPolicyUpdate")
    if policy is not None:
        config = require(policy.get("TargetTrackingScalingPolicyConfiguration"),
                         f"{where}.scalingPolicyUpdate.targetTrackingScalingPolicyConfiguration")
        target = require(config.get("TargetValue"),
                         f"{where}.scalingPolicyUpdate.targetTrackingScalingPolicyConfiguration.targetValue")
        if not TARGET_RANGE[0] <= target <= TARGET_RANGE[1]:
            raise validation(f"{INVALID}TargetValue must be between {TARGET_RANGE[0]:g} and {TARGET_RANGE[1]:g} "
                             f"for DynamoDB capacity utilization: {target:g}")
        for k in ("ScaleInCooldown", "ScaleOutCooldown"):
            _at_least(config.get(k), f"{where}.scalingPolicyUpdate.targetTrackingScalingPolicyConfiguration."
                                     f"{k[0].lower()}{k[1:]}", 0)
        described = {"TargetValue": target, "DisableScaleIn": bool(config.get("DisableScaleIn"))}
        for k in ("ScaleInCooldown", "ScaleOutCooldown"):
            if config.get(k) is not None:
                described[k] = config[k]
        out["ScalingPolicies"] = [{"PolicyName": policy.get("PolicyName") or policy_name,
                                   "TargetTrackingScalingPolicyConfiguration": described}]
    missing = [k for k in ("MinimumUnits", "MaximumUnits") if out.get(k) is None]
    if missing or not out.get("ScalingPolicies"):
        raise validation(f"{INVALID}Enabling auto scaling at {where} requires MinimumUnits, MaximumUnits and a "
                         "ScalingPolicyUpdate")
    if out["MinimumUnits"] > out["MaximumUnits"]:
        raise validation(f"{INVALID}MinimumUnits ({out['MinimumUnits']}) must not be greater than MaximumUnits "
                         f"({out['MaximumUnits']}) at {where}")
    return out


def describe_settings(settings: dict | None) -> dict:
    """An ``AutoScalingSettingsDescription``."""
    if not settings:
        return {"AutoScalingDisabled": True}
    return {"MinimumUnits": settings["MinimumUnits"], "MaximumUnits": settings["MaximumUnits"],
            "AutoScalingDisabled": False, "AutoScalingRoleArn": settings["AutoScalingRoleArn"],
            "ScalingPolicies": settings["ScalingPolicies"]}


def policy_name(kind: str, table: str, index: str | None = None) -> str:
    """The name a scaling policy gets when the request names none."""
    resource = f"table/{table}" + (f"/index/{index}" if index else "")
    return f"DynamoDB{kind}CapacityUtilization:{resource}"


def set_settings(d: dict, kind: str, settings: dict | None, index: str | None = None) -> None:
    """Store ``settings`` ("Read" or "Write", of the table or an index) in definition ``d``, and
    move the provisioned capacity into their range."""
    scaling = d.setdefault("AutoScaling", {})
    holder = scaling.setdefault("Indexes", {}).setdefault(index, {}) if index else scaling
    if settings is None:
        holder.pop(kind, None)
        return
    holder[kind] = settings
    if d["BillingMode"] != "PROVISIONED":
        return
    if index:
        target = next(ix for ix in d["GlobalSecondaryIndexes"] if ix["IndexName"] == index)
    else:
        target = d
    pt = dict(target.get("ProvisionedThroughput") or {})
    units = pt.get(_UNITS[kind])
    pt[_UNITS[kind]] = min(max(units or settings["MinimumUnits"], settings["MinimumUnits"]),
                           settings["MaximumUnits"])
    target["ProvisionedThroughput"] = pt


def settings_of(d: dict, kind: str, index: str | None = None) -> dict | None:
    scaling = d.get("AutoScaling") or {}
    if index:
        return ((scaling.get("Indexes") or {}).get(index) or {}).get(kind)
    return scaling.get(kind)


class ReplicaAutoScaling:
    """Operations of the DynamoDB provider (a mixin: ``self`` is the provider)."""

    def _group(self, t: Table) -> list[Table]:
        """The table and its replicas in the other Regions (just the table when it has none)."""
        members = [t]
        for region in t.definition.get("Replicas") or ():
            member = self.tables.get((t.account, region, t.name))
            if member is not None:
                members.append(member)
        return members

    def _auto_scaling_description(self, t: Table) -> dict:
        replicas = []
        for m in self._group(t):
            d = m.definition
            provisioned = d["BillingMode"] == "PROVISIONED"
            replica: dict = {"RegionName": m.region, "ReplicaStatus": "ACTIVE"}
            indexes = []
            for ix in d.get("GlobalSecondaryIndexes") or ():
                entry = {"IndexName": ix["IndexName"], "IndexStatus": "ACTIVE"}
                if provisioned:
                    entry["ProvisionedReadCapacityAutoScalingSettings"] = describe_settings(
                        settings_of(d, "Read", ix["IndexName"]))
                    entry["ProvisionedWriteCapacityAutoScalingSettings"] = describe_settings(
                        settings_of(d, "Write", ix["IndexName"]))
                indexes.append(entry)
            replica["GlobalSecondaryIndexes"] = indexes
            if provisioned:  # an on-demand table has no capacity to scale
                replica["ReplicaProvisionedReadCapacityAutoScalingSettings"] = describe_settings(
                    settings_of(d, "Read"))
                replica["ReplicaProvisionedWriteCapacityAutoScalingSettings"] = describe_settings(
                    settings_of(d, "Write"))
            replicas.append(replica)
        return {"TableName": t.name, "TableStatus": "ACTIVE", "Replicas": replicas}

    def describe_table_replica_auto_scaling(self, ctx: RequestContext, params: dict) -> dict:
        t = self._table(ctx, params.get("TableName"), described=True)
        return {"TableAutoScalingDescription": self._auto_scaling_description(t)}

    def update_table_replica_auto_scaling(self, ctx: RequestContext, params: dict) -> dict:
        t = self._table(ctx, params.get("TableName"), described=True)
        index_updates = params.get("GlobalSecondaryIndexUpdates")
        write_update = params.get("ProvisionedWriteCapacityAutoScalingUpdate")
        replica_updates = params.get("ReplicaUpdates")
        for member, value in (("globalSecondaryIndexUpdates", index_updates), ("replicaUpdates", replica_updates)):
            if value is not None and len(value) == 0:
                raise validation(f"1 validation error detected: Value '[]' at '{member}' failed to satisfy "
                                 "constraint: Member must have length greater than or equal to 1")
        if not (index_updates or write_update or replica_updates):
            raise validation("At least one of GlobalSecondaryIndexUpdates, ProvisionedWriteCapacityAutoScalingUpdate "
                             "or ReplicaUpdates is required")
        if t.definition["BillingMode"] != "PROVISIONED":
            raise validation(f"{INVALID}Auto scaling can be configured only for a table in PROVISIONED billing mode: "
                             f"{t.name}")
        group = self._group(t)
        new = {m.region: copy.deepcopy(m.definition) for m in group}
        gsis = {ix["IndexName"] for ix in t.definition.get("GlobalSecondaryIndexes") or ()}

        def index_of(name, where: str) -> str:
            require(name, where)
            if name not in gsis:
                raise ServiceError("ResourceNotFoundException",
                                   f"Requested resource not found: Index: {name} not found")
            return name

        if write_update is not None:
            for m in group:
                s = merge_settings(settings_of(new[m.region], "Write"), write_update,
                                   "provisionedWriteCapacityAutoScalingUpdate", t.account, policy_name("Write", t.name))
                set_settings(new[m.region], "Write", s)
        for u in index_updates or ():
            name = index_of(u.get("IndexName"), "globalSecondaryIndexUpdates.member.indexName")
            if u.get("ProvisionedWriteCapacityAutoScalingUpdate") is not None:
                for m in group:
                    s = merge_settings(settings_of(new[m.region], "Write", name),
                                       u["ProvisionedWriteCapacityAutoScalingUpdate"],
                                       "globalSecondaryIndexUpdates.member.provisionedWriteCapacityAutoScalingUpdate",
                                       t.account, policy_name("Write", t.name, name))
                    set_settings(new[m.region], "Write", s, name)
        for u in replica_updates or ():
            region = require(u.get("RegionName"), "replicaUpdates.member.regionName")
            if region not in new:
                raise validation(f"Update global table operation failed because the specified replica does not "
                                 f"exist: {region}")
            d = new[region]
            if u.get("ReplicaProvisionedReadCapacityAutoScalingUpdate") is not None:
                s = merge_settings(settings_of(d, "Read"), u["ReplicaProvisionedReadCapacityAutoScalingUpdate"],
                                   "replicaUpdates.member.replicaProvisionedReadCapacityAutoScalingUpdate",
                                   t.account, policy_name("Read", t.name))
                set_settings(d, "Read", s)
            for iu in u.get("ReplicaGlobalSecondaryIndexUpdates") or ():
                name = index_of(iu.get("IndexName"), "replicaUpdates.member.replicaGlobalSecondaryIndexUpdates."
                                                     "member.indexName")
                if iu.get("ProvisionedReadCapacityAutoScalingUpdate") is not None:
                    s = merge_settings(settings_of(d, "Read", name), iu["ProvisionedReadCapacityAutoScalingUpdate"],
                                       "replicaUpdates.member.replicaGlobalSecondaryIndexUpdates.member."
                                       "provisionedReadCapacityAutoScalingUpdate", t.account,
                                       policy_name("Read", t.name, name))
                    set_settings(d, "Read", s, name)
        with self.db.transaction():
            for m in group:
                m.definition = new[m.region]
                self._save(m)
        return {"TableAutoScalingDescription": self._auto_scaling_description(t)}

