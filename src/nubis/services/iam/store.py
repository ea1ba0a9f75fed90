"""IAM's table: every entity of an account as one JSON document.

IAM is global (no Region) and small (users, roles, policies are counted in
hundreds), and every signed request of an IAM principal reads it: the whole
of it is kept in memory and written through. An entity is ``(account, kind,
key)`` -> document; ``key`` is the lower-cased name where IAM names are
case-insensitive (users, groups, roles, policies, instance profiles).
"""
from __future__ import annotations

import json

from ...state.db import Database

MIGRATIONS = ["""
CREATE TABLE iam_entities (
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (account, kind, key)
);
"""]


class IamStore:
    def __init__(self, db: Database):
        self.db = db
        self.entities: dict[tuple[str, str], dict[str, dict]] = {}
        # Access key id -> (account, its document): keys are looked up across accounts.
        self.keys: dict[str, tuple[str, dict]] = {}
        # Bumped by every change: what is derived from the entities (a key's credential,
        # with its principal's policies) is good while it stays the same.
        self.generation = 0
        self.load()
        db.on_rollback(self.load)

    def load(self) -> None:
        self.generation += 1
        self.entities.clear()
        self.keys.clear()
        for account, kind, key, doc in self.db.query("SELECT account, kind, key, doc FROM iam_entities"):
            self._cache(account, kind, key, json.loads(doc))

    def _cache(self, account: str, kind: str, key: str, doc: dict) -> None:
        self.entities.setdefault((account, kind), {})[key] = doc
        if kind == "accesskey":
            self.keys[key] = (account, doc)

    def get(self, account: str, kind: str, key: str) -> dict | None:
        return self.entities.get((account, kind), {}).get(key)

    def all(self, account: str, kind: str) -> list[dict]:
        return list(self.entities.get((account, kind), {}).values())

    def put(self, account: str, kind: str, key: str, doc: dict) -> dict:
        self.generation += 1
        self.db.execute("INSERT INTO iam_entities(account, kind, key, doc) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(account, kind, key) DO UPDATE SET doc = excluded.doc",
                        (account, kind, key, json.dumps(doc)))
        self._cache(account, kind, key, doc)
        return doc

    def delete(self, account: str, kind: str, key: str) -> None:
        self.generation += 1
        self.db.execute("DELETE FROM iam_entities WHERE account = ? AND kind = ? AND key = ?", (account, kind, key))
        self.entities.get((account, kind), {}).pop(key, None)
        if kind == "accesskey":
            self.keys.pop(key, None)
