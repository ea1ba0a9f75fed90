"""Signed aws-chunked uploads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]): every
chunk's signature is checked as the body streams. botocore does not send this
encoding, so the test signs as the S3 API reference's "Transferring Payload in
Multiple Chunks" describes."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import zlib
from urllib.parse import urlsplit

import httpx

from .conftest import error_of

EMPTY = hashlib.sha256(b"").hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signed_chunked_put(endpoint: str, path: str, chunks: list[bytes], *, secret: str = "test",
                       tamper: int | None = None, trailer: bool = False, tamper_trailer: bool = False):
    now = dt.datetime.now(dt.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = f"{day}/us-east-1/s3/aws4_request"
    key = ("AWS4" + secret).encode()
    for part in (day, "us-east-1", "s3", "aws4_request"):
        key = _hmac(key, part)
    sha = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    decoded = sum(len(c) for c in chunks)
    headers = {"host": urlsplit(endpoint).netloc, "x-amz-content-sha256": sha, "x-amz-date": amz_date,
               "x-amz-decoded-content-length": str(decoded), "content-encoding": "aws-chunked"}
    if trailer:
        headers["x-amz-trailer"] = "x-amz-checksum-crc32"
    names = sorted(headers)
    creq = "\n".join(["PUT", path, "", "".join(f"{n}:{headers[n]}\n" for n in names), ";".join(names), sha])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    seed = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential=test/{scope}, SignedHeaders={';'.join(names)}, "
                                f"Signature={seed}")
    body, previous = b"", seed
    for i, data in enumerate(chunks + [b""]):
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, EMPTY,
                         hashlib.sha256(data).hexdigest()])
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        if tamper == i:
            sig = "0" * 64
        body += f"{len(data):x};chunk-signature={sig}\r\n".encode() + data + b"\r\n"
        previous = sig
    if trailer:
        body = body[:-2]  # the last chunk's empty data is followed by the trailer, not a bare CRLF
        crc = base64.b64encode(zlib.crc32(b"".join(chunks)).to_bytes(4, "big")).decode()
        line = f"x-amz-checksum-crc32:{crc}"
        sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous,
                         hashlib.sha256((line + "\n").encode()).hexdigest()])
        tsig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        if tamper_trailer:
            tsig = "f" * 64
        body += f"{line}\r\nx-amz-trailer-signature:{tsig}\r\n\r\n".encode()
    del headers["host"]
    return httpx.put(endpoint + path, headers=headers, content=body)


def test_correctly_signed_chunks_are_stored(cloud, s3, bucket):
    chunks = [b"a" * 8192, b"b" * 8192, b"tail"]
    r = signed_chunked_put(cloud.endpoint, f"/{bucket}/chunked", chunks)
    assert r.status_code == 200, r.text
    assert s3.get_object(Bucket=bucket, Key="chunked")["Body"].read() == b"".join(chunks)


def test_a_chunk_with_a_wrong_signature_fails_the_upload(cloud, s3, bucket):
    for bad in (0, 1, 3):  # the first, a middle one, the final empty chunk
        r = signed_chunked_put(cloud.endpoint, f"/{bucket}/tampered", [b"a" * 8192, b"b" * 8192, b"c"], tamper=bad)
        assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text, (bad, r.text)
        assert "AWS4-HMAC-SHA256-PAYLOAD" in r.text
    assert error_of(s3.head_object, Bucket=bucket, Key="tampered")["Code"] == "404"


def test_the_seed_signature_needs_the_right_secret(cloud, bucket):
    r = signed_chunked_put(cloud.endpoint, f"/{bucket}/wrong-secret", [b"x"], secret="nope")
    assert r.status_code == 403 and "SignatureDoesNotMatch" in r.text


def test_a_signed_trailer_is_checked(cloud, s3, bucket):
    r = signed_chunked_put(cloud.endpoint, f"/{bucket}/trailed", [b"a" * 8192, b"z"], trailer=True)
    assert r.status_code == 200, r.text
    assert s3.get_object(Bucket=bucket, Key="trailed")["Body"].read() == b"a" * 8192 + b"z"
    r = signed_chunked_put(cloud.endpoint, f"/{bucket}/trailed-bad", [b"a" * 8192, b"z"], trailer=True,
                           tamper_trailer=True)
    assert r.status_code == 403 and "SignatureDoesNotMatch" in r.text
