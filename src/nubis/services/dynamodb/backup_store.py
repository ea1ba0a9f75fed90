"""The rows behind backups, point-in-time recovery, exports and imports.

A backup is its table's definition and a copy of its item rows, taken in one
statement (so it is the table as of the call). The PITR log holds, per table
with PITR on, one row per item write (``body`` NULL for a delete), plus a
base copy of every item at the moment PITR was enabled: the table at time T
is, per key, the latest log row at or before T. Exports and imports are
their descriptions as JSON.
"""
from __future__ import annotations

import json

from ...state.db import Database

MIGRATION = """
CREATE TABLE dynamodb_backups (
    arn TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    table_name TEXT NOT NULL,
    created REAL NOT NULL,
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    definition TEXT NOT NULL
);
CREATE TABLE dynamodb_backup_items (
    backup_arn TEXT NOT NULL,
    hk BLOB NOT NULL,
    rk BLOB NOT NULL,
    body BLOB NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (backup_arn, hk, rk)
) WITHOUT ROWID;
CREATE TABLE dynamodb_pitr_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    table_id INTEGER NOT NULL,
    at REAL NOT NULL,
    hk BLOB NOT NULL,
    rk BLOB NOT NULL,
    body BLOB,
    size INTEGER NOT NULL
);
CREATE INDEX dynamodb_pitr_log_key ON dynamodb_pitr_log(table_id, hk, rk, at);
CREATE TABLE dynamodb_jobs (
    arn TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    created REAL NOT NULL,
    token TEXT,
    description TEXT NOT NULL
);
"""


