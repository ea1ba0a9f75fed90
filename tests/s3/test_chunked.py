"""aws-chunked decoding: framing at every split point, trailers, errors, botocore's real bytes."""
from __future__ import annotations

import asyncio
import random

import pytest

from nubis.protocol.errors import ServiceError
from nubis.protocol.wire import Headers
from nubis.services.s3 import checksums as ck
from nubis.services.s3 import chunked

SIG = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
TRAILER_SIG = "63bddb248ad2590c92712055f51375cf" * 2


def encode(payloads: list[bytes], trailers: list[tuple[str, str]] | None = None, signed: bool = False,
           trailer_signature: str | None = None) -> bytes:
    out = []
    for p in list(payloads) + [b""]:
        ext = f";chunk-signature={SIG}" if signed else ""
        out.append(b"%x%s\r\n" % (len(p), ext.encode()))
        if p:
            out.append(p + b"\r\n")
    for name, value in trailers or ():
        out.append(f"{name}:{value}\r\n".encode())
    if trailer_signature:
        out.append(f"x-amz-trailer-signature:{trailer_signature}\r\n".encode())
    out.append(b"\r\n")
    return b"".join(out)


async def _agen(pieces):
    for p in pieces:
        yield p


async def _collect(pieces, **kw):
    trailers: dict = {}
    out = [d async for d in chunked.decode(_agen(pieces), trailers, **kw)]
    for d in out:
        assert isinstance(d, bytes)
    return b"".join(out), trailers


def run(pieces, **kw):
    return asyncio.run(_collect(pieces, **kw))


def run_err(pieces, **kw) -> ServiceError:
    with pytest.raises(ServiceError) as e:
        run(pieces, **kw)
    return e.value


async def _many(bodies_and_kw):
    # Many small decodes in one event loop (asyncio.run per case is slow).
    results = []
    for pieces, kw in bodies_and_kw:
        try:
            results.append(await _collect(pieces, **kw))
        except ServiceError as e:
            results.append(e)
    return results


def run_many(cases):
    return asyncio.run(_many(cases))


# -- detection ----------------------------------------------------------------

