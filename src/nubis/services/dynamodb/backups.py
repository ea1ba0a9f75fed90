"""On-demand backups: CreateBackup, DescribeBackup, ListBackups, DeleteBackup
and RestoreTableFromBackup, as the API reference describes them. A mixin of
``DynamoDBProvider``.

A backup is taken in one transaction (its items are the table's at the call)
and is AVAILABLE at once, so ``BackupInUseException`` (a backup still being
created) never arises here. A restore makes the new table in the same
request: its answer says CREATING, as AWS's does, and DescribeTable then says
ACTIVE with the ``RestoreSummary``. As the developer guide says, a restored
table keeps its key schema, indexes, billing mode and encryption (or the
request's overrides) but not its stream, TTL, tags or PITR setting.
"""
from __future__ import annotations

import copy
import datetime as _dt
import json
import secrets
import uuid

from ...protocol.errors import ServiceError
from . import items as it
from . import tables as tb
from .backup_store import BackupStore
from .store import decode
from .tables import Table, validation

_TYPES = ("USER", "SYSTEM", "AWS_BACKUP", "ALL")


def seconds(value) -> float:
    """A timestamp member (datetime from the protocol layer) as epoch seconds."""
    return value.timestamp() if isinstance(value, _dt.datetime) else float(value)


def backup_not_found(arn) -> ServiceError:
    return ServiceError("BackupNotFoundException", f"Backup not found: {arn}", 400)


