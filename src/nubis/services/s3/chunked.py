"""The ``aws-chunked`` content encoding of S3 uploads (SigV4 chunked upload).

Current SDKs send streamed uploads framed like this (S3 API reference,
"Signature Calculations for the Authorization Header: Transferring Payload in
Multiple Chunks (Chunked Upload)" and "... Including Trailing Headers")::

    <hex-size>[;chunk-signature=<64 hex>]\\r\\n<size bytes of data>\\r\\n
    ...
    0[;chunk-signature=<64 hex>]\\r\\n
    [<trailer-name>:<value>\\r\\n ...]          (the -TRAILER variants)
    [x-amz-trailer-signature:<64 hex>\\r\\n]    (signed trailers)
    \\r\\n

:func:`decode` turns the raw request body (network chunks of any size, with a
frame header possibly split across them) into the payload bytes, and fills a
dict with the trailers once the body ends. Chunk signatures are parsed but
not verified: IAM enforcement is off by default; pass a ``verifier`` (see
:class:`ChunkVerifier`) to check them.

Errors are S3's: malformed framing or a body that ends early is
``IncompleteBody`` "The request body terminated unexpectedly"; a decoded size
other than ``x-amz-decoded-content-length`` is ``IncompleteBody`` "You did not
provide the number of bytes specified by the Content-Length HTTP header"; in
the signed variants a chunk other than the last one smaller than 8 KiB is
``InvalidChunkSizeError``.
"""
from __future__ import annotations

from typing import AsyncIterator, Protocol

from nubis.protocol.errors import ServiceError
from nubis.services.s3.checksums import malformed_trailer

STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING_ECDSA = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
STREAMING_ECDSA_TRAILER = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"

STREAMING_PAYLOADS = frozenset({STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER,
                                STREAMING_ECDSA, STREAMING_ECDSA_TRAILER})
# The variants whose chunks carry a chunk-signature.
SIGNED_PAYLOADS = frozenset({STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_ECDSA,
                             STREAMING_ECDSA_TRAILER})

# Every chunk of a signed upload except the last must hold at least this much.
MIN_SIGNED_CHUNK_SIZE = 8192

# Longest frame header or trailer line accepted (a size, a 64-hex signature,
# a trailer name and a base64 value fit well within this).
_MAX_LINE = 4096
_MAX_TRAILER_BYTES = 16384


class ChunkVerifier(Protocol):
    """The hook for chunk signature verification (SigV4 streaming).

    ``decode`` calls ``chunk(index, size, signature)`` at each frame header
    (``signature`` None when the frame has none), ``update(data)`` with the
    chunk's payload (possibly in several pieces), ``end_chunk()`` after its
    data, and ``trailer(lines, signature)`` with the raw trailer lines (each
    without its CRLF) and the ``x-amz-trailer-signature`` value. Raise a
    ``ServiceError`` (``SignatureDoesNotMatch``) to reject the upload.
    """

    def chunk(self, index: int, size: int, signature: str | None) -> None: ...

    def update(self, data) -> None: ...

    def end_chunk(self) -> None: ...

    def trailer(self, lines: list[bytes], signature: str | None) -> None: ...


def is_aws_chunked(headers) -> bool:
    """Whether the request body is aws-chunked framed."""
    encoding = headers.get("content-encoding")
    if encoding and any(e.strip().lower() == "aws-chunked" for e in encoding.split(",")):
        return True
    sha = headers.get("x-amz-content-sha256")
    return sha is not None and sha.strip() in STREAMING_PAYLOADS


def stored_content_encoding(headers) -> str | None:
    """The Content-Encoding S3 keeps with the object: the header without ``aws-chunked``."""
    encoding = headers.get("content-encoding")
    if encoding is None:
        return None
    rest = [e.strip() for e in encoding.split(",") if e.strip() and e.strip().lower() != "aws-chunked"]
    return ",".join(rest) or None


