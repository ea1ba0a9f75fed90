"""Amazon DynamoDB: tables, items, Query and Scan, batches and transactions.

Operations follow the API reference. Tables are few and read on every
request, so their definitions are kept in memory and written through; items
never are: every item operation is one or two SQLite statements on rows keyed
by the order-preserving bytes of the item's key (see ``store.py``).
"""
from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import zlib

from ...protocol.errors import ServiceError
from ...protocol.json import Fragment
from ..base import Provider, RequestContext
from . import items as it
from . import tables as tb
from .auto_scaling import ReplicaAutoScaling
from .backups import Backups
from .contributor_insights import ContributorInsights
from .export_import import ExportImport
from .partiql.operations import PartiQL
from .pitr import PointInTimeRecovery
from .global_settings import GlobalTableSettings
from .global_tables import LegacyGlobalTables, Replicas
from .kinesis_destinations import KinesisDestinations
from .store import MIGRATIONS, DynamoStore, decode, wire
from .streams import Streams
from .tables import INVALID, Table, not_found, validation
from .ttl import Expiry

PAGE_BYTES = 1024 * 1024
BATCH_GET_BYTES = 16 * 1024 * 1024
MAX_BATCH_GET = 100
MAX_BATCH_WRITE = 25
MAX_TRANSACT = 100
TOKEN_LIFETIME = 600.0
_ARN = re.compile(r"^arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):(\d{12}):table/([a-zA-Z0-9_.-]+)$")
_SELECT = ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT")


