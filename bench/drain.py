"""Drain a queue backlog with many consumers: SQS ReceiveMessage (batches of
10) followed by DeleteMessageBatch of what was received, until the backlog
is gone. Reports messages per second from the first receive to the last
delete.

    python bench/drain.py --endpoint http://127.0.0.1:4566 [--messages 10000]
                          [--consumers 64] [--timeout 120] [--json]

The backlog is sent beforehand with SendMessageBatch (not timed). Receive
requests are botocore's own bytes, signed once; a DeleteMessageBatch body
depends on the receive's answer, so it is written into botocore's captured
request in place of its body (the signature goes stale, which nubis and moto
accept, as for every pre-built request of the benchmark suite).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid

import scenarios

_LIMIT = 1 << 22


def _split(raw: bytes) -> tuple[bytes, bytes]:
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"content-length:")]
    return b"\r\n".join(lines), body


def fill(endpoint: str, messages: int) -> str:
    sqs = scenarios.client(endpoint, "sqs")
    url = sqs.create_queue(QueueName=f"bench-drain-{uuid.uuid4().hex[:8]}",
                           Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
    body = "x" * 100
    for start in range(0, messages, 10):
        entries = [{"Id": str(i), "MessageBody": body} for i in range(min(10, messages - start))]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    return url


async def _read_response(reader) -> tuple[int, bytes, bool]:
    """(status, body, whether the server closes the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    h = head.lower()
    close = b"\r\nconnection: close" in h or head.startswith(b"HTTP/1.0")
    i = h.find(b"\r\ncontent-length:")
    if i >= 0:
        n = int(h[i + 17:h.find(b"\r\n", i + 17)])
        return status, (await reader.readexactly(n)) if n else b"", close
    return status, await reader.read(), True  # delimited by the connection closing


async def drain(endpoint: str, url: str, messages: int, consumers: int, timeout: float) -> dict:
    host, port = scenarios.urlsplit(endpoint).hostname, scenarios.urlsplit(endpoint).port or 80
    receive = scenarios.botocore_request(endpoint, "sqs", "receive_message", QueueUrl=url,
                                         MaxNumberOfMessages=10, VisibilityTimeout=300)
    delete_head, _ = _split(scenarios.botocore_request(
        endpoint, "sqs", "delete_message_batch", QueueUrl=url, Entries=[{"Id": "0", "ReceiptHandle": "x"}]))
    state = {"deleted": 0, "receives": 0, "deletes": 0, "empty": 0, "errors": 0, "first": None, "last": None}
    deadline = time.monotonic() + timeout

    async def exchange(conn: list, request: bytes) -> tuple[int, bytes] | None:
        """One request and its response on the consumer's connection, or None
        (counted as an error) when it fails or runs past the deadline."""
        try:
            return await asyncio.wait_for(_exchange(conn, request), max(0.1, deadline - time.monotonic()))
        except (asyncio.TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            state["errors"] += 1
            if conn:
                conn[1].close()
                conn.clear()
            return None

    async def _exchange(conn: list, request: bytes) -> tuple[int, bytes]:
        if not conn:
            conn[:] = await asyncio.open_connection(host, port, limit=_LIMIT)
        reader, writer = conn
        writer.write(request)
        status, body, close = await _read_response(reader)
        if close:
            writer.close()
            conn.clear()
        return status, body

    async def consumer():
        conn: list = []
        try:
            while state["deleted"] < messages and time.monotonic() < deadline:
                if state["first"] is None:
                    state["first"] = time.monotonic()
                answer = await exchange(conn, receive)
                if answer is None:
                    continue
                status, body = answer
                state["receives"] += 1
                if status != 200:
                    state["errors"] += 1
                    continue
                got = json.loads(body).get("Messages") or []
                if not got:
                    state["empty"] += 1
                    await asyncio.sleep(0.001)
                    continue
                doc = json.dumps({"QueueUrl": url, "Entries": [
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]}).encode()
                request = delete_head + b"\r\nContent-Length: %d\r\n\r\n" % len(doc) + doc
                answer = await exchange(conn, request)
                if answer is None:
                    continue
                status, body = answer
                state["deletes"] += 1
                if status != 200 or json.loads(body).get("Failed"):
                    state["errors"] += 1
                    continue
                state["deleted"] += len(got)
                state["last"] = time.monotonic()
        finally:
            if conn:
                conn[1].close()

    await asyncio.gather(*(consumer() for _ in range(consumers)))
    elapsed = (state["last"] or time.monotonic()) - (state["first"] or time.monotonic())
    return {"messages": messages, "deleted": state["deleted"], "consumers": consumers,
            "seconds": round(elapsed, 3), "msgs_per_s": state["deleted"] / elapsed if elapsed > 0 else 0.0,
            "receives": state["receives"], "deletes": state["deletes"], "empty_receives": state["empty"],
            "errors": state["errors"], "complete": state["deleted"] >= messages}


def run(endpoint: str, messages: int = 10_000, consumers: int = 64, timeout: float = 120.0) -> dict:
    url = fill(endpoint, messages)
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    return asyncio.run(drain(endpoint, url, messages, consumers, timeout))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--endpoint", default="http://127.0.0.1:4566")
    p.add_argument("--messages", type=int, default=10_000)
    p.add_argument("--consumers", type=int, default=64)
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    r = run(args.endpoint, args.messages, args.consumers, args.timeout)
    if args.json:
        print(json.dumps(r))
    else:
        print(f"drain {args.endpoint}: {r['deleted']:,} of {r['messages']:,} messages in {r['seconds']} s = "
              f"{r['msgs_per_s']:,.0f} msg/s ({r['consumers']} consumers, {r['receives']:,} receives, "
              f"{r['empty_receives']:,} empty, {r['errors']} errors)")
    return 0 if r["complete"] and not r["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