class Backups:
    @property
    def backup_store(self) -> BackupStore:
        store = self.__dict__.get("_backup_store")
        if store is None:
            store = self.__dict__["_backup_store"] = BackupStore(self.db)
        return store

    def _source_table(self, ctx, name) -> Table:
        try:
            return self._table(ctx, name)
        except ServiceError as e:
            if e.code != "ResourceNotFoundException":
                raise
            raise ServiceError("TableNotFoundException", f"Table not found: {name}") from None

    # -- CreateBackup ---------------------------------------------------------------------

    def create_backup(self, ctx, params: dict) -> dict:
        t = self._source_table(ctx, params.get("TableName"))
        name = params.get("BackupName")
        tb.check_table_name(name, "backupName")
        return {"BackupDetails": self._take_backup(t, name, "USER")}

    def _take_backup(self, t: Table, name: str, kind: str, expires: float | None = None) -> dict:
        """Snapshot ``t`` as a backup of ``kind`` (USER, or SYSTEM for a deleted PITR table); its BackupDetails."""
        now = self.clock.now()
        arn = f"{t.arn}/backup/{int(now * 1000):013d}-{secrets.token_hex(4)}"
        described = self._describe(t)
        details = {"BackupArn": arn, "BackupName": name, "BackupStatus": "AVAILABLE", "BackupType": kind,
                   "BackupCreationDateTime": now}
        if expires is not None:
            details["BackupExpiryDateTime"] = expires
        source = _source_details(t, described, described["ItemCount"], described["TableSizeBytes"])
        description = {"BackupDetails": details, "SourceTableDetails": source,
                       "SourceTableFeatureDetails": _features(t)}
        self.backup_store.create_backup(arn, t.account, t.region, t.name, now, kind, description,
                                        copy.deepcopy(t.definition), t.id)
        details["BackupSizeBytes"] = description.pop("BackupSizeBytes")
        description.pop("ItemCount")
        return details

    def _backup(self, ctx, arn) -> dict:
        tb.require(arn, "backupArn")
        b = self.backup_store.backup(arn)
        if b is None or b["account"] != ctx.account:
            raise backup_not_found(arn)
        return b

    def describe_backup(self, ctx, params: dict) -> dict:
        return {"BackupDescription": _description(self._backup(ctx, params.get("BackupArn")))}

    def list_backups(self, ctx, params: dict) -> dict:
        limit = params.get("Limit") or 100
        if not 1 <= limit <= 100:
            raise validation(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                             "Member must have value " + ("less than or equal to 100" if limit > 100
                                                          else "greater than or equal to 1"))
        kind = params.get("BackupType") or "USER"
        tb.one_of(kind, "backupType", _TYPES)
        low, high = params.get("TimeRangeLowerBound"), params.get("TimeRangeUpperBound")
        low = seconds(low) if low is not None else None
        high = seconds(high) if high is not None else None
        # The lower bound is inclusive, the upper one exclusive (the API reference).
        if low is not None and high is not None and low > high:
            raise validation("TimeRangeUpperBound must be greater than TimeRangeLowerBound")
        out = []
        for b in self.backup_store.backups(ctx.account, ctx.region):
            table = params.get("TableName")
            if table and table not in (b["table_name"], b["description"]["SourceTableDetails"]["TableArn"]):
                continue
            if kind != "ALL" and b["kind"] != kind:
                continue
            if (low is not None and b["created"] < low) or (high is not None and b["created"] >= high):
                continue
            out.append(b)
        start = params.get("ExclusiveStartBackupArn")
        if start:
            arns = [b["arn"] for b in out]
            out = out[arns.index(start) + 1:] if start in arns else []
        page = out[:limit]
        result: dict = {"BackupSummaries": [_summary(b) for b in page]}
        if len(out) > limit:
            result["LastEvaluatedBackupArn"] = page[-1]["arn"]
        return result

    def delete_backup(self, ctx, params: dict) -> dict:
        b = self._backup(ctx, params.get("BackupArn"))
        self.backup_store.delete_backup(b["arn"])
        description = _description(b)
        description["BackupDetails"]["BackupStatus"] = "DELETED"
        return {"BackupDescription": description}

    # -- restores --------------------------------------------------------------------------

    def restore_table_from_backup(self, ctx, params: dict) -> dict:
        target = params.get("TargetTableName")
        tb.check_table_name(target, "targetTableName")
        b = self._backup(ctx, params.get("BackupArn"))
        summary = {"SourceBackupArn": b["arn"], "SourceTableArn": b["description"]["SourceTableDetails"]["TableArn"],
                   "RestoreDateTime": b["created"], "RestoreInProgress": False}
        return self._restore(ctx, target, b["definition"], self.backup_store.backup_rows(b["arn"]), params, summary)

    def _restore(self, ctx, target: str, definition: dict, rows, params: dict, summary: dict) -> dict:
        """A new table ``target`` with ``definition`` (less what a restore drops, plus the
        request's overrides) holding ``rows`` (hk, rk, body, size)."""
        if (ctx.account, ctx.region, target) in self.tables:
            raise ServiceError("TableAlreadyExistsException", f"Table already exists: {target}")
        d = copy.deepcopy(definition)
        for gone in ("PointInTimeRecovery", "StreamSpecification", "StreamLabel", "RestoreSummary", "Replicas",
                     "GlobalTableVersion", "KinesisDestinations", "ContributorInsights", "AutoScaling"):
            d.pop(gone, None)
        billing = params.get("BillingModeOverride")
        tb.one_of(billing, "billingModeOverride", ("PROVISIONED", "PAY_PER_REQUEST"))
        if billing is not None:
            d["BillingMode"] = billing
            if billing == "PAY_PER_REQUEST":
                d["ProvisionedThroughput"] = None
        if params.get("ProvisionedThroughputOverride") is not None:
            d["ProvisionedThroughput"] = params["ProvisionedThroughputOverride"]
        if d["BillingMode"] == "PROVISIONED" and not d.get("ProvisionedThroughput"):
            raise validation(f"{tb.INVALID}ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
        for member in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            override = params.get(member[:-2] + "Override")
            if override is not None:
                known = {ix["IndexName"] for ix in d.get(member) or ()}
                # The override keeps a subset of the source's indexes (the API reference).
                for ix in override:
                    if ix.get("IndexName") not in known:
                        raise validation(f"{tb.INVALID}{member[:-2]}Override can only keep indexes of the source "
                                         f"table: {ix.get('IndexName')} is not one of them")
                d[member] = override
            if d["BillingMode"] == "PAY_PER_REQUEST":
                for ix in d.get(member) or ():
                    ix.pop("ProvisionedThroughput", None)
        if params.get("SSESpecificationOverride") is not None:
            d["SSESpecification"] = params["SSESpecificationOverride"]
        used = {k["AttributeName"] for k in d["KeySchema"]}
        for member in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            for ix in d.get(member) or ():
                used.update(k["AttributeName"] for k in ix["KeySchema"])
        d["AttributeDefinitions"] = [a for a in d["AttributeDefinitions"] if a["AttributeName"] in used]
        d["TableId"] = str(uuid.uuid4())
        d["DeletionProtectionEnabled"] = False
        d["RestoreSummary"] = summary
        now = self.clock.now()
        with self.db.transaction():
            table_id = self.store.create_table(ctx.account, ctx.region, target, d, {}, now)
            t = Table(table_id, ctx.account, ctx.region, target, d, now, {})
            for hk, rk, body, size in rows:
                self.store.db.execute("INSERT INTO dynamodb_items(table_id, hk, rk, body, size) VALUES (?, ?, ?, ?, ?)",
                                      (table_id, hk, rk, body, size))
                if t.indexes:
                    entries = it.index_entries(t, decode(body))
                    if entries:
                        self.store.put_entries(table_id, hk, rk, list(entries))
        self.tables[(ctx.account, ctx.region, target)] = t
        self._save(t)
        description = self._describe(t, "CREATING")
        description["RestoreSummary"] = {**summary, "RestoreInProgress": True}
        return {"TableDescription": description}


def _source_details(t: Table, described: dict, count: int, size: int) -> dict:
    d = t.definition
    out = {"TableName": t.name, "TableId": d["TableId"], "TableArn": t.arn, "TableSizeBytes": size,
           "KeySchema": d["KeySchema"], "TableCreationDateTime": t.created,
           "ProvisionedThroughput": {"ReadCapacityUnits": described["ProvisionedThroughput"]["ReadCapacityUnits"],
                                     "WriteCapacityUnits": described["ProvisionedThroughput"]["WriteCapacityUnits"]},
           "ItemCount": count, "BillingMode": d["BillingMode"]}
    return out


def _features(t: Table) -> dict:
    d = t.definition
    out: dict = {}
    if d.get("LocalSecondaryIndexes"):
        out["LocalSecondaryIndexes"] = [{k: ix[k] for k in ("IndexName", "KeySchema", "Projection")}
                                        for ix in d["LocalSecondaryIndexes"]]
    if d.get("GlobalSecondaryIndexes"):
        out["GlobalSecondaryIndexes"] = [{k: ix[k] for k in ("IndexName", "KeySchema", "Projection",
                                                              "ProvisionedThroughput") if ix.get(k)}
                                         for ix in d["GlobalSecondaryIndexes"]]
    if d.get("StreamSpecification"):
        out["StreamDescription"] = d["StreamSpecification"]
    if t.ttl and t.ttl.get("Enabled"):
        out["TimeToLiveDescription"] = {"TimeToLiveStatus": "ENABLED", "AttributeName": t.ttl["AttributeName"]}
    sse = d.get("SSESpecification")
    if sse and sse.get("Enabled"):
        out["SSEDescription"] = {"Status": "ENABLED", "SSEType": sse.get("SSEType", "KMS")}
    return out


def _description(b: dict) -> dict:
    out = json.loads(json.dumps(b["description"]))
    out["BackupDetails"]["BackupSizeBytes"] = out.pop("BackupSizeBytes", 0)
    out.pop("ItemCount", None)
    return out


def _summary(b: dict) -> dict:
    d = b["description"]
    src = d["SourceTableDetails"]
    details = d["BackupDetails"]
    return {"TableName": src["TableName"], "TableId": src["TableId"], "TableArn": src["TableArn"],
            "BackupArn": b["arn"], "BackupName": details["BackupName"],
            "BackupCreationDateTime": details["BackupCreationDateTime"], "BackupStatus": "AVAILABLE",
            "BackupType": b["kind"], "BackupSizeBytes": d.get("BackupSizeBytes", 0),
            **({"BackupExpiryDateTime": details["BackupExpiryDateTime"]} if "BackupExpiryDateTime" in details else {})}
