"""Object bodies: streamed into the blob store, streamed out of it.

Every file operation runs in the default executor, so that a large body never
blocks the event loop, and moves in 1 MiB pieces, so that it never sits in
memory. An object's body is a list of blobs (``[[blob_id, size], ...]``): one
for a PUT, the parts of a completed multipart upload, read one after another.

Small bodies (up to ``INLINE`` bytes) are kept in the database instead of
files: written with the object's row in the same group commit, durable exactly
as SQLite is, with no file to create and fsync (about 185 us here, most of a
4 KiB PUT). A PutObject's small body is the object row's own ``data`` column
(blob id ``IN_ROW``: one row to write, read and drop); a part's, or a copy's,
is a row of ``s3_small_bodies`` (``Bodies``, ids ``i-...``).
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import io
import secrets
from typing import AsyncIterator

CHUNK = 1 << 20
SMALL = 256 << 10  # bodies up to this size are read without a worker thread
INLINE = 64 << 10  # bodies up to this size are kept in the database
_INLINE_PREFIX = "i-"
IN_ROW = "row"  # the blob id of a body kept in its object's row (``Obj.data``)


class Bodies:
    """The blob store, plus small bodies kept as database rows (ids ``i-...``).

    It offers the blob store's ``writer``, ``open`` and ``delete``, so the
    code below reads every body the same way."""

    def __init__(self, blobs, db):
        self.blobs = blobs
        self.db = db

    def writer(self, hashers=()):
        return self.blobs.writer(hashers)

    def put_small(self, data: bytes) -> str:
        body_id = _INLINE_PREFIX + secrets.token_hex(12)
        self.db.execute("INSERT INTO s3_small_bodies(id, data) VALUES (?, ?)", (body_id, data))
        return body_id

    def open(self, body_id: str):
        if body_id.startswith(_INLINE_PREFIX):
            row = self.db.query_one("SELECT data FROM s3_small_bodies WHERE id = ?", (body_id,))
            if row is None:
                raise FileNotFoundError(body_id)
            return io.BytesIO(row[0])
        return self.blobs.open(body_id)

    def delete(self, body_id: str) -> None:
        if body_id.startswith(_INLINE_PREFIX):
            self.db.execute("DELETE FROM s3_small_bodies WHERE id = ?", (body_id,))
        else:
            self.blobs.delete(body_id)


def is_inline(body_id: str) -> bool:
    """Whether a body is a row of ``s3_small_bodies`` rather than a file."""
    return body_id.startswith(_INLINE_PREFIX)


def _run(fn, *args):
    return asyncio.get_running_loop().run_in_executor(None, fn, *args)


async def as_stream(body) -> AsyncIterator[bytes]:
    """A body as an async iterator of chunks, whatever form the protocol gave it in."""
    if body is None:
        return
    if isinstance(body, str):
        body = body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        if body:
            yield bytes(body)
        return
    async for chunk in body:
        yield chunk


async def store_body(blobs, body, hashers) -> tuple[str, int]:
    """Write a request body (bytes or an async iterator of chunks) to a new,
    fsynced blob (or, small, a database row); return its id and size. A
    failure leaves nothing behind."""
    blob_id, size, data = await take_body(blobs, body, hashers)
    if data is not None:
        blob_id = blobs.put_small(data)
    return blob_id, size


async def take_body(blobs, body, hashers) -> tuple[str, int, bytes | None]:
    """``store_body``, but a small body comes back as bytes (with ``IN_ROW`` for
    its id), for the caller to keep in its object's row; a large one is a blob."""
    chunks = body if hasattr(body, "__anext__") else as_stream(body)
    head, size = [], 0
    async for chunk in chunks:
        if chunk:
            head.append(chunk)
            size += len(chunk)
            if size > INLINE:
                break
    else:
        data = head[0] if len(head) == 1 else b"".join(head)
        for h in hashers:
            h.update(data)
        return IN_ROW, len(data), bytes(data)
    return (*await _store_file(blobs, _chain(head, chunks), hashers), None)


async def _chain(head: list, rest) -> AsyncIterator[bytes]:
    for chunk in head:
        yield chunk
    async for chunk in rest:
        yield chunk


FLUSH_EVERY = 64 << 20  # a large body goes to disk as it arrives, not all at the fsync
BACKLOG = 4  # MiB queued per stage of a large upload


class _Stage:
    """One step of a large upload (a hasher, the writer) in its
    own thread, taking the pieces in order, with a bounded backlog."""

    def __init__(self, fn, loop):
        self.fn = fn
        self.loop = loop
        self.pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="s3-upload")
        self.queued: collections.deque = collections.deque()

    async def put(self, pieces: list) -> None:
        while len(self.queued) >= BACKLOG:
            await self.queued.popleft()
        self.queued.append(self.loop.run_in_executor(self.pool, self.fn, pieces))

    async def finish(self) -> None:
        while self.queued:
            await self.queued.popleft()

    async def close(self) -> None:
        # On failure too: wait for what is queued, so nothing touches the file after.
        await asyncio.gather(*self.queued, return_exceptions=True)
        self.queued.clear()
        self.pool.shutdown(wait=False)


