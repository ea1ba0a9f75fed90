"""Start-up time and idle memory of nubis, beside the bare ASGI app and (if installed) moto.

(a) Start-up: the time from launching the server as a subprocess to the first
    answered health request (a connect attempt every 2 ms), repeated
    ``--runs`` times (targets interleaved); min and median are reported.
(b) Memory: on the last run, the server's resident set (VmRSS from
    /proc/PID/status, summed over any child processes) after start-up + 1 s
    idle, and again after one STS GetCallerIdentity (botocore's exact request).

    python bench/startup.py [--runs 5] [--targets nubis,bare-asgi,moto] [--json]

moto is optional (``pip install 'moto[server]'``); it is skipped when not
importable. nubis is run from the ``nubis`` script next to this interpreter
(not a pyenv/virtualenv shim), as ``nubis start --host 127.0.0.1 --port P
--ephemeral --log-level warning``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import procs  # noqa: E402
import scenarios  # noqa: E402

IDLE_SECONDS = 1.0

# name -> (label, command(port), health path, need a 200)
TARGETS = {
    "nubis": ("nubis (`nubis start --ephemeral`)", procs.nubis_start_command, "/_nubis/health", True),
    "bare-asgi": ("bare ASGI app (uvicorn+httptools+uvloop)", procs.bare_command, "/_nubis/health", True),
    "moto": ("moto server (`python -m moto.server`)", procs.moto_command, "/moto-api/", True),
}


def available_targets(names) -> list[str]:
    out = []
    for name in names:
        if name not in TARGETS:
            raise SystemExit(f"unknown target {name!r}; known: {', '.join(TARGETS)}")
        if TARGETS[name][1](0) is not None:
            out.append(name)
    return out


def _one_run(name: str, memory: bool, timeout: float) -> dict:
    label, command, path, need_200 = TARGETS[name]
    port = procs.free_port()
    cmd = command(port)
    t0 = time.perf_counter()
    proc = procs.spawn(cmd)
    try:
        procs.wait_ready(proc, port, path, timeout=timeout, need_200=need_200)
        elapsed = time.perf_counter() - t0
        out = {"startup_s": elapsed}
        if memory:
            time.sleep(IDLE_SECONDS)
            out["rss_idle_kib"] = procs.rss_kib(proc.pid)
            request = scenarios.get("sts-get-caller-identity").build(f"http://127.0.0.1:{port}")
            out["gci_status"] = procs.http_get_status(port, "/", timeout=30, request=request)
            out["rss_after_gci_kib"] = procs.rss_kib(proc.pid)
        return out
    finally:
        procs.stop(proc)


def measure(targets=("nubis", "bare-asgi", "moto"), runs: int = 5, timeout: float = 60.0,
            progress=None) -> dict:
    """Start-up and memory figures per target (targets it cannot run are left out)."""
    names = available_targets(targets)
    results = {n: {"label": TARGETS[n][0], "runs_ms": []} for n in names}
    for i in range(runs):
        for name in names:
            r = _one_run(name, memory=(i == runs - 1), timeout=timeout)
            res = results[name]
            res["runs_ms"].append(round(r["startup_s"] * 1000.0, 1))
            for k in ("rss_idle_kib", "rss_after_gci_kib", "gci_status"):
                if k in r:
                    res[k] = r[k]
            if progress:
                progress(f"startup {name} run {i + 1}/{runs}: {r['startup_s'] * 1000:.0f} ms")
    for res in results.values():
        res["min_ms"] = min(res["runs_ms"])
        res["median_ms"] = round(statistics.median(res["runs_ms"]), 1)
    return results


def _mib(kib):
    return "n/a" if kib is None else f"{kib / 1024:.1f}"


def markdown(results: dict) -> str:
    lines = ["| server | start-up min (ms) | start-up median (ms) | runs | RSS idle (MiB) "
             "| RSS after GetCallerIdentity (MiB) |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in results.items():
        status = r.get("gci_status")
        after = _mib(r.get("rss_after_gci_kib"))
        if status is not None and status != 200:
            after += f" (answered {status})"
        lines.append(f"| {r['label']} | {r['min_ms']:.0f} | {r['median_ms']:.0f} | {len(r['runs_ms'])} "
                     f"| {_mib(r.get('rss_idle_kib'))} | {after} |")
    base = results.get("nubis")
    ratios = []
    for peer in ("bare-asgi", "moto"):
        if base and peer in results:
            p = results[peer]
            ratios.append(f"nubis / {peer}: start-up (median) {base['median_ms'] / p['median_ms']:.2f}x, "
                         f"idle RSS {base['rss_idle_kib'] / max(1, p['rss_idle_kib']):.2f}x")
    if ratios:
        lines += [""] + [f"- {r}" for r in ratios]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Start-up time and idle memory of nubis and its peers.")
    p.add_argument("--runs", type=int, default=5, help="start-ups per server (default 5)")
    p.add_argument("--targets", default="nubis,bare-asgi,moto", help="comma-separated, from: " + ", ".join(TARGETS))
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one start-up")
    p.add_argument("--json", action="store_true", help="print JSON instead of the Markdown table")
    args = p.parse_args(argv)
    procs.install_handlers()
    names = [t.strip() for t in args.targets.split(",") if t.strip()]
    skipped = [n for n in names if n in TARGETS and TARGETS[n][1](0) is None]
    try:
        results = measure(names, max(1, args.runs), args.timeout,
                          progress=lambda m: print(m, file=sys.stderr, flush=True))
    finally:
        procs.stop_all()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(markdown(results))
        for n in skipped:
            print(f"\n({n} skipped: not installed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