def decoded_content_length(headers) -> int | None:
    """``x-amz-decoded-content-length`` as an int (None when absent)."""
    value = headers.get("x-amz-decoded-content-length")
    if value is None:
        return None
    try:
        n = int(value.strip())
    except ValueError:
        raise ServiceError("InvalidArgument", "x-amz-decoded-content-length must be a number",
                           fields={"ArgumentName": "x-amz-decoded-content-length",
                                   "ArgumentValue": value}) from None
    if n < 0:
        raise ServiceError("InvalidArgument", "x-amz-decoded-content-length must not be negative",
                           fields={"ArgumentName": "x-amz-decoded-content-length",
                                   "ArgumentValue": value})
    return n


def incomplete_body() -> ServiceError:
    return ServiceError("IncompleteBody", "The request body terminated unexpectedly")


def _length_mismatch(expected: int, provided: int) -> ServiceError:
    return ServiceError("IncompleteBody",
                        "You did not provide the number of bytes specified by the Content-Length HTTP header",
                        fields={"NumberBytesExpected": str(expected), "NumberBytesProvided": str(provided)})


def _chunk_too_small(chunk: int, size: int) -> ServiceError:
    return ServiceError("InvalidChunkSizeError",
                        f"Only the last chunk is allowed to have a size less than {MIN_SIGNED_CHUNK_SIZE} bytes",
                        fields={"Chunk": str(chunk), "BadChunkSize": str(size)})


_HEX = frozenset(b"0123456789abcdefABCDEF")
_SIG_CHARS = _HEX | {ord("*")}


def _parse_header(line: bytes, signed: bool) -> tuple[int, str | None]:
    """``<hex>[;chunk-signature=<sig>]`` -> (size, signature)."""
    if len(line) > _MAX_LINE:
        raise incomplete_body()
    size_part, sep, ext = line.partition(b";")
    if not size_part or len(size_part) > 16 or not _HEX.issuperset(size_part):
        raise incomplete_body()
    size = int(size_part, 16)
    signature = None
    if sep:
        name, eq, value = ext.partition(b"=")
        if name.strip() == b"chunk-signature" and eq:
            sig = value.strip()
            # SigV4: 64 hex digits; SigV4a (ECDSA): a DER signature in hex,
            # padded with '*' to 144 characters.
            if signed and not (0 < len(sig) <= 144 and _SIG_CHARS.issuperset(sig)):
                raise incomplete_body()
            signature = sig.decode("ascii", "replace")
        elif signed:
            raise incomplete_body()
        # Unsigned variants: other chunk extensions are ignored, as HTTP allows.
    elif signed:
        raise incomplete_body()
    return size, signature


