"""Parameter Store's tables: a parameter (what is current about it, its tags)
and every version of it (value, type, labels, policies).

A parameter's name is its key within an account and Region; names sort as
paths, so a hierarchy is a range of the primary key.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

MIGRATIONS = [
    """
    CREATE TABLE ssm_parameters (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (account, region, name)
    );

    CREATE TABLE ssm_versions (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        type TEXT NOT NULL,
        value BLOB NOT NULL,
        sealed_with TEXT,
        key_id TEXT,
        description TEXT,
        allowed_pattern TEXT,
        tier TEXT NOT NULL,
        policies TEXT NOT NULL DEFAULT '[]',
        data_type TEXT NOT NULL,
        labels TEXT NOT NULL DEFAULT '[]',
        modified REAL NOT NULL,
        modified_by TEXT NOT NULL,
        PRIMARY KEY (account, region, name, version)
    );
    """,
]


@dataclass
class Version:
    name: str
    version: int
    type: str
    value: bytes  # as stored: sealed for a SecureString when KMS sealed it
    sealed_with: str | None
    key_id: str | None
    description: str | None
    allowed_pattern: str | None
    tier: str
    policies: list
    data_type: str
    labels: list = field(default_factory=list)
    modified: float = 0.0
    modified_by: str = ""


_COLUMNS = ("name", "version", "type", "value", "sealed_with", "key_id", "description", "allowed_pattern", "tier",
            "policies", "data_type", "labels", "modified", "modified_by")


def _version(row) -> Version:
    v = Version(**{k: row[k] for k in _COLUMNS})
    v.value = bytes(v.value)
    v.policies = json.loads(v.policies)
    v.labels = json.loads(v.labels)
    return v


def _range_end(prefix: str) -> str:
    return prefix + "\U0010ffff"


class Store:
    def __init__(self, db):
        self.db = db

    def latest(self, account: str, region: str, name: str) -> Version | None:
        row = self.db.query_one(
            "SELECT v.* FROM ssm_parameters p JOIN ssm_versions v ON v.account = p.account AND v.region = p.region "
            "AND v.name = p.name AND v.version = p.version WHERE p.account = ? AND p.region = ? AND p.name = ?",
            (account, region, name))
        return _version(row) if row else None

    def version(self, account: str, region: str, name: str, version: int) -> Version | None:
        row = self.db.query_one("SELECT * FROM ssm_versions WHERE account = ? AND region = ? AND name = ? "
                                "AND version = ?", (account, region, name, version))
        return _version(row) if row else None

    def oldest(self, account: str, region: str, name: str) -> Version | None:
        row = self.db.query_one("SELECT * FROM ssm_versions WHERE account = ? AND region = ? AND name = ? "
                                "ORDER BY version LIMIT 1", (account, region, name))
        return _version(row) if row else None

    def versions(self, account: str, region: str, name: str) -> list[Version]:
        return [_version(r) for r in self.db.query(
            "SELECT * FROM ssm_versions WHERE account = ? AND region = ? AND name = ? ORDER BY version",
            (account, region, name))]

    def count(self, account: str, region: str) -> int:
        return self.db.query_one("SELECT COUNT(*) FROM ssm_parameters WHERE account = ? AND region = ?",
                                 (account, region))[0]

    def put(self, account: str, region: str, v: Version, tags: list | None) -> None:
        values = [getattr(v, k) for k in _COLUMNS]
        values[_COLUMNS.index("policies")] = json.dumps(v.policies)
        values[_COLUMNS.index("labels")] = json.dumps(v.labels)
        with self.db.transaction():
            self.db.execute(f"INSERT INTO ssm_versions(account, region, {', '.join(_COLUMNS)}) "
                            f"VALUES (?, ?, {', '.join('?' * len(_COLUMNS))})", [account, region, *values])
            if tags is None:
                self.db.execute("UPDATE ssm_parameters SET version = ? WHERE account = ? AND region = ? AND name = ?",
                                (v.version, account, region, v.name))
            else:
                self.db.execute("INSERT INTO ssm_parameters(account, region, name, version, tags) VALUES (?, ?, ?, ?, ?)",
                                (account, region, v.name, v.version, json.dumps(tags)))

    def drop_version(self, account: str, region: str, name: str, version: int) -> None:
        self.db.execute("DELETE FROM ssm_versions WHERE account = ? AND region = ? AND name = ? AND version = ?",
                        (account, region, name, version))

    def set_labels(self, account: str, region: str, name: str, version: int, labels: list) -> None:
        self.db.execute("UPDATE ssm_versions SET labels = ? WHERE account = ? AND region = ? AND name = ? "
                        "AND version = ?", (json.dumps(labels), account, region, name, version))

    def delete(self, account: str, region: str, name: str) -> bool:
        with self.db.transaction():
            self.db.execute("DELETE FROM ssm_versions WHERE account = ? AND region = ? AND name = ?",
                            (account, region, name))
            cur = self.db.execute("DELETE FROM ssm_parameters WHERE account = ? AND region = ? AND name = ?",
                                  (account, region, name))
        return cur.rowcount > 0

    def tags(self, account: str, region: str, name: str) -> list | None:
        row = self.db.query_one("SELECT tags FROM ssm_parameters WHERE account = ? AND region = ? AND name = ?",
                                (account, region, name))
        return json.loads(row[0]) if row else None

    def set_tags(self, account: str, region: str, name: str, tags: list) -> None:
        self.db.execute("UPDATE ssm_parameters SET tags = ? WHERE account = ? AND region = ? AND name = ?",
                        (json.dumps(tags), account, region, name))

    def page(self, account: str, region: str, prefix: str, after: str, limit: int) -> list[tuple[Version, list]]:
        """Latest versions (with tags) of names starting with ``prefix``, after ``after``, in name order."""
        rows = self.db.query(
            "SELECT v.*, p.tags AS ptags FROM ssm_parameters p JOIN ssm_versions v ON v.account = p.account "
            "AND v.region = p.region AND v.name = p.name AND v.version = p.version "
            "WHERE p.account = ? AND p.region = ? AND p.name >= ? AND p.name < ? AND p.name > ? "
            "ORDER BY p.name LIMIT ?", (account, region, prefix, _range_end(prefix), after, limit))
        return [(_version(r), json.loads(r["ptags"])) for r in rows]
