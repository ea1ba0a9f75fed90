"""STS's table: the temporary credentials it issued, until a while after they expire.

A session is read on every request signed with its key: all of them are kept
in memory and written through. Expiry needs no timer (the enforcer compares
``expires`` with the clock and answers ``ExpiredToken``); a durable timer
forgets a session a day after it expired.
"""
from __future__ import annotations

import json

from ...state.db import Database

MIGRATIONS = ["""
CREATE TABLE sts_sessions (
    access_key TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    expires REAL NOT NULL,
    doc TEXT NOT NULL
);
""", """
CREATE TABLE sts_signing_keys (
    alg TEXT PRIMARY KEY,
    kid TEXT NOT NULL,
    pem TEXT NOT NULL
);
"""]


class StsStore:
    def __init__(self, db: Database):
        self.db = db
        self.sessions: dict[str, dict] = {}
        self.load()
        db.on_rollback(self.load)

    def load(self) -> None:
        self.sessions = {r[0]: json.loads(r[1]) for r in self.db.query("SELECT access_key, doc FROM sts_sessions")}

    def get(self, access_key: str) -> dict | None:
        return self.sessions.get(access_key)

    def put(self, doc: dict) -> None:
        self.db.execute("INSERT INTO sts_sessions(access_key, account, expires, doc) VALUES (?, ?, ?, ?)",
                        (doc["AccessKeyId"], doc["account"], doc["Expiration"], json.dumps(doc)))
        self.sessions[doc["AccessKeyId"]] = doc

    # -- the keys that sign GetWebIdentityToken's tokens: one per algorithm, made on first use --

    def signing_keys(self) -> dict[str, tuple[str, str]]:
        """alg -> (kid, private key PEM)."""
        return {r[0]: (r[1], r[2]) for r in self.db.query("SELECT alg, kid, pem FROM sts_signing_keys")}

    def put_signing_key(self, alg: str, kid: str, pem: str) -> None:
        self.db.execute("INSERT INTO sts_signing_keys(alg, kid, pem) VALUES (?, ?, ?)", (alg, kid, pem))

    def delete(self, access_key: str) -> None:
        self.db.execute("DELETE FROM sts_sessions WHERE access_key = ?", (access_key,))
        self.sessions.pop(access_key, None)
