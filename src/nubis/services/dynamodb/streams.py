"""DynamoDB Streams, DynamoDB's side: a table's stream and its change records.

Every change to an item of a table whose stream is enabled becomes a record,
written in the same SQLite transaction as the change, so a change and its
record commit or vanish together. Records are numbered by one AUTOINCREMENT
column (never reused, so increasing per item and per stream); the API shows
the number as a 21-digit ``SequenceNumber``. Each time a stream is enabled a
new stream (label, ARN) begins; the old one is closed and stays readable
until its records age out. A stream has one shard here (AWS's shards roll
every few hours; consumers that follow ``ParentShardId`` see one generation).

This module is also the hub that keeps a table's *watchers* (``Table.watchers``:
the stream, the TTL index of ``ttl.py`` and the replication of
``global_tables.py``) in step with its definition: ``follow(t)`` after every
change of definition; the provider's ``_write`` calls each watcher with the
item before and after.

The read API the ``dynamodbstreams`` provider uses (it never reads these
tables itself): ``streams_of``, ``stream``, ``records``, ``next_seq``.
"""
from __future__ import annotations

import contextlib
import json
import os
import uuid

import cbor2

from . import items as it
from . import tables as tb

SEQ_BASE = 10 ** 20          # seq 1 is "100000000000000000001": 21 digits
RETENTION = 24 * 3600.0
TRIM_EVERY = 600.0
TRIM = "dynamodb:streams-trim"
SERVICE_IDENTITY = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
_IMAGES = {"KEYS_ONLY": (False, False), "NEW_IMAGE": (True, False), "OLD_IMAGE": (False, True),
           "NEW_AND_OLD_IMAGES": (True, True)}


def sequence_number(seq: int) -> str:
    return str(SEQ_BASE + seq)


def parse_sequence_number(text) -> int | None:
    try:
        n = int(text)
    except (TypeError, ValueError):
        return None
    return n - SEQ_BASE if n > SEQ_BASE else None


