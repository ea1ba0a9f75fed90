"""SQS's tables and the queries on them.

A message's state lives in two columns: ``visible_at`` (clock time from
which a receive may return it) and ``receive_count``. Visible: ``visible_at
<= now``. In flight: ``visible_at > now`` after a receive. Delayed:
``visible_at > now`` before any receive. Nothing has to fire for a
visibility timeout or a delay to end, so those survive restarts by
construction. Retention is ``sent`` older than the queue's period.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from ...state.db import Database

MIGRATIONS = ["""
CREATE TABLE sqs_queues (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    attributes TEXT NOT NULL,
    tags TEXT NOT NULL,
    created REAL NOT NULL,
    modified REAL NOT NULL,
    purged REAL,
    UNIQUE (account, region, name)
);
CREATE TABLE sqs_messages (
    id INTEGER PRIMARY KEY,
    queue_id INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    body TEXT NOT NULL,
    md5_body TEXT NOT NULL,
    attributes TEXT,
    md5_attributes TEXT,
    system_attributes TEXT,
    md5_system TEXT,
    sender TEXT NOT NULL,
    sent REAL NOT NULL,
    visible_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_receive REAL,
    receipt TEXT,
    group_id TEXT,
    dedup_id TEXT,
    sequence TEXT,
    source_arn TEXT
);
CREATE INDEX sqs_messages_ready ON sqs_messages(queue_id, visible_at);
CREATE TABLE sqs_dedup (
    queue_id INTEGER NOT NULL,
    dedup_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sequence TEXT,
    expires REAL NOT NULL,
    PRIMARY KEY (queue_id, dedup_key)
);
CREATE TABLE sqs_receive_attempts (
    queue_id INTEGER NOT NULL,
    attempt_id TEXT NOT NULL,
    messages TEXT NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY (queue_id, attempt_id)
);
CREATE TABLE sqs_deleted_queues (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    deleted REAL NOT NULL,
    PRIMARY KEY (account, region, name)
);
CREATE TABLE sqs_move_tasks (
    handle TEXT PRIMARY KEY,
    source_arn TEXT NOT NULL,
    destination_arn TEXT,
    rate INTEGER,
    status TEXT NOT NULL,
    moved INTEGER NOT NULL DEFAULT 0,
    to_move INTEGER NOT NULL,
    started REAL NOT NULL,
    failure TEXT
);
"""]

MESSAGE_COLUMNS = ("id, message_id, body, md5_body, attributes, md5_attributes, system_attributes, md5_system, "
                   "sender, sent, visible_at, receive_count, first_receive, receipt, group_id, dedup_id, "
                   "sequence, source_arn")


@dataclass
class Queue:
    id: int
    account: str
    region: str
    name: str
    attributes: dict
    tags: dict
    created: float
    modified: float
    purged: float | None = None
    # Derived once per change, for the hot path.
    fifo: bool = field(init=False)
    arn: str = field(init=False)

    def __post_init__(self):
        self.fifo = self.attributes.get("FifoQueue") == "true"
        self.arn = f"arn:aws:sqs:{self.region}:{self.account}:{self.name}"

    def int_attr(self, name: str) -> int:
        return int(self.attributes[name])

    @property
    def redrive(self) -> tuple[str, int] | None:
        text = self.attributes.get("RedrivePolicy")
        if not text:
            return None
        doc = json.loads(text)
        return doc["deadLetterTargetArn"], int(doc["maxReceiveCount"])


class SqsStore:
    def __init__(self, db: Database):
        self.db = db
        # Queues are few and read on every request: kept in memory, written through.
        self.queues: dict[tuple[str, str, str], Queue] = {}
        self.by_id: dict[int, Queue] = {}
        self.load()

    # -- queues ---------------------------------------------------------------------

    def load(self) -> None:
        self.queues.clear()
        self.by_id.clear()
        for r in self.db.query("SELECT id, account, region, name, attributes, tags, created, modified, purged "
                               "FROM sqs_queues"):
            self._cache(Queue(r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5]), r[6], r[7], r[8]))

    def _cache(self, q: Queue) -> Queue:
        self.queues[(q.account, q.region, q.name)] = q
        self.by_id[q.id] = q
        return q

    def get(self, account: str, region: str, name: str) -> Queue | None:
        return self.queues.get((account, region, name))

    def create(self, account: str, region: str, name: str, attributes: dict, tags: dict, now: float) -> Queue:
        row = self.db.query_one(
            "INSERT INTO sqs_queues(account, region, name, attributes, tags, created, modified) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (account, region, name, json.dumps(attributes), json.dumps(tags), now, now))
        return self._cache(Queue(row[0], account, region, name, attributes, tags, now, now))

    def save(self, q: Queue) -> None:
        self.db.execute("UPDATE sqs_queues SET attributes = ?, tags = ?, modified = ?, purged = ? WHERE id = ?",
                        (json.dumps(q.attributes), json.dumps(q.tags), q.modified, q.purged, q.id))
        q.__post_init__()

    def delete(self, q: Queue, now: float) -> None:
        with self.db.transaction():
            for table in ("sqs_messages", "sqs_dedup", "sqs_receive_attempts"):
                self.db.execute(f"DELETE FROM {table} WHERE queue_id = ?", (q.id,))
            self.db.execute("DELETE FROM sqs_queues WHERE id = ?", (q.id,))
            self.db.execute(
                "INSERT INTO sqs_deleted_queues(account, region, name, deleted) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(account, region, name) DO UPDATE SET deleted = excluded.deleted",
                (q.account, q.region, q.name, now))
        self.queues.pop((q.account, q.region, q.name), None)
        self.by_id.pop(q.id, None)

    def deleted_at(self, account: str, region: str, name: str) -> float | None:
        row = self.db.query_one("SELECT deleted FROM sqs_deleted_queues WHERE account = ? AND region = ? AND name = ?",
                                (account, region, name))
        return row[0] if row else None

    def in_region(self, account: str, region: str) -> list[Queue]:
        return sorted((q for q in self.queues.values() if q.account == account and q.region == region),
                      key=lambda q: q.name)

    # -- messages ---------------------------------------------------------------------

    def insert(self, q: Queue, m: tuple) -> int:
        """``m`` is (message_id, body, md5_body, attributes, md5_attributes, system_attributes,
        md5_system, sender, sent, visible_at, group_id, dedup_id, sequence, source_arn, receive_count)."""
        cur = self.db.execute(
            "INSERT INTO sqs_messages(queue_id, message_id, body, md5_body, attributes, md5_attributes, "
            "system_attributes, md5_system, sender, sent, visible_at, group_id, dedup_id, sequence, source_arn, "
            "receive_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (q.id, *m))
        return cur.lastrowid

    def insert_many(self, q: Queue, rows: list[tuple]) -> None:
        self.db.executemany(
            "INSERT INTO sqs_messages(queue_id, message_id, body, md5_body, attributes, md5_attributes, "
            "system_attributes, md5_system, sender, sent, visible_at, group_id, dedup_id, sequence, source_arn, "
            "receive_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [(q.id, *m) for m in rows])

    def visible(self, q: Queue, now: float, oldest: float, limit: int, skip: tuple = ()):
        """Messages a receive may return. Standard: oldest-available first.
        FIFO: in send order, never from a group with a message in flight, and
        as many from one group as possible before the next (as AWS does, so
        other consumers get the other groups)."""
        not_skipped = f"AND id NOT IN ({','.join('?' * len(skip))}) " if skip else ""
        if not q.fifo:
            return self.db.query(
                f"SELECT {MESSAGE_COLUMNS} FROM sqs_messages WHERE queue_id = ? AND visible_at <= ? AND sent > ? "
                f"{not_skipped}ORDER BY visible_at, id LIMIT ?", (q.id, now, oldest, *skip, limit))
        eligible = (f"SELECT {MESSAGE_COLUMNS} FROM sqs_messages WHERE queue_id = ? AND visible_at <= ? "
                    f"AND sent > ? {not_skipped}AND group_id NOT IN (SELECT group_id FROM sqs_messages "
                    "WHERE queue_id = ? AND visible_at > ? AND receive_count > 0)")
        args = (q.id, now, oldest, *skip, q.id, now)
        rows, groups = [], []
        while len(rows) < limit:
            others = f" AND group_id NOT IN ({','.join('?' * len(groups))})" if groups else ""
            first = self.db.query_one(f"{eligible}{others} ORDER BY id LIMIT 1", (*args, *groups))
            if first is None:
                break
            groups.append(first["group_id"])
            rows += self.db.query(f"{eligible} AND group_id = ? ORDER BY id LIMIT ?",
                                  (*args, first["group_id"], limit - len(rows)))
        return rows

    def mark_received(self, rows: list[tuple]) -> None:
        """rows: (visible_at, first_receive, receipt, id)."""
        self.db.executemany(
            "UPDATE sqs_messages SET visible_at = ?, receive_count = receive_count + 1, "
            "first_receive = COALESCE(first_receive, ?), receipt = ? WHERE id = ?", rows)

    def message(self, q: Queue, row_id: int):
        return self.db.query_one(f"SELECT {MESSAGE_COLUMNS} FROM sqs_messages WHERE id = ? AND queue_id = ?",
                                 (row_id, q.id))

    def delete_message(self, row_id: int) -> None:
        self.db.execute("DELETE FROM sqs_messages WHERE id = ?", (row_id,))

    def delete_held(self, row_id: int, receipt: str, in_flight_at: float | None) -> bool:
        """Delete a message if ``receipt`` is its latest receive (and, when
        ``in_flight_at`` is given, it is still in flight then)."""
        if in_flight_at is None:
            cur = self.db.execute("DELETE FROM sqs_messages WHERE id = ? AND receipt = ?", (row_id, receipt))
        else:
            cur = self.db.execute("DELETE FROM sqs_messages WHERE id = ? AND receipt = ? AND visible_at > ?",
                                  (row_id, receipt, in_flight_at))
        return cur.rowcount > 0

    def delete_messages(self, row_ids: list[int]) -> None:
        self.db.executemany("DELETE FROM sqs_messages WHERE id = ?", [(i,) for i in row_ids])

    def set_visible_at(self, row_id: int, when: float) -> None:
        self.db.execute("UPDATE sqs_messages SET visible_at = ? WHERE id = ?", (when, row_id))

    def next_visible_at(self, q: Queue, now: float) -> float | None:
        """When the next delayed or in-flight message becomes visible."""
        row = self.db.query_one("SELECT MIN(visible_at) FROM sqs_messages WHERE queue_id = ? AND visible_at > ?",
                                (q.id, now))
        return row[0] if row else None

    def counts(self, q: Queue, now: float, oldest: float) -> tuple[int, int, int]:
        """(visible, in flight, delayed) among messages still within retention."""
        row = self.db.query_one(
            "SELECT COALESCE(SUM(visible_at <= ?), 0), COALESCE(SUM(visible_at > ? AND receive_count > 0), 0), "
            "COALESCE(SUM(visible_at > ? AND receive_count = 0), 0) FROM sqs_messages "
            "WHERE queue_id = ? AND sent > ?", (now, now, now, q.id, oldest))
        return row[0], row[1], row[2]

    def expire(self, q: Queue, oldest: float) -> int:
        return self.db.execute("DELETE FROM sqs_messages WHERE queue_id = ? AND sent <= ?", (q.id, oldest)).rowcount

    def purge(self, q: Queue) -> None:
        self.db.execute("DELETE FROM sqs_messages WHERE queue_id = ?", (q.id,))

    def oldest_messages(self, q: Queue, oldest: float, limit: int):
        return self.db.query(f"SELECT {MESSAGE_COLUMNS} FROM sqs_messages WHERE queue_id = ? AND sent > ? "
                             "ORDER BY id LIMIT ?", (q.id, oldest, limit))

    def count(self, q: Queue, oldest: float) -> int:
        return self.db.query_one("SELECT COUNT(*) FROM sqs_messages WHERE queue_id = ? AND sent > ?",
                                 (q.id, oldest))[0]

    # -- FIFO deduplication and receive attempts -------------------------------------------

    def dedup(self, q: Queue, key: str, now: float):
        return self.db.query_one("SELECT message_id, sequence FROM sqs_dedup WHERE queue_id = ? AND dedup_key = ? "
                                 "AND expires > ?", (q.id, key, now))

    def remember_dedup(self, q: Queue, key: str, message_id: str, sequence: str, expires: float) -> None:
        self.db.execute("INSERT INTO sqs_dedup(queue_id, dedup_key, message_id, sequence, expires) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(queue_id, dedup_key) DO UPDATE SET "
                        "message_id = excluded.message_id, sequence = excluded.sequence, expires = excluded.expires",
                        (q.id, key, message_id, sequence, expires))

    def forget_expired(self, now: float) -> None:
        self.db.execute("DELETE FROM sqs_dedup WHERE expires <= ?", (now,))
        self.db.execute("DELETE FROM sqs_receive_attempts WHERE expires <= ?", (now,))

    def attempt(self, q: Queue, attempt_id: str, now: float) -> list | None:
        row = self.db.query_one("SELECT messages FROM sqs_receive_attempts WHERE queue_id = ? AND attempt_id = ? "
                                "AND expires > ?", (q.id, attempt_id, now))
        return json.loads(row[0]) if row else None

    def remember_attempt(self, q: Queue, attempt_id: str, messages: list, expires: float) -> None:
        self.db.execute("INSERT INTO sqs_receive_attempts(queue_id, attempt_id, messages, expires) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(queue_id, attempt_id) DO UPDATE SET messages = excluded.messages, "
                        "expires = excluded.expires", (q.id, attempt_id, json.dumps(messages), expires))

    def max_sequence(self) -> int:
        row = self.db.query_one("SELECT MAX(CAST(sequence AS INTEGER)) FROM sqs_messages")
        row2 = self.db.query_one("SELECT MAX(CAST(sequence AS INTEGER)) FROM sqs_dedup")
        return max(row[0] or 0, row2[0] or 0)

    # -- message move tasks ---------------------------------------------------------------

    def add_task(self, handle: str, source: str, destination: str | None, rate: int | None, to_move: int,
                 now: float) -> None:
        self.db.execute("INSERT INTO sqs_move_tasks(handle, source_arn, destination_arn, rate, status, to_move, "
                        "started) VALUES (?, ?, ?, ?, 'RUNNING', ?, ?)", (handle, source, destination, rate,
                                                                          to_move, now))

    def task(self, handle: str):
        return self.db.query_one("SELECT * FROM sqs_move_tasks WHERE handle = ?", (handle,))

    def tasks(self, source: str):
        return self.db.query("SELECT * FROM sqs_move_tasks WHERE source_arn = ? ORDER BY started DESC, rowid DESC",
                             (source,))

    def update_task(self, handle: str, **values) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        self.db.execute(f"UPDATE sqs_move_tasks SET {sets} WHERE handle = ?", (*values.values(), handle))
