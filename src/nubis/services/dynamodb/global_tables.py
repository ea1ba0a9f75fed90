"""Global tables, version 2019.11.21: one table name in several Regions of an
account, each a replica that takes writes and passes them on to the others.

``UpdateTable`` with ``ReplicaUpdates`` creates (or deletes) the same table
in another Region of nubis, copies the items there, and lists the group in
each member's definition (``Replicas``: the other Regions). A write to any
member is passed on asynchronously: a durable timer per other Region, set in
the write's transaction, applies it there half a second of clock time later. Conflicts resolve by last writer
wins: each item keeps the time of its last write (``dynamodb_replica_versions``,
which plays the part of AWS's hidden ``aws:rep:updatetime``; ties go to the
Region that sorts last), and a replicated write older than what a Region has
is dropped. Each Region's stream records the changes applied there.
"""
from __future__ import annotations

import base64
import copy
import json
import re
import uuid

from ...protocol.errors import ServiceError
from ..base import RequestContext
from . import items as it
from .store import decode, encode
from .tables import INVALID, Table, check_table_name, require, validation

REPLICATE = "dynamodb:replicate"
# How long a write takes to reach the other Regions (AWS: typically within a second).
LAG = 0.5
VERSION = "2019.11.21"
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")


class Replicas:
    def __init__(self, provider):
        self.p = provider
        self.db = provider.db
        self.clock = provider.clock
        self.scheduler = provider.scheduler
        # True while a replicated write is applied: it is not passed on again.
        self.applying = False
        self.scheduler.on(REPLICATE, self._apply)

    # -- UpdateTable's ReplicaUpdates -----------------------------------------------------------

    def update(self, t: Table, d: dict, updates: list) -> bool:
        """Apply ReplicaUpdates to the group of ``t`` (whose new definition is ``d``)."""
        regions = list(d.get("Replicas") or ())
        creates, deletes = [], []
        for u in updates:
            kinds = [k for k in ("Create", "Update", "Delete") if u.get(k) is not None]
            if len(kinds) != 1:
                raise validation(f"{INVALID}One of ReplicationGroupUpdate.Create, ReplicationGroupUpdate.Update, "
                                 "ReplicationGroupUpdate.Delete must be specified")
            action = u[kinds[0]]
            region = action.get("RegionName")
            if not region or not _REGION.match(region):
                raise validation(f"{INVALID}Invalid region name: {region}")
            if kinds[0] == "Create":
                if region == t.region or region in regions or (t.account, region, t.name) in self.p.tables:
                    raise validation(f"Failed to create a the new replica of table with name: '{t.name}' because "
                                     "one or more replicas already existed as tables.")
                regions.append(region)
                creates.append(region)
            elif region not in regions:
                raise validation(f"Update global table operation failed because the specified replica does not "
                                 f"exist: {region}" if kinds[0] == "Update" else
                                 f"Cannot delete replica: no replica of table {t.name} in region {region}")
            elif kinds[0] == "Delete":
                regions.remove(region)
                deletes.append(region)
        if creates:
            # Replication reads the table's stream of new and old images (the console turns it on too).
            stream = d.get("StreamSpecification")
            if stream is None:
                d["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
                from .tables import stream_label
                d["StreamLabel"] = stream_label(self.clock.now())
            elif stream.get("StreamViewType") != "NEW_AND_OLD_IMAGES":
                raise validation(f"{INVALID}A replica can be added only to a table whose stream has the view "
                                 "type NEW_AND_OLD_IMAGES")
        with self.db.transaction():
            for region in deletes:
                member = self.p.tables.get((t.account, region, t.name))
                if member is not None:
                    member.definition.pop("Replicas", None)
                    self.p.store.delete_table(member.id)
                    self.p.streams.dropped(member)
                    del self.p.tables[(member.account, member.region, member.name)]
            for region in creates:
                self._create(t, d, region)
            group = [t.region] + regions
            for region in regions:
                member = self.p.tables[(t.account, region, t.name)]
                member.definition["Replicas"] = [r for r in group if r != region]
                self.p._save(member)
        if regions:
            d["Replicas"] = regions
        else:
            d.pop("Replicas", None)
        return True

    def _create(self, t: Table, d: dict, region: str) -> None:
        definition = copy.deepcopy(d)
        definition["TableId"] = str(uuid.uuid4())
        definition.pop("Replicas", None)
        definition.pop("ContributorInsights", None)  # a Region's own setting
        now = self.clock.now()
        table_id = self.p.store.create_table(t.account, region, t.name, definition, dict(t.tags), now)
        member = Table(table_id, t.account, region, t.name, definition, now, dict(t.tags),
                       copy.deepcopy(t.ttl) if t.ttl else None)
        self.p.tables[(t.account, region, t.name)] = member
        self.p._save(member)
        # The items there already (AWS copies them before the replica is ACTIVE).
        self.copy_items(t, member)

    def copy_items(self, source: Table, member: Table) -> None:
        """A new member of the group gets the items (and their write times) of ``source``."""
        self.applying = True
        try:
            for hk, rk, body, size in self.p.store.scan(source.id, None, 500):
                self.p._write(member, hk, rk, None, decode(body), size)
        finally:
            self.applying = False
        self.db.execute("INSERT OR REPLACE INTO dynamodb_replica_versions(table_id, hk, rk, ts, region) "
                        "SELECT ?, hk, rk, ts, region FROM dynamodb_replica_versions WHERE table_id = ?",
                        (member.id, source.id))

    def dropped(self, t: Table) -> None:
        """The table was deleted: the rest of its group no longer lists its Region."""
        self.db.execute("DELETE FROM dynamodb_replica_versions WHERE table_id = ?", (t.id,))
        for region in t.definition.get("Replicas") or ():
            member = self.p.tables.get((t.account, region, t.name))
            if member is not None and member.definition.get("Replicas"):
                rest = [r for r in member.definition["Replicas"] if r != t.region]
                if rest:
                    member.definition["Replicas"] = rest
                else:
                    member.definition.pop("Replicas")
                self.p._save(member)

    # -- passing writes on -------------------------------------------------------------------------

    def _version(self, table_id: int, hk: bytes, rk: bytes):
        return self.db.query_one("SELECT ts, region FROM dynamodb_replica_versions WHERE table_id = ? AND hk = ? "
                                 "AND rk = ?", (table_id, hk, rk))

    def _set_version(self, table_id: int, hk: bytes, rk: bytes, ts: float, region: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO dynamodb_replica_versions(table_id, hk, rk, ts, region) "
                        "VALUES (?, ?, ?, ?, ?)", (table_id, hk, rk, ts, region))

    def watch(self, t: Table, hk: bytes, rk: bytes, old: dict | None, new: dict | None) -> None:
        if self.applying or old == new:
            return
        now = self.clock.now()
        current = self._version(t.id, hk, rk)
        # Later than anything this Region has seen for the item, even on a clock that stands still.
        ts = now if current is None or current[0] < now else current[0] + 1e-6
        self._set_version(t.id, hk, rk, ts, t.region)
        item = None if new is None else base64.b64encode(encode(new)).decode()
        for region in t.definition.get("Replicas") or ():
            self.scheduler.at(now + LAG, REPLICATE, {"account": t.account, "from": t.region, "region": region,
                                               "table": t.name, "hk": hk.hex(), "rk": rk.hex(), "item": item,
                                               "ts": ts})

    def _apply(self, job: dict) -> None:
        member = self.p.tables.get((job["account"], job["region"], job["table"]))
        if member is None:
            return
        hk, rk = bytes.fromhex(job["hk"]), bytes.fromhex(job["rk"])
        new = None if job["item"] is None else decode(base64.b64decode(job["item"]))
        with self.db.transaction():
            current = self._version(member.id, hk, rk)
            if current is not None and (current[0], current[1]) >= (job["ts"], job["from"]):
                return
            old = self.p.store.get(member.id, hk, rk)
            self.applying = True
            try:
                if old is not None or new is not None:
                    self.p._write(member, hk, rk, old, new, it.dt.item_size(new) if new is not None else 0)
            finally:
                self.applying = False
            self._set_version(member.id, hk, rk, job["ts"], job["from"])



# -- version 2017.11.29 (legacy): CreateGlobalTable and the rest ------------------------------------

LEGACY = "2017.11.29"


def _global_not_found(name) -> ServiceError:
    return ServiceError("GlobalTableNotFoundException", f"Global table not found: {name}")


class LegacyGlobalTables:
    """The version 2017.11.29 operations of the DynamoDB provider (a mixin: ``self`` is
    the provider). A legacy global table links tables that already exist, empty and
    with a NEW_AND_OLD_IMAGES stream, in each Region; they then replicate as above."""

    def _legacy_members(self, account: str, name: str, regions: list) -> list[Table]:
        out = []
        for region in regions:
            t = self.tables.get((account, region, name))
            if t is None:
                raise ServiceError("TableNotFoundException", f"Table not found: {name} in region {region}")
            stream = t.definition.get("StreamSpecification") or {}
            if stream.get("StreamViewType") != "NEW_AND_OLD_IMAGES":
                raise validation(f"{INVALID}Table {name} in region {region} must have DynamoDB Streams enabled "
                                 "with the stream view type NEW_AND_OLD_IMAGES")
            out.append(t)
        return out

    def _link(self, members: list[Table]) -> None:
        """Make the tables one replication group (each lists the others' Regions)."""
        regions = [m.region for m in members]
        for m in members:
            m.definition["Replicas"] = [r for r in regions if r != m.region]
            m.definition["GlobalTableVersion"] = LEGACY
            self._save(m)

    def _legacy_row(self, account: str, name):
        row = self.db.query_one("SELECT regions, created FROM dynamodb_global_tables WHERE account = ? AND name = ?",
                                (account, name))
        if row is None:
            raise _global_not_found(name)
        regions = [r for r in json.loads(row[0]) if (account, r, name) in self.tables]
        return regions, row[1]

    def _legacy_description(self, account: str, name: str, regions: list, created: float) -> dict:
        return {"GlobalTableName": name, "GlobalTableArn": f"arn:aws:dynamodb::{account}:global-table/{name}",
                "CreationDateTime": created, "GlobalTableStatus": "ACTIVE",
                "ReplicationGroup": [{"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in regions]}

    def create_global_table(self, ctx: RequestContext, params: dict) -> dict:
        name = params.get("GlobalTableName")
        check_table_name(name, "globalTableName")
        group = require(params.get("ReplicationGroup"), "replicationGroup")
        regions = []
        for g in group:
            region = require(g.get("RegionName"), "replicationGroup.member.regionName")
            if region not in regions:
                regions.append(region)
        if self.db.query_one("SELECT 1 FROM dynamodb_global_tables WHERE account = ? AND name = ?",
                             (ctx.account, name)):
            raise ServiceError("GlobalTableAlreadyExistsException", "Global table with this name already exists")
        members = self._legacy_members(ctx.account, name, regions)
        for m in members:
            if m.definition.get("Replicas"):
                raise validation(f"{INVALID}Table {name} in region {m.region} is already a replica of a global table")
            if self.store.stats(m.id)[0]:
                raise validation(f"{INVALID}Replica table {name} in region {m.region} must be empty")
        now = self.clock.now()
        with self.db.transaction():
            self.db.execute("INSERT INTO dynamodb_global_tables(account, name, regions, created) VALUES (?, ?, ?, ?)",
                            (ctx.account, name, json.dumps(regions), now))
            self._link(members)
        return {"GlobalTableDescription": self._legacy_description(ctx.account, name, regions, now)}

    def describe_global_table(self, ctx: RequestContext, params: dict) -> dict:
        name = params.get("GlobalTableName")
        regions, created = self._legacy_row(ctx.account, name)
        return {"GlobalTableDescription": self._legacy_description(ctx.account, name, regions, created)}

    def list_global_tables(self, ctx: RequestContext, params: dict) -> dict:
        limit = params.get("Limit") or 100
        if limit < 1:
            raise validation(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                             "Member must have value greater than or equal to 1")
        rows = self.db.query("SELECT name FROM dynamodb_global_tables WHERE account = ? AND name > ? ORDER BY name",
                             (ctx.account, params.get("ExclusiveStartGlobalTableName") or ""))
        out = []
        for (name,) in rows:
            regions, _ = self._legacy_row(ctx.account, name)
            if params.get("RegionName") and params["RegionName"] not in regions:
                continue
            out.append({"GlobalTableName": name, "ReplicationGroup": [{"RegionName": r} for r in regions]})
        answer: dict = {"GlobalTables": out[:limit]}
        if len(out) > limit:
            answer["LastEvaluatedGlobalTableName"] = out[limit - 1]["GlobalTableName"]
        return answer

    def update_global_table(self, ctx: RequestContext, params: dict) -> dict:
        name = params.get("GlobalTableName")
        regions, created = self._legacy_row(ctx.account, name)
        regions = list(regions)
        removed = []
        for u in require(params.get("ReplicaUpdates"), "replicaUpdates"):
            if u.get("Create"):
                region = u["Create"].get("RegionName")
                if region in regions:
                    raise ServiceError("ReplicaAlreadyExistsException",
                                       f"Replica already exists in region {region} for global table {name}")
                (m,) = self._legacy_members(ctx.account, name, [region])
                if m.definition.get("Replicas"):
                    raise validation(f"{INVALID}Table {name} in region {region} is already a replica of a global "
                                     "table")
                # The developer guide: a replica is added only while the global table is empty.
                for r in regions + [region]:
                    if self.store.stats(self.tables[(ctx.account, r, name)].id)[0]:
                        raise validation(f"{INVALID}Replicas can be added only while the global table is empty: "
                                         f"table {name} in region {r} has items")
                regions.append(region)
            elif u.get("Delete"):
                region = u["Delete"].get("RegionName")
                if region not in regions:
                    raise ServiceError("ReplicaNotFoundException",
                                       f"Replica not found in region {region} for global table {name}")
                regions.remove(region)
                removed.append(region)
        with self.db.transaction():
            for region in removed:
                t = self.tables.get((ctx.account, region, name))
                if t is not None:
                    t.definition.pop("Replicas", None)
                    t.definition.pop("GlobalTableVersion", None)
                    self._save(t)
            self._link([self.tables[(ctx.account, r, name)] for r in regions])
            self.db.execute("UPDATE dynamodb_global_tables SET regions = ? WHERE account = ? AND name = ?",
                            (json.dumps(regions), ctx.account, name))
        return {"GlobalTableDescription": self._legacy_description(ctx.account, name, regions, created)}

    def describe_global_table_settings(self, ctx: RequestContext, params: dict) -> dict:
        name = params.get("GlobalTableName")
        regions, _ = self._legacy_row(ctx.account, name)
        # Each Region's settings, as UpdateGlobalTableSettings answers them (global_settings.py).
        return {"GlobalTableName": name,
                "ReplicaSettings": [self._replica_settings(self.tables[(ctx.account, r, name)]) for r in regions]}
