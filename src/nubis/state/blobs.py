"""Large bodies (S3 objects, Lambda code, layers) as files under the data dir.

A blob is written to a temporary file, fsynced, and renamed into place under
a fresh id before its id is returned; the caller then commits the row that
points to it. A crash before that commit leaves an unreferenced file (swept
by ``sweep``), never a row pointing to a partial body.
"""
from __future__ import annotations

import os
import secrets
from typing import AsyncIterator, Callable, Iterable


class BlobWriter:
    """Writes one blob incrementally (a streamed upload), hashing as it goes."""

    def __init__(self, store: "BlobStore", hashers: Iterable = ()):
        self.store = store
        self.id = secrets.token_hex(16)
        self.size = 0
        self.hashers = list(hashers)
        self._tmp = store._path(self.id) + ".part"
        os.makedirs(os.path.dirname(self._tmp), exist_ok=True)
        self._f = open(self._tmp, "wb", buffering=0)

    def write(self, chunk: bytes) -> None:
        self._f.write(chunk)
        self.size += len(chunk)
        for h in self.hashers:
            h.update(chunk)

    def flush(self) -> None:
        """Push what is written so far to disk (the final fsync then has less to do)."""
        os.fdatasync(self._f.fileno())

    def commit(self) -> str:
        """Make the blob durable and visible under ``self.id``."""
        os.fsync(self._f.fileno())
        self._f.close()
        os.replace(self._tmp, self.store._path(self.id))
        return self.id

    def abort(self) -> None:
        self._f.close()
        try:
            os.remove(self._tmp)
        except FileNotFoundError:
            pass


class BlobStore:
    def __init__(self, root: str):
        self.root = root
        os.makedirs(root, exist_ok=True)

    def _path(self, blob_id: str) -> str:
        return os.path.join(self.root, blob_id[:2], blob_id)

    def path(self, blob_id: str) -> str:
        return self._path(blob_id)

    def writer(self, hashers: Iterable = ()) -> BlobWriter:
        return BlobWriter(self, hashers)

    def put(self, data: bytes) -> str:
        w = self.writer()
        w.write(data)
        return w.commit()

    async def put_stream(self, chunks: AsyncIterator[bytes], hashers: Iterable = (),
                         run: Callable | None = None) -> BlobWriter:
        """Write a streamed body; ``run`` moves file I/O off the event loop."""
        w = self.writer(hashers)
        try:
            async for chunk in chunks:
                if run is None:
                    w.write(chunk)
                else:
                    await run(w.write, chunk)
            if run is None:
                w.commit()
            else:
                await run(w.commit)
        except BaseException:
            w.abort()
            raise
        return w

    def get(self, blob_id: str) -> bytes:
        with open(self._path(blob_id), "rb") as f:
            return f.read()

    def open(self, blob_id: str):
        return open(self._path(blob_id), "rb")

    def size(self, blob_id: str) -> int:
        return os.path.getsize(self._path(blob_id))

    def delete(self, blob_id: str) -> None:
        try:
            os.remove(self._path(blob_id))
        except FileNotFoundError:
            pass

    def _files(self):
        """(name, path) of every file in the store, partial ones included."""
        for sub in os.listdir(self.root):
            d = os.path.join(self.root, sub)
            if os.path.isdir(d):
                for name in os.listdir(d):
                    yield name, os.path.join(d, name)

    def _remove(self, path: str) -> int:
        try:
            os.remove(path)
            return 1
        except FileNotFoundError:
            return 0

    def sweep_partial(self, before: float) -> int:
        """Remove the partial files a crash left (written before ``before``,
        so that none of this process's uploads in progress is touched)."""
        removed = 0
        for name, path in self._files():
            try:
                if name.endswith(".part") and os.stat(path).st_mtime < before:
                    removed += self._remove(path)
            except FileNotFoundError:
                pass
        return removed

    def sweep(self, referenced: Callable[[str], bool]) -> int:
        """Remove partial files and blobs no row refers to; return how many."""
        return sum(self._remove(path) for name, path in self._files()
                   if name.endswith(".part") or not referenced(name))