class DynamoDBProvider(Backups, PointInTimeRecovery, ExportImport, PartiQL, LegacyGlobalTables, GlobalTableSettings,
                       KinesisDestinations, ContributorInsights, ReplicaAutoScaling, Provider):
    service = "dynamodb"
    migrations = MIGRATIONS

    def start(self) -> None:
        self.store = DynamoStore(self.db)
        self.store.convert_items()
        self.tables: dict[tuple[str, str, str], Table] = {}
        self.streams, self.expiry, self.replicas = Streams(self), Expiry(self), Replicas(self)
        self.load()
        self.db.on_rollback(self._forget_stats)
        self.start_pitr()  # timers: the PITR log's compaction, SYSTEM backups' expiry (pitr.py)

    def _forget_stats(self) -> None:
        for t in self.tables.values():
            t.stats = None

    def reset(self) -> None:
        self.load()

    def load(self) -> None:
        self.tables.clear()
        for r in self.store.tables():
            t = Table(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], json.loads(r[6]),
                      json.loads(r[7]) if r[7] else None, r[8])
            self.tables[(t.account, t.region, t.name)] = t
        self.streams.load()
        for t in self.tables.values():
            self.streams.follow(t)

    # -- lookups -------------------------------------------------------------------------

    def _table(self, ctx: RequestContext, name, described: bool = False) -> Table:
        """The table a request names (by name or ARN)."""
        t = self.tables.get((ctx.account, ctx.region, name))
        if t is not None:
            return t
        if name is not None and name.startswith("arn:"):
            m = _ARN.match(name)
            t = self.tables.get((m.group(2), m.group(1), m.group(3))) if m else None
        else:
            tb.check_table_name(name)
        if t is None:
            raise not_found(name if described else None)
        return t

    def _by_arn(self, arn) -> Table:
        m = _ARN.match(arn or "")
        t = self.tables.get((m.group(2), m.group(1), m.group(3))) if m else None
        if t is None:
            raise ServiceError("ResourceNotFoundException", f"Requested resource not found: ResourcArn: {arn} not found")
        return t

    def _save(self, t: Table) -> None:
        self.streams.follow(t)  # the stream, TTL index and replicas follow the definition
        self.store.save_table(t.id, t.definition, t.tags, t.ttl, t.policy)
        t.derive()

    def _describe(self, t: Table, status: str = "ACTIVE", index_status: dict | None = None) -> dict:
        def counts(index):
            if index is not None:
                return self.store.index_count(t.id, index)
            if t.stats is None:
                t.stats = list(self.store.stats(t.id))
            return tuple(t.stats)
        return tb.describe(t, counts, status, index_status)

    # -- tables ---------------------------------------------------------------------------

    def create_table(self, ctx: RequestContext, params: dict) -> dict:
        definition = tb.validate_create(params)
        name = params["TableName"]
        if (ctx.account, ctx.region, name) in self.tables:
            raise ServiceError("ResourceInUseException", f"Table already exists: {name}")
        now = self.clock.now()
        if definition.get("StreamSpecification"):
            definition["StreamLabel"] = tb.stream_label(now)
        tags = {t["Key"]: t["Value"] for t in params.get("Tags") or ()}
        table_id = self.store.create_table(ctx.account, ctx.region, name, definition, tags, now)
        t = Table(table_id, ctx.account, ctx.region, name, definition, now, tags)
        if params.get("ResourcePolicy"):
            t.policy = json.dumps({"Policy": params["ResourcePolicy"], "RevisionId": str(int(now * 1000))})
            self._save(t)
        self.tables[(ctx.account, ctx.region, name)] = t
        self._save(t)  # its stream begins (streams.py)
        # Creation is instant here: the answer says CREATING as AWS's does, and
        # the next DescribeTable (boto3's table_exists waiter) says ACTIVE.
        return {"TableDescription": self._describe(t, "CREATING", {n: "CREATING" for n, ix in t.indexes.items()
                                                                      if ix.kind == "GSI"})}

    def describe_table(self, ctx: RequestContext, params: dict) -> dict:
        return {"Table": self._describe(self._table(ctx, params.get("TableName"), described=True))}

    def list_tables(self, ctx: RequestContext, params: dict) -> dict:
        limit = params.get("Limit", 100)
        if limit < 1 or limit > 100:
            bound = "greater than or equal to 1" if limit < 1 else "less than or equal to 100"
            raise validation(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                             f"Member must have value {bound}")
        start = params.get("ExclusiveStartTableName")
        names = sorted(n for (a, r, n) in self.tables if a == ctx.account and r == ctx.region)
        if start is not None:
            names = [n for n in names if n > start]
        out = {"TableNames": names[:limit]}
        if len(names) > limit:
            out["LastEvaluatedTableName"] = names[limit - 1]
        return out

    def delete_table(self, ctx: RequestContext, params: dict) -> dict:
        t = self._table(ctx, params.get("TableName"), described=True)
        if t.definition.get("DeletionProtectionEnabled"):
            raise validation("Resource cannot be deleted as it is currently protected against deletion. "
                             "Disable deletion protection first.")
        description = self._describe(t, "DELETING")
        for key in ("GlobalSecondaryIndexes",):
            for ix in description.get(key, ()):
                ix["IndexStatus"] = "DELETING"
        self._deleted_with_pitr(t)  # a table deleted with PITR on leaves a SYSTEM backup (pitr.py)
        self.store.delete_table(t.id)
        self.streams.dropped(t)  # the stream closes, TTL and replication stop
        del self.tables[(t.account, t.region, t.name)]
        return {"TableDescription": description}

    def update_table(self, ctx: RequestContext, params: dict) -> dict:
        t = self._table(ctx, params.get("TableName"), described=True)
        d = copy.deepcopy(t.definition)
        changed = False
        index_status: dict = {}
        if params.get("AttributeDefinitions"):
            defs = {a["AttributeName"]: a for a in d["AttributeDefinitions"]}
            for a in params["AttributeDefinitions"]:
                if a["AttributeName"] in defs and defs[a["AttributeName"]]["AttributeType"] != a["AttributeType"]:
                    raise validation(f"{INVALID}Cannot change the type of attribute {a['AttributeName']}")
                defs[a["AttributeName"]] = a
            d["AttributeDefinitions"] = list(defs.values())
        billing = params.get("BillingMode")
        tb.one_of(billing, "billingMode", ("PROVISIONED", "PAY_PER_REQUEST"))
        if billing is not None:
            if billing == "PAY_PER_REQUEST" and d["BillingMode"] != billing:
                d["PayPerRequestSince"] = self.clock.now()
            d["BillingMode"] = billing
            if billing == "PAY_PER_REQUEST":
                tb.check_throughput(params.get("ProvisionedThroughput"), billing)
                d["ProvisionedThroughput"] = None
                for ix in d["GlobalSecondaryIndexes"]:
                    ix.pop("ProvisionedThroughput", None)
                d.pop("AutoScaling", None)  # on demand: nothing to scale (auto_scaling.py)
            changed = True
        if params.get("ProvisionedThroughput") is not None:
            tb.check_throughput(params["ProvisionedThroughput"], d["BillingMode"])
            d["ProvisionedThroughput"] = params["ProvisionedThroughput"]
            changed = True
        elif d["BillingMode"] == "PROVISIONED" and not d.get("ProvisionedThroughput"):
            raise validation(f"{INVALID}ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
        created: list[str] = []
        dropped: list[str] = []
        for update in params.get("GlobalSecondaryIndexUpdates") or ():
            changed = True
            if len([k for k in ("Create", "Update", "Delete") if update.get(k) is not None]) != 1:
                raise validation(f"{INVALID}One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate."
                                 "Create, GlobalSecondaryIndexUpdate.Delete must not be null")
            names = {ix["IndexName"] for ix in d["GlobalSecondaryIndexes"]} | \
                {ix["IndexName"] for ix in d["LocalSecondaryIndexes"]}
            if "Create" in update:
                ix = update["Create"]
                tb.check_index_name(ix.get("IndexName"))
                if ix["IndexName"] in names:
                    raise validation(f"{INVALID}Duplicate index name: {ix['IndexName']}"
                                     if ix["IndexName"] not in {g["IndexName"] for g in d["GlobalSecondaryIndexes"]}
                                     else f"Attempting to create an index which already exists: {ix['IndexName']}")
                if len(d["GlobalSecondaryIndexes"]) >= tb.MAX_GSI:
                    raise ServiceError("LimitExceededException",
                                       f"Subscriber limit exceeded: The number of global secondary indexes exceeds "
                                       f"the limit of {tb.MAX_GSI}")
                defined = {a["AttributeName"]: a["AttributeType"] for a in d["AttributeDefinitions"]}
                tb._check_key_schema(ix.get("KeySchema"), defined)
                tb._check_projection(ix)
                tb.check_throughput(ix.get("ProvisionedThroughput"), d["BillingMode"], ix["IndexName"])
                d["GlobalSecondaryIndexes"].append(ix)
                created.append(ix["IndexName"])
                index_status[ix["IndexName"]] = "CREATING"
            elif "Update" in update:
                u = update["Update"]
                target = next((g for g in d["GlobalSecondaryIndexes"] if g["IndexName"] == u.get("IndexName")), None)
                if target is None:
                    raise ServiceError("ResourceNotFoundException",
                                       f"Requested resource not found: Index: {u.get('IndexName')} not found")
                tb.check_throughput(u.get("ProvisionedThroughput"), d["BillingMode"], u["IndexName"])
                target["ProvisionedThroughput"] = u.get("ProvisionedThroughput")
                index_status[u["IndexName"]] = "UPDATING"
            elif "Delete" in update:
                name = update["Delete"].get("IndexName")
                if name not in {g["IndexName"] for g in d["GlobalSecondaryIndexes"]}:
                    raise ServiceError("ResourceNotFoundException",
                                       f"Requested resource not found: Index: {name} not found")
                d["GlobalSecondaryIndexes"] = [g for g in d["GlobalSecondaryIndexes"] if g["IndexName"] != name]
                # Its Contributor Insights and auto scaling settings go with it.
                (d.get("ContributorInsights") or {}).pop(name, None)
                (d.get("AutoScaling") or {}).get("Indexes", {}).pop(name, None)
                dropped.append(name)
        stream = params.get("StreamSpecification")
        if stream is not None:
            current = d.get("StreamSpecification")
            if stream.get("StreamEnabled"):
                if current:
                    raise validation(f"Table already has an enabled stream: TableName: {t.name}")
                if not stream.get("StreamViewType"):
                    raise validation("StreamSpecification: StreamViewType must be specified when StreamEnabled is "
                                     "true")
                d["StreamSpecification"] = stream
                d["StreamLabel"] = tb.stream_label(self.clock.now())
            else:
                if not current:
                    raise validation(f"Table has no stream to disable: TableName: {t.name}")
                d.pop("StreamSpecification", None)
            changed = True
        if params.get("DeletionProtectionEnabled") is not None:
            d["DeletionProtectionEnabled"] = params["DeletionProtectionEnabled"]
            changed = True
        if params.get("TableClass") is not None:
            d["TableClass"] = params["TableClass"]
            changed = True
        if params.get("SSESpecification") is not None:
            d["SSESpecification"] = params["SSESpecification"]
            changed = True
        if params.get("ReplicaUpdates"):
            changed = self.replicas.update(t, d, params["ReplicaUpdates"])  # global_tables.py
        if not changed and params.get("AttributeDefinitions") is None:
            raise validation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
                             "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
        with self.db.transaction():
            t.definition = d
            self._save(t)
            for name in dropped:
                self.store.drop_index(t.id, name)
            if created:
                self._backfill(t, created)
        return {"TableDescription": self._describe(t, "UPDATING", index_status)}

    def _backfill(self, t: Table, names: list[str]) -> None:
        for hk, rk, body, _size in self.store.scan(t.id, None, 500):
            item = decode(body)
            entries = [e for e in it.index_entries(t, item) if e[0] in names]
            if entries:
                self.store.put_entries(t.id, hk, rk, entries)

    # -- tags, TTL, policies, limits ----------------------------------------------------------

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        t = self._by_arn(params.get("ResourceArn"))
        tags = dict(t.tags)
        for tag in tb.require(params.get("Tags"), "tags"):
            tags[tb.require(tag.get("Key"), "tags.1.member.key")] = tb.require(tag.get("Value"), "tags.1.member.value")
        if len(tags) > 50:
            raise ServiceError("LimitExceededException", "Too many tags: a table can have at most 50 tags")
        t.tags = tags
        self._save(t)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        t = self._by_arn(params.get("ResourceArn"))
        keys = set(tb.require(params.get("TagKeys"), "tagKeys"))
        t.tags = {k: v for k, v in t.tags.items() if k not in keys}
        self._save(t)
        return {}

    def list_tags_of_resource(self, ctx: RequestContext, params: dict) -> dict:
        t = self._by_arn(params.get("ResourceArn"))
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(t.tags.items())]}

    def update_time_to_live(self, ctx: RequestContext, params: dict) -> dict:
        t = self._table(ctx, params.get("TableName"), described=True)
        spec = tb.require(params.get("TimeToLiveSpecification"), "timeToLiveSpecification")
        tb.require(spec.get("AttributeName"), "timeToLiveSpecification.attributeName")
        enabled = bool(tb.require(spec.get("Enabled"), "timeToLiveSpecification.enabled"))
        current = t.ttl or {}
        if enabled and current.get("Enabled"):
            raise validation("TimeToLive is already enabled")
        if not enabled and not current.get("Enabled"):
            raise validation("TimeToLive is already disabled")
        t.ttl = {"Enabled": enabled, "AttributeName": spec.get("AttributeName")}
        self._save(t)
        return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": spec.get("AttributeName")}}

    def describe_time_to_live(self, ctx: RequestContext, params: dict) -> dict:
        t = self._table(ctx, params.get("TableName"), described=True)
        if t.ttl and t.ttl.get("Enabled"):
            return {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": t.ttl["AttributeName"]}}
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}

    def put_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        t = self._by_arn(params.get("ResourceArn"))
        current = json.loads(t.policy) if t.policy else None
        expected = params.get("ExpectedRevisionId")
        if expected is not None and (current is None or current["RevisionId"] != expected):
            raise ServiceError("PolicyNotFoundException",
                               f"Resource-based policy not found for the provided ResourceArn: Requested update for "
                               f"policy with revision id {expected}, but the policy associated to target table "
                               f"{t.name} has revision id {current['RevisionId'] if current else 'null'}.")
        try:
            json.loads(params.get("Policy") or "")
        except ValueError:
            raise validation("Invalid policy document: the policy is not valid JSON") from None
        revision = str(int(self.clock.now() * 1000))
        t.policy = json.dumps({"Policy": params["Policy"], "RevisionId": revision})
        self._save(t)
        return {"RevisionId": revision}

    def get_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        arn = params.get("ResourceArn")
        t = self._by_arn(arn)
        if not t.policy:
            raise ServiceError("PolicyNotFoundException",
                               f"Resource-based policy not found for the provided ResourceArn: {arn}")
        return json.loads(t.policy)

    def delete_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        arn = params.get("ResourceArn")
        t = self._by_arn(arn)
        if not t.policy:
            raise ServiceError("PolicyNotFoundException",
                               f"Resource-based policy not found for the provided ResourceArn: {arn}")
        t.policy = None
        self._save(t)
        return {"RevisionId": str(int(self.clock.now() * 1000))}

    # Point-in-time recovery's setting lives here; its change log and restores are in
    # pitr.py. Contributor Insights is in contributor_insights.py.

    def _continuous_backups(self, t: Table) -> dict:
        pitr = t.definition.get("PointInTimeRecovery")
        out = {"PointInTimeRecoveryStatus": "ENABLED" if pitr else "DISABLED"}
        if pitr:
            now = self.clock.now()
            days = pitr.get("RecoveryPeriodInDays", 35)
            out.update(RecoveryPeriodInDays=days, LatestRestorableDateTime=now - 300,
                       EarliestRestorableDateTime=max(pitr["Since"], now - days * 86400))
        return {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": out}

    def describe_continuous_backups(self, ctx: RequestContext, params: dict) -> dict:
        t = self._source_table(ctx, params.get("TableName"))
        return {"ContinuousBackupsDescription": self._continuous_backups(t)}

    def update_continuous_backups(self, ctx: RequestContext, params: dict) -> dict:
        t = self._source_table(ctx, params.get("TableName"))
        spec = tb.require(params.get("PointInTimeRecoverySpecification"), "pointInTimeRecoverySpecification")
        tb.require(spec.get("PointInTimeRecoveryEnabled"),
                   "pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled")
        days = spec.get("RecoveryPeriodInDays")
        if days is not None and not 1 <= days <= 35:
            raise validation("RecoveryPeriodInDays must be between 1 and 35")
        if spec.get("PointInTimeRecoveryEnabled"):
            current = t.definition.get("PointInTimeRecovery") or {"Since": self.clock.now()}
            t.definition["PointInTimeRecovery"] = {**current, "RecoveryPeriodInDays": days or 35}
        elif days is not None:
            raise validation("RecoveryPeriodInDays can only be specified when PointInTimeRecoveryEnabled is true")
        else:
            t.definition.pop("PointInTimeRecovery", None)
        self._save(t)
        self._pitr_changed(t)
        return {"ContinuousBackupsDescription": self._continuous_backups(t)}

    def describe_limits(self, ctx: RequestContext, params: dict) -> dict:
        return {"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
                "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000}

    def describe_endpoints(self, ctx: RequestContext, params: dict) -> dict:
        host = ctx.request.headers.get("host") if ctx.request is not None else None
        return {"Endpoints": [{"Address": host or f"{self.config.hostname}:{self.config.port}",
                               "CachePeriodInMinutes": 1440}]}

    # -- expressions ---------------------------------------------------------------------------

    @staticmethod
    def _expressions(params: dict, used: tuple[str, ...]):
        """The request's expression context, after DynamoDB's rules on mixing
        expression and legacy parameters (a request with neither parses nothing)."""
        if not any(params.get(k) is not None for k in used) and not (
                params.get("ExpressionAttributeNames") or params.get("ExpressionAttributeValues")):
            return _NO_EXPRESSIONS
        x = _x()
        x.check_parameters(params, used)
        return x.Expressions(params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues"))

    def _lone(self, params: dict, name: str, build, plain: frozenset | None = None):
        """What ``build`` (``_condition``, ``_projection``) makes of an operation's one
        expression, with every name and value it was given checked used. None, with
        nothing parsed, when ``plain`` holds every parameter given (none of them an
        expression's)."""
        if plain is not None and params.keys() <= plain:
            return None
        ex = self._expressions(params, (name,))
        out = build(ex, params)
        ex.check_all_used()
        return out

    @staticmethod
    def _condition(ex, params: dict):
        if params.get("ConditionExpression") is not None:
            return ex.condition(params["ConditionExpression"])
        if params.get("Expected"):
            return _x().from_expected(params["Expected"], params.get("ConditionalOperator"))
        return None

    @staticmethod
    def _projection(ex, params: dict):
        if params.get("ProjectionExpression") is not None:
            return ex.projection(params["ProjectionExpression"])
        names = params.get("AttributesToGet")
        if names is not None:
            if not names:
                raise validation("1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy "
                                 "constraint: Member must have length greater than or equal to 1")
            return _x().from_attributes_to_get(names)
        return None

    # -- writes ----------------------------------------------------------------------------------

    def _write(self, t: Table, hk: bytes, rk: bytes, old: dict | None, new: dict | None,
               size: int = 0, measure: bool = False) -> dict:
        """Store an item's new state (None: deleted) and its index entries; with
        ``measure``, the write units each index consumed. ``old`` is the item
        before, None when there was none, or UNREAD (a table without indexes)."""
        if t.watchers:  # a stream, TTL or replicas see the change, in its transaction (streams.py)
            if old is UNREAD:
                old = self.store.get(t.id, hk, rk)
            for watch in t.watchers:
                watch(t, hk, rk, old, new)
        if "PointInTimeRecovery" in t.definition:
            self._pitr_log(t, hk, rk, new, size)
        stats = t.stats
        if stats is not None and old is UNREAD and new is not None:
            # The size of the item replaced comes out of the write itself.
            before = self.store.put_replacing(t.id, hk, rk, new, size)
        else:
            if stats is not None:
                before = self.store.size_of(t.id, hk, rk) if old is UNREAD else (
                    None if old is None else it.dt.item_size(old))
            if new is None:
                self.store.delete(t.id, hk, rk)
            else:
                self.store.put(t.id, hk, rk, new, size)
        if stats is not None:
            stats[0] += (new is not None) - (before is not None)
            stats[1] += (size if new is not None else 0) - (before or 0)
        if not t.indexes:
            return {}
        old_e, new_e = it.index_entries(t, old), it.index_entries(t, new)
        if old_e - new_e:
            self.store.delete_entries(t.id, hk, rk, list(old_e - new_e))
        if new_e - old_e:
            self.store.put_entries(t.id, hk, rk, list(new_e - old_e))
        return it.index_write_units(t, old, new, old_e, new_e) if measure else {}

    def _write_answer(self, t: Table, params: dict, out: dict, size: int, units: dict, item: dict | None) -> dict:
        """A write's answer with the ConsumedCapacity and ItemCollectionMetrics it was asked for."""
        mode = params.get("ReturnConsumedCapacity")
        if mode is not None:  # (most writes ask for neither)
            cap = it.consumed(t, mode, it.write_units(size), units)
            if cap:
                out["ConsumedCapacity"] = cap
        if params.get("ReturnItemCollectionMetrics") is not None:
            metrics = self._metrics(t, params, item)
            if metrics:
                out["ItemCollectionMetrics"] = metrics
        return out

    def _metrics(self, t: Table, params: dict, item: dict | None) -> dict | None:
        if params.get("ReturnItemCollectionMetrics") != "SIZE" or item is None:
            return None
        if not any(ix.kind == "LSI" for ix in t.indexes.values()):
            return None
        return {"ItemCollectionKey": {t.hash_name: item[t.hash_name]}, "SizeEstimateRangeGB": [0.0, 1.0]}

    def put_item(self, ctx: RequestContext, params: dict) -> dict:
        t = self._table(ctx, params.get("TableName"))
        item, size, (hk, rk) = it.prepare_item(t, params.get("Item"))
        if t.indexes:
            it.check_index_keys(t, item)
        rv = it.check_return_values(params.get("ReturnValues"), ("NONE", "ALL_OLD"))
        cond = self._lone(params, "ConditionExpression", self._condition, _PLAIN_PUT)
        if cond is None and rv == "NONE" and not t.indexes and not t.watchers:
            # Nothing to read first: one statement (which joins the group commit).
            old, units = None, {}
            self._write(t, hk, rk, UNREAD, item, size)
        else:
            with self.db.transaction():
                old = self.store.get(t.id, hk, rk)
                if cond is not None and not cond.evaluate(old or {}):
                    raise it.condition_failed(old, params.get("ReturnValuesOnConditionCheckFailure"))
                units = self._write(t, hk, rk, old, item, size, _measure(params))
        out: dict = {}
        if rv == "ALL_OLD" and old is not None:
            out["Attributes"] = old
        return self._write_answer(t, params, out, size, units, item)

    def get_item(self, ctx: RequestContext, params: dict) -> dict:
        t = self._table(ctx, params.get("TableName"))
        key = params.get("Key")
        rowkey = it.plain_row_key(t, key)
        if rowkey is None:
            it.check_key(t, key)
        projection = self._lone(params, "ProjectionExpression", self._projection, _PLAIN_GET)
        row = self.store.row(t.id, *(rowkey or it.row_key(t, key)))
        out: dict = {}
        if row is not None:
            if projection is not None:
                out["Item"] = projection.apply(decode(row[0]))
            else:
                out["Item"] = Fragment(wire(row[0])) if _on_the_wire(ctx, "GetItem") else decode(row[0])
        mode = params.get("ReturnConsumedCapacity")
        if mode in ("TOTAL", "INDEXES"):
            size = row[1] if row is not None else 0
            out["ConsumedCapacity"] = it.consumed(t, mode, it.read_units(size, bool(params.get("ConsistentRead"))))
        return out

    def delete_item(self, ctx: RequestContext, params: dict) -> dict:
        t = self._table(ctx, params.get("TableName"))
        key = params.get("Key")
        it.check_key(t, key)
        rv = it.check_return_values(params.get("ReturnValues"), ("NONE", "ALL_OLD"))
        cond = self._lone(params, "ConditionExpression", self._condition)
        hk, rk = it.row_key(t, key)
        with self.db.transaction():
            old = self.store.get(t.id, hk, rk)
            if cond is not None and not cond.evaluate(old or {}):
                raise it.condition_failed(old, params.get("ReturnValuesOnConditionCheckFailure"))
            units = self._write(t, hk, rk, old, None, 0, _measure(params)) if old is not None else {}
        out: dict = {}
        if rv == "ALL_OLD" and old is not None:
            out["Attributes"] = old
        return self._write_answer(t, params, out, it.dt.item_size(old) if old is not None else 0, units, old or key)

    def update_item(self, ctx: RequestContext, params: dict) -> dict:
        t = self._table(ctx, params.get("TableName"))
        key = params.get("Key")
        it.check_key(t, key)
        rv = it.check_return_values(params.get("ReturnValues"),
                                    ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"))
        ex = self._expressions(params, ("UpdateExpression", "ConditionExpression"))
        update = None
        if params.get("UpdateExpression") is not None:
            update = ex.update(params["UpdateExpression"])
        elif params.get("AttributeUpdates"):
            update = _x().from_attribute_updates(params["AttributeUpdates"])
        cond = self._condition(ex, params)
        ex.check_all_used()
        paths = list(update.updated_paths()) if update is not None else []
        keys = t.key_attributes()
        for path in paths:
            head = _head(path)
            if head in keys:
                raise validation(f"{INVALID}Cannot update attribute {head}. This attribute is part of the key")
        hk, rk = it.row_key(t, key)
        with self.db.transaction():
            old = self.store.get(t.id, hk, rk)
            if cond is not None and not cond.evaluate(old or {}):
                raise it.condition_failed(old, params.get("ReturnValuesOnConditionCheckFailure"))
            base = old if old is not None else dict(key)
            new = update.apply(base) if update is not None else dict(base)
            new = it.canonical(new)
            size = it.dt.item_size(new)
            if size > it.MAX_ITEM:
                raise validation("Item size to update has exceeded the maximum allowed size")
            if t.indexes:
                it.check_index_keys(t, new)
            units = self._write(t, hk, rk, old, new, size, _measure(params))
        out: dict = {}
        if rv == "ALL_OLD" and old is not None:
            out["Attributes"] = old
        elif rv == "ALL_NEW":
            out["Attributes"] = new
        elif rv in ("UPDATED_OLD", "UPDATED_NEW"):
            source = old if rv == "UPDATED_OLD" else new
            attrs = _x().Projection(paths).apply(source) if source else {}
            if attrs:
                out["Attributes"] = attrs
        return self._write_answer(t, params, out, max(size, it.dt.item_size(old) if old else 0), units, new)

    # -- Query and Scan ------------------------------------------------------------------------------

    def _read_plan(self, t: Table, params: dict, ex, scan: bool):
        """(index, select, projection, filter) of a Query or Scan, validated."""
        index = None
        name = params.get("IndexName")
        if name is not None:
            index = t.indexes.get(name)
            if index is None:
                raise validation(f"The table does not have the specified index: {name}")
            if index.kind == "GSI" and params.get("ConsistentRead"):
                raise validation("Consistent reads are not supported on global secondary indexes")
        select = params.get("Select")
        projection = self._projection(ex, params)
        if select is not None and select not in _SELECT:
            raise validation(f"1 validation error detected: Value '{select}' at 'select' failed to satisfy "
                             "constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, "
                             "ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]")
        given = "ProjectionExpression" if params.get("ProjectionExpression") is not None else "AttributesToGet"
        if select is None:
            select = "SPECIFIC_ATTRIBUTES" if projection is not None else (
                "ALL_PROJECTED_ATTRIBUTES" if index is not None else "ALL_ATTRIBUTES")
        elif select == "SPECIFIC_ATTRIBUTES":
            if projection is None:
                # Query's answer wraps this one in the validation envelope; Scan's does not.
                raise validation(("" if scan else "1 validation error detected: ") +
                                 "Must specify the AttributesToGet or ProjectionExpression when choosing to get "
                                 "SPECIFIC_ATTRIBUTES")
        elif projection is not None:
            wanted = "only the Count" if select == "COUNT" else select
            raise validation(f"Cannot specify the {given} when choosing to get {wanted}")
        if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
            raise validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
        if select == "ALL_ATTRIBUTES" and index is not None and index.kind == "GSI" and index.projection != "ALL":
            raise validation(f"{INVALID}Select type ALL_ATTRIBUTES is not supported for global secondary index "
                             f"{index.name} because its projection type is not ALL")
        filt = None
        if params.get("FilterExpression") is not None:
            filt = ex.filter(params["FilterExpression"])
        else:
            legacy = params.get("ScanFilter" if scan else "QueryFilter")
            if legacy:
                filt = _x().from_filter(legacy, params.get("ConditionalOperator"))
        limit = params.get("Limit")
        if limit is not None and limit < 1:
            raise validation(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                             "Member must have value greater than or equal to 1")
        return index, select, projection, filt

    def _shape_item(self, t: Table, index, select: str, projection, item: dict) -> dict:
        # A global index returns only what it projects; a local one fetches the
        # rest from the table when more is asked for.
        if index is not None and (index.kind == "GSI" or select == "ALL_PROJECTED_ATTRIBUTES"):
            item = it.project(t, index, item)
        return projection.apply(item) if projection is not None else item

    def _start_key(self, t: Table, index, start: dict) -> tuple:
        """ExclusiveStartKey as row key bytes ((ihk, irk, hk, rk) for an index)."""
        defs = t.definition["AttributeDefinitions"]
        try:
            if set(start) != t.key_attributes(index):
                raise validation("The provided key element does not match the schema")
            it.dt.validate_key(start, t.key_schema, defs)
            if index is not None:
                it.dt.validate_key(start, t.index_key_schema(index.name), defs)
        except ServiceError as e:
            raise validation(f"The provided starting key is invalid: {e.message}") from None
        hk, rk = it.row_key(t, start)
        if index is None:
            return hk, rk
        ihk = it.key_bytes(start[index.hash_name])
        irk = it.key_bytes(start[index.range_name]) if index.range_name else b""
        return ihk, irk, hk, rk

    def _page(self, t, index, select, projection, filt, rows, limit, whole: bool = False):
        """Walk rows (..., body, size) in order until Limit items were evaluated or 1 MB was read.

        ``whole``: the answer goes out on the wire, where items returned whole
        (no filter, projection or index projection) are their stored JSON."""
        if whole and filt is None and projection is None and select != "COUNT" and (
                index is None or index.projection == "ALL"):
            return self._whole_page(t, index, rows, limit)
        items, scanned, read, last = [], 0, 0, None
        count = 0
        # A global index holds only its projection: a filter sees nothing else.
        gsi = index if index is not None and index.kind == "GSI" and index.projection != "ALL" else None
        for row in rows:
            body, size = row[-2], row[-1]
            item = decode(body)
            scanned += 1
            read += size
            last = item
            if filt is None or filt.evaluate(item if gsi is None else it.project(t, gsi, item)):
                count += 1
                if select != "COUNT":
                    items.append(self._shape_item(t, index, select, projection, item))
            if (limit is not None and scanned >= limit) or read >= PAGE_BYTES:
                break
        else:
            last = None
        out = {"Count": count, "ScannedCount": scanned}
        if select != "COUNT":
            out["Items"] = items
        if last is not None:
            out["LastEvaluatedKey"] = it.key_of(t, last, index)
        return out, read

    def _whole_page(self, t, index, rows, limit):
        """A page of whole items: their stored JSON, joined into the Items array undecoded."""
        bodies, read, last = [], 0, None
        add = bodies.append
        most = limit if limit is not None else math.inf
        for row in rows:
            body = row[-2]
            add(body if body[0] == 0x7B else wire(body))
            read += row[-1]
            if read >= PAGE_BYTES or len(bodies) >= most:
                last = body
                break
        out = {"Count": len(bodies), "ScannedCount": len(bodies), "Items": Fragment(b"[" + b",".join(bodies) + b"]")}
        if last is not None:
            out["LastEvaluatedKey"] = it.key_of(t, decode(last), index)
        return out, read

    def query(self, ctx: RequestContext, params: dict) -> dict:
        t = self._table(ctx, params.get("TableName"))
        ex = self._expressions(params, ("KeyConditionExpression", "FilterExpression", "ProjectionExpression"))
        index, select, projection, filt = self._read_plan(t, params, ex, scan=False)
        schema = t.index_key_schema(index.name) if index is not None else t.key_schema
        if params.get("KeyConditionExpression") is not None:
            kc = ex.key_condition(params["KeyConditionExpression"], schema, t.definition["AttributeDefinitions"])
        elif params.get("KeyConditions"):
            kc = _x().from_key_conditions(params["KeyConditions"], schema, t.definition["AttributeDefinitions"])
        else:
            raise validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in "
                             "the request.")
        ex.check_all_used()
        for name, value in [(kc.hash_name, kc.hash_value)] + [(kc.sort_name, v) for v in kc.sort_values]:
            want = t.types.get(name)
            if want not in value:
                raise validation(f"{INVALID}Condition parameter type does not match schema type")
        low, high, prefix = _bounds(kc)
        forward = params.get("ScanIndexForward", True) is not False
        start = params.get("ExclusiveStartKey")
        after = self._start_key(t, index, start) if start else None
        limit = params.get("Limit")
        batch = min(limit + 1 if limit else 128, 1000)
        hk = it.key_bytes(kc.hash_value)

        # Rows (sort key, ..., body, size) in order.
        if index is None:
            rows = self.store.query(t.id, hk, low, high, forward, after[1] if after else None, batch)
        else:
            rows = self.store.query_index(t.id, index.name, hk, low, high, forward,
                                          (after[1], after[2], after[3]) if after else None, batch)
        if prefix is not None and high is None:
            rows = _prefixed(rows, prefix, forward)
        out, read = self._page(t, index, select, projection, filt, rows, limit, _on_the_wire(ctx, "Query"))
        cap = it.consumed(t, params.get("ReturnConsumedCapacity"),
                          it.read_units(read, bool(params.get("ConsistentRead"))))
        if cap:
            if index is not None and params.get("ReturnConsumedCapacity") == "INDEXES":
                cap = it.consumed(t, "INDEXES", 0.0, {index.name: cap["CapacityUnits"]})
            out["ConsumedCapacity"] = cap
        return out

    def scan(self, ctx: RequestContext, params: dict) -> dict:
        t = self._table(ctx, params.get("TableName"))
        ex = self._expressions(params, ("FilterExpression", "ProjectionExpression"))
        index, select, projection, filt = self._read_plan(t, params, ex, scan=True)
        ex.check_all_used()
        segment, total = params.get("Segment"), params.get("TotalSegments")
        if total is not None and segment is None:
            raise validation("The Segment parameter is required but was not present in the request when parameter "
                             "TotalSegments is present")
        if segment is not None and total is None:
            raise validation("The TotalSegments parameter is required but was not present in the request when "
                             "Segment parameter is present")
        if total is not None:
            if total < 1 or total > 1000000:
                raise validation(f"1 validation error detected: Value '{total}' at 'totalSegments' failed to satisfy "
                                 "constraint: Member must have value "
                                 + ("greater than or equal to 1" if total < 1 else "less than or equal to 1000000"))
            if segment < 0 or segment >= total:
                raise validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                                 f"Segment: {segment} is not less than TotalSegments: {total}")
        start = params.get("ExclusiveStartKey")
        after = self._start_key(t, index, start) if start else None
        limit = params.get("Limit")
        batch = min(limit + 1 if limit else 128, 1000)

        def rows():
            if index is None:
                for hk, _r, body, size in self.store.scan(t.id, after, batch):
                    if total is None or zlib.crc32(hk) % total == segment:
                        yield body, size
            else:
                for _ih, _ir, hk, _r, body, size in self.store.scan_index(t.id, index.name, after, batch):
                    # Segments split by the base table's partition key, so each item is in one.
                    if total is None or zlib.crc32(hk) % total == segment:
                        yield body, size

        out, read = self._page(t, index, select, projection, filt, rows(), limit, _on_the_wire(ctx, "Scan"))
        cap = it.consumed(t, params.get("ReturnConsumedCapacity"),
                          it.read_units(read, bool(params.get("ConsistentRead"))))
        if cap:
            out["ConsumedCapacity"] = cap
        return out

    # -- batches -----------------------------------------------------------------------------------------

    def batch_get_item(self, ctx: RequestContext, params: dict) -> dict:
        requests = params.get("RequestItems") or {}
        if not requests:
            raise validation("1 validation error detected: Value null at 'requestItems' failed to satisfy "
                             "constraint: Member must have length greater than or equal to 1")
        if sum(len(r.get("Keys") or ()) for r in requests.values()) > MAX_BATCH_GET:
            raise validation("Too many items requested for the BatchGetItem call")
        plans = []
        for name, request in requests.items():
            t = self._table(ctx, name)
            keys = tb.require(request.get("Keys"), f"requestItems.{name}.member.keys")
            seen = set()
            for key in keys:
                it.check_key(t, key)
                rowkey = it.row_key(t, key)
                if rowkey in seen:
                    raise validation("Provided list of item keys contains duplicates")
                seen.add(rowkey)
            projection = self._lone(request, "ProjectionExpression", self._projection)
            plans.append((name, t, request, keys, projection))
        responses: dict = {}
        unprocessed: dict = {}
        capacity: dict = {}
        total = 0
        for name, t, request, keys, projection in plans:
            got = responses.setdefault(name, [])
            for i, key in enumerate(keys):
                if total >= BATCH_GET_BYTES:
                    rest = {k: v for k, v in request.items() if k != "Keys"}
                    unprocessed[name] = {**rest, "Keys": keys[i:]}
                    break
                item = self.store.get(t.id, *it.row_key(t, key))
                size = it.dt.item_size(item) if item is not None else 0
                total += size
                capacity[name] = capacity.get(name, 0.0) + it.read_units(size, bool(request.get("ConsistentRead")))
                if item is not None:
                    got.append(projection.apply(item) if projection is not None else item)
        out = {"Responses": responses, "UnprocessedKeys": unprocessed}
        mode = params.get("ReturnConsumedCapacity")
        if mode in ("TOTAL", "INDEXES"):
            out["ConsumedCapacity"] = [it.consumed(t, mode, capacity.get(name, 0.0))
                                       for name, t, *_ in plans]
        return out

    def batch_write_item(self, ctx: RequestContext, params: dict) -> dict:
        requests = params.get("RequestItems") or {}
        count = sum(len(r) for r in requests.values())
        if not requests or count > MAX_BATCH_WRITE or any(len(r) == 0 for r in requests.values()):
            raise validation("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: "
                             "Map value must satisfy constraint: [Member must have length less than or equal to 25, "
                             "Member must have length greater than or equal to 1]")
        plan = []
        for name, writes in requests.items():
            t = self._table(ctx, name)
            seen = set()
            for w in writes:
                put, delete = w.get("PutRequest"), w.get("DeleteRequest")
                if (put is None) == (delete is None):
                    raise validation("Supplied AttributeValue has more than one datatypes set, must contain exactly "
                                     "one of the supported datatypes" if put and delete else
                                     "1 validation error detected: WriteRequest must contain exactly one of "
                                     "PutRequest or DeleteRequest")
                if put is not None:
                    item, size, rowkey = it.prepare_item(t, put.get("Item"))
                    if t.indexes:
                        it.check_index_keys(t, item)
                    plan.append((t, rowkey, item, size))
                else:
                    it.check_key(t, delete.get("Key"))
                    rowkey = it.row_key(t, delete["Key"])
                    plan.append((t, rowkey, None, 0))
                if rowkey in seen:
                    raise validation("Provided list of item keys contains duplicates")
                seen.add(rowkey)
        capacity: dict = {}
        with self.db.transaction():
            for t, (hk, rk), item, size in plan:
                old = self.store.get(t.id, hk, rk) if t.indexes else UNREAD
                units = self._write(t, hk, rk, old, item, size, _measure(params))
                if item is None and old is not None and old is not UNREAD:
                    size = it.dt.item_size(old)
                table_units, idx = capacity.setdefault(t.name, [0.0, {}])
                capacity[t.name][0] = table_units + it.write_units(size)
                for n, u in units.items():
                    idx[n] = idx.get(n, 0.0) + u
        out: dict = {"UnprocessedItems": {}}
        mode = params.get("ReturnConsumedCapacity")
        if mode in ("TOTAL", "INDEXES"):
            out["ConsumedCapacity"] = [it.consumed(self._table(ctx, name), mode, u, idx)
                                       for name, (u, idx) in capacity.items()]
        if params.get("ReturnItemCollectionMetrics") == "SIZE":
            out["ItemCollectionMetrics"] = {}
        return out

    # -- transactions -----------------------------------------------------------------------------------

    def transact_get_items(self, ctx: RequestContext, params: dict) -> dict:
        entries = params.get("TransactItems") or []
        _check_transact_count(entries)
        plan = []
        seen = set()
        for e in entries:
            get = e.get("Get") or {}
            t = self._table(ctx, get.get("TableName"))
            it.check_key(t, get.get("Key"))
            rowkey = (t.id, *it.row_key(t, get["Key"]))
            if rowkey in seen:
                raise validation("Transaction request cannot include multiple operations on one item")
            seen.add(rowkey)
            projection = self._lone(get, "ProjectionExpression", self._projection)
            plan.append((t, rowkey, projection))
        responses = []
        capacity: dict = {}
        with self.db.lock:
            for t, (_id, hk, rk), projection in plan:
                item = self.store.get(t.id, hk, rk)
                size = it.dt.item_size(item) if item is not None else 0
                capacity[t.name] = capacity.get(t.name, 0.0) + 2 * it.read_units(size, True)
                if item is None:
                    responses.append({})
                else:
                    responses.append({"Item": projection.apply(item) if projection is not None else item})
        out: dict = {"Responses": responses}
        mode = params.get("ReturnConsumedCapacity")
        if mode in ("TOTAL", "INDEXES"):
            by_name = {t.name: t for t, *_ in plan}
            out["ConsumedCapacity"] = [it.consumed(by_name[n], mode, u) for n, u in capacity.items()]
        return out

    def transact_write_items(self, ctx: RequestContext, params: dict) -> dict:
        entries = params.get("TransactItems") or []
        _check_transact_count(entries)
        token = params.get("ClientRequestToken")
        now = self.clock.now()
        digest = None
        if token is not None:
            digest = hashlib.sha256(json.dumps(entries, sort_keys=True, default=_bytes_json).encode()).hexdigest()
            seen_token = self.store.token(ctx.account, ctx.region, token, now)
            if seen_token is not None:
                if seen_token[0] != digest:
                    raise ServiceError("IdempotentParameterMismatchException",
                                       "Request parameters for the ClientRequestToken do not match the initial "
                                       "request with the same token")
                return seen_token[1]
        plan = []
        seen = set()
        for e in entries:
            kinds = [k for k in ("ConditionCheck", "Put", "Delete", "Update") if e.get(k) is not None]
            if len(kinds) != 1:
                raise validation("TransactItems can only contain one of Check, Put, Update or Delete")
            kind = kinds[0]
            op = e[kind]
            t = self._table(ctx, op.get("TableName"))
            if kind == "Put":
                size = it.check_item(t, op.get("Item"))
                if t.indexes:
                    it.check_index_keys(t, op["Item"])
                key_source = op["Item"]
            else:
                it.check_key(t, op.get("Key"))
                key_source, size = op["Key"], 0
            rowkey = (t.id, *it.row_key(t, key_source))
            if rowkey in seen:
                raise validation("Transaction request cannot include multiple operations on one item")
            seen.add(rowkey)
            used = ("ConditionExpression",) + (("UpdateExpression",) if kind == "Update" else ())
            ex = self._expressions(op, used)
            cond = ex.condition(op["ConditionExpression"]) if op.get("ConditionExpression") is not None else None
            if kind == "ConditionCheck" and cond is None:
                raise validation("1 validation error detected: Value null at 'transactItems.1.member.conditionCheck."
                                 "conditionExpression' failed to satisfy constraint: Member must not be null")
            update = None
            if kind == "Update":
                if op.get("UpdateExpression") is None:
                    raise validation("1 validation error detected: Value null at 'transactItems.1.member.update."
                                     "updateExpression' failed to satisfy constraint: Member must not be null")
                update = ex.update(op["UpdateExpression"])
                for path in update.updated_paths():
                    head = _head(path)
                    if head in t.key_attributes():
                        raise validation(f"{INVALID}Cannot update attribute {head}. This attribute is part of the key")
            ex.check_all_used()
            on_failure = op.get("ReturnValuesOnConditionCheckFailure")
            tb.one_of(on_failure, "transactItems.1.member.returnValuesOnConditionCheckFailure", ("ALL_OLD", "NONE"))
            plan.append((kind, t, rowkey, op, cond, update, size, on_failure))
        capacity: dict = {}
        with self.db.transaction():
            reasons = []
            writes = []
            failed = False
            for kind, t, (_id, hk, rk), op, cond, update, size, on_failure in plan:
                old = self.store.get(t.id, hk, rk)
                if cond is not None and not cond.evaluate(old or {}):
                    reason = {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
                    if on_failure == "ALL_OLD" and old is not None:
                        reason["Item"] = old
                    reasons.append(reason)
                    failed = True
                    continue
                new = old
                try:
                    if kind == "Put":
                        new = it.canonical(op["Item"])
                    elif kind == "Delete":
                        new = None
                    elif kind == "Update":
                        new = it.canonical(update.apply(old if old is not None else dict(op["Key"])))
                        size = it.dt.item_size(new)
                        if size > it.MAX_ITEM:
                            raise validation("Item size to update has exceeded the maximum allowed size")
                        if t.indexes:
                            it.check_index_keys(t, new)
                except ServiceError as e:
                    if e.code != "ValidationException":
                        raise
                    reasons.append({"Code": "ValidationError", "Message": e.message})
                    failed = True
                    continue
                reasons.append({"Code": "None"})
                if kind != "ConditionCheck":
                    writes.append((t, hk, rk, old, new, size))
                units = 2 * it.write_units(max(size, it.dt.item_size(old) if old else 0))
                capacity[t.name] = capacity.get(t.name, 0.0) + units
            if failed:
                codes = ", ".join(r["Code"] for r in reasons)
                raise ServiceError("TransactionCanceledException",
                                   f"Transaction cancelled, please refer cancellation reasons for specific reasons "
                                   f"[{codes}]", 400, CancellationReasons=reasons)
            for t, hk, rk, old, new, size in writes:
                self._write(t, hk, rk, old, new, size)
            out: dict = {}
            mode = params.get("ReturnConsumedCapacity")
            if mode in ("TOTAL", "INDEXES"):
                by_name = {p[1].name: p[1] for p in plan}
                out["ConsumedCapacity"] = [it.consumed(by_name[n], mode, u) for n, u in capacity.items()]
            if token is not None:
                self.store.save_token(ctx.account, ctx.region, token, digest, out, now + TOKEN_LIFETIME)
        return out


def _x():
    """The expression languages, imported on the first request that uses one."""
    from . import expressions
    return expressions


# An item a write did not read first (its table has no indexes to maintain).
UNREAD = object()

# The parameters of a PutItem or GetItem that has no expression, condition or
# projection (most): one set comparison instead of looking for each of those.
_PLAIN_PUT = frozenset(("TableName", "Item", "ReturnValues", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics"))
_PLAIN_GET = frozenset(("TableName", "Key", "ConsistentRead", "ReturnConsumedCapacity"))


class _NoExpressions:
    """A request without expressions: nothing to parse, nothing left unused."""

    def check_all_used(self) -> None:
        pass


_NO_EXPRESSIONS = _NoExpressions()


def _on_the_wire(ctx: RequestContext, operation: str) -> bool:
    """Whether this operation's answer goes straight to the JSON protocol (not to
    PartiQL, a batch or the internal client, which read the items)."""
    return ctx.operation == operation and ctx.protocol == "json" and not ctx.internal


def _measure(params: dict) -> bool:
    """Whether a write's answer reports capacity (else its per-index units are not worked out)."""
    return params.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES")


def _head(path) -> str:
    """The top-level attribute of an updated path."""
    return path.elements[0]


def _bounds(kc):
    """(low, high, prefix) row-key bounds of a key condition's sort part."""
    op = kc.sort_op
    if op is None:
        return None, None, None
    vals = [it.key_bytes(v) for v in kc.sort_values]
    if op == "=":
        return (vals[0], True), (vals[0], True), None
    if op == "<":
        return None, (vals[0], False), None
    if op == "<=":
        return None, (vals[0], True), None
    if op == ">":
        return (vals[0], False), None, None
    if op == ">=":
        return (vals[0], True), None, None
    if op == "BETWEEN":
        if vals[0] > vals[1]:
            lo, hi = kc.sort_values
            raise validation("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be "
                             f"greater than or equal to lower bound; lower bound operand: AttributeValue: "
                             f"{_show(lo)}, upper bound operand: AttributeValue: {_show(hi)}")
        return (vals[0], True), (vals[1], True), None
    if op == "begins_with":
        return (vals[0], True), _successor(vals[0]), vals[0]
    raise validation("Query key condition not supported")


def _prefixed(rows, prefix: bytes, forward: bool):
    """The rows whose sort key (first) starts with ``prefix``: begins_with without an
    upper bound (a prefix of 0xFF bytes), where the rows past it end it."""
    for row in rows:
        if row[0].startswith(prefix):
            yield row
        elif forward:
            return


def _successor(prefix: bytes):
    """The exclusive upper bound of the keys that start with ``prefix`` (S and B
    keys are their own bytes), or None when there is none."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1]), False


def _show(value: dict) -> str:
    (t, v), = value.items()
    return f"{{{t}:{v}}}"


def _check_transact_count(entries: list) -> None:
    if not entries or len(entries) > MAX_TRANSACT:
        bound = "greater than or equal to 1" if not entries else f"less than or equal to {MAX_TRANSACT}"
        raise validation(f"1 validation error detected: Value at 'transactItems' failed to satisfy constraint: "
                         f"Member must have length {bound}")


def _bytes_json(value):
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    raise TypeError(type(value))
