"""HTTP/1.1 as clients use it: keep-alive, chunked bodies, Expect:
100-continue, and large bodies streamed both ways in flat memory."""
from __future__ import annotations

import hashlib
import http.client
import socket
import urllib.parse

import pytest

STS_BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
FORM = {"Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts/aws4_request, "
                         "SignedHeaders=host, Signature=0"}
PROVIDERS = {"NUBIS_PROVIDERS": "s3=support.stream_s3:StreamS3"}
SIGNED_S3 = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"


def connect(endpoint):
    u = urllib.parse.urlsplit(endpoint)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=60)


def test_keep_alive_serves_many_requests_on_one_connection(nubis):
    conn = connect(nubis.endpoint)
    conn.connect()
    sock = conn.sock
    for _ in range(20):
        conn.request("POST", "/", body=STS_BODY, headers=FORM)
        resp = conn.getresponse()
        assert resp.status == 200 and b"<Account>" in resp.read()
    assert conn.sock is sock  # never reconnected
    conn.close()


def test_chunked_request_body(nubis):
    conn = connect(nubis.endpoint)
    conn.request("POST", "/", body=iter([STS_BODY[:10], STS_BODY[10:]]), headers=FORM, encode_chunked=True)
    resp = conn.getresponse()
    assert resp.status == 200 and b"<Account>000000000000</Account>" in resp.read()
    conn.close()


def test_expect_100_continue(nubis):
    u = urllib.parse.urlsplit(nubis.endpoint)
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        head = (f"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {len(STS_BODY)}\r\n"
                f"Expect: 100-continue\r\n" + "".join(f"{k}: {v}\r\n" for k, v in FORM.items()) + "\r\n")
        s.sendall(head.encode())
        interim = s.recv(1024)
        assert interim.startswith(b"HTTP/1.1 100 Continue")
        s.sendall(STS_BODY)
        data = b""
        while b"</GetCallerIdentityResponse>" not in data:
            chunk = s.recv(65536)
            assert chunk
            data += chunk
        assert b"HTTP/1.1 200" in data


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(field)


@pytest.mark.parametrize("size_mb", [256])
def test_large_bodies_stream_in_flat_memory(server_process, size_mb):
    server = server_process("--ephemeral", env=PROVIDERS)
    pid = server.proc.pid
    conn = connect(server.endpoint)
    # Warm up the code paths (model loading, provider start) before measuring.
    conn.request("PUT", "/bucket/warm", body=b"x", headers={"Authorization": SIGNED_S3})
    assert conn.getresponse().read() == b""
    base = rss_kb(pid)

    chunk = bytes(range(256)) * 4096  # 1 MiB
    md5 = hashlib.md5()

    def body():
        for _ in range(size_mb):
            md5.update(chunk)
            yield chunk

    conn.request("PUT", "/bucket/big.bin", body=body(),
                 headers={"Authorization": SIGNED_S3, "Content-Length": str(size_mb << 20)})
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 200
    assert resp.getheader("ETag") == f'"{md5.hexdigest()}"'
    after_put = rss_kb(pid, "VmHWM")

    conn.request("GET", "/bucket/big.bin", headers={"Authorization": SIGNED_S3})
    resp = conn.getresponse()
    assert resp.status == 200 and int(resp.getheader("Content-Length")) == size_mb << 20
    got = hashlib.md5()
    while True:
        piece = resp.read(1 << 20)
        if not piece:
            break
        got.update(piece)
    assert got.hexdigest() == md5.hexdigest()
    peak = rss_kb(pid, "VmHWM")
    conn.close()
    # The body never sat in memory: the peak grew by far less than its size.
    assert after_put - base < 64 * 1024, (base, after_put)
    assert peak - base < 64 * 1024, (base, peak)


def test_provider_errors_are_aws_errors_not_tracebacks(server_process):
    server = server_process("--ephemeral", env=PROVIDERS)
    conn = connect(server.endpoint)
    conn.request("GET", "/bucket/missing", headers={"Authorization": SIGNED_S3})
    resp = conn.getresponse()
    body = resp.read().decode()
    assert resp.status == 404
    assert "<Code>NoSuchKey</Code>" in body and "<Key>missing</Key>" in body
    assert "Traceback" not in body
