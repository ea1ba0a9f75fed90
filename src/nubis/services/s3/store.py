"""S3's tables and the queries on them.

Keys are stored as BLOBs of their UTF-8 bytes, so that SQLite orders them as
S3 lists them (UTF-8 binary order) and a prefix is a range scan. Every
version of an object is a row (``version_id`` 'null' for the version an
unversioned or suspended bucket writes); ``is_latest`` marks the current one.
An object's body is a list of blobs (one for a PUT, the parts of a multipart
upload) in ``blobs``: ``[[blob_id, size], ...]``. Blobs no longer referenced
are queued in ``s3_garbage`` in the same transaction that drops their row and
removed once that commit is durable.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import orjson

from . import bucket_config
from .objects import IN_ROW, is_inline

SCHEMA = """
CREATE TABLE s3_buckets (
    name TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    created REAL NOT NULL,
    versioning TEXT,
    object_lock INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX s3_buckets_account ON s3_buckets(account, name);
CREATE TABLE s3_objects (
    bucket TEXT NOT NULL,
    key BLOB NOT NULL,
    version_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    is_latest INTEGER NOT NULL,
    delete_marker INTEGER NOT NULL DEFAULT 0,
    blobs TEXT NOT NULL DEFAULT '[]',
    size INTEGER NOT NULL DEFAULT 0,
    etag TEXT NOT NULL DEFAULT '',
    modified REAL NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    tags TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (bucket, key, version_id)
);
CREATE INDEX s3_objects_versions ON s3_objects(bucket, key, seq);
CREATE INDEX s3_objects_current ON s3_objects(bucket, key) WHERE is_latest = 1;
CREATE TABLE s3_uploads (
    upload_id TEXT PRIMARY KEY,
    bucket TEXT NOT NULL,
    key BLOB NOT NULL,
    initiated REAL NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    tags TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX s3_uploads_key ON s3_uploads(bucket, key, initiated);
CREATE TABLE s3_parts (
    upload_id TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    blob TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    modified REAL NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (upload_id, part_number)
);
CREATE TABLE s3_garbage (
    blob TEXT PRIMARY KEY
);
"""

MIGRATIONS = [bucket_config.SCHEMA + SCHEMA, """
CREATE TABLE s3_small_bodies (
    id TEXT PRIMARY KEY,
    data BLOB NOT NULL
);
""", """
-- A PutObject's small body, in its object's row (blobs [["row", size]]).
ALTER TABLE s3_objects ADD COLUMN data BLOB;
"""]


@dataclass(slots=True, frozen=True)
class Bucket:
    name: str
    account: str
    region: str
    created: float
    versioning: str | None = None
    object_lock: bool = False


@dataclass(slots=True)
class Obj:
    bucket: str
    key: bytes
    version_id: str
    seq: int
    is_latest: bool
    delete_marker: bool
    blobs: list
    size: int
    etag: str
    modified: float
    meta: dict
    tags: list
    # A small body's bytes: what an object written with its body in its row
    # (blob ``IN_ROW``) stores there; read back by ``current``/``version`` with
    # ``body=True`` (that, or its one ``s3_small_bodies`` blob), else None.
    data: bytes | None = None

    @property
    def key_text(self) -> str:
        return bytes(self.key).decode("utf-8", "surrogatepass")


_OBJ_COLS = "bucket, key, version_id, seq, is_latest, delete_marker, blobs, size, etag, modified, meta, tags"


def _dumps(value) -> str:
    """A column's JSON text, in C (orjson: a tenth of ``json.dumps``'s time, on every write)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except (orjson.JSONEncodeError, UnicodeDecodeError):
        return json.dumps(value)  # what orjson refuses (a lone surrogate, a huge int)


def _loads(text: str):
    """A column's value back (rows written by ``json.dumps`` too)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)  # NaN and the like, which json.dumps may have written


# The row and a small body's bytes: the row's own (``IN_ROW``), else the
# ``s3_small_bodies`` row of its first blob. One statement where a GET of a
# small object would otherwise make two. (A point lookup leaves out the bucket
# and key it was given.)
_KEYED_COLS = _OBJ_COLS.removeprefix("bucket, key, ")
_WITH_BODY = (f"SELECT {_KEYED_COLS}, "
              "coalesce(data, (SELECT s.data FROM s3_small_bodies s WHERE s.id = json_extract(blobs, '$[0][0]')))")
_ROW = f"SELECT {_KEYED_COLS}"
_CURRENT = " FROM s3_objects WHERE bucket = ? AND key = ? AND is_latest = 1"
_VERSION = " FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?"
_SQL = {(False, False): _ROW + _CURRENT, (True, False): _WITH_BODY + _CURRENT,
        (False, True): _ROW + _VERSION, (True, True): _WITH_BODY + _VERSION}


def _obj(row) -> Obj:
    tags = row[11]
    return Obj(row[0], bytes(row[1]), row[2], row[3], bool(row[4]), bool(row[5]), _loads(row[6]), row[7],
               row[8], row[9], _loads(row[10]), [] if tags == "[]" else _loads(tags))


def _keyed_obj(bucket: str, key: bytes, row) -> Obj:
    """An ``Obj`` from a point lookup's row (``_KEYED_COLS``, then the inline body when asked for)."""
    tags = row[9]
    return Obj(bucket, key, row[0], row[1], bool(row[2]), bool(row[3]), _loads(row[4]), row[5], row[6], row[7],
               _loads(row[8]), [] if tags == "[]" else _loads(tags), row[10] if len(row) > 10 else None)


def _bucket(row) -> Bucket:
    return Bucket(row[0], row[1], row[2], row[3], row[4], bool(row[5]))


class S3Store:
    def __init__(self, db):
        self.db = db
        # Whether s3_garbage may hold files to remove (so a write that frees
        # none does not look).
        self.files_to_collect = True
        # Buckets by name, read on every request: kept until a write to
        # s3_buckets (or a rolled-back transaction, which may have read one).
        self._buckets: dict[str, Bucket] = {}
        db.on_rollback(self._buckets.clear)
        self.reload()

    def reload(self) -> None:
        """Forget what is kept in memory (after the tables were wiped)."""
        self._buckets.clear()
        self.files_to_collect = True
        row = self.db.query_one("SELECT MAX(seq) FROM s3_objects")
        self.seq = (row[0] or 0) if row else 0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    # -- buckets ----------------------------------------------------------------------------

    def bucket(self, name: str) -> Bucket | None:
        b = self._buckets.get(name)
        if b is not None:
            return b
        row = self.db.query_one("SELECT name, account, region, created, versioning, object_lock "
                                "FROM s3_buckets WHERE name = ?", (name,))
        if row is None:
            return None
        b = _bucket(row)
        if len(self._buckets) < 10_000:
            self._buckets[name] = b
        return b

    def buckets(self, account: str, after: str, prefix: str, region: str | None, limit: int) -> list[Bucket]:
        sql = ("SELECT name, account, region, created, versioning, object_lock FROM s3_buckets "
               "WHERE account = ? AND name > ?")
        args: list = [account, after]
        if prefix:
            sql += " AND substr(name, 1, ?) = ?"
            args += [len(prefix), prefix]
        if region:
            sql += " AND region = ?"
            args.append(region)
        sql += " ORDER BY name LIMIT ?"
        args.append(limit)
        return [_bucket(r) for r in self.db.query(sql, args)]

    def add_bucket(self, b: Bucket) -> None:
        self._buckets.pop(b.name, None)
        self.db.execute("INSERT INTO s3_buckets(name, account, region, created, versioning, object_lock) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (b.name, b.account, b.region, b.created, b.versioning, int(b.object_lock)))

    def set_versioning(self, name: str, status: str) -> None:
        self._buckets.pop(name, None)
        self.db.execute("UPDATE s3_buckets SET versioning = ? WHERE name = ?", (status, name))

    def bucket_is_empty(self, name: str) -> bool:
        return self.db.query_one("SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1", (name,)) is None

    def delete_bucket(self, name: str) -> None:
        for (upload_id,) in self.db.query("SELECT upload_id FROM s3_uploads WHERE bucket = ?", (name,)):
            self.drop_upload(upload_id)
        self._buckets.pop(name, None)
        self.db.execute("DELETE FROM s3_buckets WHERE name = ?", (name,))

    # -- objects ----------------------------------------------------------------------------

    def current(self, bucket: str, key: bytes, body: bool = False) -> Obj | None:
        """The latest version of a key; ``body``: with a small body's bytes (``Obj.data``)."""
        row = self.db.query_one(_SQL[body, False], (bucket, key))
        return _keyed_obj(bucket, bytes(key), row) if row else None

    def version(self, bucket: str, key: bytes, version_id: str, body: bool = False) -> Obj | None:
        row = self.db.query_one(_SQL[body, True], (bucket, key, version_id))
        return _keyed_obj(bucket, bytes(key), row) if row else None

    def insert(self, o: Obj, *, only_version: bool = False) -> None:
        """Make ``o`` the latest version of its key (replacing a version of the
        same id). ``only_version``: the key can have no other version (a bucket
        that never had versioning), so no other one needs demoting."""
        old = self.db.query_one("SELECT blobs FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?",
                                (o.bucket, o.key, o.version_id))
        if not only_version:
            self.db.execute("UPDATE s3_objects SET is_latest = 0 WHERE bucket = ? AND key = ? AND is_latest = 1",
                            (o.bucket, o.key))
        values = (o.seq, int(o.delete_marker), _dumps(o.blobs), o.size, o.etag, o.modified, _dumps(o.meta),
                  _dumps(o.tags), o.data if o.blobs and o.blobs[0][0] == IN_ROW else None,
                  o.bucket, o.key, o.version_id)
        if old is None:
            self.db.execute("INSERT INTO s3_objects(seq, delete_marker, blobs, size, etag, modified, meta, tags, "
                            "data, bucket, key, version_id, is_latest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                            values)
        else:
            # The version replaced in place (an overwrite of an unversioned key):
            # cheaper for SQLite than a delete and an insert.
            self.garbage(_loads(old[0]))
            self.db.execute("UPDATE s3_objects SET seq = ?, delete_marker = ?, blobs = ?, size = ?, etag = ?, "
                            "modified = ?, meta = ?, tags = ?, data = ?, is_latest = 1 "
                            "WHERE bucket = ? AND key = ? AND version_id = ?", values)

    def remove(self, o: Obj) -> None:
        """Delete one version; the newest remaining one becomes the latest."""
        self.garbage(o.blobs)
        self.db.execute("DELETE FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?",
                        (o.bucket, o.key, o.version_id))
        if o.is_latest:
            row = self.db.query_one("SELECT version_id FROM s3_objects WHERE bucket = ? AND key = ? "
                                    "ORDER BY seq DESC LIMIT 1", (o.bucket, o.key))
            if row is not None:
                self.db.execute("UPDATE s3_objects SET is_latest = 1 WHERE bucket = ? AND key = ? "
                                "AND version_id = ?", (o.bucket, o.key, row[0]))

    def set_tags(self, o: Obj, tags: list) -> None:
        self.db.execute("UPDATE s3_objects SET tags = ? WHERE bucket = ? AND key = ? AND version_id = ?",
                        (_dumps(tags), o.bucket, o.key, o.version_id))

    def set_meta(self, o: Obj, meta: dict) -> None:
        self.db.execute("UPDATE s3_objects SET meta = ? WHERE bucket = ? AND key = ? AND version_id = ?",
                        (_dumps(meta), o.bucket, o.key, o.version_id))

    def listing(self, bucket: str, start: bytes, inclusive: bool, end: bytes | None, limit: int) -> list[Obj]:
        """Current (non delete marker) objects with keys from ``start`` up to ``end``, in key order."""
        sql = (f"SELECT {_OBJ_COLS} FROM s3_objects WHERE bucket = ? AND is_latest = 1 AND delete_marker = 0 "
               f"AND key {'>=' if inclusive else '>'} ?")
        args: list = [bucket, start]
        if end is not None:
            sql += " AND key < ?"
            args.append(end)
        sql += " ORDER BY key LIMIT ?"
        args.append(limit)
        return [_obj(r) for r in self.db.query(sql, args)]

    def _from_key(self, columns: str, table: str, bucket: str, start: bytes, tie: str, after, end: bytes | None,
                  order: str, limit: int) -> list:
        """A listing page of ``table``: rows of ``bucket`` from key ``start`` on (within ``start``
        itself only those past ``after`` by ``tie``, e.g. ``"seq <"``), below ``end``, in ``order``."""
        if after is None:
            cond, args = "key >= ?", [bucket, start]
        else:
            cond, args = f"(key > ? OR (key = ? AND {tie} ?))", [bucket, start, start, after]
        sql = f"SELECT {columns} FROM {table} WHERE bucket = ? AND {cond}"
        if end is not None:
            sql += " AND key < ?"
            args.append(end)
        args.append(limit)
        return self.db.query(sql + f" ORDER BY {order} LIMIT ?", args)

    def versions(self, bucket: str, start: bytes, after_seq: int | None, end: bytes | None,
                 limit: int) -> list[Obj]:
        """Every version from key ``start`` (older than ``after_seq`` within that key), key order, newest first."""
        return [_obj(r) for r in self._from_key(_OBJ_COLS, "s3_objects", bucket, start, "seq <", after_seq, end,
                                                  "key, seq DESC", limit)]

    # -- multipart uploads ------------------------------------------------------------------

    def add_upload(self, upload_id: str, bucket: str, key: bytes, initiated: float, meta: dict, tags: list):
        self.db.execute("INSERT INTO s3_uploads(upload_id, bucket, key, initiated, meta, tags) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (upload_id, bucket, key, initiated, _dumps(meta), _dumps(tags)))

    def upload(self, upload_id: str):
        row = self.db.query_one("SELECT upload_id, bucket, key, initiated, meta, tags FROM s3_uploads "
                                "WHERE upload_id = ?", (upload_id,))
        if row is None:
            return None
        return {"id": row[0], "bucket": row[1], "key": bytes(row[2]), "initiated": row[3],
                "meta": _loads(row[4]), "tags": _loads(row[5])}

    def uploads(self, bucket: str, start: bytes, after_id: str | None, end: bytes | None, limit: int) -> list:
        rows = self._from_key("upload_id, key, initiated, meta", "s3_uploads", bucket, start, "upload_id >", after_id,
                              end, "key, upload_id", limit)
        return [{"id": r[0], "key": bytes(r[1]), "initiated": r[2], "meta": _loads(r[3])} for r in rows]

    def put_part(self, upload_id: str, number: int, blob: str, size: int, etag: str, modified: float,
                 meta: dict) -> None:
        old = self.db.query_one("SELECT blob FROM s3_parts WHERE upload_id = ? AND part_number = ?",
                                (upload_id, number))
        if old is not None:
            self.garbage([[old[0], 0]])
        self.db.execute("INSERT INTO s3_parts(upload_id, part_number, blob, size, etag, modified, meta) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(upload_id, part_number) DO UPDATE SET "
                        "blob = excluded.blob, size = excluded.size, etag = excluded.etag, "
                        "modified = excluded.modified, meta = excluded.meta",
                        (upload_id, number, blob, size, etag, modified, _dumps(meta)))

    def parts(self, upload_id: str, after: int = 0, limit: int = 100000) -> list[dict]:
        return [{"number": r[0], "blob": r[1], "size": r[2], "etag": r[3], "modified": r[4],
                 "meta": _loads(r[5])}
                for r in self.db.query("SELECT part_number, blob, size, etag, modified, meta FROM s3_parts "
                                       "WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?",
                                       (upload_id, after, limit))]

    def drop_upload(self, upload_id: str, keep: set | frozenset = frozenset()) -> None:
        """Forget an upload; its part blobs not in ``keep`` become garbage."""
        self.garbage([[p["blob"], 0] for p in self.parts(upload_id) if p["blob"] not in keep])
        self.db.execute("DELETE FROM s3_parts WHERE upload_id = ?", (upload_id,))
        self.db.execute("DELETE FROM s3_uploads WHERE upload_id = ?", (upload_id,))

    # -- garbage ----------------------------------------------------------------------------

    def garbage(self, blobs: list) -> None:
        for blob_id, _size in blobs:
            if blob_id == IN_ROW:
                continue  # it goes with its row
            if is_inline(blob_id):
                # A body kept as a row goes with the transaction that drops its
                # object: no file to remove after the commit.
                self.db.execute("DELETE FROM s3_small_bodies WHERE id = ?", (blob_id,))
            else:
                self.db.execute("INSERT INTO s3_garbage(blob) VALUES (?) ON CONFLICT DO NOTHING", (blob_id,))
                self.files_to_collect = True

    def pending_garbage(self) -> list[str]:
        return [r[0] for r in self.db.query("SELECT blob FROM s3_garbage")]

    def collected(self, blob_ids: list[str]) -> None:
        self.db.executemany("DELETE FROM s3_garbage WHERE blob = ?", [(b,) for b in blob_ids])
