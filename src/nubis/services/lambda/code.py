"""Deployment packages: checking a zip, and unpacking it once for every environment that runs it.

Unpacked code is a cache under the data directory, one directory per blob
(a blob never changes), shared read-only by the environments that run it, as
``/var/task`` is on Lambda. Layers of one environment are merged into one
``opt`` directory, in the order the function lists them.
"""
from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import stat
import threading
import zipfile

from .validation import invalid

MAX_ZIPPED = 50 * 1024 * 1024          # a direct upload
MAX_UNZIPPED = 250 * 1024 * 1024       # function and layers, unzipped
MAX_REQUEST = 69_905_067               # a direct upload's request, base64 included

_lock = threading.Lock()


def digest(data: bytes) -> str:
    """CodeSha256 as Lambda gives it: the base64 of the SHA-256."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def check_zip(data: bytes) -> int:
    """The unzipped size of a package, or Lambda's error if it is not a zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            size = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise invalid("Could not unzip uploaded file. Please check your file, then try to upload again.") from None
    if size > MAX_UNZIPPED:
        raise invalid(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")
    return size


def _extract(zip_path: str, target: str) -> None:
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            path = z.extract(info, target)
            mode = (info.external_attr >> 16) & 0o7777
            if info.is_dir():
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                continue
            # Keep the zip's Unix permission bits (a bootstrap must stay executable).
            os.chmod(path, mode if mode else 0o644)


def unpacked(cache_root: str, blob_path: str, blob_id: str) -> str:
    """The directory holding ``blob_id`` unzipped (made on first use; run in a thread)."""
    return _made_once(os.path.join(cache_root, "code", blob_id), lambda tmp: _extract(blob_path, tmp))


def forget(cache_root: str, blob_id: str) -> None:
    """Remove a deleted package's unpacked copy."""
    shutil.rmtree(os.path.join(cache_root, "code", blob_id), ignore_errors=True)


def merged_layers(cache_root: str, layers: list[tuple[str, str]]) -> str | None:
    """One directory with every layer unzipped into it, later layers over earlier ones.

    ``layers`` is [(blob_id, blob_path)]; None when the function has none."""
    if not layers:
        return None
    key = hashlib.sha256("|".join(b for b, _ in layers).encode()).hexdigest()[:32]

    def fill(tmp: str) -> None:
        for _, path in layers:
            _extract(path, tmp)

    return _made_once(os.path.join(cache_root, "opt", key), fill)


def _made_once(target: str, fill) -> str:
    """``target``, made by ``fill`` into a ``.part`` directory renamed into place, so
    a half-made one (a crash, a concurrent caller) is never used; made once."""
    if os.path.isdir(target):
        return target
    with _lock:
        if os.path.isdir(target):
            return target
        tmp = target + ".part"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        fill(tmp)
        os.replace(tmp, target)
    return target
