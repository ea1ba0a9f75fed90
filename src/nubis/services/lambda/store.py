"""Lambda's tables: functions ($LATEST), published versions, aliases, layer versions.

A function's configuration is kept as the FunctionConfiguration document the
API returns (JSON), beside the columns the service looks things up by. Code
zips are blobs; a row names its blob, and a blob is removed only when no row
names it any more.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import capacity_provider_store, durable_store, mapping_store, settings_store

MIGRATIONS = [
    """
    CREATE TABLE lambda_functions (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        config TEXT NOT NULL,
        code_blob TEXT NOT NULL,
        tags TEXT NOT NULL DEFAULT '{}',
        policy TEXT,
        reserved INTEGER,
        invoke_configs TEXT NOT NULL DEFAULT '{}',
        next_version INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (account, region, name)
    );
    CREATE TABLE lambda_versions (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        config TEXT NOT NULL,
        code_blob TEXT NOT NULL,
        PRIMARY KEY (account, region, name, version)
    );
    CREATE TABLE lambda_aliases (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        alias TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (account, region, name, alias)
    );
    CREATE TABLE lambda_layers (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        doc TEXT NOT NULL,
        code_blob TEXT NOT NULL,
        PRIMARY KEY (account, region, name, version)
    );
    CREATE TABLE lambda_layer_counters (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        last INTEGER NOT NULL,
        PRIMARY KEY (account, region, name)
    );
    """,
    settings_store.MIGRATION,  # function URLs, per-function settings, code signing configs
    mapping_store.MIGRATION,  # event source mappings and their stream checkpoints
    capacity_provider_store.MIGRATION,  # capacity providers (Lambda Managed Instances)
    durable_store.MIGRATION,  # durable executions
    durable_store.NAME_INDEX,
]


@dataclass
class Function:
    account: str
    region: str
    name: str
    config: dict
    code_blob: str
    tags: dict = field(default_factory=dict)
    policy: dict | None = None
    reserved: int | None = None
    invoke_configs: dict = field(default_factory=dict)  # qualifier -> FunctionEventInvokeConfig
    next_version: int = 1

    @property
    def arn(self) -> str:
        return self.config["FunctionArn"]


class LambdaStore:
    def __init__(self, db):
        self.db = db
        # The hot path (Invoke) reads a function per request: keep them in memory.
        self._cache: dict[tuple[str, str, str], Function | None] = {}

    def clear_cache(self) -> None:
        self._cache.clear()

    # -- functions -------------------------------------------------------------------

    def get(self, account: str, region: str, name: str) -> Function | None:
        key = (account, region, name)
        try:
            return self._cache[key]
        except KeyError:
            pass
        row = self.db.query_one("SELECT * FROM lambda_functions WHERE account = ? AND region = ? AND name = ?", key)
        fn = None
        if row is not None:
            fn = Function(row["account"], row["region"], row["name"], json.loads(row["config"]), row["code_blob"],
                          json.loads(row["tags"]), json.loads(row["policy"]) if row["policy"] else None,
                          row["reserved"], json.loads(row["invoke_configs"]), row["next_version"])
        if len(self._cache) < 10_000:
            self._cache[key] = fn
        return fn

    def save(self, fn: Function) -> None:
        self.db.execute(
            "INSERT INTO lambda_functions(account, region, name, config, code_blob, tags, policy, reserved, "
            "invoke_configs, next_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(account, region, name) DO UPDATE SET config = excluded.config, "
            "code_blob = excluded.code_blob, tags = excluded.tags, policy = excluded.policy, "
            "reserved = excluded.reserved, invoke_configs = excluded.invoke_configs, "
            "next_version = excluded.next_version",
            (fn.account, fn.region, fn.name, json.dumps(fn.config), fn.code_blob, json.dumps(fn.tags),
             json.dumps(fn.policy) if fn.policy else None, fn.reserved, json.dumps(fn.invoke_configs),
             fn.next_version))
        self._cache[(fn.account, fn.region, fn.name)] = fn

    def delete(self, fn: Function) -> list[str]:
        """Remove a function with its versions and aliases; return the blobs it held."""
        key = (fn.account, fn.region, fn.name)
        with self.db.transaction():
            blobs = {fn.code_blob} | {r[0] for r in self.db.query(
                "SELECT code_blob FROM lambda_versions WHERE account = ? AND region = ? AND name = ?", key)}
            for table in (("lambda_functions", "lambda_versions", "lambda_aliases") + settings_store.FUNCTION_TABLES
                          + durable_store.FUNCTION_TABLES):
                self.db.execute(f"DELETE FROM {table} WHERE account = ? AND region = ? AND name = ?", key)
        self._cache.pop(key, None)
        return sorted(blobs)

    def list(self, account: str, region: str, after: str = "", limit: int = 50) -> list[Function]:
        rows = self.db.query("SELECT name FROM lambda_functions WHERE account = ? AND region = ? AND name > ? "
                             "ORDER BY name LIMIT ?", (account, region, after, limit))
        return [f for r in rows if (f := self.get(account, region, r[0])) is not None]

    def blob_in_use(self, blob: str) -> bool:
        return self.db.query_one(
            "SELECT 1 FROM lambda_functions WHERE code_blob = ? UNION ALL "
            "SELECT 1 FROM lambda_versions WHERE code_blob = ? UNION ALL "
            "SELECT 1 FROM lambda_layers WHERE code_blob = ? LIMIT 1", (blob, blob, blob)) is not None

    def count(self, account: str, region: str) -> tuple[int, int]:
        """(functions, total code bytes) of an account in a region."""
        row = self.db.query_one("SELECT COUNT(*) FROM lambda_functions WHERE account = ? AND region = ?",
                                (account, region))
        size = 0
        for f in self.list(account, region, limit=1_000_000):
            size += f.config.get("CodeSize", 0)
        return row[0], size

    # -- versions --------------------------------------------------------------------

    def add_version(self, fn: Function, version: int, config: dict, blob: str) -> None:
        self.db.execute("INSERT INTO lambda_versions(account, region, name, version, config, code_blob) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (fn.account, fn.region, fn.name, version, json.dumps(config), blob))

    def version(self, fn: Function, version: int) -> tuple[dict, str] | None:
        if version < 1:  # row 0 is $LATEST.PUBLISHED, not a numbered version
            return None
        row = self.db.query_one("SELECT config, code_blob FROM lambda_versions WHERE account = ? AND region = ? "
                                "AND name = ? AND version = ?", (fn.account, fn.region, fn.name, version))
        return (json.loads(row[0]), row[1]) if row else None

    def versions(self, fn: Function) -> list[tuple[dict, str]]:
        rows = self.db.query("SELECT config, code_blob FROM lambda_versions WHERE account = ? AND region = ? "
                             "AND name = ? AND version > 0 ORDER BY version", (fn.account, fn.region, fn.name))
        return [(json.loads(r[0]), r[1]) for r in rows]

    # $LATEST.PUBLISHED (Lambda Managed Instances) is the versions table's row 0: its code
    # blob is then held like any version's.

    def latest_published(self, fn: Function) -> tuple[dict, str] | None:
        row = self.db.query_one("SELECT config, code_blob FROM lambda_versions WHERE account = ? AND region = ? "
                                "AND name = ? AND version = 0", (fn.account, fn.region, fn.name))
        return (json.loads(row[0]), row[1]) if row else None

    def set_latest_published(self, fn: Function, config: dict, blob: str) -> None:
        self.db.execute("INSERT INTO lambda_versions(account, region, name, version, config, code_blob) "
                        "VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT(account, region, name, version) DO UPDATE SET "
                        "config = excluded.config, code_blob = excluded.code_blob",
                        (fn.account, fn.region, fn.name, json.dumps(config), blob))

    def delete_version(self, fn: Function, version: int) -> None:
        self.db.execute("DELETE FROM lambda_versions WHERE account = ? AND region = ? AND name = ? AND version = ?",
                        (fn.account, fn.region, fn.name, version))

    # -- aliases ---------------------------------------------------------------------

    def alias(self, fn: Function, name: str) -> dict | None:
        row = self.db.query_one("SELECT doc FROM lambda_aliases WHERE account = ? AND region = ? AND name = ? "
                                "AND alias = ?", (fn.account, fn.region, fn.name, name))
        return json.loads(row[0]) if row else None

    def aliases(self, fn: Function) -> list[dict]:
        rows = self.db.query("SELECT doc FROM lambda_aliases WHERE account = ? AND region = ? AND name = ? "
                             "ORDER BY alias", (fn.account, fn.region, fn.name))
        return [json.loads(r[0]) for r in rows]

    def save_alias(self, fn: Function, doc: dict) -> None:
        self.db.execute("INSERT INTO lambda_aliases(account, region, name, alias, doc) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT(account, region, name, alias) DO UPDATE SET doc = excluded.doc",
                        (fn.account, fn.region, fn.name, doc["Name"], json.dumps(doc)))

    def delete_alias(self, fn: Function, name: str) -> None:
        self.db.execute("DELETE FROM lambda_aliases WHERE account = ? AND region = ? AND name = ? AND alias = ?",
                        (fn.account, fn.region, fn.name, name))

    # -- layers ----------------------------------------------------------------------

    def next_layer_version(self, account: str, region: str, name: str) -> int:
        # Version numbers are never reused, even after every version is deleted.
        row = self.db.query_one(
            "INSERT INTO lambda_layer_counters(account, region, name, last) VALUES (?, ?, ?, 1) "
            "ON CONFLICT(account, region, name) DO UPDATE SET last = last + 1 RETURNING last",
            (account, region, name))
        return row[0]

    def add_layer(self, account: str, region: str, name: str, version: int, doc: dict, blob: str) -> None:
        self.db.execute("INSERT INTO lambda_layers(account, region, name, version, doc, code_blob) "
                        "VALUES (?, ?, ?, ?, ?, ?)", (account, region, name, version, json.dumps(doc), blob))

    def set_layer_doc(self, account: str, region: str, name: str, version: int, doc: dict) -> None:
        self.db.execute("UPDATE lambda_layers SET doc = ? WHERE account = ? AND region = ? AND name = ? "
                        "AND version = ?", (json.dumps(doc), account, region, name, version))

    def layer(self, account: str, region: str, name: str, version: int) -> tuple[dict, str] | None:
        row = self.db.query_one("SELECT doc, code_blob FROM lambda_layers WHERE account = ? AND region = ? "
                                "AND name = ? AND version = ?", (account, region, name, version))
        return (json.loads(row[0]), row[1]) if row else None

    def layer_versions(self, account: str, region: str, name: str | None = None) -> list[tuple[str, dict]]:
        sql = "SELECT name, doc FROM lambda_layers WHERE account = ? AND region = ?"
        args: tuple = (account, region)
        if name is not None:
            sql += " AND name = ?"
            args += (name,)
        rows = self.db.query(sql + " ORDER BY name, version DESC", args)
        return [(r[0], json.loads(r[1])) for r in rows]

    def delete_layer(self, account: str, region: str, name: str, version: int) -> str | None:
        row = self.db.query_one("DELETE FROM lambda_layers WHERE account = ? AND region = ? AND name = ? "
                                "AND version = ? RETURNING code_blob", (account, region, name, version))
        return row[0] if row else None

    def all_blobs(self) -> set[str]:
        return {r[0] for r in self.db.query(
            "SELECT code_blob FROM lambda_functions UNION SELECT code_blob FROM lambda_versions "
            "UNION SELECT code_blob FROM lambda_layers")}
