"""HTTP/1.1 load driver: run one named scenario against an endpoint.

    python bench/driver.py --endpoint http://127.0.0.1:4566 --scenario raw-floor \
        [--duration 5] [--warmup 1] [--connections 32] [--processes 1] [--json]

N persistent keep-alive connections (no pipelining), each sending its next
request as soon as the previous response is complete, on raw asyncio streams
(uvloop when available). Requests are pre-built bytes from ``scenarios.py``;
responses are parsed minimally (status line, then Content-Length, chunked
framing, or read-to-close). Every response outside 2xx is an error.

Prints one summary line (to stderr when ``--json`` prints the JSON document to
stdout). Exit status: 0 all 2xx, 1 some errors or connection failures, 2 bad
usage or the endpoint could not be reached, 3 no response at all.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from array import array
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import scenarios  # noqa: E402

_LIMIT = 1 << 20          # largest response head accepted
_GRACE = 3.0              # seconds after the window for in-flight requests
_ERROR_SAMPLE = 400       # bytes of the first error response kept for the report


def parse_endpoint(url: str) -> tuple[str, int]:
    parts = urlsplit(url if "://" in url else "http://" + url)
    if parts.scheme != "http":
        raise ValueError(f"only http:// endpoints are supported, not {url!r}")
    return parts.hostname or "127.0.0.1", parts.port or 80


class _Stats:
    __slots__ = ("lat", "status", "sent", "responses", "dropped", "connect_errors",
                 "error_sample", "cpu", "stopped_early")

    def __init__(self):
        self.lat = array("d")        # latency (s) of each response completed in the window
        self.status: dict[int, int] = {}
        self.sent = 0                # requests written (whole run)
        self.responses = 0           # responses read (whole run)
        self.dropped = 0             # connections lost with a request in flight
        self.connect_errors = 0
        self.error_sample: str | None = None
        self.cpu = 0.0               # process CPU seconds spent in the window
        self.stopped_early = 0       # connections whose request generator ran out


async def _connection(host, port, fixed, next_req, t_rec, t_end, st: _Stats):
    mono = time.monotonic
    lat_append = st.lat.append
    status_counts = st.status
    is_head = fixed is not None and fixed.startswith(b"HEAD ")
    reader = writer = None
    try:
        while True:
            if reader is None:
                try:
                    reader, writer = await asyncio.open_connection(host, port, limit=_LIMIT)
                except OSError:
                    st.connect_errors += 1
                    if mono() >= t_end:
                        return
                    await asyncio.sleep(0.02)
                    continue
            if fixed is not None:
                req = fixed
            else:
                try:
                    req = next_req()
                except StopIteration:
                    st.stopped_early += 1
                    return
                is_head = req.startswith(b"HEAD ")
            t0 = mono()
            if t0 >= t_end:
                return
            writer.write(req)
            st.sent += 1
            close = False
            body = b""
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                while status == 100:  # "Expect: 100-continue" (botocore's PutObject): the answer follows
                    head = await reader.readuntil(b"\r\n\r\n")
                    status = int(head[9:12])
                h = head.lower()
                i = h.find(b"\r\ncontent-length:")
                if i >= 0:
                    n = int(h[i + 17:h.find(b"\r\n", i + 17)])
                    if n and not is_head:
                        body = await reader.readexactly(n)
                elif h.find(b"\r\ntransfer-encoding:") >= 0 and h.find(b"chunked") >= 0:
                    chunks = [] if status >= 300 else None
                    while True:
                        line = await reader.readuntil(b"\r\n")
                        size = int(line.split(b";", 1)[0], 16)
                        if size == 0:
                            while await reader.readuntil(b"\r\n") != b"\r\n":
                                pass  # trailers
                            break
                        chunk = await reader.readexactly(size + 2)
                        if chunks is not None:
                            chunks.append(chunk[:-2])
                    if chunks:
                        body = b"".join(chunks)
                elif not (is_head or status < 200 or status in (204, 304)):
                    body = await reader.read()   # delimited by the connection closing
                    close = True
                if h.find(b"\r\nconnection: close") >= 0:
                    close = True
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError,
                    OSError, ValueError):
                st.dropped += 1
                writer.close()
                reader = writer = None
                continue
            t1 = mono()
            st.responses += 1
            if t_rec <= t1 <= t_end:
                lat_append(t1 - t0)
                status_counts[status] = status_counts.get(status, 0) + 1
                if st.error_sample is None and not 200 <= status < 300:
                    st.error_sample = (head + body[:_ERROR_SAMPLE]).decode("latin-1", "replace")
            if close:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def _cpu_probe(t_rec, t_end, st: _Stats):
    mono = time.monotonic
    await asyncio.sleep(max(0.0, t_rec - mono()))
    c0 = time.process_time()
    await asyncio.sleep(max(0.0, t_end - mono()))
    st.cpu = time.process_time() - c0


async def _worker(host, port, source, connections, start_at, warmup, duration) -> _Stats:
    st = _Stats()
    fixed = source if isinstance(source, bytes) else None
    next_req = None if fixed is not None else source
    t_rec = start_at + warmup
    t_end = t_rec + duration
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    tasks = [asyncio.ensure_future(_connection(host, port, fixed, next_req, t_rec, t_end, st))
             for _ in range(connections)]
    probe = asyncio.ensure_future(_cpu_probe(t_rec, t_end, st))
    await asyncio.wait(tasks, timeout=max(0.0, t_end + _GRACE - time.monotonic()))
    await probe
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return st


def _event_loop_policy():
    try:
        import uvloop
        return uvloop.EventLoopPolicy()
    except ImportError:
        return asyncio.DefaultEventLoopPolicy()


def _run_worker_sync(host, port, source, connections, start_at, warmup, duration) -> _Stats:
    asyncio.set_event_loop_policy(_event_loop_policy())
    return asyncio.run(_worker(host, port, source, connections, start_at, warmup, duration))


def _child(pipe, endpoint, scenario_name, state, worker, connections, warmup, duration):
    """One driver process: build the requests, say ready, wait for the start time, run."""
    try:
        host, port = parse_endpoint(endpoint)
        source = scenarios.get(scenario_name).build(endpoint, state, worker)
        pipe.send("ready")
        start_at = pipe.recv()
        st = _run_worker_sync(host, port, source, connections, start_at, warmup, duration)
        pipe.send(_stats_to_dict(st))
    except BaseException as e:  # report, never hang the parent
        try:
            pipe.send({"fatal": f"{type(e).__name__}: {e}"})
        except Exception:
            pass
    finally:
        pipe.close()


def _stats_to_dict(st: _Stats) -> dict:
    return {"lat": st.lat.tobytes(), "status": st.status, "sent": st.sent, "responses": st.responses,
            "dropped": st.dropped, "connect_errors": st.connect_errors, "error_sample": st.error_sample,
            "cpu": st.cpu, "stopped_early": st.stopped_early}


def _percentile(sorted_values, q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(q / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def run(endpoint: str, scenario: str, duration: float = 5.0, connections: int = 32,
        warmup: float = 1.0, processes: int = 1) -> dict:
    """Run the load and return the result document (what ``--json`` prints)."""
    host, port = parse_endpoint(endpoint)
    endpoint = f"http://{host}:{port}"
    sc = scenarios.get(scenario)
    connections = max(1, connections)
    processes = max(1, min(processes, connections))
    state = sc.run_setup(endpoint)
    parts: list[dict] = []
    try:
        if processes == 1:
            source = sc.build(endpoint, state, 0)
            st = _run_worker_sync(host, port, source, connections, time.monotonic() + 0.05, warmup, duration)
            parts.append(_stats_to_dict(st))
        else:
            parts = _run_processes(endpoint, scenario, state, connections, processes, warmup, duration)
    finally:
        sc.run_teardown(endpoint, state)

    lat = array("d")
    status: dict[int, int] = {}
    totals = {k: 0 for k in ("sent", "responses", "dropped", "connect_errors", "stopped_early")}
    cpu = 0.0
    error_sample = None
    for p in parts:
        a = array("d")
        a.frombytes(p["lat"])
        lat.extend(a)
        for code, n in p["status"].items():
            status[int(code)] = status.get(int(code), 0) + n
        for k in totals:
            totals[k] += p[k]
        cpu += p["cpu"]
        error_sample = error_sample or p["error_sample"]
    values = sorted(lat)
    count = len(values)
    errors = sum(n for code, n in status.items() if not 200 <= code < 300)
    unfinished = max(0, totals["sent"] - totals["responses"] - totals["dropped"])
    ms = lambda v: round(v * 1000.0, 3) if v == v else None  # noqa: E731 (nan -> None)
    return {
        "scenario": scenario, "endpoint": endpoint, "duration": duration, "warmup": warmup,
        "connections": connections, "processes": processes,
        "requests": count, "rps": round(count / duration, 1) if duration > 0 else 0.0,
        "p50_ms": ms(_percentile(values, 50)), "p90_ms": ms(_percentile(values, 90)),
        "p99_ms": ms(_percentile(values, 99)), "max_ms": ms(values[-1]) if values else None,
        "errors": errors, "status": {str(k): v for k, v in sorted(status.items())},
        "dropped": totals["dropped"], "connect_errors": totals["connect_errors"],
        "unfinished": unfinished, "stopped_early": totals["stopped_early"],
        "driver_cpu": round(cpu / (duration * processes), 3) if duration > 0 else None,
        "error_sample": error_sample,
    }


def _run_processes(endpoint, scenario, state, connections, processes, warmup, duration) -> list[dict]:
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    per = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    children = []
    try:
        for i, n in enumerate(per):
            parent_end, child_end = ctx.Pipe()
            proc = ctx.Process(target=_child, daemon=True,
                               args=(child_end, endpoint, scenario, state, i, n, warmup, duration))
            proc.start()
            child_end.close()
            children.append((proc, parent_end))
        for proc, pipe in children:
            if not pipe.poll(60):
                raise RuntimeError("a driver process did not get ready within 60 s")
            msg = pipe.recv()
            if msg != "ready":
                raise RuntimeError(f"driver process failed: {msg.get('fatal', msg)}")
        start_at = time.monotonic() + 0.2
        for _, pipe in children:
            pipe.send(start_at)
        parts = []
        deadline = start_at + warmup + duration + _GRACE + 30
        for proc, pipe in children:
            if not pipe.poll(max(0.1, deadline - time.monotonic())):
                raise RuntimeError("a driver process did not report in time")
            msg = pipe.recv()
            if "fatal" in msg:
                raise RuntimeError(f"driver process failed: {msg['fatal']}")
            parts.append(msg)
        return parts
    finally:
        for proc, pipe in children:
            pipe.close()
            proc.join(timeout=2)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=2)


def summary(r: dict) -> str:
    def f(v):
        return "n/a" if v is None else f"{v:.2f}"
    line = (f"{r['scenario']} {r['endpoint']}: {r['rps']:,.0f} req/s  p50 {f(r['p50_ms'])} ms  "
            f"p90 {f(r['p90_ms'])} ms  p99 {f(r['p99_ms'])} ms  errors {r['errors']:,} of {r['requests']:,}  "
            f"({r['connections']} conn, {r['processes']} proc, {r['duration']:g} s, "
            f"driver cpu {0 if r['driver_cpu'] is None else r['driver_cpu'] * 100:.0f}%)")
    problems = []
    if r["errors"]:
        problems.append("status " + ", ".join(f"{k}: {v:,}" for k, v in r["status"].items()))
    for key in ("dropped", "connect_errors", "unfinished", "stopped_early"):
        if r[key]:
            problems.append(f"{key.replace('_', ' ')} {r[key]:,}")
    if r["requests"] == 0:
        problems.append("NO RESPONSES")
    if problems:
        line += "  !! " + "; ".join(problems)
    return line


def exit_status(r: dict) -> int:
    if r["requests"] == 0:
        return 3
    if r["errors"] or r["dropped"] or r["connect_errors"] or r["unfinished"]:
        return 1
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="HTTP/1.1 keep-alive load driver for nubis benchmarks.")
    p.add_argument("--endpoint", default="http://127.0.0.1:4566")
    p.add_argument("--scenario", default="raw-floor", help="a name from --list")
    p.add_argument("--duration", type=float, default=5.0, help="measured seconds (default 5)")
    p.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first (default 1)")
    p.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    p.add_argument("--processes", type=int, default=1, help="driver processes sharing the connections")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.add_argument("--show-request", action="store_true", help="print the scenario's first request and exit")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = p.parse_args(argv)
    if args.list:
        for name, sc in sorted(scenarios.SCENARIOS.items()):
            print(f"{name:28} {sc.description}{'  [setup]' if sc.setup_fn else ''}")
        return 0
    if args.duration <= 0 or args.warmup < 0 or args.connections < 1 or args.processes < 1:
        p.error("--duration must be > 0, --warmup >= 0, --connections and --processes >= 1")
    try:
        host, port = parse_endpoint(args.endpoint)
        sc = scenarios.get(args.scenario)
    except (ValueError, KeyError) as e:
        p.error(str(e.args[0] if e.args else e))
    if args.show_request:
        source = sc.build(f"http://{host}:{port}", sc.run_setup(f"http://{host}:{port}"))
        sys.stdout.write((source if isinstance(source, bytes) else source()).decode("latin-1"))
        return 0
    import socket
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as e:
        print(f"cannot connect to {args.endpoint}: {e}", file=sys.stderr)
        return 2
    result = run(args.endpoint, args.scenario, args.duration, args.connections, args.warmup, args.processes)
    if args.json:
        print(summary(result), file=sys.stderr)
        print(json.dumps(result))
    else:
        print(summary(result))
        if result["error_sample"]:
            print("first error response:\n  " + result["error_sample"].strip().replace("\n", "\n  "))
    return exit_status(result)


if __name__ == "__main__":
    sys.exit(main())
