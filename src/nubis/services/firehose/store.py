"""Firehose's tables: delivery streams, the records buffered for delivery, and
where a Kinesis-sourced stream has read its shards up to.

A record accepted by PutRecord is a row of ``firehose_records`` before the
answer goes out; it leaves the table only once its delivery (to the
destination, or to the error or backup prefix) is done, so nothing accepted
is lost to a restart.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from ...state.db import Database

MIGRATIONS = ["""
CREATE TABLE firehose_streams (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL,
    tags TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    UNIQUE (account, region, name)
);
CREATE TABLE firehose_records (
    id INTEGER PRIMARY KEY,
    stream_id INTEGER NOT NULL,
    arrived REAL NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX firehose_records_stream ON firehose_records(stream_id, id);
CREATE TABLE firehose_checkpoints (
    stream_id INTEGER NOT NULL,
    shard_id TEXT NOT NULL,
    sequence TEXT NOT NULL,
    PRIMARY KEY (stream_id, shard_id)
);
"""]


@dataclass
class Stream:
    id: int
    account: str
    region: str
    name: str
    kind: str          # DeliveryStreamType
    version: int
    doc: dict          # {"destination": (key, config), "source": ..., "encryption": ...}
    tags: dict
    created: float
    updated: float

    @property
    def arn(self) -> str:
        return f"arn:aws:firehose:{self.region}:{self.account}:deliverystream/{self.name}"

    @property
    def dest_kind(self) -> str:
        return self.doc["destination"]["kind"]

    @property
    def dest(self) -> dict:
        return self.doc["destination"]["config"]


class FirehoseStore:
    def __init__(self, db: Database):
        self.db = db
        self.streams: dict[tuple[str, str, str], Stream] = {}
        self.by_id: dict[int, Stream] = {}
        self.load()

    def load(self) -> None:
        self.streams.clear()
        self.by_id.clear()
        for r in self.db.query("SELECT id, account, region, name, kind, version, doc, tags, created, updated "
                               "FROM firehose_streams"):
            self._cache(Stream(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), json.loads(r[7]), r[8], r[9]))

    def _cache(self, s: Stream) -> Stream:
        self.streams[(s.account, s.region, s.name)] = s
        self.by_id[s.id] = s
        return s

    def get(self, account: str, region: str, name: str) -> Stream | None:
        return self.streams.get((account, region, name))

    def in_region(self, account: str, region: str) -> list[Stream]:
        return sorted((s for s in self.streams.values() if s.account == account and s.region == region),
                      key=lambda s: s.name)

    def create(self, account, region, name, kind, doc, tags, now) -> Stream:
        row = self.db.query_one(
            "INSERT INTO firehose_streams(account, region, name, kind, version, doc, tags, created, updated) "
            "VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?) RETURNING id",
            (account, region, name, kind, json.dumps(doc), json.dumps(tags), now, now))
        return self._cache(Stream(row[0], account, region, name, kind, 1, doc, tags, now, now))

    def save(self, s: Stream) -> None:
        self.db.execute("UPDATE firehose_streams SET version = ?, doc = ?, tags = ?, updated = ? WHERE id = ?",
                        (s.version, json.dumps(s.doc), json.dumps(s.tags), s.updated, s.id))

    def delete(self, s: Stream) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM firehose_records WHERE stream_id = ?", (s.id,))
            self.db.execute("DELETE FROM firehose_checkpoints WHERE stream_id = ?", (s.id,))
            self.db.execute("DELETE FROM firehose_streams WHERE id = ?", (s.id,))
        self.streams.pop((s.account, s.region, s.name), None)
        self.by_id.pop(s.id, None)

    # -- the buffer -----------------------------------------------------------------

    def add(self, s: Stream, rows: list[tuple[float, bytes]]) -> list[int]:
        ids = []
        with self.db.transaction():
            for arrived, data in rows:
                ids.append(self.db.execute("INSERT INTO firehose_records(stream_id, arrived, data) VALUES (?, ?, ?)",
                                           (s.id, arrived, data)).lastrowid)
        return ids

    def buffered_bytes(self, s: Stream) -> int:
        row = self.db.query_one("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM firehose_records WHERE stream_id = ?",
                                (s.id,))
        return row[0]

    def oldest(self, s: Stream) -> float | None:
        row = self.db.query_one("SELECT MIN(arrived) FROM firehose_records WHERE stream_id = ?", (s.id,))
        return row[0] if row else None

    def buffered(self, s: Stream) -> list[tuple[int, float, bytes]]:
        return [(r[0], r[1], bytes(r[2])) for r in self.db.query(
            "SELECT id, arrived, data FROM firehose_records WHERE stream_id = ? ORDER BY id", (s.id,))]

    def remove(self, s: Stream, ids: list[int]) -> None:
        with self.db.transaction():
            self.db.executemany("DELETE FROM firehose_records WHERE stream_id = ? AND id = ?",
                                [(s.id, i) for i in ids])

    # -- Kinesis source checkpoints ---------------------------------------------------------

    def checkpoints(self, s: Stream) -> dict[str, str]:
        return {r[0]: r[1] for r in self.db.query(
            "SELECT shard_id, sequence FROM firehose_checkpoints WHERE stream_id = ?", (s.id,))}

    def checkpoint(self, s: Stream, shard: str, sequence: str) -> None:
        self.db.execute("INSERT INTO firehose_checkpoints(stream_id, shard_id, sequence) VALUES (?, ?, ?) "
                        "ON CONFLICT(stream_id, shard_id) DO UPDATE SET sequence = excluded.sequence",
                        (s.id, shard, sequence))
