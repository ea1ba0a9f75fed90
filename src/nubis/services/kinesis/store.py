"""Kinesis's tables and the queries on them.

Streams, their shards and consumers are few and read on every request: they
are kept in memory and written through. Records live only in SQLite, keyed
by ``shard row << 40 | counter`` so that a shard's records are one range of
the primary key: a put is one ``executemany``, a read one range scan.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from ...state.db import Database
from .sequence import COUNTER_BITS, MAX_COUNTER, parse_sequence

MIGRATIONS = ["""
CREATE TABLE kinesis_streams (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    ready_at REAL NOT NULL,
    mode TEXT NOT NULL,
    retention_hours INTEGER NOT NULL,
    created REAL NOT NULL,
    encryption TEXT NOT NULL,
    key_id TEXT,
    metrics TEXT NOT NULL,
    tags TEXT NOT NULL,
    policy TEXT,
    next_shard INTEGER NOT NULL,
    max_record_kib INTEGER NOT NULL,
    UNIQUE (account, region, name)
);
CREATE TABLE kinesis_shards (
    id INTEGER PRIMARY KEY,
    stream_id INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    parent TEXT,
    adjacent TEXT,
    start_hash TEXT NOT NULL,
    end_hash TEXT NOT NULL,
    start_seq TEXT NOT NULL,
    end_seq TEXT,
    opened REAL NOT NULL,
    closed REAL,
    counter INTEGER NOT NULL DEFAULT 0,
    last_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX kinesis_shards_stream ON kinesis_shards(stream_id, idx);
CREATE TABLE kinesis_records (
    id INTEGER PRIMARY KEY,
    seq TEXT NOT NULL,
    pkey TEXT NOT NULL,
    data BLOB NOT NULL,
    arrival REAL NOT NULL,
    encrypted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE kinesis_consumers (
    arn TEXT PRIMARY KEY,
    stream_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    ready_at REAL NOT NULL,
    created REAL NOT NULL,
    tags TEXT NOT NULL,
    policy TEXT
);
CREATE TABLE kinesis_account_settings (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    settings TEXT NOT NULL,
    PRIMARY KEY (account, region)
);
""", """
ALTER TABLE kinesis_streams ADD COLUMN warm_mibps INTEGER;
"""]


@dataclass(eq=False)
class Shard:
    id: int                 # row id: the high bits of its records' keys
    stream_id: int
    idx: int
    parent: str | None
    adjacent: str | None
    start_hash: int
    end_hash: int
    start_seq: str
    end_seq: str | None
    opened: float
    closed: float | None
    counter: int            # the last counter given out
    last_ms: int            # the time part of the last sequence number given out
    shard_id: str = field(init=False)
    # Throughput buckets, made on first use (provisioned streams only).
    buckets: object = field(default=None, repr=False)

    def __post_init__(self):
        self.shard_id = f"shardId-{self.idx:012d}"

    @property
    def open(self) -> bool:
        return self.end_seq is None

    def key(self, counter: int) -> int:
        return self.id << COUNTER_BITS | counter


@dataclass(eq=False)
class Stream:
    id: int
    account: str
    region: str
    name: str
    status: str
    ready_at: float
    mode: str
    retention_hours: int
    created: float
    encryption: str
    key_id: str | None
    metrics: list
    tags: dict
    policy: str | None
    next_shard: int
    max_record_kib: int
    warm_mibps: int | None = None  # on-demand warm throughput asked for
    shards: list = field(default_factory=list)      # every shard, by index
    open_shards: list = field(default_factory=list)  # open ones, by starting hash key
    starts: list = field(default_factory=list)       # their starting hash keys, for bisect
    arn: str = field(init=False)

    def __post_init__(self):
        self.arn = f"arn:aws:kinesis:{self.region}:{self.account}:stream/{self.name}"

    def index(self) -> None:
        self.open_shards = sorted((s for s in self.shards if s.open), key=lambda s: s.start_hash)
        self.starts = [s.start_hash for s in self.open_shards]

    def shard(self, shard_id: str) -> Shard | None:
        return next((s for s in self.shards if s.shard_id == shard_id), None)


@dataclass(eq=False)
class Consumer:
    arn: str
    stream_id: int
    name: str
    status: str
    ready_at: float
    created: float
    tags: dict
    policy: str | None


_STREAM_COLUMNS = ("id, account, region, name, status, ready_at, mode, retention_hours, created, encryption, "
                   "key_id, metrics, tags, policy, next_shard, max_record_kib, warm_mibps")
_SHARD_COLUMNS = ("id, stream_id, idx, parent, adjacent, start_hash, end_hash, start_seq, end_seq, opened, closed, "
                  "counter, last_ms")


class KinesisStore:
    def __init__(self, db: Database):
        self.db = db
        self.streams: dict[tuple[str, str, str], Stream] = {}
        self.by_id: dict[int, Stream] = {}
        self.shard_rows: dict[int, Shard] = {}
        self.consumers: dict[str, Consumer] = {}
        self.load()

    def load(self) -> None:
        self.streams.clear()
        self.by_id.clear()
        self.shard_rows.clear()
        self.consumers.clear()
        for r in self.db.query(f"SELECT {_STREAM_COLUMNS} FROM kinesis_streams"):
            s = Stream(*r[:11], json.loads(r[11]), json.loads(r[12]), *r[13:])
            self.streams[(s.account, s.region, s.name)] = s
            self.by_id[s.id] = s
        for r in self.db.query(f"SELECT {_SHARD_COLUMNS} FROM kinesis_shards ORDER BY stream_id, idx"):
            sh = Shard(r[0], r[1], r[2], r[3], r[4], int(r[5]), int(r[6]), *r[7:])
            stream = self.by_id.get(sh.stream_id)
            if stream is not None:
                # A counter given out but not yet saved on the shard row is in the records.
                last = self.db.query_one("SELECT id, seq FROM kinesis_records WHERE id BETWEEN ? AND ? "
                                         "ORDER BY id DESC LIMIT 1", (sh.key(0), sh.key(MAX_COUNTER)))
                if last is not None and (last[0] & MAX_COUNTER) > sh.counter:
                    sh.counter = last[0] & MAX_COUNTER
                    sh.last_ms = max(sh.last_ms, parse_sequence(last[1])[0])
                stream.shards.append(sh)
                self.shard_rows[sh.id] = sh
        for s in self.streams.values():
            s.index()
        for r in self.db.query("SELECT arn, stream_id, name, status, ready_at, created, tags, policy "
                               "FROM kinesis_consumers"):
            self.consumers[r[0]] = Consumer(*r[:6], json.loads(r[6]), r[7])

    # -- streams ----------------------------------------------------------------------------

    def get(self, account: str, region: str, name: str) -> Stream | None:
        return self.streams.get((account, region, name))

    def create(self, s: Stream) -> Stream:
        row = self.db.query_one(
            f"INSERT INTO kinesis_streams({_STREAM_COLUMNS[4:]}) VALUES ({', '.join('?' * 16)}) RETURNING id",
            (s.account, s.region, s.name, s.status, s.ready_at, s.mode, s.retention_hours, s.created,
             s.encryption, s.key_id, json.dumps(s.metrics), json.dumps(s.tags), s.policy, s.next_shard,
             s.max_record_kib, s.warm_mibps))
        s.id = row[0]
        self.streams[(s.account, s.region, s.name)] = s
        self.by_id[s.id] = s
        return s

    def save(self, s: Stream) -> None:
        self.db.execute(
            "UPDATE kinesis_streams SET status = ?, ready_at = ?, mode = ?, retention_hours = ?, encryption = ?, "
            "key_id = ?, metrics = ?, tags = ?, policy = ?, next_shard = ?, max_record_kib = ?, "
            "warm_mibps = ? WHERE id = ?",
            (s.status, s.ready_at, s.mode, s.retention_hours, s.encryption, s.key_id, json.dumps(s.metrics),
             json.dumps(s.tags), s.policy, s.next_shard, s.max_record_kib, s.warm_mibps, s.id))

    def delete(self, s: Stream) -> None:
        with self.db.transaction():
            for sh in s.shards:
                self.db.execute("DELETE FROM kinesis_records WHERE id BETWEEN ? AND ?",
                                (sh.key(0), sh.key(MAX_COUNTER)))
                self.shard_rows.pop(sh.id, None)
            self.db.execute("DELETE FROM kinesis_shards WHERE stream_id = ?", (s.id,))
            self.db.execute("DELETE FROM kinesis_consumers WHERE stream_id = ?", (s.id,))
            self.db.execute("DELETE FROM kinesis_streams WHERE id = ?", (s.id,))
        for arn in [a for a, c in self.consumers.items() if c.stream_id == s.id]:
            del self.consumers[arn]
        self.streams.pop((s.account, s.region, s.name), None)
        self.by_id.pop(s.id, None)

    def in_region(self, account: str, region: str) -> list[Stream]:
        return sorted((s for s in self.streams.values() if s.account == account and s.region == region),
                      key=lambda s: s.name)

    # -- shards -----------------------------------------------------------------------------

    def add_shard(self, s: Stream, sh: Shard) -> Shard:
        row = self.db.query_one(
            f"INSERT INTO kinesis_shards({_SHARD_COLUMNS[4:]}) VALUES ({', '.join('?' * 12)}) RETURNING id",
            (sh.stream_id, sh.idx, sh.parent, sh.adjacent, str(sh.start_hash), str(sh.end_hash), sh.start_seq,
             sh.end_seq, sh.opened, sh.closed, sh.counter, sh.last_ms))
        sh.id = row[0]
        s.shards.append(sh)
        self.shard_rows[sh.id] = sh
        return sh

    def save_shard(self, sh: Shard) -> None:
        self.db.execute("UPDATE kinesis_shards SET end_seq = ?, closed = ?, counter = ?, last_ms = ? WHERE id = ?",
                        (sh.end_seq, sh.closed, sh.counter, sh.last_ms, sh.id))

    def drop_shard(self, s: Stream, sh: Shard) -> None:
        self.db.execute("DELETE FROM kinesis_records WHERE id BETWEEN ? AND ?", (sh.key(0), sh.key(MAX_COUNTER)))
        self.db.execute("DELETE FROM kinesis_shards WHERE id = ?", (sh.id,))
        s.shards.remove(sh)
        self.shard_rows.pop(sh.id, None)

    # -- records ----------------------------------------------------------------------------

    def insert(self, rows: list[tuple]) -> None:
        """``rows`` of (key, seq, partition key, data, arrival, encrypted): one batch."""
        self.db.executemany(
            "INSERT INTO kinesis_records(id, seq, pkey, data, arrival, encrypted) VALUES (?, ?, ?, ?, ?, ?)", rows)

    def read(self, sh: Shard, counter: int, limit: int) -> list:
        return self.db.query("SELECT id, seq, pkey, data, arrival, encrypted FROM kinesis_records "
                             "WHERE id BETWEEN ? AND ? ORDER BY id LIMIT ?",
                             (sh.key(counter), sh.key(MAX_COUNTER), limit))

    def first_at(self, sh: Shard, when: float) -> int | None:
        """The counter of the shard's first record that arrived at or after ``when``."""
        row = self.db.query_one("SELECT id FROM kinesis_records WHERE id BETWEEN ? AND ? AND arrival >= ? "
                                "ORDER BY id LIMIT 1", (sh.key(0), sh.key(MAX_COUNTER), when))
        return None if row is None else row[0] & MAX_COUNTER

    def arrival_of(self, sh: Shard, counter: int) -> float | None:
        row = self.db.query_one("SELECT arrival FROM kinesis_records WHERE id BETWEEN ? AND ? ORDER BY id LIMIT 1",
                                (sh.key(counter), sh.key(MAX_COUNTER)))
        return None if row is None else row[0]

    def oldest(self, sh: Shard) -> int | None:
        row = self.db.query_one("SELECT id FROM kinesis_records WHERE id BETWEEN ? AND ? ORDER BY id LIMIT 1",
                                (sh.key(0), sh.key(MAX_COUNTER)))
        return None if row is None else row[0] & MAX_COUNTER

    def trim(self, sh: Shard, cutoff: float, batch: int) -> int:
        """Delete up to ``batch`` of the shard's records that arrived at or before ``cutoff``.
        Arrival grows with the key within a shard, so the expired records are a prefix."""
        lo, hi = sh.key(0), sh.key(MAX_COUNTER)
        row = self.db.query_one("SELECT id, arrival FROM kinesis_records WHERE id BETWEEN ? AND ? "
                                "ORDER BY id LIMIT 1 OFFSET ?", (lo, hi, batch - 1))
        if row is not None and row[1] <= cutoff:
            upto = row[0]
        else:
            first_live = self.db.query_one("SELECT id FROM kinesis_records WHERE id BETWEEN ? AND ? AND arrival > ? "
                                           "ORDER BY id LIMIT 1", (lo, hi, cutoff))
            upto = (first_live[0] - 1) if first_live else hi
        return self.db.execute("DELETE FROM kinesis_records WHERE id BETWEEN ? AND ?", (lo, upto)).rowcount

    # -- consumers --------------------------------------------------------------------------

    def add_consumer(self, c: Consumer) -> None:
        self.db.execute("INSERT INTO kinesis_consumers(arn, stream_id, name, status, ready_at, created, tags, policy) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (c.arn, c.stream_id, c.name, c.status, c.ready_at, c.created, json.dumps(c.tags), c.policy))
        self.consumers[c.arn] = c

    def save_consumer(self, c: Consumer) -> None:
        self.db.execute("UPDATE kinesis_consumers SET status = ?, ready_at = ?, tags = ?, policy = ? WHERE arn = ?",
                        (c.status, c.ready_at, json.dumps(c.tags), c.policy, c.arn))

    def drop_consumer(self, c: Consumer) -> None:
        self.db.execute("DELETE FROM kinesis_consumers WHERE arn = ?", (c.arn,))
        self.consumers.pop(c.arn, None)

    # -- account settings -------------------------------------------------------------------

    def settings(self, account: str, region: str) -> dict:
        row = self.db.query_one("SELECT settings FROM kinesis_account_settings WHERE account = ? AND region = ?",
                                (account, region))
        return json.loads(row[0]) if row else {}

    def save_settings(self, account: str, region: str, settings: dict) -> None:
        self.db.execute("INSERT INTO kinesis_account_settings(account, region, settings) VALUES (?, ?, ?) "
                        "ON CONFLICT(account, region) DO UPDATE SET settings = excluded.settings",
                        (account, region, json.dumps(settings)))
