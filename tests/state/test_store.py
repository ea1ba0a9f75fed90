"""The store under the services: migrations, transactions, wipe, blobs."""
import hashlib
import os

import pytest

from nubis.state.blobs import BlobStore
from nubis.state.db import Database

V1 = ["CREATE TABLE demo_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"]
V2 = V1 + ["ALTER TABLE demo_items ADD COLUMN colour TEXT; CREATE TABLE demo_more (k TEXT PRIMARY KEY);"]


def test_migrations_upgrade_on_start(tmp_path):
    path = str(tmp_path / "n.db")
    db = Database(path)
    assert db.migrate("demo", V1) == 1
    db.execute("INSERT INTO demo_items(name) VALUES ('a')")
    db.close()
    db = Database(path)  # a newer nubis, with one more migration
    assert db.schema_version("demo") == 1
    assert db.migrate("demo", V2) == 2
    assert db.schema_version("demo") == 2
    db.execute("UPDATE demo_items SET colour = 'red'")
    assert [tuple(r) for r in db.query("SELECT name, colour FROM demo_items")] == [("a", "red")]
    assert sorted(db.tables("demo")) == ["demo_items", "demo_more"]
    assert db.migrate("demo", V2) == 2  # idempotent
    db.close()


def test_a_failed_transaction_leaves_nothing(tmp_path):
    db = Database(str(tmp_path / "n.db"))
    db.migrate("demo", V1)
    with pytest.raises(RuntimeError):
        with db.transaction():
            db.execute("INSERT INTO demo_items(name) VALUES ('lost')")
            raise RuntimeError
    with db.transaction():
        db.execute("INSERT INTO demo_items(name) VALUES ('kept')")
        with pytest.raises(ValueError):
            with db.transaction():  # a savepoint
                db.execute("INSERT INTO demo_items(name) VALUES ('inner')")
                raise ValueError
    assert [r[0] for r in db.query("SELECT name FROM demo_items")] == ["kept"]
    db.close()


def test_wipe_one_service(tmp_path):
    db = Database(str(tmp_path / "n.db"))
    db.migrate("demo", V1)
    db.migrate("other", ["CREATE TABLE other_rows (x TEXT);"])
    db.execute("INSERT INTO demo_items(name) VALUES ('a')")
    db.execute("INSERT INTO other_rows VALUES ('b')")
    db.wipe("demo")
    assert db.query("SELECT * FROM demo_items") == []
    assert len(db.query("SELECT * FROM other_rows")) == 1
    db.wipe()
    assert db.query("SELECT * FROM other_rows") == []
    db.close()


def test_blob_store_round_trip_and_sweep(tmp_path):
    blobs = BlobStore(str(tmp_path / "blobs"))
    keep = blobs.put(b"hello")
    w = blobs.writer([hashlib.md5()])
    w.write(b"abc")
    w.write(b"def")
    orphan = w.commit()
    assert blobs.get(keep) == b"hello" and blobs.size(orphan) == 6
    assert w.hashers[0].hexdigest() == hashlib.md5(b"abcdef").hexdigest()
    partial = blobs.writer()
    partial.write(b"interrupted")  # a crash before commit leaves a .part file
    removed = blobs.sweep(lambda blob_id: blob_id == keep)
    assert removed == 2
    assert blobs.get(keep) == b"hello"
    assert not os.path.exists(blobs.path(orphan))


def test_a_cancelled_waiter_leaves_the_group_commit_to_the_others(tmp_path):
    """Requests that wrote in one group commit all wait for it; one of them being
    cancelled (its client gone) neither cancels the commit nor wakes the rest early."""
    import asyncio

    async def main():
        db = Database(str(tmp_path / "n.db"))
        db.migrate("demo", V1)
        db.group_commit(asyncio.get_running_loop())

        async def write_then_wait(name):
            db.execute("INSERT INTO demo_items(name) VALUES (?)", (name,))
            await db.durable()

        first = asyncio.ensure_future(write_then_wait("a"))
        second = asyncio.ensure_future(write_then_wait("b"))
        await asyncio.sleep(0)  # both wrote and wait for the one commit
        first.cancel()
        await second  # the commit still ends, for the other waiter
        with pytest.raises(asyncio.CancelledError):
            await first
        db.group_commit(None)
        other = Database(str(tmp_path / "n.db"))  # committed: another connection sees it
        assert [r[0] for r in other.query("SELECT name FROM demo_items")] == ["a", "b"]
        other.close()
        db.close()

    asyncio.run(main())
