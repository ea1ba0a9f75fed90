"""Object bodies: streamed into the blob store, streamed out of it.

Every file operation runs in the default executor, so that a large body never
blocks the event loop, and moves in 1 MiB pieces, so that it never sits in
memory. An object's body is a list of blobs (``[[blob_id, size], ...]``): one
for a PUT, the parts of a completed multipart upload, read one after another.
"""
from __future__ import annotations

import asyncio
from typing import AsyncIterator

CHUNK = 1 << 20
SMALL = 256 << 10  # bodies up to this size are read without a worker thread


def _run(fn, *args):
    return asyncio.get_running_loop().run_in_executor(None, fn, *args)


async def _as_stream(body) -> AsyncIterator[bytes]:
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
    fsynced blob; return its id and size. A failure leaves nothing behind."""
    w = await _run(blobs.writer, hashers)

    def write_all(pieces: list) -> None:
        for piece in pieces:
            w.write(piece)

    try:
        # Network chunks are small (~64 KiB): gather about 1 MiB per trip to the
        # worker thread, so that the hops do not cost more than the writes.
        pending, size = [], 0
        async for chunk in _as_stream(body):
            pending.append(chunk)
            size += len(chunk)
            if size >= CHUNK:
                await _run(write_all, pending)
                pending, size = [], 0
        if pending:
            await _run(write_all, pending)
        await _run(w.commit)
    except BaseException:
        await asyncio.shield(_run(w.abort))
        raise
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
    def run():
        for b in blob_ids:
            blobs.delete(b)
    await _run(run)
