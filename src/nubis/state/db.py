"""The embedded store: one SQLite database in WAL mode.

Durability contract. Every write a provider makes happens inside
``transaction()``; the transaction commits when the block ends, and the
gateway sends the response only after the operation returned. So an
acknowledged write is in the database file (or its WAL) before the client
hears yes, and ``kill -9`` of the process cannot lose it. ``sync="full"``
additionally fsyncs every commit, so that a power loss or OS crash cannot
lose it either (SQLite's ``synchronous=FULL``); ``"normal"`` (the default)
leaves that to the next checkpoint, as SQLite recommends for WAL.

Group commit. Under load, one commit per write is most of a small
request's cost. Once ``group_commit(loop)`` is on, a write outside an open
transaction joins a shared transaction that commits on the event loop's
next turn, together with every other write made in the meantime; the
gateway awaits ``durable()`` before it answers, so the contract above
holds unchanged: nothing is acknowledged before its commit. A failing
``transaction()`` block rolls back to its own savepoint and leaves the
others' writes alone.

Each service owns its tables (named ``<service>_<table>``) and its list of
migrations; ``migrate`` applies those not yet applied and records the schema
version. Keep SQL portable (no SQLite-only syntax beyond ``INSERT ... ON
CONFLICT``), so that a PostgreSQL backend stays a backend and not a rewrite.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
from typing import Any, Iterable, Iterator, Sequence

_META = """
CREATE TABLE IF NOT EXISTS nubis_schema (
    service TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS nubis_tables (
    service TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (service, name)
);
"""


class _SharedCommit(asyncio.Future):
    """The end of a group commit, awaited by every request that wrote in it.

    One waiter's cancellation must not cancel it for the rest: ``cancel`` refuses,
    so a cancelled waiter is cancelled when the commit ends (the next loop turn).
    That is what ``asyncio.shield`` gives, without a second future per request.
    """

    def cancel(self, msg=None) -> bool:
        return False


class Database:
    def __init__(self, path: str, sync: str = "normal"):
        self.path = path
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        # One connection, used from the event loop thread; worker threads that
        # need it take the lock (``with db.lock``).
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.lock = threading.RLock()
        self._depth = 0
        # Group commit: the loop it commits on, whether a shared transaction is
        # open, and the future its writers' responses wait for.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._group_open = False
        self._group_done: asyncio.Future | None = None
        self._group_dirty = False  # the open group has written (else it only read: nothing to wait for)
        # Called when writes are rolled back, for caches that may hold what was read of them.
        self._rollback_hooks: list = []
        # 8 KiB pages for a new database (an existing one keeps its own): a row of a
        # kilobyte or two (a DynamoDB item, a queue message) then lives in its
        # B-tree page instead of spilling to an overflow page; a keyed read of a
        # 1 KB item took 4.8 us instead of 8.6, a write and commit 25 us instead of 44.
        self.conn.execute("PRAGMA page_size=8192")
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={'FULL' if sync == 'full' else 'NORMAL'}")
        self.conn.execute("PRAGMA foreign_keys=ON")
        # A page cache of up to 64 MiB (SQLite's default is 2 MiB): a table of 100,000
        # items is ~130 MB of pages, and a random read outside the cache costs a pread
        # per B-tree level (a GetItem went from 61 to 43 us). Bounded: memory stays flat
        # however large the data on disk grows.
        self.conn.execute("PRAGMA cache_size=-65536")
        self.conn.executescript(_META)

    # -- schema -------------------------------------------------------------

    def schema_version(self, service: str) -> int:
        row = self.conn.execute("SELECT version FROM nubis_schema WHERE service = ?", (service,)).fetchone()
        return row[0] if row else 0

    def migrate(self, service: str, migrations: Sequence[str]) -> int:
        """Apply ``migrations[version:]`` for ``service``; return the new version.

        Each migration is a SQL script; its CREATE TABLE statements must name
        tables ``<service>_...`` so that ``reset`` can find them.
        """
        with self.transaction():
            version = self.schema_version(service)
            for i, script in enumerate(migrations[version:], start=version + 1):
                for stmt in _statements(script):
                    self.conn.execute(stmt)
                self.conn.execute(
                    "INSERT INTO nubis_schema(service, version) VALUES (?, ?) "
                    "ON CONFLICT(service) DO UPDATE SET version = excluded.version", (service, i))
            for name in self._service_tables(service):
                self.conn.execute("INSERT INTO nubis_tables(service, name) VALUES (?, ?) ON CONFLICT DO NOTHING",
                                  (service, name))
            return len(migrations)

    def _service_tables(self, service: str) -> list[str]:
        prefix = table_prefix(service)
        return [r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall() if r[0].startswith(prefix)]

    def tables(self, service: str | None = None) -> list[str]:
        if service is None:
            rows = self.conn.execute("SELECT name FROM nubis_tables").fetchall()
        else:
            rows = self.conn.execute("SELECT name FROM nubis_tables WHERE service = ?", (service,)).fetchall()
        return [r[0] for r in rows]

    def wipe(self, service: str | None = None) -> None:
        """Delete every row of one service's tables (or of all services)."""
        with self.transaction():
            for name in self.tables(service):
                self.conn.execute(f'DELETE FROM "{name}"')

    # -- statements -----------------------------------------------------------

    # -- group commit ------------------------------------------------------------

    def group_commit(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Turn group commit on (for writes made on ``loop``), or off with None."""
        if loop is None:
            self.commit_group()
        self._loop = loop
        self._loop_thread = threading.get_ident() if loop is not None else None

    def _join_group(self) -> bool:
        """Open (or join) the shared transaction, when group commit applies here."""
        loop = self._loop
        if loop is None or self._depth:
            return False
        # On the loop's thread while it runs: on the loop. (asyncio.get_running_loop
        # would tell the same with a getpid system call, once per statement.)
        if threading.get_ident() != self._loop_thread or not loop.is_running():
            return False
        if not self._group_open:
            # IMMEDIATE, though a group may only read: a deferred one's first write
            # would fail at once, without the busy wait, while the checkpointer
            # holds the write lock (its RESTART takes it).
            self.conn.execute("BEGIN IMMEDIATE")
            self._group_open = True
            self._group_dirty = False
            self._group_done = _SharedCommit(loop=loop)
            loop.call_soon(self.commit_group)
        return True

    def on_rollback(self, hook) -> None:
        self._rollback_hooks.append(hook)

    def _rolled_back(self) -> None:
        for hook in self._rollback_hooks:
            hook()

    def commit_group(self) -> None:
        with self.lock:
            if not self._group_open:
                return
            if self._depth and self._loop is not None:
                # A transaction block is still open (it awaited inside): not yet.
                self._loop.call_soon(self.commit_group)
                return
            self._group_open = self._group_dirty = False
            done, self._group_done = self._group_done, None
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as e:
                self._rolled_back()
                if done is not None and not done.done():
                    done.set_exception(e)
                raise
            if done is not None and not done.done():
                done.set_result(None)

    async def durable(self) -> None:
        """Wait until every write made so far is committed. A group that has only
        read holds nothing uncommitted: what was read there was committed before."""
        done = self._group_done
        if done is not None and self._group_dirty:
            await done  # (a _SharedCommit: no shield needed, one future fewer per request)

    # -- statements -----------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Database"]:
        """A write transaction; nested blocks become savepoints.

        It commits when the outermost block ends, before the operation returns
        (with group commit: on the loop's next turn, before the response).
        """
        with self.lock:
            if self._depth == 0 and not self._join_group() and not self._group_open:
                self.conn.execute("BEGIN IMMEDIATE")
            else:
                self.conn.execute(f"SAVEPOINT sp{self._depth}")
            self._group_dirty = True
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                self._rolled_back()
                if self._depth == 0 and not self._group_open:
                    self.conn.execute("ROLLBACK")
                else:
                    self.conn.execute(f"ROLLBACK TO sp{self._depth}")
                    self.conn.execute(f"RELEASE sp{self._depth}")
                raise
            self._depth -= 1
            if self._depth == 0 and not self._group_open:
                self.conn.execute("COMMIT")
            else:
                self.conn.execute(f"RELEASE sp{self._depth}")

    def execute(self, sql: str, params: Sequence[Any] | dict = ()) -> sqlite3.Cursor:
        # Outside ``transaction()`` a lone statement commits by itself (or
        # joins the group commit).
        with self.lock:
            self._join_group()
            self._group_dirty = True
            return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        with self.lock:
            self._join_group()
            self._group_dirty = True
            return self.conn.executemany(sql, rows)

    # Reads on the loop join the group transaction too: alone, each SELECT was a
    # transaction of its own (WAL read locks taken and dropped with two fcntl
    # calls, SQLite's transaction start and end). In a group that is ~1 us less
    # per DynamoDB GetItem under load; a commit that wrote nothing costs no sync,
    # and ``durable`` does not wait for a group that only read.

    def query(self, sql: str, params: Sequence[Any] | dict = ()) -> list[sqlite3.Row]:
        with self.lock:
            self._join_group()
            return self.conn.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[Any] | dict = ()) -> sqlite3.Row | None:
        with self.lock:
            self._join_group()
            return self.conn.execute(sql, params).fetchone()

    # -- checkpoints ---------------------------------------------------------------

    def start_checkpointer(self, interval: float = 1.0) -> None:
        """Checkpoint the WAL from a thread of its own, every ``interval`` s.

        SQLite's automatic checkpoint runs inside the commit that crosses
        1,000 pages: on the event loop, copying pages and syncing the
        database file while every request waits. A passive checkpoint on a
        second connection does the same work beside the loop, never blocking
        a writer (SQLite releases the GIL while it works)."""
        if self.path == ":memory:" or getattr(self, "_checkpointer", None) is not None:
            return
        self.conn.execute("PRAGMA wal_autocheckpoint=0")
        # A restarted WAL is cut back to this size.
        self.conn.execute("PRAGMA journal_size_limit=33554432")
        stop = threading.Event()

        def run() -> None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            try:
                while not stop.wait(interval):
                    try:
                        # Copy what is there without blocking the writer, then
                        # take the write lock for the few frames written
                        # meanwhile, so that the next commit starts the WAL
                        # over instead of growing it (under steady writes a
                        # passive checkpoint alone never catches up).
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                        conn.execute("PRAGMA wal_checkpoint(RESTART)")
                    except sqlite3.Error:
                        pass  # busy now; the next round catches up
            finally:
                conn.close()

        self._checkpointer = (threading.Thread(target=run, name="nubis-checkpoint", daemon=True), stop)
        self._checkpointer[0].start()

    def _stop_checkpointer(self) -> None:
        checkpointer = getattr(self, "_checkpointer", None)
        if checkpointer is not None:
            checkpointer[1].set()
            checkpointer[0].join(10)
            self._checkpointer = None

    def close(self) -> None:
        self._stop_checkpointer()
        with self.lock:
            self.commit_group()
            try:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
            self.conn.close()


def table_prefix(service: str) -> str:
    return service.replace("-", "_") + "_"


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (``;`` inside strings and
    trigger bodies is respected: a piece ends only where SQLite says the
    statement is complete)."""
    out, buf = [], ""
    for piece in script.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \n\t;"):
                out.append(buf.strip())
            buf = ""
    if buf.strip(" \n\t;"):
        out.append(buf.strip())
    return out
