"""DynamoDB's tables and the queries on them.

An item's row is keyed by ``(table_id, hk, rk)``: the order-preserving bytes
of its partition and sort key values (``types.key_bytes``; ``rk`` is empty
for a table without a sort key). SQLite orders BLOBs with memcmp, so its
primary-key order is DynamoDB's order within a partition: a Query is a range
scan of that key, backwards for ``ScanIndexForward=false``. The body is the
item's DynamoDB JSON text, B and BS in base64: what GetItem, Query and Scan
answer with, so an item read whole goes out as it is, never decoded. (Versions
before kept the body in CBOR; such rows, and backups made then, still read.)

A secondary index is a second table of entries ``(table_id, index, ihk, irk,
hk, rk)`` pointing at the base item, written in the same transaction as the
item. Items without the index's key attributes have no entry (sparse index).
"""
from __future__ import annotations

import base64
import json
from typing import Iterator

import cbor2
import orjson

from ...state.db import Database
from .backup_store import MIGRATION as BACKUP_TABLES

MIGRATIONS = ["""
CREATE TABLE dynamodb_tables (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    created REAL NOT NULL,
    tags TEXT NOT NULL DEFAULT '{}',
    ttl TEXT,
    policy TEXT,
    UNIQUE (account, region, name)
);
CREATE TABLE dynamodb_items (
    table_id INTEGER NOT NULL,
    hk BLOB NOT NULL,
    rk BLOB NOT NULL,
    body BLOB NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (table_id, hk, rk)
) WITHOUT ROWID;
CREATE TABLE dynamodb_index_entries (
    table_id INTEGER NOT NULL,
    index_name TEXT NOT NULL,
    ihk BLOB NOT NULL,
    irk BLOB NOT NULL,
    hk BLOB NOT NULL,
    rk BLOB NOT NULL,
    PRIMARY KEY (table_id, index_name, ihk, irk, hk, rk)
) WITHOUT ROWID;
CREATE TABLE dynamodb_transactions (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    token TEXT NOT NULL,
    digest TEXT NOT NULL,
    result TEXT NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY (account, region, token)
);
"""]
MIGRATIONS.append(BACKUP_TABLES)  # backups, the PITR change log, exports and imports (backup_store.py)
# Streams, TTL expiry and global tables (streams.py, ttl.py, global_tables.py).
MIGRATIONS.append("""
-- Streams (streams.py): one row per stream ever enabled, records numbered by seq.
CREATE TABLE dynamodb_streams (
    id INTEGER PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    table_id INTEGER NOT NULL,
    table_name TEXT NOT NULL,
    label TEXT NOT NULL,
    view_type TEXT NOT NULL,
    key_schema TEXT NOT NULL,
    created REAL NOT NULL,
    start_seq INTEGER NOT NULL,
    shard_id TEXT NOT NULL,
    closed REAL,
    end_seq INTEGER,
    trimmed_to INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE dynamodb_stream_records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id INTEGER NOT NULL,
    created REAL NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX dynamodb_stream_records_by_stream ON dynamodb_stream_records(stream_id, seq);
CREATE INDEX dynamodb_stream_records_by_age ON dynamodb_stream_records(created);
-- TTL (ttl.py): the expiry times of a TTL table's items, kept by every write.
CREATE TABLE dynamodb_ttl_tables (
    table_id INTEGER PRIMARY KEY,
    attribute TEXT NOT NULL
);
CREATE TABLE dynamodb_ttl_entries (
    table_id INTEGER NOT NULL,
    expires REAL NOT NULL,
    hk BLOB NOT NULL,
    rk BLOB NOT NULL,
    PRIMARY KEY (table_id, expires, hk, rk)
) WITHOUT ROWID;
-- Global tables (global_tables.py): when each item of a replica was last written, and where.
CREATE TABLE dynamodb_replica_versions (
    table_id INTEGER NOT NULL,
    hk BLOB NOT NULL,
    rk BLOB NOT NULL,
    ts REAL NOT NULL,
    region TEXT NOT NULL,
    PRIMARY KEY (table_id, hk, rk)
) WITHOUT ROWID;
""")
# Global tables of version 2017.11.29 (global_tables.py): a name and the Regions it links.
MIGRATIONS.append("""
CREATE TABLE dynamodb_global_tables (
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    regions TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (account, name)
);
""")