async def _store_file(blobs, body, hashers) -> tuple[str, int]:
    w = await _run(blobs.writer)
    loop = asyncio.get_running_loop()
    unflushed = 0
    flusher: concurrent.futures.ThreadPoolExecutor | None = None
    flushing: concurrent.futures.Future | None = None

    def write_all(pieces: list) -> None:
        nonlocal unflushed, flusher, flushing
        for piece in pieces:
            w.write(piece)
            unflushed += len(piece)
        if unflushed >= FLUSH_EVERY:
            # Flushed as it goes, a large body never piles up dirty pages: the
            # kernel's write throttling and the final fsync then cost little
            # (1 GiB here: 3.4 s written then fsynced, 0.7 s flushed every 64 MiB).
            # In a thread of its own: an fdatasync here stalled the writer, and
            # through its backlog the whole upload, for ~40 ms every 64 MiB.
            unflushed = 0
            if flushing is None or flushing.done():
                if flusher is None:
                    flusher = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="s3-flush")
                flushing = flusher.submit(w.flush)

    def flushed() -> None:
        """Wait for a flush under way (nothing may touch the file after commit or abort)."""
        if flusher is not None:
            flusher.shutdown(wait=True)

    def hash_with(h):
        def hash_all(pieces: list) -> None:
            for piece in pieces:
                h.update(piece)
        return hash_all

    # Each hasher and the writer is a stage with its own thread: they run in
    # parallel with each other and with the loop receiving the next MiB
    # (hashlib, awscrt, file writes and fdatasync release the GIL). MD5, ~600
    # MB/s here, sets the pace.
    stages: list[_Stage] = []
    pending, size = [], 0
    try:
        async for chunk in as_stream(body):
            pending.append(chunk)
            size += len(chunk)
            if size >= CHUNK:
                if not stages:
                    stages = [_Stage(hash_with(h), loop) for h in hashers] + [_Stage(write_all, loop)]
                for stage in stages:
                    await stage.put(pending)
                pending, size = [], 0
        for stage in stages:
            await stage.finish()
        if pending:
            def rest():
                for h in hashers:
                    hash_with(h)(pending)
                write_all(pending)
            await _run(rest)
        await _run(flushed)
        await _run(w.commit)
    except BaseException:
        for stage in stages:
            await asyncio.shield(stage.close())
        await asyncio.shield(_run(flushed))
        await asyncio.shield(_run(w.abort))
        raise
    finally:
        for stage in stages:
            stage.pool.shutdown(wait=False)
    return w.id, w.size


def _segments(parts: list, start: int, end: int):
    """(blob_id, offset, length) pieces covering bytes ``start``..``end`` (inclusive)."""
    pos = 0
    for blob_id, size in parts:
        lo, hi = max(start, pos), min(end, pos + size - 1)
        if lo <= hi:
            yield blob_id, lo - pos, hi - lo + 1
        pos += size


async def read_body(blobs, parts: list, start: int, end: int) -> AsyncIterator[bytes] | bytes:
    """Bytes ``start``..``end`` (inclusive) of a body made of ``parts``.

    Every file is opened before this returns, so that a concurrent overwrite or
    delete (which removes the blobs once its commit is durable) cannot take a
    body away from a response already under way."""
    segments = list(_segments(parts, start, end))
    if end - start < SMALL:
        # A small body is read at once on the loop (from the page cache, a
        # few microseconds): cheaper than the hops to a worker thread.
        return _read_now(blobs, segments)

    def open_all():
        opened = []
        try:
            for blob_id, offset, length in segments:
                opened.append((blobs.open(blob_id), offset, length))
        except BaseException:
            for f, _, _ in opened:
                f.close()
            raise
        return opened

    opened = await _run(open_all)
    return _stream(opened)


def _read_now(blobs, segments) -> bytes:
    out = []
    for blob_id, offset, length in segments:
        with blobs.open(blob_id) as f:
            f.seek(offset)
            out.append(f.read(length))
    return b"".join(out)


async def _stream(opened) -> AsyncIterator[bytes]:
    try:
        for f, offset, length in opened:
            await _run(f.seek, offset)
            while length > 0:
                chunk = await _run(f.read, min(CHUNK, length))
                if not chunk:
                    break
                length -= len(chunk)
                yield chunk
    finally:
        for f, _, _ in opened:
            f.close()


def _copy(blobs, parts: list, start: int, end: int, hashers) -> tuple[str, int]:
    w = blobs.writer(hashers)
    try:
        for blob_id, offset, length in _segments(parts, start, end):
            with blobs.open(blob_id) as f:
                f.seek(offset)
                while length > 0:
                    chunk = f.read(min(CHUNK, length))
                    if not chunk:
                        break
                    length -= len(chunk)
                    w.write(chunk)
        w.commit()
    except BaseException:
        w.abort()
        raise
    return w.id, w.size


async def copy_body(blobs, parts: list, start: int, end: int, hashers=()) -> tuple[str, int]:
    """A new blob holding bytes ``start``..``end`` of ``parts`` (copied in a worker thread)."""
    return await _run(_copy, blobs, parts, start, end, list(hashers))


async def delete_blobs(blobs, blob_ids: list[str]) -> None:
    # Rows go on the loop (a worker thread would contend for the database
    # with it); files in a worker thread.
    files = [b for b in blob_ids if not b.startswith(_INLINE_PREFIX) and b != IN_ROW]
    for b in blob_ids:
        if b.startswith(_INLINE_PREFIX):
            blobs.delete(b)
    if files:
        def run():
            for b in files:
                blobs.delete(b)
        await _run(run)
