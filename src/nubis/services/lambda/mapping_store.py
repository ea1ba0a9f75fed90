"""Tables of event source mappings: the mapping (kept as the document the API
returns) and, for streams, the checkpoint of each shard (the last sequence
number the function was given), so that a restart resumes where it stopped."""
from __future__ import annotations

import json

MIGRATION = """
CREATE TABLE lambda_event_source_mappings (
    uuid TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    function_arn TEXT NOT NULL,
    source_arn TEXT NOT NULL,
    doc TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL
);
CREATE INDEX lambda_esm_by_function ON lambda_event_source_mappings(account, region, function_arn);
CREATE TABLE lambda_esm_checkpoints (
    uuid TEXT NOT NULL,
    shard TEXT NOT NULL,
    sequence TEXT NOT NULL,
    PRIMARY KEY (uuid, shard)
);
"""


class MappingStore:
    def __init__(self, db):
        self.db = db

    def save(self, account: str, region: str, doc: dict, tags: dict, created: float) -> None:
        self.db.execute(
            "INSERT INTO lambda_event_source_mappings(uuid, account, region, function_arn, source_arn, doc, tags, "
            "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(uuid) DO UPDATE SET doc = excluded.doc, "
            "function_arn = excluded.function_arn, tags = excluded.tags",
            (doc["UUID"], account, region, doc["FunctionArn"], doc.get("EventSourceArn", ""), json.dumps(doc),
             json.dumps(tags), created))

    def get(self, uuid: str) -> tuple[str, str, dict, dict, float] | None:
        """(account, region, doc, tags, created) of a mapping."""
        row = self.db.query_one("SELECT account, region, doc, tags, created FROM lambda_event_source_mappings "
                                "WHERE uuid = ?", (uuid,))
        return (row[0], row[1], json.loads(row[2]), json.loads(row[3]), row[4]) if row else None

    def delete(self, uuid: str) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM lambda_event_source_mappings WHERE uuid = ?", (uuid,))
            self.db.execute("DELETE FROM lambda_esm_checkpoints WHERE uuid = ?", (uuid,))

    def list(self, account: str, region: str, function_arn: str | None = None,
             source_arn: str | None = None) -> list[dict]:
        rows = self.db.query("SELECT function_arn, source_arn, doc FROM lambda_event_source_mappings "
                             "WHERE account = ? AND region = ? ORDER BY created, uuid", (account, region))
        out = []
        for fn_arn, src, doc in rows:
            # A function named without a qualifier matches its mappings on any qualifier.
            if function_arn is not None and fn_arn != function_arn and not fn_arn.startswith(function_arn + ":"):
                continue
            if source_arn is not None and src != source_arn:
                continue
            out.append(json.loads(doc))
        return out

    def all(self) -> list[tuple[str, str, dict]]:
        """Every mapping of every account: (account, region, doc)."""
        rows = self.db.query("SELECT account, region, doc FROM lambda_event_source_mappings ORDER BY created")
        return [(r[0], r[1], json.loads(r[2])) for r in rows]

    # -- stream checkpoints ------------------------------------------------------------

    def checkpoints(self, uuid: str) -> dict[str, str]:
        return {r[0]: r[1] for r in self.db.query(
            "SELECT shard, sequence FROM lambda_esm_checkpoints WHERE uuid = ?", (uuid,))}

    def checkpoint(self, uuid: str, shard: str, sequence: str) -> None:
        self.db.execute("INSERT INTO lambda_esm_checkpoints(uuid, shard, sequence) VALUES (?, ?, ?) "
                        "ON CONFLICT(uuid, shard) DO UPDATE SET sequence = excluded.sequence",
                        (uuid, shard, sequence))
