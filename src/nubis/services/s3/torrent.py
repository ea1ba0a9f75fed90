"""GetObjectTorrent: an object's ``.torrent`` file (S3 API reference; user
guide, "Retrieving Amazon S3 objects using BitTorrent").

A mixin of ``S3Provider``. The file describes the object as a single-file
torrent (bencoded: ``announce``, and ``info`` with ``name``, ``length``,
``piece length`` and the SHA-1 of every piece), made on demand from the body,
as S3 made it. S3's limits apply: objects of 5 GB or more get no torrent, nor
do objects in Regions launched after May 30, 2016. No tracker or seeder runs in
nubis: the file names S3's tracker, as S3's files did.
"""
from __future__ import annotations

import hashlib
from urllib.parse import quote

from ...protocol.errors import ServiceError
from .objects import read_body

MAX_TORRENT_OBJECT = 5 * 1024 ** 3
PIECE_LENGTH = 256 * 1024  # S3's piece size is not documented: a common one
TRACKER = "http://tracker.amazonaws.com:6969/announce"
# The Regions S3 had launched by May 30, 2016, the only ones with BitTorrent.
TORRENT_REGIONS = frozenset({"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1",
                             "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "sa-east-1", "us-gov-west-1",
                             "cn-north-1"})
_ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})


def bencode(value) -> bytes:
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode("utf-8")
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    # A dictionary's keys in sorted (raw byte) order, as the format requires.
    items = sorted((k.encode("utf-8"), v) for k, v in value.items())
    return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"


def _attachment(filename: str) -> str:
    """A Content-Disposition for ``filename`` (RFC 6266): an ASCII fallback, and the
    UTF-8 name itself when it has more than printable ASCII."""
    plain = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in filename)
    if plain == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


class _Pieces:
    """The SHA-1 of each ``PIECE_LENGTH`` bytes of a body fed in chunks of any size."""

    def __init__(self):
        self.digests: list[bytes] = []
        self._current = hashlib.sha1()
        self._filled = 0

    def update(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            take = min(len(view), PIECE_LENGTH - self._filled)
            self._current.update(view[:take])
            self._filled += take
            view = view[take:]
            if self._filled == PIECE_LENGTH:
                self.digests.append(self._current.digest())
                self._current, self._filled = hashlib.sha1(), 0

    def digest(self) -> bytes:
        if self._filled:
            self.digests.append(self._current.digest())
            self._current, self._filled = hashlib.sha1(), 0
        return b"".join(self.digests)


class Torrent:
    async def get_object_torrent(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        key = params["Key"]
        o = self._object(b, key, None, body=True)
        if b.region not in TORRENT_REGIONS:
            raise ServiceError("InvalidRequest", f"BitTorrent is not supported in the {b.region} Region.")
        if o.size >= MAX_TORRENT_OBJECT:
            raise ServiceError("InvalidRequest", "Torrent creation is not supported for objects larger than "
                               f"{MAX_TORRENT_OBJECT}")
        storage = o.meta.get("StorageClass")
        if storage in _ARCHIVED and not self._restored(o):
            raise ServiceError("InvalidObjectState", "The operation is not valid for the object's storage class",
                               403, StorageClass=storage)
        pieces = _Pieces()
        if o.size and o.data is not None and len(o.blobs) == 1:  # a small body, read with its row
            pieces.update(o.data)
        elif o.size:
            body = await read_body(self.bodies, o.blobs, 0, o.size - 1)
            if isinstance(body, (bytes, bytearray, memoryview)):
                pieces.update(bytes(body))
            else:
                async for chunk in body:
                    pieces.update(chunk)
        name = key.rstrip("/").rsplit("/", 1)[-1] or key.replace("/", "_")  # a file name has no "/"
        torrent = bencode({"announce": TRACKER,
                           "info": {"name": name, "length": o.size, "piece length": PIECE_LENGTH,
                                    "pieces": pieces.digest()}})
        ctx.extra_headers += [("Content-Type", "application/x-bittorrent"),
                              ("Content-Disposition", _attachment(name + ".torrent"))]
        return {"Body": torrent}
