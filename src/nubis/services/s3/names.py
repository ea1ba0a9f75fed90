"""Bucket names and object keys: what S3 accepts."""
from __future__ import annotations

import re

from ...protocol.errors import ServiceError

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")
_BAD_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BAD_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
MAX_KEY_BYTES = 1024


def check_bucket_name(name: str) -> None:
    """Raise InvalidBucketName unless ``name`` follows the general purpose bucket naming rules."""
    if (not _BUCKET.match(name) or ".." in name or ".-" in name or "-." in name or _IP.match(name)
            or name.startswith(_BAD_PREFIXES) or name.endswith(_BAD_SUFFIXES)):
        raise ServiceError("InvalidBucketName", "The specified bucket is not valid.", 400, BucketName=name)


def check_key(key: str) -> bytes:
    """The key as stored (its UTF-8 bytes, so that SQLite sorts keys as S3 does)."""
    raw = key.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_KEY_BYTES:
        raise ServiceError("KeyTooLongError", "Your key is too long", 400, MaxSizeAllowed=MAX_KEY_BYTES,
                           Size=len(raw))
    return raw


def key_text(raw: bytes) -> str:
    return bytes(raw).decode("utf-8", "surrogatepass")
