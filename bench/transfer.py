"""Large S3 objects through one connection: PutObject then GetObject of N
bytes, in MB/s, with the server's resident memory sampled during each.

    python bench/transfer.py --endpoint http://127.0.0.1:4566 [--size-mb 64] [--pid PID] [--json]

The bucket is made with botocore first. The PUT is one request of N random
bytes (a 1 MiB random block repeated, so nothing compresses), sent as the
AWS CLI sends a large single PUT over http: ``x-amz-content-sha256:
UNSIGNED-PAYLOAD``, ``Content-Length``, a signature made once (the servers
measured do not check it). The GET reads the whole body into a reused
buffer. Times are from the first byte sent to the last byte of the answer.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import time
import uuid
from urllib.parse import urlsplit

import procs
import scenarios

BLOCK = os.urandom(1 << 20)


class RssWatch:
    """The highest RSS of ``pid`` while the block runs, sampled every 20 ms."""

    def __init__(self, pid: int | None):
        self.pid = pid
        self.before = self.peak = 0
        self._stop = threading.Event()

    def __enter__(self):
        if self.pid:
            self.before = self.peak = procs.rss_kib(self.pid, tree=False)
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, procs.rss_kib(self.pid, tree=False))

    def __exit__(self, *exc):
        if self.pid:
            self._stop.set()
            self._thread.join()
            self.peak = max(self.peak, procs.rss_kib(self.pid, tree=False))

    @property
    def growth_mib(self) -> float | None:
        return (self.peak - self.before) / 1024 if self.pid else None


def _read_head(sock: socket.socket) -> tuple[int, dict, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return int(lines[0].split()[1]), headers, rest


def _drain(sock: socket.socket, length: int, already: bytes) -> int:
    got = len(already)
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    while got < length:
        n = sock.recv_into(view, min(len(buf), length - got))
        if not n:
            raise ConnectionError("the body ended early")
        got += n
    return got


def _headers_for(endpoint: str, method: str, bucket: str, key: str) -> list[str]:
    """botocore's signed headers for a tiny request of this kind, to reuse."""
    raw = scenarios.sigv4_request(endpoint, method, f"/{bucket}/{key}", service="s3",
                                  headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    lines = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
    return [ln for ln in lines if not ln.lower().startswith("content-length:")]


def put(endpoint: str, bucket: str, key: str, size: int) -> tuple[float, int]:
    parts = urlsplit(endpoint)
    head = [f"PUT /{bucket}/{key} HTTP/1.1"] + _headers_for(endpoint, "PUT", bucket, key) + [
        f"Content-Length: {size}", "Content-Type: application/octet-stream"]
    with socket.create_connection((parts.hostname, parts.port or 80)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t0 = time.perf_counter()
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        left = size
        while left:
            n = min(left, len(BLOCK))
            sock.sendall(BLOCK if n == len(BLOCK) else BLOCK[:n])
            left -= n
        status, headers, rest = _read_head(sock)
        _drain(sock, int(headers.get("content-length", "0")), rest)
        return time.perf_counter() - t0, status


def get(endpoint: str, bucket: str, key: str) -> tuple[float, int, int]:
    parts = urlsplit(endpoint)
    head = [f"GET /{bucket}/{key} HTTP/1.1"] + _headers_for(endpoint, "GET", bucket, key)
    with socket.create_connection((parts.hostname, parts.port or 80)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t0 = time.perf_counter()
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        status, headers, rest = _read_head(sock)
        got = _drain(sock, int(headers.get("content-length", "0")), rest)
        return time.perf_counter() - t0, status, got


def run(endpoint: str, size_mb: int, pid: int | None = None) -> dict:
    bucket = f"bench-transfer-{uuid.uuid4().hex[:8]}"
    scenarios.client(endpoint, "s3").create_bucket(Bucket=bucket)
    size = size_mb << 20
    with RssWatch(pid) as put_rss:
        put_s, put_status = put(endpoint, bucket, "big", size)
    with RssWatch(pid) as get_rss:
        get_s, get_status, got = get(endpoint, bucket, "big")
    return {"size_mb": size_mb, "put_s": round(put_s, 3), "put_mb_s": size_mb / put_s if put_status == 200 else 0,
            "put_status": put_status, "put_rss_growth_mib": put_rss.growth_mib,
            "get_s": round(get_s, 3), "get_mb_s": size_mb / get_s if get_status == 200 and got == size else 0,
            "get_status": get_status, "get_bytes": got, "get_rss_growth_mib": get_rss.growth_mib}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--endpoint", default="http://127.0.0.1:4566")
    p.add_argument("--size-mb", type=int, default=64)
    p.add_argument("--pid", type=int, help="the server's pid, to sample its memory")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    r = run(args.endpoint, args.size_mb, args.pid)
    if args.json:
        print(json.dumps(r))
    else:
        rss = lambda v: "" if v is None else f", server RSS +{v:.1f} MiB"  # noqa: E731
        print(f"PUT {args.size_mb} MB: {r['put_mb_s']:,.0f} MB/s (status {r['put_status']}{rss(r['put_rss_growth_mib'])})")
        print(f"GET {args.size_mb} MB: {r['get_mb_s']:,.0f} MB/s (status {r['get_status']}{rss(r['get_rss_growth_mib'])})")
    return 0 if r["put_status"] == 200 and r["get_status"] == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
