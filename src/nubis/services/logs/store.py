"""CloudWatch Logs' tables and the queries on them.

Log groups are few and read on every request: kept in memory, written
through. Streams are cached as they are used (Lambda writes to the same
stream again and again). Events are rows ordered by ``(timestamp, id)``:
``id`` grows with ingestion, so two events with one timestamp keep the order
they arrived in, and a position in a stream or a group is that pair.
Times are epoch milliseconds, as the API gives them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from ...state.db import Database

MIGRATIONS = ["""
CREATE TABLE logs_groups (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    retention INTEGER,
    kms_key TEXT,
    class TEXT NOT NULL,
    deletion_protection INTEGER NOT NULL DEFAULT 0,
    tags TEXT NOT NULL,
    UNIQUE (account, region, name)
);
CREATE TABLE logs_streams (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    group_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    first_event INTEGER,
    last_event INTEGER,
    last_ingestion INTEGER,
    stored_bytes INTEGER NOT NULL DEFAULT 0,
    sequence INTEGER NOT NULL DEFAULT 0,
    UNIQUE (group_id, name)
);
CREATE TABLE logs_events (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    group_id INTEGER NOT NULL,
    stream_id INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    ingestion INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX logs_events_stream ON logs_events(stream_id, timestamp, id);
CREATE INDEX logs_events_group ON logs_events(group_id, timestamp, id);
CREATE TABLE logs_metric_filters (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    group_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    pattern TEXT NOT NULL,
    transformations TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (group_id, name)
);
CREATE TABLE logs_subscription_filters (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    group_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    pattern TEXT NOT NULL,
    destination TEXT NOT NULL,
    role_arn TEXT,
    distribution TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (group_id, name)
);
""", """
CREATE TABLE logs_queries (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    query_string TEXT NOT NULL,
    group_name TEXT NOT NULL,
    status TEXT NOT NULL,
    results TEXT NOT NULL,
    statistics TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX logs_queries_created ON logs_queries(account, region, created);
""", """
CREATE TABLE logs_resource_policies (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    policy_key TEXT NOT NULL,
    name TEXT,
    document TEXT NOT NULL,
    scope TEXT NOT NULL,
    resource_arn TEXT,
    revision TEXT NOT NULL,
    updated INTEGER NOT NULL,
    PRIMARY KEY (account, region, policy_key)
);
CREATE TABLE logs_query_definitions (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    query_string TEXT NOT NULL,
    group_names TEXT NOT NULL,
    language TEXT NOT NULL,
    updated INTEGER NOT NULL
);
""", """
CREATE TABLE logs_export_tasks (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT,
    group_name TEXT NOT NULL,
    stream_prefix TEXT,
    from_ms INTEGER NOT NULL,
    to_ms INTEGER NOT NULL,
    destination TEXT NOT NULL,
    destination_prefix TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT,
    created INTEGER NOT NULL,
    completed INTEGER
);
CREATE TABLE logs_destinations (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    target_arn TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    access_policy TEXT,
    tags TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (account, region, name)
);
""", """
CREATE TABLE logs_config_resources (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    group_id INTEGER,
    document TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (account, region, kind, key)
);
CREATE INDEX logs_config_resources_group ON logs_config_resources(group_id);
""", """
ALTER TABLE logs_groups ADD COLUMN bearer_token INTEGER NOT NULL DEFAULT 0;
ALTER TABLE logs_queries ADD COLUMN group_arns TEXT;
"""]


@dataclass
class Group:
    id: int
    account: str
    region: str
    name: str
    created: int
    retention: int | None
    kms_key: str | None
    cls: str
    deletion_protection: bool
    tags: dict
    bearer_token: bool = False
    arn: str = field(init=False)

    def __post_init__(self):
        self.arn = f"arn:aws:logs:{self.region}:{self.account}:log-group:{self.name}"


@dataclass
class Stream:
    id: int
    group_id: int
    name: str
    created: int
    first_event: int | None
    last_event: int | None
    last_ingestion: int | None
    stored_bytes: int
    sequence: int


_STREAM_COLUMNS = "id, group_id, name, created, first_event, last_event, last_ingestion, stored_bytes, sequence"


class LogsStore:
    def __init__(self, db: Database):
        self.db = db
        self.groups: dict[tuple[str, str, str], Group] = {}
        self.by_id: dict[int, Group] = {}
        self.streams: dict[tuple[int, str], Stream] = {}
        self.load()

    def load(self) -> None:
        self.groups.clear()
        self.by_id.clear()
        self.streams.clear()
        for r in self.db.query("SELECT id, account, region, name, created, retention, kms_key, class, "
                               "deletion_protection, tags, bearer_token FROM logs_groups"):
            self._cache(Group(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), json.loads(r[9]),
                              bool(r[10])))

    def _cache(self, g: Group) -> Group:
        self.groups[(g.account, g.region, g.name)] = g
        self.by_id[g.id] = g
        return g

    # -- groups ----------------------------------------------------------------------------

    def group(self, account: str, region: str, name: str) -> Group | None:
        return self.groups.get((account, region, name))

    def create_group(self, account: str, region: str, name: str, created: int, kms_key: str | None,
                     cls: str, deletion_protection: bool, tags: dict) -> Group:
        row = self.db.query_one(
            "INSERT INTO logs_groups(account, region, name, created, kms_key, class, deletion_protection, tags) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (account, region, name, created, kms_key, cls, int(deletion_protection), json.dumps(tags)))
        return self._cache(Group(row[0], account, region, name, created, None, kms_key, cls,
                                 deletion_protection, tags))

    def save_group(self, g: Group) -> None:
        self.db.execute("UPDATE logs_groups SET retention = ?, kms_key = ?, deletion_protection = ?, tags = ?, "
                        "bearer_token = ? WHERE id = ?", (g.retention, g.kms_key, int(g.deletion_protection),
                                                          json.dumps(g.tags), int(g.bearer_token), g.id))

    def delete_group(self, g: Group) -> None:
        with self.db.transaction():
            for table in ("logs_events", "logs_streams", "logs_metric_filters", "logs_subscription_filters"):
                self.db.execute(f"DELETE FROM {table} WHERE group_id = ?", (g.id,))
            self.db.execute("DELETE FROM logs_resource_policies WHERE resource_arn = ?", (g.arn,))
            self.db.execute("DELETE FROM logs_config_resources WHERE group_id = ?", (g.id,))
            self.db.execute("DELETE FROM logs_groups WHERE id = ?", (g.id,))
        self.groups.pop((g.account, g.region, g.name), None)
        self.by_id.pop(g.id, None)
        for key in [k for k in self.streams if k[0] == g.id]:
            del self.streams[key]

    def groups_in(self, account: str, region: str) -> list[Group]:
        return sorted((g for g in self.groups.values() if g.account == account and g.region == region),
                      key=lambda g: g.name)

    def stored_bytes(self, group_ids: list[int]) -> dict[int, int]:
        if not group_ids:
            return {}
        marks = ",".join("?" * len(group_ids))
        rows = self.db.query(f"SELECT group_id, SUM(stored_bytes) FROM logs_streams WHERE group_id IN ({marks}) "
                             "GROUP BY group_id", group_ids)
        return {r[0]: r[1] or 0 for r in rows}

    def with_retention(self) -> list[Group]:
        return [g for g in self.groups.values() if g.retention]

    # -- streams ------------------------------------------------------------------------------

    def stream(self, g: Group, name: str) -> Stream | None:
        s = self.streams.get((g.id, name))
        if s is None:
            r = self.db.query_one(f"SELECT {_STREAM_COLUMNS} FROM logs_streams WHERE group_id = ? AND name = ?",
                                  (g.id, name))
            if r is None:
                return None
            s = self.streams[(g.id, name)] = Stream(*r)
        return s

    def create_stream(self, g: Group, name: str, created: int) -> Stream:
        row = self.db.query_one(
            "INSERT INTO logs_streams(account, region, group_id, name, created) VALUES (?, ?, ?, ?, ?) RETURNING id",
            (g.account, g.region, g.id, name, created))
        s = self.streams[(g.id, name)] = Stream(row[0], g.id, name, created, None, None, None, 0, 0)
        return s

    def delete_stream(self, g: Group, s: Stream) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM logs_events WHERE stream_id = ?", (s.id,))
            self.db.execute("DELETE FROM logs_streams WHERE id = ?", (s.id,))
        self.streams.pop((g.id, s.name), None)

    def streams_of(self, g: Group) -> list[Stream]:
        return [Stream(*r) for r in self.db.query(
            f"SELECT {_STREAM_COLUMNS} FROM logs_streams WHERE group_id = ? ORDER BY name", (g.id,))]

    # -- events ---------------------------------------------------------------------------------

    def put_events(self, g: Group, s: Stream, events: list[tuple[int, str]], now: int, size: int) -> None:
        """One insert batch and the stream's summary, in one transaction."""
        with self.db.transaction():
            if events:
                self.db.executemany(
                    "INSERT INTO logs_events(account, region, group_id, stream_id, timestamp, ingestion, message) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(g.account, g.region, g.id, s.id, ts, now, msg) for ts, msg in events])
                first, last = events[0][0], events[-1][0]
                s.first_event = first if s.first_event is None else min(s.first_event, first)
                s.last_event = last if s.last_event is None else max(s.last_event, last)
                s.last_ingestion = now
                s.stored_bytes += size
            s.sequence += 1
            self.db.execute("UPDATE logs_streams SET first_event = ?, last_event = ?, last_ingestion = ?, "
                            "stored_bytes = ?, sequence = ? WHERE id = ?",
                            (s.first_event, s.last_event, s.last_ingestion, s.stored_bytes, s.sequence, s.id))

    def stream_events(self, s: Stream, lo: int, hi: int, after: tuple[int, int] | None,
                      before: tuple[int, int] | None, limit: int, descending: bool) -> list[tuple]:
        """(id, timestamp, ingestion, message) with ``lo <= timestamp < hi``, strictly after ``after``
        or before ``before`` in (timestamp, id) order; the first ``limit`` in the direction read."""
        sql = ["SELECT id, timestamp, ingestion, message FROM logs_events "
               "WHERE stream_id = ? AND timestamp >= ? AND timestamp < ?"]
        args: list = [s.id, lo, hi]
        if after is not None:
            sql.append("AND (timestamp > ? OR (timestamp = ? AND id > ?))")
            args += [after[0], after[0], after[1]]
        if before is not None:
            sql.append("AND (timestamp < ? OR (timestamp = ? AND id < ?))")
            args += [before[0], before[0], before[1]]
        sql.append("ORDER BY timestamp DESC, id DESC" if descending else "ORDER BY timestamp, id")
        sql.append("LIMIT ?")
        args.append(limit)
        return self.db.query(" ".join(sql), args)

    def group_events(self, g: Group, stream_ids: list[int] | None, lo: int, hi: int,
                     after: tuple[int, int] | None, limit: int) -> list[tuple]:
        """(id, timestamp, ingestion, message, stream_id) across streams, ``lo <= timestamp <= hi``,
        after ``after`` in (timestamp, id) order."""
        sql = ["SELECT id, timestamp, ingestion, message, stream_id FROM logs_events "
               "WHERE group_id = ? AND timestamp >= ? AND timestamp <= ?"]
        args: list = [g.id, lo, hi]
        if stream_ids is not None:
            sql.append(f"AND stream_id IN ({','.join('?' * len(stream_ids))})")
            args += stream_ids
        if after is not None:
            sql.append("AND (timestamp > ? OR (timestamp = ? AND id > ?))")
            args += [after[0], after[0], after[1]]
        sql.append("ORDER BY timestamp, id LIMIT ?")
        args.append(limit)
        return self.db.query(" ".join(sql), args)

    def expire(self, g: Group, cutoff: int, batch: int) -> int:
        """Delete up to ``batch`` events of ``g`` older than ``cutoff``; how many went."""
        with self.db.transaction():
            rows = self.db.query("SELECT id, stream_id, LENGTH(CAST(message AS BLOB)) FROM logs_events "
                                 "WHERE group_id = ? AND timestamp < ? ORDER BY timestamp, id LIMIT ?",
                                 (g.id, cutoff, batch))
            if not rows:
                return 0
            freed: dict[int, int] = {}
            for _, stream_id, size in rows:
                freed[stream_id] = freed.get(stream_id, 0) + size
            self.db.executemany("DELETE FROM logs_events WHERE id = ?", [(r[0],) for r in rows])
            self.db.executemany("UPDATE logs_streams SET stored_bytes = MAX(0, stored_bytes - ?) WHERE id = ?",
                                [(size, sid) for sid, size in freed.items()])
        for s in self.streams.values():
            if s.id in freed:
                s.stored_bytes = max(0, s.stored_bytes - freed[s.id])
        return len(rows)

    def scan_group(self, g: Group, lo: int, hi: int, batch: int = 5000):
        """Every (id, timestamp, ingestion, message, stream name) of ``g`` with ``lo <= timestamp <= hi``,
        in (timestamp, id) order, read in batches."""
        after = (-1, -1)
        while True:
            rows = self.db.query(
                "SELECT e.id, e.timestamp, e.ingestion, e.message, s.name FROM logs_events e "
                "JOIN logs_streams s ON s.id = e.stream_id WHERE e.group_id = ? AND e.timestamp >= ? "
                "AND e.timestamp <= ? AND (e.timestamp > ? OR (e.timestamp = ? AND e.id > ?)) "
                "ORDER BY e.timestamp, e.id LIMIT ?", (g.id, lo, hi, after[0], after[0], after[1], batch))
            yield from rows
            if len(rows) < batch:
                return
            after = (rows[-1][1], rows[-1][0])

    def event(self, group_id: int, event_id: int):
        """(timestamp, ingestion, message, stream name) of one event, or None."""
        return self.db.query_one(
            "SELECT e.timestamp, e.ingestion, e.message, s.name FROM logs_events e JOIN logs_streams s "
            "ON s.id = e.stream_id WHERE e.id = ? AND e.group_id = ?", (event_id, group_id))

    # -- Logs Insights queries ------------------------------------------------------------------------

    def save_query(self, query_id: str, account: str, region: str, text: str, group_name: str, status: str,
                   results: list, statistics: dict, created: int, group_arns: list[str] | None = None) -> None:
        self.db.execute(
            "INSERT INTO logs_queries(id, account, region, query_string, group_name, status, results, statistics, "
            "created, group_arns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (query_id, account, region, text, group_name, status, json.dumps(results), json.dumps(statistics),
             created, json.dumps(group_arns) if group_arns is not None else None))

    def query_groups(self, account: str, region: str, query_id: str) -> list[str] | None:
        """The ARNs of the log groups a query read (None for an unknown query)."""
        row = self.db.query_one("SELECT group_arns, group_name FROM logs_queries WHERE id = ? AND account = ? "
                                "AND region = ?", (query_id, account, region))
        if row is None:
            return None
        if row[0] is not None:
            return json.loads(row[0])
        # A query saved before the groups were kept: the one group it named first.
        return [f"arn:aws:logs:{region}:{account}:log-group:{row[1]}"]

    def query_row(self, account: str, region: str, query_id: str):
        return self.db.query_one("SELECT id, query_string, group_name, status, results, statistics, created "
                                 "FROM logs_queries WHERE id = ? AND account = ? AND region = ?",
                                 (query_id, account, region))

    def queries(self, account: str, region: str) -> list:
        return self.db.query("SELECT id, query_string, group_name, status, created FROM logs_queries "
                             "WHERE account = ? AND region = ? ORDER BY created DESC, id", (account, region))

    def forget_queries(self, account: str, region: str, before: int) -> None:
        self.db.execute("DELETE FROM logs_queries WHERE account = ? AND region = ? AND created < ?",
                        (account, region, before))

    # -- resource policies and query definitions -----------------------------------------------------

    def put_resource_policy(self, account: str, region: str, key: str, name: str | None, document: str,
                            scope: str, resource_arn: str | None, revision: str, now: int) -> None:
        self.db.execute(
            "INSERT INTO logs_resource_policies(account, region, policy_key, name, document, scope, resource_arn, "
            "revision, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(account, region, policy_key) DO UPDATE "
            "SET document = excluded.document, revision = excluded.revision, updated = excluded.updated",
            (account, region, key, name, document, scope, resource_arn, revision, now))

    def resource_policies(self, account: str, region: str) -> list:
        """(key, name, document, scope, resource_arn, revision, updated), by key."""
        return self.db.query("SELECT policy_key, name, document, scope, resource_arn, revision, updated "
                             "FROM logs_resource_policies WHERE account = ? AND region = ? ORDER BY policy_key",
                             (account, region))

    def delete_resource_policy(self, account: str, region: str, key: str) -> bool:
        return self.db.execute("DELETE FROM logs_resource_policies WHERE account = ? AND region = ? AND "
                               "policy_key = ?", (account, region, key)).rowcount > 0

    def put_query_definition(self, definition_id: str, account: str, region: str, name: str, text: str,
                             group_names: list, language: str, now: int) -> None:
        self.db.execute(
            "INSERT INTO logs_query_definitions(id, account, region, name, query_string, group_names, language, "
            "updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
            "query_string = excluded.query_string, group_names = excluded.group_names, "
            "language = excluded.language, updated = excluded.updated",
            (definition_id, account, region, name, text, json.dumps(group_names), language, now))

    def query_definitions(self, account: str, region: str) -> list[tuple]:
        """(id, name, query_string, group_names, language, updated), by name."""
        return [(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5]) for r in self.db.query(
            "SELECT id, name, query_string, group_names, language, updated FROM logs_query_definitions "
            "WHERE account = ? AND region = ? ORDER BY name, id", (account, region))]

    def query_definition_exists(self, account: str, region: str, definition_id: str) -> bool:
        return self.db.query_one("SELECT 1 FROM logs_query_definitions WHERE id = ? AND account = ? AND region = ?",
                                 (definition_id, account, region)) is not None

    def delete_query_definition(self, account: str, region: str, definition_id: str) -> bool:
        return self.db.execute("DELETE FROM logs_query_definitions WHERE id = ? AND account = ? AND region = ?",
                               (definition_id, account, region)).rowcount > 0

    # -- destinations -----------------------------------------------------------------------------------

    def put_destination(self, account: str, region: str, name: str, target_arn: str, role_arn: str, tags: dict,
                        now: int) -> None:
        self.db.execute(
            "INSERT INTO logs_destinations(account, region, name, target_arn, role_arn, tags, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(account, region, name) DO UPDATE SET "
            "target_arn = excluded.target_arn, role_arn = excluded.role_arn",
            (account, region, name, target_arn, role_arn, json.dumps(tags), now))

    def destinations(self, account: str, region: str) -> list[dict]:
        return [_destination(r) for r in self.db.query(
            "SELECT name, target_arn, role_arn, access_policy, created, tags FROM logs_destinations "
            "WHERE account = ? AND region = ? ORDER BY name", (account, region))]

    def destination(self, account: str, region: str, name: str) -> dict | None:
        row = self.db.query_one("SELECT name, target_arn, role_arn, access_policy, created, tags "
                                "FROM logs_destinations WHERE account = ? AND region = ? AND name = ?",
                                (account, region, name))
        return _destination(row) if row else None

    def save_destination_tags(self, account: str, region: str, name: str, tags: dict) -> None:
        self.db.execute("UPDATE logs_destinations SET tags = ? WHERE account = ? AND region = ? AND name = ?",
                        (json.dumps(tags), account, region, name))

    def set_destination_policy(self, account: str, region: str, name: str, policy: str) -> bool:
        return self.db.execute("UPDATE logs_destinations SET access_policy = ? WHERE account = ? AND region = ? "
                               "AND name = ?", (policy, account, region, name)).rowcount > 0

    def delete_destination(self, account: str, region: str, name: str) -> bool:
        return self.db.execute("DELETE FROM logs_destinations WHERE account = ? AND region = ? AND name = ?",
                               (account, region, name)).rowcount > 0

    # -- configuration resources ---------------------------------------------------------------------
    # Delivery sources, destinations and deliveries, account and log group policies, transformers,
    # anomaly detectors: each a JSON document under (kind, key), few and read whole. ``group_id``
    # ties one to a log group, so that deleting the group deletes it.

    def put_config(self, account: str, region: str, kind: str, key: str, document: dict, now: int,
                   group_id: int | None = None) -> None:
        self.db.execute(
            "INSERT INTO logs_config_resources(account, region, kind, key, group_id, document, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(account, region, kind, key) DO UPDATE SET "
            "document = excluded.document, group_id = excluded.group_id",
            (account, region, kind, key, group_id, json.dumps(document), now))

    def config(self, account: str, region: str, kind: str, key: str) -> dict | None:
        row = self.db.query_one("SELECT document FROM logs_config_resources WHERE account = ? AND region = ? "
                                "AND kind = ? AND key = ?", (account, region, kind, key))
        return json.loads(row[0]) if row else None

    def configs(self, account: str, region: str, kind: str) -> list[dict]:
        """Every document of ``kind``, by key."""
        return [json.loads(r[0]) for r in self.db.query(
            "SELECT document FROM logs_config_resources WHERE account = ? AND region = ? AND kind = ? ORDER BY key",
            (account, region, kind))]

    def configs_of_kind(self, kind: str) -> list[dict]:
        """Every document of ``kind`` in every account and region."""
        return [json.loads(r[0]) for r in self.db.query(
            "SELECT document FROM logs_config_resources WHERE kind = ? ORDER BY account, region, key", (kind,))]

    def delete_config(self, account: str, region: str, kind: str, key: str) -> bool:
        return self.db.execute("DELETE FROM logs_config_resources WHERE account = ? AND region = ? AND kind = ? "
                               "AND key = ?", (account, region, kind, key)).rowcount > 0

    # -- export tasks ---------------------------------------------------------------------------------

    _TASK_COLUMNS = ("id, name, group_name, stream_prefix, from_ms, to_ms, destination, destination_prefix, status, "
                     "message, created, completed")

    def add_export_task(self, task: dict, account: str, region: str) -> None:
        self.db.execute(
            "INSERT INTO logs_export_tasks(id, account, region, name, group_name, stream_prefix, from_ms, to_ms, "
            "destination, destination_prefix, status, message, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (task["id"], account, region, task["name"], task["group_name"], task["stream_prefix"], task["from_ms"],
             task["to_ms"], task["destination"], task["destination_prefix"], task["status"], task["message"],
             task["created"]))

    def export_tasks(self, account: str, region: str) -> list[dict]:
        rows = self.db.query(f"SELECT {self._TASK_COLUMNS} FROM logs_export_tasks WHERE account = ? AND region = ? "
                             "ORDER BY created DESC, id", (account, region))
        return [dict(r) for r in rows]

    def export_task(self, task_id: str) -> dict | None:
        row = self.db.query_one(f"SELECT {self._TASK_COLUMNS}, account, region FROM logs_export_tasks WHERE id = ?",
                                (task_id,))
        return dict(row) if row else None

    def set_export_status(self, task_id: str, status: str, message: str | None, completed: int | None) -> None:
        self.db.execute("UPDATE logs_export_tasks SET status = ?, message = ?, completed = ? WHERE id = ?",
                        (status, message, completed, task_id))

    def stream_names(self, g: Group, prefix: str | None) -> list[tuple[int, str]]:
        return [(r[0], r[1]) for r in self.db.query(
            "SELECT id, name FROM logs_streams WHERE group_id = ? ORDER BY name", (g.id,))
            if not prefix or r[1].startswith(prefix)]

    # -- metric and subscription filters ----------------------------------------------------------

    def metric_filter_counts(self) -> dict[int, int]:
        return {r[0]: r[1] for r in self.db.query(
            "SELECT group_id, COUNT(*) FROM logs_metric_filters GROUP BY group_id")}

    def metric_filter_count(self, g: Group) -> int:
        return self.db.query_one("SELECT COUNT(*) FROM logs_metric_filters WHERE group_id = ?", (g.id,))[0]

    def has_metric_filter(self, g: Group, name: str) -> bool:
        return self.db.query_one("SELECT 1 FROM logs_metric_filters WHERE group_id = ? AND name = ?",
                                 (g.id, name)) is not None

    def put_metric_filter(self, g: Group, name: str, pattern: str, transformations: list, now: int) -> None:
        self.db.execute(
            "INSERT INTO logs_metric_filters(account, region, group_id, name, pattern, transformations, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(group_id, name) DO UPDATE SET pattern = excluded.pattern, "
            "transformations = excluded.transformations",
            (g.account, g.region, g.id, name, pattern, json.dumps(transformations), now))

    def metric_filters(self, account: str, region: str) -> list[tuple]:
        """(group_id, name, pattern, transformations, created), by filter name."""
        return [(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in self.db.query(
            "SELECT group_id, name, pattern, transformations, created FROM logs_metric_filters "
            "WHERE account = ? AND region = ? ORDER BY name, group_id", (account, region))]

    def delete_metric_filter(self, g: Group, name: str) -> bool:
        return self.db.execute("DELETE FROM logs_metric_filters WHERE group_id = ? AND name = ?",
                               (g.id, name)).rowcount > 0

    def put_subscription_filter(self, g: Group, name: str, pattern: str, destination: str, role_arn: str | None,
                                distribution: str, now: int) -> None:
        self.db.execute(
            "INSERT INTO logs_subscription_filters(account, region, group_id, name, pattern, destination, role_arn, "
            "distribution, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(group_id, name) DO UPDATE SET "
            "pattern = excluded.pattern, destination = excluded.destination, role_arn = excluded.role_arn, "
            "distribution = excluded.distribution",
            (g.account, g.region, g.id, name, pattern, destination, role_arn, distribution, now))

    def all_subscription_filters(self) -> list[tuple]:
        """(group_id, name, pattern, destination) of every subscription filter."""
        return self.db.query("SELECT group_id, name, pattern, destination FROM logs_subscription_filters "
                             "ORDER BY group_id, name")

    def subscription_filters(self, g: Group) -> list[tuple]:
        """(name, pattern, destination, role_arn, distribution, created), by name."""
        return self.db.query("SELECT name, pattern, destination, role_arn, distribution, created "
                             "FROM logs_subscription_filters WHERE group_id = ? ORDER BY name", (g.id,))

    def delete_subscription_filter(self, g: Group, name: str) -> bool:
        return self.db.execute("DELETE FROM logs_subscription_filters WHERE group_id = ? AND name = ?",
                               (g.id, name)).rowcount > 0


def _destination(row) -> dict:
    d = dict(row)
    d["tags"] = json.loads(d["tags"])
    return d