class Streams:
    def __init__(self, provider):
        self.p = provider
        self.db = provider.db
        self.clock = provider.clock
        self.scheduler = provider.scheduler
        # table id -> (stream id, view type) of the open stream.
        self.open: dict[int, tuple[int, str]] = {}
        # Set while the service itself makes changes (TTL deletions): the records' userIdentity.
        self.identity: dict | None = None
        self.scheduler.on(TRIM, self._trim)
        self.load()

    def load(self) -> None:
        self.open = {r[0]: (r[1], r[2]) for r in self.db.query(
            "SELECT table_id, id, view_type FROM dynamodb_streams WHERE closed IS NULL")}

    # -- the watchers of a table ------------------------------------------------------------

    def follow(self, t) -> None:
        """Bring the table's stream, TTL index and replication in step with its definition."""
        self._sync(t)
        watchers = []
        if t.id in self.open:
            watchers.append(self.record)
        watch_ttl = self.p.expiry.follow(t)
        if watch_ttl is not None:
            watchers.append(watch_ttl)
        if t.definition.get("Replicas"):
            watchers.append(self.p.replicas.watch)
        t.watchers = tuple(watchers)

    def dropped(self, t) -> None:
        """The table was deleted: its stream closes (readable for 24 hours), TTL and replication stop."""
        with self.db.transaction():
            self._close(t.id)
            self.p.expiry.dropped(t)
            self.p.replicas.dropped(t)
        t.watchers = ()

    @contextlib.contextmanager
    def acting_as(self, identity: dict):
        """Changes made inside are the service's own (TTL): their records name it."""
        self.identity = identity
        try:
            yield
        finally:
            self.identity = None

    def _sync(self, t) -> None:
        spec = t.definition.get("StreamSpecification") or {}
        current = self.open.get(t.id)
        if not spec.get("StreamEnabled"):
            if current is not None:
                self._close(t.id)
            return
        label = t.definition["StreamLabel"]
        row = None if current is None else self.db.query_one(
            "SELECT label FROM dynamodb_streams WHERE id = ?", (current[0],))
        if row is not None and row[0] == label:
            return
        if current is not None:
            self._close(t.id)
        # Re-enabled within the same millisecond of the clock (a frozen clock):
        # the new stream still needs its own label and ARN.
        step = 0
        while self.db.query_one("SELECT 1 FROM dynamodb_streams WHERE arn = ?", (f"{t.arn}/stream/{label}",)):
            step += 1
            label = tb.stream_label(self.clock.now() + step / 1000)
        t.definition["StreamLabel"] = label
        now = self.clock.now()
        shard = f"shardId-{int(now * 1000):020d}-{os.urandom(4).hex()}"
        view = spec["StreamViewType"]
        row = self.db.query_one(
            "INSERT INTO dynamodb_streams(arn, account, region, table_id, table_name, label, view_type, key_schema, "
            "created, start_seq, shard_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (f"{t.arn}/stream/{label}", t.account, t.region, t.id, t.name, label, view, json.dumps(t.key_schema),
             now, self.next_seq(), shard))
        self.open[t.id] = (row[0], view)
        self.scheduler.at(now + TRIM_EVERY, TRIM, key="trim", every=TRIM_EVERY)

    def _close(self, table_id: int) -> None:
        current = self.open.pop(table_id, None)
        if current is None:
            return
        last = self.db.query_one("SELECT max(seq) FROM dynamodb_stream_records WHERE stream_id = ?", (current[0],))
        self.db.execute("UPDATE dynamodb_streams SET closed = ?, end_seq = ? WHERE id = ?",
                        (self.clock.now(), last[0], current[0]))

    # -- recording ---------------------------------------------------------------------------

    def record(self, t, hk: bytes, rk: bytes, old: dict | None, new: dict | None) -> None:
        # A write that changes nothing writes no record (the developer guide says so).
        if old == new:
            return
        stream_id, view = self.open[t.id]
        keys = it.key_of(t, new if new is not None else old)
        data: dict = {"ApproximateCreationDateTime": float(int(self.clock.now())), "Keys": keys}
        want_new, want_old = _IMAGES[view]
        size = it.dt.item_size(keys)
        if want_new and new is not None:
            data["NewImage"] = new
            size += it.dt.item_size(new)
        if want_old and old is not None:
            data["OldImage"] = old
            size += it.dt.item_size(old)
        data["SizeBytes"] = size
        data["StreamViewType"] = view
        record = {"eventID": uuid.uuid4().hex, "eventName": "INSERT" if old is None else (
            "REMOVE" if new is None else "MODIFY"), "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": t.region, "dynamodb": data}
        if self.identity is not None:
            record["userIdentity"] = self.identity
        self.db.execute("INSERT INTO dynamodb_stream_records(stream_id, created, body) VALUES (?, ?, ?)",
                        (stream_id, self.clock.now(), cbor2.dumps(record)))

    # -- retention ---------------------------------------------------------------------------

    def _trim(self, _payload: dict) -> None:
        cutoff = self.clock.now() - RETENTION
        with self.db.transaction():
            for stream_id, last in self.db.query(
                    "SELECT stream_id, max(seq) FROM dynamodb_stream_records WHERE created < ? GROUP BY stream_id",
                    (cutoff,)):
                self.db.execute("UPDATE dynamodb_streams SET trimmed_to = ? WHERE id = ?", (last + 1, stream_id))
            self.db.execute("DELETE FROM dynamodb_stream_records WHERE created < ?", (cutoff,))
            # A closed stream is gone once nothing in it can be read any more.
            self.db.execute("DELETE FROM dynamodb_streams WHERE closed IS NOT NULL AND closed < ?", (cutoff,))
            if self.db.query_one("SELECT 1 FROM dynamodb_streams LIMIT 1") is None:
                self.scheduler.cancel(TRIM, "trim")

    # -- the read API of the dynamodbstreams provider -------------------------------------------

    def next_seq(self) -> int:
        """The number the next record (of any stream) will have."""
        row = self.db.query_one("SELECT seq FROM sqlite_sequence WHERE name = 'dynamodb_stream_records'")
        return (row[0] if row else 0) + 1

    def streams_of(self, account: str, region: str, table_name: str | None = None) -> list[dict]:
        """The streams of an account and region (of one table), oldest first."""
        sql = "SELECT * FROM dynamodb_streams WHERE account = ? AND region = ?"
        args: list = [account, region]
        if table_name is not None:
            sql += " AND table_name = ?"
            args.append(table_name)
        return [dict(r) for r in self.db.query(sql + " ORDER BY id", args)]

    def stream(self, arn: str) -> dict | None:
        """A stream by ARN: its row (``closed`` None while enabled), or None."""
        row = self.db.query_one("SELECT * FROM dynamodb_streams WHERE arn = ?", (arn,))
        return None if row is None else dict(row)

    def records(self, stream_id: int, from_seq: int, limit: int) -> list[tuple[int, dict]]:
        """Up to ``limit`` (seq, record) of a stream from ``from_seq`` on, in order."""
        rows = self.db.query("SELECT seq, body FROM dynamodb_stream_records WHERE stream_id = ? AND seq >= ? "
                             "ORDER BY seq LIMIT ?", (stream_id, from_seq, limit))
        out = []
        for seq, body in rows:
            record = cbor2.loads(body)  # records stay CBOR: they hold more than items
            record["dynamodb"]["SequenceNumber"] = sequence_number(seq)
            out.append((seq, record))
        return out