def test_is_aws_chunked():
    assert chunked.is_aws_chunked(Headers([("Content-Encoding", "aws-chunked")]))
    assert chunked.is_aws_chunked(Headers([("content-encoding", "gzip, aws-chunked")]))
    for sha in ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
                "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"):
        assert chunked.is_aws_chunked(Headers([("x-amz-content-sha256", sha)]))
    assert not chunked.is_aws_chunked(Headers([("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]))
    assert not chunked.is_aws_chunked(Headers([("content-encoding", "gzip")]))
    assert not chunked.is_aws_chunked(Headers())


def test_stored_content_encoding():
    assert chunked.stored_content_encoding(Headers([("content-encoding", "aws-chunked")])) is None
    assert chunked.stored_content_encoding(Headers([("content-encoding", "aws-chunked,gzip")])) == "gzip"
    assert chunked.stored_content_encoding(Headers([("content-encoding", "gzip")])) == "gzip"
    assert chunked.stored_content_encoding(Headers()) is None


def test_decoded_content_length_header():
    assert chunked.decoded_content_length(Headers([("x-amz-decoded-content-length", "33")])) == 33
    assert chunked.decoded_content_length(Headers()) is None
    with pytest.raises(ServiceError):
        chunked.decoded_content_length(Headers([("x-amz-decoded-content-length", "x")]))


# -- decoding -----------------------------------------------------------------

PAYLOADS = [b"hello world, ", b"x" * 17, b"\r\n0\r\n;chunk", b"!"]
DATA = b"".join(PAYLOADS)


@pytest.mark.parametrize("signed", [False, True])
def test_every_split_point(signed):
    trailers = [("x-amz-checksum-crc32", ck.checksum("CRC32", DATA))]
    body = encode(PAYLOADS, trailers, signed=signed, trailer_signature=TRAILER_SIG if signed else None)
    expected_trailers = {"x-amz-checksum-crc32": ck.checksum("CRC32", DATA)}
    if signed:
        expected_trailers["x-amz-trailer-signature"] = TRAILER_SIG
    kw = {"signed": signed, "decoded_length": len(DATA)}
    cases = [([body[:i], body[i:]], kw) for i in range(len(body) + 1)]
    # Three pieces, all pairs of split points.
    cases += [([body[:i], body[i:j], body[j:]], kw) for i in range(0, len(body), 3) for j in range(i, len(body) + 1, 2)]
    cases.append(([bytes([b]) for b in body], kw))  # byte by byte
    cases.append(([memoryview(body)], kw))
    for result in run_many(cases):
        assert result == (DATA, expected_trailers)


def test_no_trailers_and_empty_body():
    assert run([encode(PAYLOADS)]) == (DATA, {})
    assert run([b"0\r\n\r\n"], decoded_length=0) == (b"", {})
    assert run([encode([], signed=True)], signed=True) == (b"", {})
    assert run([b"", b"0\r\n", b"", b"\r\n"]) == (b"", {})


def test_large_chunks_are_passed_through():
    big = random.Random(3).randbytes(3 << 20)
    frames = [big[i:i + (1 << 20)] for i in range(0, len(big), 1 << 20)]
    body = encode(frames, [("x-amz-checksum-crc64nvme", ck.checksum("CRC64NVME", big))])
    pieces = [body[i:i + 65536] for i in range(0, len(body), 65536)]
    data, trailers = run(pieces, decoded_length=len(big))
    assert data == big
    assert trailers == {"x-amz-checksum-crc64nvme": ck.checksum("CRC64NVME", big)}


def test_trailer_names_lower_cased_and_several():
    body = encode([b"abc"], [("X-Amz-Checksum-SHA256", ck.checksum("SHA256", b"abc")), ("x-amz-meta-x", " v ")])
    assert run([body]) == (b"abc", {"x-amz-checksum-sha256": ck.checksum("SHA256", b"abc"), "x-amz-meta-x": "v"})


def test_chunk_extensions_tolerated_when_unsigned():
    assert run([b"3;foo=bar\r\nabc\r\n0\r\n\r\n"]) == (b"abc", {})
    assert run([b"3\r\nabc\r\n0\r\n\r\n"], signed=False) == (b"abc", {})
    assert run([b"A\r\n0123456789\r\n0\r\n\r\n"]) == (b"0123456789", {})


# -- errors -------------------------------------------------------------------

INCOMPLETE = ("IncompleteBody", "The request body terminated unexpectedly")


def test_truncated_at_every_point():
    body = encode(PAYLOADS, [("x-amz-checksum-crc32", ck.checksum("CRC32", DATA))])
    for result in run_many([([body[:i]], {}) for i in range(len(body))]):
        assert isinstance(result, ServiceError)
        assert (result.code, result.message, result.status) == (*INCOMPLETE, 400)


@pytest.mark.parametrize("body", [
    b"zz\r\nabc\r\n0\r\n\r\n",                  # size not hex
    b"\r\nabc\r\n0\r\n\r\n",                    # size missing
    b"3\nabc\r\n0\r\n\r\n",                     # LF without CR
    b"3\r\nabcd\r\n0\r\n\r\n",                  # more data than the size says
    b"5\r\nabc\r\n0\r\n\r\n",                   # less data than the size says
    b"3\r\nabc0\r\n\r\n",                       # CRLF after data missing
    b"3\r\nabc\r\n0\r\n\r\nextra",              # bytes after the end
    b"3\r\nabc\r\n0\r\n",                       # final CRLF missing
    b"11111111111111111\r\n",                   # absurd size
    b"3" + b" " * 5000 + b"\r\nabc\r\n0\r\n\r\n",  # header line too long
    b"3 \r\nabc\r\n0\r\n\r\n",                 # junk after the size
], ids=lambda b: repr(b[:24]))
def test_malformed_framing(body):
    e = run_err([body])
    assert (e.code, e.message) == INCOMPLETE


def test_signed_frames_need_a_signature():
    for body in (b"3\r\nabc\r\n0\r\n\r\n", b"3;chunk-signature=abc\r\nabc\r\n0\r\n\r\n",
                 b"3;chunk-sig=%s\r\nabc\r\n0\r\n\r\n" % SIG.encode()):
        assert (run_err([body], signed=True).code) == "IncompleteBody"


def test_sigv4a_padded_signatures():
    sig = ("3045022100" + "ab" * 33 + "0220" + "cd" * 32).ljust(144, "*")
    body = b"3;chunk-signature=%s\r\nabc\r\n0;chunk-signature=%s\r\n\r\n" % (sig.encode(), sig.encode())
    assert run([body], signed=True) == (b"abc", {})


def test_malformed_trailer_line():
    e = run_err([b"3\r\nabc\r\n0\r\nno-colon-here\r\n\r\n"])
    assert e.code == "MalformedTrailerError"


def test_decoded_length_mismatch():
    body = encode([b"hello"])
    for declared in (3, 6, 0):
        e = run_err([body], decoded_length=declared)
        assert e.code == "IncompleteBody"
        assert e.message == "You did not provide the number of bytes specified by the Content-Length HTTP header"
        assert e.fields["NumberBytesExpected"] == str(declared)
    # Too much data is caught while streaming, not only at the end.
    assert run_err([body], decoded_length=3).fields["NumberBytesProvided"] == "5"


def test_signed_chunk_size_minimum():
    ok = encode([b"a" * 8192, b"b" * 8192, b"c" * 3], signed=True)
    assert run([ok], signed=True, min_chunk_size=8192)[0] == b"a" * 8192 + b"b" * 8192 + b"ccc"
    bad = encode([b"abc", b"de"], signed=True)
    e = run_err([bad], signed=True, min_chunk_size=8192)
    assert (e.code, e.message) == ("InvalidChunkSizeError",
                                   "Only the last chunk is allowed to have a size less than 8192 bytes")
    assert e.fields == {"Chunk": "2", "BadChunkSize": "3"}
    # Unsigned variants: no minimum.
    assert run([bad.replace(f";chunk-signature={SIG}".encode(), b"")])[0] == b"abcde"


def test_decode_request_from_headers():
    body = encode([b"abc", b"de"], signed=True)
    headers = Headers([("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
                       ("x-amz-decoded-content-length", "5")])

    async def go():
        t = {}
        return [d async for d in chunked.decode_request(headers, _agen([body]), t)]

    with pytest.raises(ServiceError) as e:
        asyncio.run(go())
    assert e.value.code == "InvalidChunkSizeError"


def test_verifier_hook():
    calls = []

    class Recorder:
        def chunk(self, index, size, signature):
            calls.append(("chunk", index, size, signature))

        def update(self, data):
            calls.append(("data", bytes(data)))

        def end_chunk(self):
            calls.append(("end",))

        def trailer(self, lines, signature):
            calls.append(("trailer", lines, signature))

    body = encode([b"abc"], [("x-amz-checksum-crc32", "NSRBwg==")], signed=True, trailer_signature=TRAILER_SIG)
    run([body[:5], body[5:]], signed=True, verifier=Recorder())
    assert calls == [("chunk", 1, 3, SIG), ("data", b"abc"), ("end",), ("chunk", 2, 0, SIG), ("end",),
                     ("trailer", [b"x-amz-checksum-crc32:NSRBwg=="], TRAILER_SIG)]


# -- the bytes botocore really sends -----------------------------------------

class _Captured(Exception):
    pass


def _botocore_put(body: bytes, **params):
    """botocore's prepared PutObject (headers, raw body), intercepted before sending.

    botocore only sends aws-chunked trailer checksums over TLS, so the endpoint
    is https; nothing goes on the network.
    """
    import botocore.session
    from botocore.config import Config

    client = botocore.session.get_session().create_client(
        "s3", endpoint_url="https://localhost:4566", region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(request_checksum_calculation="when_supported", s3={"addressing_style": "path"},
                      retries={"total_max_attempts": 1}))

    def intercept(request, **_):
        raise _Captured(request)

    client.meta.events.register_first("before-send", intercept)
    try:
        client.put_object(Bucket="bucket", Key="key", Body=body, **params)
    except _Captured as c:
        request = c.args[0]
        raw = request.body
        raw = raw.read() if hasattr(raw, "read") else bytes(raw)
        headers = Headers((k, v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items())
        return headers, raw
    raise AssertionError("botocore sent nothing")


@pytest.mark.parametrize("size,algorithm", [(33, None), (0, None), ((2 << 20) + 12345, "CRC64NVME"),
                                            (100_000, "SHA256"), (70_000, "CRC32C")])
def test_botocore_put_object(size, algorithm):
    payload = random.Random(size).randbytes(size)
    params = {"ChecksumAlgorithm": algorithm} if algorithm else {}
    headers, raw = _botocore_put(payload, **params)
    assert chunked.is_aws_chunked(headers)
    requested = ck.requested_checksums(headers)
    alg = algorithm or "CRC32"
    assert requested == {alg: None}

    rng = random.Random(size + 1)
    pieces, pos = [], 0
    while pos < len(raw):
        n = rng.choice((1, 2, 5, 1000, 65536, 1 << 20))
        pieces.append(raw[pos:pos + n])
        pos += n

    async def go():
        trailers: dict = {}
        h = ck.hasher(alg)
        out = bytearray()
        async for data in chunked.decode_request(headers, _agen(pieces), trailers):
            h.update(data)
            out += data
        return bytes(out), trailers, h.b64()

    data, trailers, computed = asyncio.run(go())
    assert data == payload
    trailing = ck.trailing_checksum(headers, trailers)
    assert trailing == {alg: computed}
    ck.verify(alg, trailing[alg], computed, trailing=True)
    assert chunked.stored_content_encoding(headers) is None