# Items are kept as their DynamoDB JSON (earlier versions wrote CBOR): the rows
# written before are converted once, when the provider starts (``convert_items``).
MIGRATIONS.append("""
CREATE TABLE dynamodb_cbor_items (pending INTEGER NOT NULL);
INSERT INTO dynamodb_cbor_items(pending) SELECT 1 WHERE EXISTS (SELECT 1 FROM dynamodb_items);
""")


def encode(item: dict) -> bytes:
    """An item as its DynamoDB JSON text."""
    return orjson.dumps(item, default=_base64)


def decode(body: bytes) -> dict:
    """An item from its stored body (binary values as bytes)."""
    if body[0] != 0x7B:  # not "{": the CBOR of an earlier version
        return cbor2.loads(body)
    item = orjson.loads(body)
    if b'"B":' in body or b'"BS":' in body:
        for value in item.values():
            _binary(value)
    return item


def wire(body: bytes) -> bytes:
    """An item's stored body as its DynamoDB JSON text."""
    return body if body[0] == 0x7B else encode(cbor2.loads(body))


def _base64(value) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"not JSON: {type(value).__name__}")


def _binary(value: dict) -> None:
    """B and BS values (at any depth) from base64 to bytes, in place."""
    if "B" in value:
        value["B"] = base64.b64decode(value["B"])
    elif "BS" in value:
        value["BS"] = [base64.b64decode(e) for e in value["BS"]]
    elif "M" in value:
        for element in value["M"].values():
            _binary(element)
    elif "L" in value:
        for element in value["L"]:
            _binary(element)


