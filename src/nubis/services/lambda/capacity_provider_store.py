"""The table of capacity providers (Lambda Managed Instances).

A capacity provider is kept as the CapacityProvider document the API returns
(JSON), with its tags, and the moments on the clock at which it becomes
Active and, once deleted, goes away.
"""
from __future__ import annotations

import json

MIGRATION = """
CREATE TABLE lambda_capacity_providers (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '{}',
    ready_at REAL NOT NULL,
    gone_at REAL,
    PRIMARY KEY (account, region, name)
);
"""


class CapacityProviderRow:
    __slots__ = ("account", "region", "name", "doc", "tags", "ready_at", "gone_at")

    def __init__(self, account, region, name, doc, tags, ready_at, gone_at):
        self.account, self.region, self.name = account, region, name
        self.doc, self.tags, self.ready_at, self.gone_at = doc, tags, ready_at, gone_at


class CapacityProviderStore:
    def __init__(self, db):
        self.db = db

    def get(self, account: str, region: str, name: str) -> CapacityProviderRow | None:
        row = self.db.query_one("SELECT * FROM lambda_capacity_providers WHERE account = ? AND region = ? "
                                "AND name = ?", (account, region, name))
        return _row(row)

    def list(self, account: str, region: str) -> list[CapacityProviderRow]:
        rows = self.db.query("SELECT * FROM lambda_capacity_providers WHERE account = ? AND region = ? "
                             "ORDER BY name", (account, region))
        return [_row(r) for r in rows]

    def save(self, row: CapacityProviderRow) -> None:
        self.db.execute(
            "INSERT INTO lambda_capacity_providers(account, region, name, doc, tags, ready_at, gone_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(account, region, name) DO UPDATE SET doc = excluded.doc, "
            "tags = excluded.tags, ready_at = excluded.ready_at, gone_at = excluded.gone_at",
            (row.account, row.region, row.name, json.dumps(row.doc), json.dumps(row.tags), row.ready_at,
             row.gone_at))

    def purge(self, account: str, region: str, now: float) -> None:
        """Forget the providers whose deletion has finished by ``now``."""
        self.db.execute("DELETE FROM lambda_capacity_providers WHERE account = ? AND region = ? "
                        "AND gone_at IS NOT NULL AND gone_at <= ?", (account, region, now))


def _row(row) -> CapacityProviderRow | None:
    if row is None:
        return None
    return CapacityProviderRow(row["account"], row["region"], row["name"], json.loads(row["doc"]),
                               json.loads(row["tags"]), row["ready_at"], row["gone_at"])
