"""HTTP/1.1 as clients use it: keep-alive, chunked bodies, Expect:
100-continue, and large bodies streamed both ways in flat memory."""
from __future__ import annotations

import gc
import hashlib
import http.client
import os
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


def raw_exchange(endpoint: str, data: bytes, until: bytes, timeout: float = 10) -> bytes:
    """Send raw bytes; read until ``until`` has been seen or the server closes."""
    u = urllib.parse.urlsplit(endpoint)
    with socket.create_connection((u.hostname, u.port), timeout=timeout) as s:
        s.sendall(data)
        got = b""
        while until not in got:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        return got


def sts_request(extra: str = "") -> bytes:
    head = (f"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {len(STS_BODY)}\r\n{extra}"
            + "".join(f"{k}: {v}\r\n" for k, v in FORM.items()) + "\r\n")
    return head.encode() + STS_BODY


def test_pipelined_requests_are_answered_in_order(nubis):
    # Three requests in one write: a slow-ish one, a ping, and a health query.
    data = sts_request() + b"GET /_nubis/ping HTTP/1.1\r\nHost: localhost\r\n\r\n" + \
        b"GET /_nubis/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    got = raw_exchange(nubis.endpoint, data, b"\0")  # read until the server closes
    first, second, third = got.find(b"<GetCallerIdentityResponse"), got.find(b"pong"), got.find(b'"services"')
    assert got.count(b"HTTP/1.1 200 OK") == 3, got
    assert 0 < first < second < third, got


def test_a_malformed_request_gets_400_and_the_connection_closes(nubis):
    got = raw_exchange(nubis.endpoint, b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: x\r\n\r\n", b"\0")
    assert got.startswith(b"HTTP/1.1 400 Bad Request\r\n"), got
    assert b"connection: close" in got.lower()


def test_head_answers_headers_only_and_the_connection_stays_usable(nubis):
    conn = connect(nubis.endpoint)
    conn.request("HEAD", "/_nubis/health")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.read() == b""
    conn.request("POST", "/", body=STS_BODY, headers=FORM)  # the same connection, still in step
    resp = conn.getresponse()
    assert resp.status == 200 and b"<Account>" in resp.read()
    conn.close()


def test_http_1_0_gets_its_answer_and_a_close(nubis):
    got = raw_exchange(nubis.endpoint, b"GET /_nubis/ping HTTP/1.0\r\n\r\n", b"\0")
    assert got.startswith(b"HTTP/1.1 200 OK\r\n") and got.endswith(b"pong"), got
    assert b"connection: close" in got.lower()


def test_an_unread_body_behind_100_continue_closes_the_connection(nubis):
    # The answer (no such service) needs no body, so 100 Continue is never sent;
    # the client may never send the body, so the connection cannot stay in step.
    head = (b"PUT /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
            b"Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/nosuchservice/aws4_request, "
            b"SignedHeaders=host, Signature=0\r\n\r\n")
    got = raw_exchange(nubis.endpoint, head, b"\0")
    assert got.startswith(b"HTTP/1.1 4") and b"HTTP/1.1 100" not in got, got
    assert b"connection: close" in got.lower()


def test_an_idle_keep_alive_connection_is_closed_after_the_timeout():
    import threading
    import time

    import uvicorn

    from nubis.config import from_env
    from nubis.server import uvicorn_config
    from nubis.testing import free_port

    config = from_env(host="127.0.0.1", port=free_port(), ephemeral=True, log_level="warning")
    ucfg = uvicorn_config(config)
    ucfg.timeout_keep_alive = 1  # nubis keeps 75 s; a short one to see it work
    server = uvicorn.Server(ucfg)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        with socket.create_connection(("127.0.0.1", config.port), timeout=10) as s:
            for _ in range(3):  # requests keep it open: each resets the idle time
                s.sendall(b"GET /_nubis/ping HTTP/1.1\r\nHost: localhost\r\n\r\n")
                assert s.recv(65536).endswith(b"pong")
                time.sleep(0.6)
            started = time.monotonic()
            assert s.recv(65536) == b""  # closed by the server
            assert 0.2 < time.monotonic() - started < 3
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_pipelined_small_and_streamed_answers_keep_their_order(nubis):
    # Small whole answers leave together at the end of a turn of the loop; a
    # streamed one is written as it goes. Pipelined, they still come in order.
    s3 = nubis.client("s3")
    s3.create_bucket(Bucket="pipelined")
    big = bytes(range(256)) * 1200  # 300 KiB: streamed from its file
    s3.put_object(Bucket="pipelined", Key="big", Body=big)
    ping = b"GET /_nubis/ping HTTP/1.1\r\nHost: localhost\r\n\r\n"
    get = (f"GET /pipelined/big HTTP/1.1\r\nHost: localhost\r\nAuthorization: {SIGNED_S3}\r\n\r\n").encode()
    last = b"GET /_nubis/ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    got = raw_exchange(nubis.endpoint, ping + get + ping + last, b"(read until the server closes)")
    first, body_at, second = got.find(b"pong"), got.find(big), got.find(b"pong", got.find(big) + len(big))
    assert got.count(b"HTTP/1.1 200 OK") == 4, got[:500]
    assert 0 < first < body_at < second, (first, body_at, second)
    assert got.endswith(b"pong")


@pytest.mark.skipif(bool(os.environ.get("NUBIS_TEST_ENDPOINT")), reason="looks into the server's own process")
def test_an_answered_request_leaves_no_cycle_for_the_gc(nubis):
    # A request's objects go when it is answered, by reference counting. A cycle
    # among them (the request held the exchange's receive) left each request to the
    # cyclic GC, whose collections then ran every ~100 requests: ~3 us per request.
    conn = connect(nubis.endpoint)
    conn.request("POST", "/", body=STS_BODY, headers=FORM)
    conn.getresponse().read()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(20):
            conn.request("POST", "/", body=STS_BODY, headers=FORM)
            assert b"<Account>" in conn.getresponse().read()
        gc.collect()
        left = {type(o).__name__ for o in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        conn.close()
    assert not left & {"HttpRequest", "Headers"}, left  # (a closed connection leaves a cycle of its own)