class DynamoStore:
    def __init__(self, db: Database):
        self.db = db
        # ``put_replacing``'s way to learn the size of the row its upsert replaces:
        # SQLite hands the old value to this function while it updates the row.
        self._replaced: int | None = None
        db.conn.create_function("dynamodb_replaced", 2, self._note_replaced, deterministic=False)

    def _note_replaced(self, old_size: int, new_size: int) -> int:
        self._replaced = old_size
        return new_size

    # -- tables -----------------------------------------------------------------------

    def tables(self) -> list:
        return self.db.query("SELECT id, account, region, name, definition, created, tags, ttl, policy "
                             "FROM dynamodb_tables")

    def create_table(self, account: str, region: str, name: str, definition: dict, tags: dict,
                     now: float) -> int:
        row = self.db.query_one(
            "INSERT INTO dynamodb_tables(account, region, name, definition, created, tags) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (account, region, name, json.dumps(definition), now, json.dumps(tags)))
        return row[0]

    def save_table(self, table_id: int, definition: dict, tags: dict, ttl: dict | None, policy: str | None) -> None:
        self.db.execute("UPDATE dynamodb_tables SET definition = ?, tags = ?, ttl = ?, policy = ? WHERE id = ?",
                        (json.dumps(definition), json.dumps(tags), json.dumps(ttl) if ttl else None, policy,
                         table_id))

    def delete_table(self, table_id: int) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM dynamodb_index_entries WHERE table_id = ?", (table_id,))
            self.db.execute("DELETE FROM dynamodb_items WHERE table_id = ?", (table_id,))
            self.db.execute("DELETE FROM dynamodb_tables WHERE id = ?", (table_id,))

    def stats(self, table_id: int) -> tuple[int, int]:
        row = self.db.query_one("SELECT count(*), coalesce(sum(size), 0) FROM dynamodb_items WHERE table_id = ?",
                                (table_id,))
        return row[0], row[1]

    def index_count(self, table_id: int, index: str) -> tuple[int, int]:
        row = self.db.query_one(
            "SELECT count(*), coalesce(sum(i.size), 0) FROM dynamodb_index_entries e JOIN dynamodb_items i "
            "ON i.table_id = e.table_id AND i.hk = e.hk AND i.rk = e.rk WHERE e.table_id = ? AND e.index_name = ?",
            (table_id, index))
        return row[0], row[1]

    # -- items ------------------------------------------------------------------------

    def get(self, table_id: int, hk: bytes, rk: bytes) -> dict | None:
        row = self.db.query_one("SELECT body FROM dynamodb_items WHERE table_id = ? AND hk = ? AND rk = ?",
                                (table_id, hk, rk))
        return None if row is None else decode(row[0])

    def row(self, table_id: int, hk: bytes, rk: bytes) -> tuple[bytes, int] | None:
        """(body, size) of an item, its body not decoded."""
        return self.db.query_one("SELECT body, size FROM dynamodb_items WHERE table_id = ? AND hk = ? AND rk = ?",
                                 (table_id, hk, rk))

    def size_of(self, table_id: int, hk: bytes, rk: bytes) -> int | None:
        row = self.db.query_one("SELECT size FROM dynamodb_items WHERE table_id = ? AND hk = ? AND rk = ?",
                                (table_id, hk, rk))
        return None if row is None else row[0]

    def put(self, table_id: int, hk: bytes, rk: bytes, item: dict, size: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO dynamodb_items(table_id, hk, rk, body, size) VALUES (?, ?, ?, ?, ?)",
                        (table_id, hk, rk, encode(item), size))

    def put_replacing(self, table_id: int, hk: bytes, rk: bytes, item: dict, size: int) -> int | None:
        """``put``, answering the size of the item it replaced (None: there was
        none): one statement, where ``size_of`` then ``put`` took two (4.1 us
        instead of 6.0 for a 1 KB item)."""
        with self.db.lock:
            self._replaced = None
            self.db.execute("INSERT INTO dynamodb_items(table_id, hk, rk, body, size) VALUES (?, ?, ?, ?, ?) "
                            "ON CONFLICT(table_id, hk, rk) DO UPDATE SET body = excluded.body, "
                            "size = dynamodb_replaced(size, excluded.size)",
                            (table_id, hk, rk, encode(item), size))
            return self._replaced

    def delete(self, table_id: int, hk: bytes, rk: bytes) -> None:
        self.db.execute("DELETE FROM dynamodb_items WHERE table_id = ? AND hk = ? AND rk = ?", (table_id, hk, rk))

    def put_entries(self, table_id: int, hk: bytes, rk: bytes, entries: list[tuple[str, bytes, bytes]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO dynamodb_index_entries(table_id, index_name, ihk, irk, hk, rk) "
                            "VALUES (?, ?, ?, ?, ?, ?)", [(table_id, n, ih, ir, hk, rk) for n, ih, ir in entries])

    def delete_entries(self, table_id: int, hk: bytes, rk: bytes, entries: list[tuple[str, bytes, bytes]]) -> None:
        self.db.executemany("DELETE FROM dynamodb_index_entries WHERE table_id = ? AND index_name = ? AND ihk = ? "
                            "AND irk = ? AND hk = ? AND rk = ?", [(table_id, n, ih, ir, hk, rk) for n, ih, ir in entries])

    def drop_index(self, table_id: int, index: str) -> None:
        self.db.execute("DELETE FROM dynamodb_index_entries WHERE table_id = ? AND index_name = ?", (table_id, index))

    def convert_items(self) -> None:
        """Rewrite the CBOR bodies an earlier version wrote as DynamoDB JSON, once (see MIGRATIONS)."""
        if self.db.query_one("SELECT 1 FROM dynamodb_cbor_items") is None:
            return
        with self.db.transaction():
            after = (-1, b"", b"")
            while True:
                rows = self.db.query("SELECT table_id, hk, rk, body FROM dynamodb_items WHERE (table_id, hk, rk) > "
                                     "(?, ?, ?) ORDER BY table_id, hk, rk LIMIT 500", after)
                for table_id, hk, rk, body in rows:
                    if body[0] != 0x7B:
                        self.db.execute("UPDATE dynamodb_items SET body = ? WHERE table_id = ? AND hk = ? AND rk = ?",
                                        (wire(body), table_id, hk, rk))
                if len(rows) < 500:
                    break
                after = tuple(rows[-1][:3])
            self.db.execute("DELETE FROM dynamodb_cbor_items")

    # -- reads in key order -----------------------------------------------------------------

    def query(self, table_id: int, hk: bytes, low: tuple | None, high: tuple | None, forward: bool,
              after: bytes | None, batch: int) -> Iterator[tuple[bytes, bytes, int]]:
        """Rows (rk, body, size) of one partition in sort key order, within
        ``low``/``high`` bounds (``(bytes, inclusive)``), strictly past ``after``."""
        where = ["table_id = ?", "hk = ?"]
        args: list = [table_id, hk]
        if low is not None:
            where.append("rk >= ?" if low[1] else "rk > ?")
            args.append(low[0])
        if high is not None:
            where.append("rk <= ?" if high[1] else "rk < ?")
            args.append(high[0])
        order = "ASC" if forward else "DESC"
        sql = f"SELECT rk, body, size FROM dynamodb_items WHERE {' AND '.join(where)} %s ORDER BY rk {order} LIMIT ?"
        while True:
            extra, more = "", []
            if after is not None:
                extra, more = ("AND rk > ?" if forward else "AND rk < ?"), [after]
            rows = self.db.query(sql % extra, (*args, *more, batch))
            yield from rows
            if len(rows) < batch:
                return
            after = rows[-1][0]
            batch = min(batch * 4, 1000)

    def query_index(self, table_id: int, index: str, ihk: bytes, low: tuple | None, high: tuple | None,
                    forward: bool, after: tuple | None, batch: int):
        """Rows (irk, hk, rk, body, size) of one index partition, in index sort key order."""
        where = ["e.table_id = ?", "e.index_name = ?", "e.ihk = ?"]
        args: list = [table_id, index, ihk]
        if low is not None:
            where.append("e.irk >= ?" if low[1] else "e.irk > ?")
            args.append(low[0])
        if high is not None:
            where.append("e.irk <= ?" if high[1] else "e.irk < ?")
            args.append(high[0])
        order = "ASC" if forward else "DESC"
        sql = (f"SELECT e.irk, e.hk, e.rk, i.body, i.size FROM dynamodb_index_entries e JOIN dynamodb_items i "
               f"ON i.table_id = e.table_id AND i.hk = e.hk AND i.rk = e.rk WHERE {' AND '.join(where)} %s "
               f"ORDER BY e.irk {order}, e.hk {order}, e.rk {order} LIMIT ?")
        while True:
            extra, more = "", []
            if after is not None:
                extra, more = ("AND (e.irk, e.hk, e.rk) > (?, ?, ?)" if forward
                               else "AND (e.irk, e.hk, e.rk) < (?, ?, ?)"), list(after)
            rows = self.db.query(sql % extra, (*args, *more, batch))
            yield from rows
            if len(rows) < batch:
                return
            after = (rows[-1][0], rows[-1][1], rows[-1][2])
            batch = min(batch * 4, 1000)

    def scan(self, table_id: int, after: tuple | None, batch: int):
        """Rows (hk, rk, body, size) of a whole table in key order."""
        while True:
            if after is None:
                rows = self.db.query("SELECT hk, rk, body, size FROM dynamodb_items WHERE table_id = ? "
                                     "ORDER BY hk, rk LIMIT ?", (table_id, batch))
            else:
                rows = self.db.query("SELECT hk, rk, body, size FROM dynamodb_items WHERE table_id = ? "
                                     "AND (hk, rk) > (?, ?) ORDER BY hk, rk LIMIT ?", (table_id, *after, batch))
            yield from rows
            if len(rows) < batch:
                return
            after = (rows[-1][0], rows[-1][1])
            batch = min(batch * 4, 1000)

    def scan_index(self, table_id: int, index: str, after: tuple | None, batch: int):
        """Rows (ihk, irk, hk, rk, body, size) of a whole index in index key order."""
        base = ("SELECT e.ihk, e.irk, e.hk, e.rk, i.body, i.size FROM dynamodb_index_entries e "
                "JOIN dynamodb_items i ON i.table_id = e.table_id AND i.hk = e.hk AND i.rk = e.rk "
                "WHERE e.table_id = ? AND e.index_name = ? %s ORDER BY e.ihk, e.irk, e.hk, e.rk LIMIT ?")
        while True:
            if after is None:
                rows = self.db.query(base % "", (table_id, index, batch))
            else:
                rows = self.db.query(base % "AND (e.ihk, e.irk, e.hk, e.rk) > (?, ?, ?, ?)",
                                     (table_id, index, *after, batch))
            yield from rows
            if len(rows) < batch:
                return
            after = tuple(rows[-1][:4])
            batch = min(batch * 4, 1000)

    # -- transactions' client tokens ----------------------------------------------------------

    def token(self, account: str, region: str, token: str, now: float):
        row = self.db.query_one("SELECT digest, result FROM dynamodb_transactions WHERE account = ? AND region = ? "
                                "AND token = ? AND expires > ?", (account, region, token, now))
        return None if row is None else (row[0], json.loads(row[1]))

    def save_token(self, account: str, region: str, token: str, digest: str, result: dict, expires: float) -> None:
        self.db.execute("DELETE FROM dynamodb_transactions WHERE expires <= ?", (expires - 600 - 1,))
        self.db.execute("INSERT OR REPLACE INTO dynamodb_transactions(account, region, token, digest, result, expires) "
                        "VALUES (?, ?, ?, ?, ?, ?)", (account, region, token, digest, json.dumps(result), expires))
