"""The settings of a version 2017.11.29 global table across its Regions:
UpdateGlobalTableSettings, and the replica settings that it and
DescribeGlobalTableSettings (global_tables.py) answer with.

A global table's billing mode, write capacity (of the table and of each global
secondary index) and write auto scaling are the same in every Region, so they
are set on every replica; read capacity, read auto scaling and the table class
are set per Region (``ReplicaSettingsUpdate``). Each replica's definition holds
its settings (auto scaling as auto_scaling.py keeps it); all replicas change in
one transaction, after every update has been validated.
"""
from __future__ import annotations

import copy

from ...protocol.errors import ServiceError
from ..base import RequestContext
from .auto_scaling import describe_settings, merge_settings, policy_name, set_settings, settings_of
from .tables import INVALID, Table, check_table_name, check_throughput, one_of, require, validation

_CLASSES = ("STANDARD", "STANDARD_INFREQUENT_ACCESS")


def _index_not_found(name: str, table: str) -> ServiceError:
    return ServiceError("IndexNotFoundException", f"The index {name} does not exist in global table {table}")


def _positive(value, where: str) -> None:
    if value is not None and value < 1:
        raise validation(f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: "
                         "Member must have value greater than or equal to 1")


def _set_units(target: dict, key: str, units: int) -> None:
    pt = dict(target.get("ProvisionedThroughput") or {})
    pt[key] = units
    target["ProvisionedThroughput"] = pt


