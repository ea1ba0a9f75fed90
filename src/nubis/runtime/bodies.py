"""Bodies that come back from a provider called in-process.

A streaming output member (S3's GetObject ``Body``) is whatever the provider
returned: bytes, or an async iterator of chunks. A caller through the internal
client that wants the whole of it reads it with ``read_all``.
"""
from __future__ import annotations


async def read_all(body) -> bytes:
    """A streamed body (an S3 object's) as bytes."""
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    return b"".join([chunk async for chunk in body])
