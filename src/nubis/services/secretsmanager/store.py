"""Secrets Manager's tables: secrets, and the versions of their values.

A secret's tags, rotation settings and replica regions are JSON documents in
one column (read and written whole); a version's staging labels are a JSON
list, since a secret has few versions and every query reads them all.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

MIGRATIONS = [
    """
    CREATE TABLE secretsmanager_secrets (
        arn TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        kms_key_id TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        policy TEXT,
        rotation TEXT NOT NULL DEFAULT '{}',
        replicas TEXT NOT NULL DEFAULT '[]',
        primary_region TEXT,
        created REAL NOT NULL,
        last_changed REAL NOT NULL,
        last_accessed REAL,
        last_rotated REAL,
        deleted REAL
    );
    CREATE UNIQUE INDEX secretsmanager_secrets_name ON secretsmanager_secrets(account, region, name);

    CREATE TABLE secretsmanager_versions (
        arn TEXT NOT NULL,
        version_id TEXT NOT NULL,
        stages TEXT NOT NULL,
        kind TEXT,
        value BLOB,
        sealed_with TEXT,
        created REAL NOT NULL,
        last_accessed REAL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (arn, version_id)
    );
    """,
]


@dataclass
class Secret:
    arn: str
    account: str
    region: str
    name: str
    description: str | None = None
    kms_key_id: str | None = None
    tags: list = field(default_factory=list)
    policy: str | None = None
    # {"enabled": bool, "lambda": arn, "rules": {...}, "next": epoch}
    rotation: dict = field(default_factory=dict)
    replicas: list = field(default_factory=list)
    primary_region: str | None = None
    created: float = 0.0
    last_changed: float = 0.0
    last_accessed: float | None = None
    last_rotated: float | None = None
    deleted: float | None = None


@dataclass
class Version:
    arn: str
    version_id: str
    stages: list
    kind: str | None  # "string", "binary", or None while rotation has not given it a value
    value: bytes | None
    sealed_with: str | None  # the KMS key that encrypted ``value``, None when stored as is
    created: float
    last_accessed: float | None = None
    seq: int = 0


_SECRET_COLUMNS = ("arn", "account", "region", "name", "description", "kms_key_id", "tags", "policy", "rotation",
                   "replicas", "primary_region", "created", "last_changed", "last_accessed", "last_rotated", "deleted")
_JSON = ("tags", "rotation", "replicas")


def _secret(row) -> Secret:
    values = {k: row[k] for k in _SECRET_COLUMNS}
    for k in _JSON:
        values[k] = json.loads(values[k])
    return Secret(**values)


def _version(row) -> Version:
    return Version(row["arn"], row["version_id"], json.loads(row["stages"]), row["kind"],
                   None if row["value"] is None else bytes(row["value"]), row["sealed_with"], row["created"],
                   row["last_accessed"], row["seq"])


class Store:
    def __init__(self, db):
        self.db = db

    # -- secrets -------------------------------------------------------------------

    def by_name(self, account: str, region: str, name: str) -> Secret | None:
        row = self.db.query_one("SELECT * FROM secretsmanager_secrets WHERE account = ? AND region = ? AND name = ?",
                                (account, region, name))
        return _secret(row) if row else None

    def by_arn(self, arn: str) -> Secret | None:
        row = self.db.query_one("SELECT * FROM secretsmanager_secrets WHERE arn = ?", (arn,))
        return _secret(row) if row else None

    def by_arn_prefix(self, account: str, region: str, prefix: str) -> Secret | None:
        """A partial ARN (without the random suffix) names the secret whose ARN is it
        plus ``-`` and six random characters."""
        rows = self.db.query("SELECT * FROM secretsmanager_secrets WHERE account = ? AND region = ? AND arn >= ? "
                             "AND arn < ? ORDER BY arn", (account, region, prefix + "-", prefix + "."))
        hits = [_secret(r) for r in rows if len(r["arn"]) == len(prefix) + 7]
        return hits[0] if len(hits) == 1 else None

    def save(self, s: Secret) -> None:
        values = [getattr(s, k) for k in _SECRET_COLUMNS]
        for i, k in enumerate(_SECRET_COLUMNS):
            if k in _JSON:
                values[i] = json.dumps(values[i])
        cols = ", ".join(_SECRET_COLUMNS)
        updates = ", ".join(f"{k} = excluded.{k}" for k in _SECRET_COLUMNS[1:])
        self.db.execute(f"INSERT INTO secretsmanager_secrets({cols}) VALUES ({', '.join('?' * len(values))}) "
                        f"ON CONFLICT(arn) DO UPDATE SET {updates}", values)

    def delete(self, arn: str) -> None:
        self.db.execute("DELETE FROM secretsmanager_versions WHERE arn = ?", (arn,))
        self.db.execute("DELETE FROM secretsmanager_secrets WHERE arn = ?", (arn,))

    def secrets(self, account: str, region: str) -> list[Secret]:
        return [_secret(r) for r in self.db.query(
            "SELECT * FROM secretsmanager_secrets WHERE account = ? AND region = ? ORDER BY created, rowid",
            (account, region))]

    def touch(self, arn: str, version_id: str, day: float) -> None:
        self.db.execute("UPDATE secretsmanager_secrets SET last_accessed = ? WHERE arn = ?", (day, arn))
        self.db.execute("UPDATE secretsmanager_versions SET last_accessed = ? WHERE arn = ? AND version_id = ?",
                        (day, arn, version_id))

    # -- versions -------------------------------------------------------------------

    def versions(self, arn: str) -> list[Version]:
        return [_version(r) for r in self.db.query(
            "SELECT * FROM secretsmanager_versions WHERE arn = ? ORDER BY seq", (arn,))]

    def version(self, arn: str, version_id: str) -> Version | None:
        row = self.db.query_one("SELECT * FROM secretsmanager_versions WHERE arn = ? AND version_id = ?",
                                (arn, version_id))
        return _version(row) if row else None

    def save_version(self, v: Version) -> None:
        if not v.seq:
            row = self.db.query_one("SELECT COALESCE(MAX(seq), 0) + 1 FROM secretsmanager_versions WHERE arn = ?",
                                    (v.arn,))
            v.seq = row[0]
        self.db.execute(
            "INSERT INTO secretsmanager_versions(arn, version_id, stages, kind, value, sealed_with, created, "
            "last_accessed, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(arn, version_id) DO UPDATE SET "
            "stages = excluded.stages, kind = excluded.kind, value = excluded.value, "
            "sealed_with = excluded.sealed_with",
            (v.arn, v.version_id, json.dumps(v.stages), v.kind, v.value, v.sealed_with, v.created, v.last_accessed,
             v.seq))

    def set_stages(self, arn: str, version_id: str, stages: list) -> None:
        self.db.execute("UPDATE secretsmanager_versions SET stages = ? WHERE arn = ? AND version_id = ?",
                        (json.dumps(stages), arn, version_id))

    def drop_version(self, arn: str, version_id: str) -> None:
        self.db.execute("DELETE FROM secretsmanager_versions WHERE arn = ? AND version_id = ?", (arn, version_id))