class GlobalTableSettings:
    """Operations of the DynamoDB provider (a mixin: ``self`` is the provider)."""

    def _replica_settings(self, t: Table) -> dict:
        """A ``ReplicaSettingsDescription`` of one replica."""
        d = t.definition
        provisioned = d["BillingMode"] == "PROVISIONED"
        billing = {"BillingMode": d["BillingMode"]}
        if not provisioned:
            billing["LastUpdateToPayPerRequestDateTime"] = d.get("PayPerRequestSince", t.created)
        out = {"RegionName": t.region, "ReplicaStatus": "ACTIVE", "ReplicaBillingModeSummary": billing}
        if provisioned:
            pt = d.get("ProvisionedThroughput") or {}
            out["ReplicaProvisionedReadCapacityUnits"] = pt.get("ReadCapacityUnits", 0)
            out["ReplicaProvisionedReadCapacityAutoScalingSettings"] = describe_settings(settings_of(d, "Read"))
            out["ReplicaProvisionedWriteCapacityUnits"] = pt.get("WriteCapacityUnits", 0)
            out["ReplicaProvisionedWriteCapacityAutoScalingSettings"] = describe_settings(settings_of(d, "Write"))
        indexes = []
        for ix in d.get("GlobalSecondaryIndexes") or ():
            entry = {"IndexName": ix["IndexName"], "IndexStatus": "ACTIVE"}
            if provisioned:
                pt = ix.get("ProvisionedThroughput") or {}
                entry.update({
                    "ProvisionedReadCapacityUnits": pt.get("ReadCapacityUnits"),
                    "ProvisionedReadCapacityAutoScalingSettings": describe_settings(
                        settings_of(d, "Read", ix["IndexName"])),
                    "ProvisionedWriteCapacityUnits": pt.get("WriteCapacityUnits"),
                    "ProvisionedWriteCapacityAutoScalingSettings": describe_settings(
                        settings_of(d, "Write", ix["IndexName"]))})
            indexes.append({k: v for k, v in entry.items() if v is not None})
        if indexes:
            out["ReplicaGlobalSecondaryIndexSettings"] = indexes
        out["ReplicaTableClassSummary"] = {"TableClass": d.get("TableClass", "STANDARD")}
        return out

    def update_global_table_settings(self, ctx: RequestContext, params: dict) -> dict:
        name = params.get("GlobalTableName")
        check_table_name(name, "globalTableName")
        billing = params.get("GlobalTableBillingMode")
        one_of(billing, "globalTableBillingMode", ("PROVISIONED", "PAY_PER_REQUEST"))
        write_units = params.get("GlobalTableProvisionedWriteCapacityUnits")
        _positive(write_units, "globalTableProvisionedWriteCapacityUnits")
        write_scaling = params.get("GlobalTableProvisionedWriteCapacityAutoScalingSettingsUpdate")
        index_updates = params.get("GlobalTableGlobalSecondaryIndexSettingsUpdate")
        replica_updates = params.get("ReplicaSettingsUpdate")
        for member, value, most in (("globalTableGlobalSecondaryIndexSettingsUpdate", index_updates, 20),
                                    ("replicaSettingsUpdate", replica_updates, 50)):
            if value is not None and not 1 <= len(value) <= most:
                bound = "greater than or equal to 1" if not value else f"less than or equal to {most}"
                raise validation(f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
                                 f"Member must have length {bound}")
        regions, _ = self._legacy_row(ctx.account, name)
        if billing is None and write_units is None and write_scaling is None and not index_updates \
                and not replica_updates:
            raise validation(f"{INVALID}At least one of GlobalTableBillingMode, "
                             "GlobalTableProvisionedWriteCapacityUnits, "
                             "GlobalTableProvisionedWriteCapacityAutoScalingSettingsUpdate, "
                             "GlobalTableGlobalSecondaryIndexSettingsUpdate or ReplicaSettingsUpdate is required")
        members = [self.tables[(ctx.account, r, name)] for r in regions]
        new = {m.region: copy.deepcopy(m.definition) for m in members}
        now = self.clock.now()
        mode = billing or members[0].definition["BillingMode"]
        for d in new.values():
            if d["BillingMode"] != mode:
                if mode == "PAY_PER_REQUEST":
                    d["PayPerRequestSince"] = now
                d["BillingMode"] = mode
            if mode == "PAY_PER_REQUEST":
                # On-demand: no capacity to provision, nothing to scale.
                d["ProvisionedThroughput"] = None
                for ix in d.get("GlobalSecondaryIndexes") or ():
                    ix.pop("ProvisionedThroughput", None)
                d.pop("AutoScaling", None)
        capacity_asked = write_units is not None or write_scaling is not None or any(
            k in (u or {}) for u in (index_updates or ()) for k in
            ("ProvisionedWriteCapacityUnits", "ProvisionedWriteCapacityAutoScalingSettingsUpdate")) or any(
            k in (u or {}) for u in (replica_updates or ()) for k in
            ("ReplicaProvisionedReadCapacityUnits", "ReplicaProvisionedReadCapacityAutoScalingSettingsUpdate",
             "ReplicaGlobalSecondaryIndexSettingsUpdate"))
        if mode == "PAY_PER_REQUEST" and capacity_asked:
            raise validation(f"{INVALID}Provisioned capacity and auto scaling settings cannot be specified for a "
                             "global table in PAY_PER_REQUEST billing mode")
        gsis = {ix["IndexName"] for ix in members[0].definition.get("GlobalSecondaryIndexes") or ()}

        def gsi(d: dict, index: str) -> dict:
            return next(ix for ix in d["GlobalSecondaryIndexes"] if ix["IndexName"] == index)

        for d in new.values():
            if write_units is not None:
                _set_units(d, "WriteCapacityUnits", write_units)
            if write_scaling is not None:
                set_settings(d, "Write", merge_settings(
                    settings_of(d, "Write"), write_scaling, "globalTableProvisionedWriteCapacityAutoScalingSettingsUpdate",
                    ctx.account, policy_name("Write", name)))
        for u in index_updates or ():
            index = require(u.get("IndexName"), "globalTableGlobalSecondaryIndexSettingsUpdate.member.indexName")
            if index not in gsis:
                raise _index_not_found(index, name)
            _positive(u.get("ProvisionedWriteCapacityUnits"),
                      "globalTableGlobalSecondaryIndexSettingsUpdate.member.provisionedWriteCapacityUnits")
            for d in new.values():
                if u.get("ProvisionedWriteCapacityUnits") is not None:
                    _set_units(gsi(d, index), "WriteCapacityUnits", u["ProvisionedWriteCapacityUnits"])
                if u.get("ProvisionedWriteCapacityAutoScalingSettingsUpdate") is not None:
                    set_settings(d, "Write", merge_settings(
                        settings_of(d, "Write", index), u["ProvisionedWriteCapacityAutoScalingSettingsUpdate"],
                        "globalTableGlobalSecondaryIndexSettingsUpdate.member."
                        "provisionedWriteCapacityAutoScalingSettingsUpdate", ctx.account,
                        policy_name("Write", name, index)), index)
        for u in replica_updates or ():
            region = require(u.get("RegionName"), "replicaSettingsUpdate.member.regionName")
            if region not in new:
                raise ServiceError("ReplicaNotFoundException",
                                   f"Replica not found in region {region} for global table {name}")
            d = new[region]
            _positive(u.get("ReplicaProvisionedReadCapacityUnits"),
                      "replicaSettingsUpdate.member.replicaProvisionedReadCapacityUnits")
            if u.get("ReplicaProvisionedReadCapacityUnits") is not None:
                _set_units(d, "ReadCapacityUnits", u["ReplicaProvisionedReadCapacityUnits"])
            if u.get("ReplicaProvisionedReadCapacityAutoScalingSettingsUpdate") is not None:
                set_settings(d, "Read", merge_settings(
                    settings_of(d, "Read"), u["ReplicaProvisionedReadCapacityAutoScalingSettingsUpdate"],
                    "replicaSettingsUpdate.member.replicaProvisionedReadCapacityAutoScalingSettingsUpdate",
                    ctx.account, policy_name("Read", name)))
            updates = u.get("ReplicaGlobalSecondaryIndexSettingsUpdate")
            if updates is not None and not 1 <= len(updates) <= 20:
                raise validation("1 validation error detected: Value at 'replicaSettingsUpdate.member."
                                 "replicaGlobalSecondaryIndexSettingsUpdate' failed to satisfy constraint: Member "
                                 "must have length " + ("greater than or equal to 1" if not updates
                                                        else "less than or equal to 20"))
            for iu in updates or ():
                index = require(iu.get("IndexName"),
                                "replicaSettingsUpdate.member.replicaGlobalSecondaryIndexSettingsUpdate.member.indexName")
                if index not in gsis:
                    raise _index_not_found(index, name)
                _positive(iu.get("ProvisionedReadCapacityUnits"), "replicaSettingsUpdate.member."
                          "replicaGlobalSecondaryIndexSettingsUpdate.member.provisionedReadCapacityUnits")
                if iu.get("ProvisionedReadCapacityUnits") is not None:
                    _set_units(gsi(d, index), "ReadCapacityUnits", iu["ProvisionedReadCapacityUnits"])
                if iu.get("ProvisionedReadCapacityAutoScalingSettingsUpdate") is not None:
                    set_settings(d, "Read", merge_settings(
                        settings_of(d, "Read", index), iu["ProvisionedReadCapacityAutoScalingSettingsUpdate"],
                        "replicaSettingsUpdate.member.replicaGlobalSecondaryIndexSettingsUpdate.member."
                        "provisionedReadCapacityAutoScalingSettingsUpdate", ctx.account,
                        policy_name("Read", name, index)), index)
            one_of(u.get("ReplicaTableClass"), "replicaSettingsUpdate.member.replicaTableClass", _CLASSES)
            if u.get("ReplicaTableClass") is not None:
                d["TableClass"] = u["ReplicaTableClass"]
        if mode == "PROVISIONED":
            # Every replica ends with a whole provisioned throughput (switching from on-demand
            # needs the write units above and each Region's read units).
            for d in new.values():
                check_throughput(d.get("ProvisionedThroughput"), "PROVISIONED")
                for ix in d.get("GlobalSecondaryIndexes") or ():
                    check_throughput(ix.get("ProvisionedThroughput"), "PROVISIONED", ix["IndexName"])
        with self.db.transaction():
            for m in members:
                m.definition = new[m.region]
                self._save(m)
        return {"GlobalTableName": name, "ReplicaSettings": [self._replica_settings(m) for m in members]}
