"""The table of durable executions.

An execution is one row: the columns it is listed and filtered by, and a
document (JSON) with its input, outcome, operations, history events and the
checkpoint token the running invocation holds. Executions go with their
function (``store.delete`` names this table).
"""
from __future__ import annotations

import json

MIGRATION = """
CREATE TABLE lambda_durable_executions (
    arn TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    execution_name TEXT NOT NULL,
    started REAL NOT NULL,
    status TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX lambda_durable_by_function ON lambda_durable_executions(account, region, name, started);
"""

# Execution names are looked up across an account's functions (they are idempotency keys).
NAME_INDEX = "CREATE INDEX lambda_durable_by_name ON lambda_durable_executions(account, region, execution_name);"

FUNCTION_TABLES = ("lambda_durable_executions",)


class Execution:
    __slots__ = ("arn", "account", "region", "name", "version", "execution_name", "started", "status", "doc")

    def __init__(self, arn, account, region, name, version, execution_name, started, status, doc):
        self.arn, self.account, self.region, self.name, self.version = arn, account, region, name, version
        self.execution_name, self.started, self.status, self.doc = execution_name, started, status, doc


class DurableStore:
    def __init__(self, db):
        self.db = db

    def get(self, arn: str) -> Execution | None:
        return _execution(self.db.query_one("SELECT * FROM lambda_durable_executions WHERE arn = ?", (arn,)))

    def by_name(self, account: str, region: str, execution_name: str) -> list[Execution]:
        """The executions of that name in an account and Region (names are unique there), newest first."""
        rows = self.db.query("SELECT * FROM lambda_durable_executions WHERE account = ? AND region = ? "
                             "AND execution_name = ? ORDER BY started DESC", (account, region, execution_name))
        return [_execution(r) for r in rows]

    def of_function(self, account: str, region: str, name: str) -> list[Execution]:
        rows = self.db.query("SELECT * FROM lambda_durable_executions WHERE account = ? AND region = ? AND name = ? "
                             "ORDER BY started, arn", (account, region, name))
        return [_execution(r) for r in rows]

    def running(self) -> list[Execution]:
        rows = self.db.query("SELECT * FROM lambda_durable_executions WHERE status = 'RUNNING'")
        return [_execution(r) for r in rows]

    def save(self, ex: Execution) -> None:
        self.db.execute(
            "INSERT INTO lambda_durable_executions(arn, account, region, name, version, execution_name, started, "
            "status, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(arn) DO UPDATE SET status = excluded.status, "
            "doc = excluded.doc",
            (ex.arn, ex.account, ex.region, ex.name, ex.version, ex.execution_name, ex.started, ex.status,
             json.dumps(ex.doc)))

    def delete(self, arn: str) -> None:
        self.db.execute("DELETE FROM lambda_durable_executions WHERE arn = ?", (arn,))


def _execution(row) -> Execution | None:
    if row is None:
        return None
    return Execution(row["arn"], row["account"], row["region"], row["name"], row["version"], row["execution_name"],
                     row["started"], row["status"], json.loads(row["doc"]))