async def decode(stream: AsyncIterator[bytes], trailers: dict, *,
                 decoded_length: int | None = None, signed: bool = False,
                 min_chunk_size: int = 0, verifier: ChunkVerifier | None = None) -> AsyncIterator[bytes]:
    """Yield the payload of an aws-chunked body; fill ``trailers`` at its end.

    ``stream`` yields the raw body in pieces of any size. Payload pieces are
    yielded as ``bytes``: a network piece that is all payload is passed on as
    is; pieces straddling a frame header are sliced once (no buffering of data,
    no quadratic concatenation). ``trailers`` receives the trailer lines with
    lower-cased names (``x-amz-checksum-crc32``, ``x-amz-trailer-signature``, ...).

    ``decoded_length``: ``x-amz-decoded-content-length``; the decoded size must
    equal it (checked as soon as it is exceeded, and at the end). ``signed``:
    the frames must carry ``chunk-signature``. ``min_chunk_size``: every data
    chunk but the last must be at least this large (S3 enforces 8192 for the
    signed variants). See :func:`decode_request` to set these from the headers.
    """
    total = 0
    index = 0            # number of frames seen
    prev_size = -1       # size of the previous data frame
    pending = bytearray()  # an incomplete frame header / trailer line
    remaining = 0        # payload bytes still due in the current frame
    crlf_due = 0         # bytes of the CRLF after a frame's data still due (2, 1, 0)
    in_trailer = False   # after the 0-size frame: reading trailer lines
    done = False
    trailer_lines: list[bytes] = []
    trailer_bytes = 0

    def finish_trailer() -> None:
        signature = None
        for raw in trailer_lines:
            name, colon, value = raw.partition(b":")
            name_s = name.strip().decode("latin-1").lower()
            if not colon or not name_s:
                raise malformed_trailer()
            value_s = value.strip().decode("latin-1")
            if name_s == "x-amz-trailer-signature":
                signature = value_s
            trailers[name_s] = value_s
        if verifier is not None:
            verifier.trailer([ln for ln in trailer_lines
                              if not ln.lower().startswith(b"x-amz-trailer-signature:")], signature)

    async for piece in stream:
        if not isinstance(piece, bytes):
            piece = bytes(piece)
        n = len(piece)
        pos = 0
        while pos < n:
            if remaining:
                take = n - pos if n - pos <= remaining else remaining
                data = piece if (pos == 0 and take == n) else piece[pos:pos + take]
                pos += take
                remaining -= take
                total += take
                if decoded_length is not None and total > decoded_length:
                    raise _length_mismatch(decoded_length, total)
                if verifier is not None:
                    verifier.update(data)
                yield data
                if not remaining:
                    crlf_due = 2
                continue
            if crlf_due:
                # The CRLF closing a frame's data, possibly split across pieces.
                expected = b"\r\n"[2 - crlf_due:]
                got = piece[pos:pos + crlf_due]
                if not expected.startswith(got):
                    raise incomplete_body()
                crlf_due -= len(got)
                pos += len(got)
                if not crlf_due and verifier is not None:
                    verifier.end_chunk()
                continue
            if done:
                # Nothing may follow the final CRLF.
                raise incomplete_body()
            # A line: a frame header, or a trailer line.
            nl = piece.find(b"\n", pos)
            if nl < 0:
                pending += piece[pos:]
                if len(pending) > (_MAX_TRAILER_BYTES if in_trailer else _MAX_LINE):
                    raise incomplete_body()
                break
            if pending:
                pending += piece[pos:nl + 1]
                line = bytes(pending)
                pending.clear()
            else:
                line = piece[pos:nl + 1]
            pos = nl + 1
            if len(line) < 2 or line[-2] != 0x0D:  # every line ends in CRLF
                raise incomplete_body()
            line = line[:-2]
            if in_trailer:
                if not line:
                    finish_trailer()
                    done = True
                    continue
                trailer_bytes += len(line)
                if trailer_bytes > _MAX_TRAILER_BYTES:
                    raise incomplete_body()
                trailer_lines.append(line)
                continue
            size, signature = _parse_header(line, signed)
            index += 1
            if verifier is not None:
                verifier.chunk(index, size, signature)
            if size == 0:
                if verifier is not None:
                    verifier.end_chunk()
                in_trailer = True
                continue
            if min_chunk_size and 0 <= prev_size < min_chunk_size:
                raise _chunk_too_small(index, prev_size)
            prev_size = size
            remaining = size
    if not done:
        raise incomplete_body()
    if decoded_length is not None and total != decoded_length:
        raise _length_mismatch(decoded_length, total)


def decode_request(headers, stream: AsyncIterator[bytes], trailers: dict,
                   verifier: ChunkVerifier | None = None) -> AsyncIterator[bytes]:
    """:func:`decode` set up from the request headers (decoded length, signed variant)."""
    sha = (headers.get("x-amz-content-sha256") or "").strip()
    signed = sha in SIGNED_PAYLOADS
    return decode(stream, trailers, decoded_length=decoded_content_length(headers), signed=signed,
                  min_chunk_size=MIN_SIGNED_CHUNK_SIZE if signed else 0, verifier=verifier)
