"""EventBridge's tables and the queries on them.

Buses, rules, archives, replays, connections, API destinations, endpoints and
partner event sources are JSON documents in one table, keyed by kind and
name: EventBridge reads and writes them whole and lists them by name prefix.
Targets have a table of their own (ListRuleNamesByTarget looks them up by
ARN), and so do archived events (read by time window for a replay).
"""
from __future__ import annotations

import json

from ...state.db import Database

MIGRATIONS = ["""
CREATE TABLE events_resources (
    kind TEXT NOT NULL,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    arn TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (kind, account, region, name)
);
CREATE INDEX events_resources_arn ON events_resources(arn);
CREATE TABLE events_targets (
    rule_arn TEXT NOT NULL,
    target_id TEXT NOT NULL,
    arn TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (rule_arn, target_id)
);
CREATE INDEX events_targets_arn ON events_targets(arn, rule_arn);
CREATE TABLE events_archived (
    id INTEGER PRIMARY KEY,
    archive_arn TEXT NOT NULL,
    at REAL NOT NULL,
    event TEXT NOT NULL
);
CREATE INDEX events_archived_time ON events_archived(archive_arn, at, id);
"""]

# Kinds of resource; a rule's name is ``<bus>/<rule>`` (rule names are per bus).
BUS, RULE, ARCHIVE, REPLAY, CONNECTION, API_DESTINATION, ENDPOINT, PARTNER_SOURCE = (
    "bus", "rule", "archive", "replay", "connection", "api-destination", "endpoint", "partner-source")

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class Store:
    def __init__(self, db: Database):
        self.db = db

    # -- resources ---------------------------------------------------------------------------

    def get(self, kind: str, account: str, region: str, name: str) -> dict | None:
        row = self.db.query_one("SELECT doc FROM events_resources WHERE kind = ? AND account = ? AND region = ? "
                                "AND name = ?", (kind, account, region, name))
        return json.loads(row[0]) if row else None

    def by_arn(self, arn: str) -> tuple[str, dict] | None:
        row = self.db.query_one("SELECT kind, doc FROM events_resources WHERE arn = ?", (arn,))
        return (row[0], json.loads(row[1])) if row else None

    def put(self, kind: str, account: str, region: str, name: str, arn: str, doc: dict) -> None:
        self.db.execute("INSERT INTO events_resources(kind, account, region, name, arn, doc) VALUES (?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT(kind, account, region, name) DO UPDATE SET doc = excluded.doc, arn = excluded.arn",
                        (kind, account, region, name, arn, _dumps(doc)))

    def delete(self, kind: str, account: str, region: str, name: str) -> bool:
        cur = self.db.execute("DELETE FROM events_resources WHERE kind = ? AND account = ? AND region = ? AND name = ?",
                              (kind, account, region, name))
        return cur.rowcount > 0

    def list(self, kind: str, account: str, region: str, prefix: str = "", after: str = "",
             limit: int = 10_000) -> list[dict]:
        """Documents of ``kind`` whose name starts with ``prefix``, in name order, after ``after``."""
        rows = self.db.query(
            "SELECT doc FROM events_resources WHERE kind = ? AND account = ? AND region = ? AND name > ? "
            "AND substr(name, 1, ?) = ? ORDER BY name LIMIT ?",
            (kind, account, region, after, len(prefix), prefix, limit))
        return [json.loads(r[0]) for r in rows]

    def all_of(self, kind: str) -> list[dict]:
        return [json.loads(r[0]) for r in self.db.query("SELECT doc FROM events_resources WHERE kind = ?", (kind,))]

    # -- targets -------------------------------------------------------------------------------

    def targets(self, rule_arn: str) -> list[dict]:
        rows = self.db.query("SELECT doc FROM events_targets WHERE rule_arn = ? ORDER BY target_id", (rule_arn,))
        return [json.loads(r[0]) for r in rows]

    def put_target(self, rule_arn: str, target: dict) -> None:
        self.db.execute("INSERT INTO events_targets(rule_arn, target_id, arn, doc) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(rule_arn, target_id) DO UPDATE SET arn = excluded.arn, doc = excluded.doc",
                        (rule_arn, target["Id"], target["Arn"], _dumps(target)))

    def remove_target(self, rule_arn: str, target_id: str) -> bool:
        cur = self.db.execute("DELETE FROM events_targets WHERE rule_arn = ? AND target_id = ?", (rule_arn, target_id))
        return cur.rowcount > 0

    def remove_targets(self, rule_arn: str) -> None:
        self.db.execute("DELETE FROM events_targets WHERE rule_arn = ?", (rule_arn,))

    def rules_targeting(self, arn: str) -> list[str]:
        return [r[0] for r in self.db.query("SELECT DISTINCT rule_arn FROM events_targets WHERE arn = ? "
                                            "ORDER BY rule_arn", (arn,))]

    # -- archived events -------------------------------------------------------------------------

    def archive(self, rows: list[tuple[str, float, str]]) -> None:
        self.db.executemany("INSERT INTO events_archived(archive_arn, at, event) VALUES (?, ?, ?)", rows)

    def archived(self, archive_arn: str, start: float, end: float) -> list[str]:
        rows = self.db.query("SELECT event FROM events_archived WHERE archive_arn = ? AND at >= ? AND at <= ? "
                             "ORDER BY at, id", (archive_arn, start, end))
        return [r[0] for r in rows]

    def archive_stats(self, archive_arn: str) -> tuple[int, int]:
        row = self.db.query_one("SELECT COUNT(*), COALESCE(SUM(LENGTH(event)), 0) FROM events_archived "
                                "WHERE archive_arn = ?", (archive_arn,))
        return row[0], row[1]

    def expire_archived(self, archive_arn: str, before: float) -> int:
        return self.db.execute("DELETE FROM events_archived WHERE archive_arn = ? AND at < ?",
                               (archive_arn, before)).rowcount

    def drop_archive(self, archive_arn: str) -> None:
        self.db.execute("DELETE FROM events_archived WHERE archive_arn = ?", (archive_arn,))