class BackupStore:
    def __init__(self, db: Database):
        self.db = db

    # -- on-demand backups ------------------------------------------------------------

    def create_backup(self, arn: str, account: str, region: str, table_name: str, created: float, kind: str,
                      description: dict, definition: dict, table_id: int) -> None:
        with self.db.transaction():
            self.db.execute("INSERT INTO dynamodb_backups(arn, account, region, table_name, created, kind, "
                            "description, definition) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (arn, account, region, table_name, created, kind, json.dumps(description),
                             json.dumps(definition)))
            self.db.execute("INSERT INTO dynamodb_backup_items(backup_arn, hk, rk, body, size) "
                            "SELECT ?, hk, rk, body, size FROM dynamodb_items WHERE table_id = ?", (arn, table_id))
            row = self.db.query_one("SELECT count(*), coalesce(sum(size), 0) FROM dynamodb_backup_items "
                                    "WHERE backup_arn = ?", (arn,))
            description["BackupSizeBytes"] = row[1]
            description["ItemCount"] = row[0]
            self.db.execute("UPDATE dynamodb_backups SET description = ? WHERE arn = ?",
                            (json.dumps(description), arn))

    def backup(self, arn: str):
        row = self.db.query_one("SELECT arn, account, region, table_name, created, kind, description, definition "
                                "FROM dynamodb_backups WHERE arn = ?", (arn,))
        return None if row is None else _backup(row)

    def backups(self, account: str, region: str) -> list[dict]:
        rows = self.db.query("SELECT arn, account, region, table_name, created, kind, description, definition "
                             "FROM dynamodb_backups WHERE account = ? AND region = ? ORDER BY created, arn",
                             (account, region))
        return [_backup(r) for r in rows]

    def delete_backup(self, arn: str) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM dynamodb_backup_items WHERE backup_arn = ?", (arn,))
            self.db.execute("DELETE FROM dynamodb_backups WHERE arn = ?", (arn,))

    def backup_rows(self, arn: str):
        """(hk, rk, body, size) of a backup's items, in key order, a page at a time."""
        after = (b"", b"")
        first = True
        while True:
            rows = self.db.query("SELECT hk, rk, body, size FROM dynamodb_backup_items WHERE backup_arn = ? "
                                 + ("" if first else "AND (hk, rk) > (?, ?) ") + "ORDER BY hk, rk LIMIT 500",
                                 (arn,) if first else (arn, *after))
            yield from rows
            if len(rows) < 500:
                return
            first, after = False, (rows[-1][0], rows[-1][1])

    # -- point-in-time recovery ------------------------------------------------------------

    def start_log(self, table_id: int, now: float) -> None:
        """PITR enabled: forget any earlier history of this table id, copy its items as the base."""
        with self.db.transaction():
            self.db.execute("DELETE FROM dynamodb_pitr_log WHERE table_id = ?", (table_id,))
            self.db.execute("INSERT INTO dynamodb_pitr_log(table_id, at, hk, rk, body, size) "
                            "SELECT table_id, ?, hk, rk, body, size FROM dynamodb_items WHERE table_id = ?",
                            (now, table_id))

    def stop_log(self, table_id: int) -> None:
        self.db.execute("DELETE FROM dynamodb_pitr_log WHERE table_id = ?", (table_id,))

    def compact(self, table_id: int, before: float) -> None:
        """Forget the history before ``before`` that no restore in the window needs: per key,
        all but its last write before then (and that too when it was a delete)."""
        with self.db.transaction():
            self.db.execute("DELETE FROM dynamodb_pitr_log WHERE table_id = ? AND at < ? AND seq NOT IN "
                            "(SELECT max(seq) FROM dynamodb_pitr_log WHERE table_id = ? AND at < ? GROUP BY hk, rk)",
                            (table_id, before, table_id, before))
            self.db.execute("DELETE FROM dynamodb_pitr_log WHERE table_id = ? AND at < ? AND body IS NULL",
                            (table_id, before))

    def log(self, table_id: int, now: float, hk: bytes, rk: bytes, body: bytes | None, size: int) -> None:
        self.db.execute("INSERT INTO dynamodb_pitr_log(table_id, at, hk, rk, body, size) VALUES (?, ?, ?, ?, ?, ?)",
                        (table_id, now, hk, rk, body, size))

    def rows_at(self, table_id: int, when: float, before: bool = False) -> list:
        """(hk, rk, body, size) of the items the table held at ``when`` (``before``: just before it)."""
        return self.db.query(
            "SELECT hk, rk, body, size FROM (SELECT hk, rk, body, size, ROW_NUMBER() OVER "
            "(PARTITION BY hk, rk ORDER BY seq DESC) AS n FROM dynamodb_pitr_log WHERE table_id = ? AND at "
            + ("<" if before else "<=") + " ?) WHERE n = 1 AND body IS NOT NULL ORDER BY hk, rk", (table_id, when))

    def changed_between(self, table_id: int, start: float, end: float) -> list:
        """(hk, rk, body, size, at) of the last write of each key changed in [start, end) (body NULL: deleted)."""
        return self.db.query(
            "SELECT hk, rk, body, size, at FROM (SELECT hk, rk, body, size, at, ROW_NUMBER() OVER "
            "(PARTITION BY hk, rk ORDER BY seq DESC) AS n FROM dynamodb_pitr_log WHERE table_id = ? AND at >= ? "
            "AND at < ?) WHERE n = 1 ORDER BY hk, rk", (table_id, start, end))

    # -- exports and imports ---------------------------------------------------------------------

    def save_job(self, arn: str, kind: str, account: str, region: str, created: float, token: str | None,
                 description: dict) -> None:
        self.db.execute("INSERT INTO dynamodb_jobs(arn, kind, account, region, created, token, description) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(arn) DO UPDATE SET description = "
                        "excluded.description", (arn, kind, account, region, created, token, json.dumps(description)))

    def job(self, arn: str) -> dict | None:
        row = self.db.query_one("SELECT description FROM dynamodb_jobs WHERE arn = ?", (arn,))
        return None if row is None else json.loads(row[0])

    def job_by_token(self, kind: str, account: str, region: str, token: str, since: float) -> dict | None:
        row = self.db.query_one("SELECT description FROM dynamodb_jobs WHERE kind = ? AND account = ? AND region = ? "
                                "AND token = ? AND created > ? ORDER BY created DESC",
                                (kind, account, region, token, since))
        return None if row is None else json.loads(row[0])

    def jobs(self, kind: str, account: str, region: str) -> list[dict]:
        rows = self.db.query("SELECT description FROM dynamodb_jobs WHERE kind = ? AND account = ? AND region = ? "
                             "ORDER BY created, arn", (kind, account, region))
        return [json.loads(r[0]) for r in rows]


def _backup(row) -> dict:
    return {"arn": row[0], "account": row[1], "region": row[2], "table_name": row[3], "created": row[4],
            "kind": row[5], "description": json.loads(row[6]), "definition": json.loads(row[7])}
