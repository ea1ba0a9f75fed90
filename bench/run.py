"""Run the benchmark suite in one go and print a Markdown report.

    python bench/run.py [--duration 5] [--warmup 1] [--connections 32] [--rounds 1]
                        [--startup-runs 5] [--no-startup] [--no-pin] [--moto-load]
                        [--scenarios a,b] [--no-drain] [--json-out FILE]

Starts the bare ASGI app and nubis (and moto, with ``--moto-load``) on free
ports, runs ``raw-floor`` against both and every service scenario (STS,
SQS SendMessage over JSON and query, SNS Publish fanned out to 3 queues)
against nubis and moto (each target loaded alone, targets alternated between
rounds, the best round kept), drains a 10,000-message SQS backlog with 64
consumers (``drain.py``), records each server's memory after all that, then
measures start-up time and idle memory (``startup.py``). Figures are only
comparable within one run: the report's ratios are the point.

On a machine with 2+ CPUs the servers are pinned to CPU 0 and the driver to
CPU 1 (``--no-pin`` to leave placement to the kernel). Every process started
is stopped at the end, on error, on Ctrl-C and on SIGTERM; every wait is
bounded in time.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import procs  # noqa: E402
import startup  # noqa: E402

SERVERS = {
    # name -> (label, command(port), readiness path)
    "bare-asgi": ("bare ASGI app", procs.bare_command, "/_nubis/health"),
    "nubis": ("nubis", procs.nubis_start_command, "/_nubis/health"),
    "nubis-iam": ("nubis, IAM enforced", procs.nubis_enforcing_command, "/_nubis/health"),
    "moto": ("moto", procs.moto_command, "/moto-api/"),
    "s3rver": ("s3rver", procs.s3rver_command, "/"),
    "dynalite": ("dynalite", procs.dynalite_command, "/"),
    "kinesalite": ("kinesalite", procs.kinesalite_command, "/"),
}
S3_SCENARIOS = ("s3-put-4k", "s3-get-4k")
DYNAMODB_SCENARIOS = ("dynamodb-put-item", "dynamodb-get-item", "dynamodb-query-100")
# The npm emulators that take part in their own service's scenarios.
KINESIS_SCENARIOS = ("kinesis-put-records-100", "kinesis-get-records")
PEER_SCENARIOS = {"s3rver": S3_SCENARIOS, "dynalite": DYNAMODB_SCENARIOS, "kinesalite": KINESIS_SCENARIOS}


def _git_rev() -> str:
    try:
        r = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True,
                           text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", HERE, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return r.stdout.strip() + ("+local changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _loadavg() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "n/a"


def run_driver(endpoint: str, scenario: str, args, cpus, env=None) -> dict:
    cmd = [sys.executable, os.path.join(HERE, "driver.py"), "--endpoint", endpoint, "--scenario", scenario,
           "--duration", str(args.duration), "--warmup", str(args.warmup),
           "--connections", str(args.connections), "--processes", str(args.processes), "--json"]
    proc = procs.spawn(cmd, cpus=cpus, stdout=subprocess.PIPE, stderr=None, env=env)
    try:
        out, _ = proc.communicate(timeout=args.warmup + args.duration + 120)
    except subprocess.TimeoutExpired:
        return {"failed": "the driver did not finish in time"}
    finally:
        procs.stop(proc)
    lines = [ln for ln in out.decode("utf-8", "replace").splitlines() if ln.startswith("{")]
    if not lines:
        return {"failed": f"the driver exited with status {proc.returncode} and no result"}
    return json.loads(lines[-1])


def run_drain(endpoint: str, messages: int, cpus) -> dict:
    cmd = [sys.executable, os.path.join(HERE, "drain.py"), "--endpoint", endpoint, "--messages", str(messages),
           "--json", "--timeout", "120"]
    proc = procs.spawn(cmd, cpus=cpus, stdout=subprocess.PIPE, stderr=None)
    try:
        out, _ = proc.communicate(timeout=400)
    except subprocess.TimeoutExpired:
        return {"failed": "the drain did not finish in time"}
    finally:
        procs.stop(proc)
    lines = [ln for ln in out.decode("utf-8", "replace").splitlines() if ln.startswith("{")]
    return json.loads(lines[-1]) if lines else {"failed": f"drain.py exited with status {proc.returncode}"}


def run_transfer(endpoint: str, size_mb: int, pid: int, cpus, env=None) -> dict:
    cmd = [sys.executable, os.path.join(HERE, "transfer.py"), "--endpoint", endpoint, "--size-mb", str(size_mb),
           "--pid", str(pid), "--json"]
    proc = procs.spawn(cmd, cpus=cpus, stdout=subprocess.PIPE, stderr=None, env=env)
    try:
        out, _ = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        return {"failed": "the transfer did not finish in time"}
    finally:
        procs.stop(proc)
    lines = [ln for ln in out.decode("utf-8", "replace").splitlines() if ln.startswith("{")]
    return json.loads(lines[-1]) if lines else {"failed": f"transfer.py exited with status {proc.returncode}"}


def _table(title: str, intro: str, columns: list[str], results: dict, cells) -> list[str]:
    """A report section: one row per named result, its cells from ``cells(result)``."""
    lines = ["", f"### {title}", "", intro, "", "| " + " | ".join(columns) + " |",
             "| --- |" + " ---: |" * (len(columns) - 1)]
    for name, r in results.items():
        values = [f"FAILED: {r['failed']}"] if "failed" in r else [str(c) for c in cells(r)]
        lines.append("| " + " | ".join([name, *values]) + " |")
    return lines


def _fmt(v, digits=2):
    return "n/a" if v is None else f"{v:.{digits}f}"


def _errors_cell(r: dict) -> str:
    if "failed" in r:
        return "FAILED: " + r["failed"]
    cell = f"{r['errors']:,}"
    if r["errors"]:
        cell += " (" + ", ".join(f"{k}: {v:,}" for k, v in r["status"].items() if not k.startswith("2")) + ")"
    extra = [f"{k.replace('_', ' ')} {r[k]}" for k in ("dropped", "connect_errors", "unfinished") if r.get(k)]
    if r["requests"] == 0:
        extra.append("NO RESPONSES")
    if "idle_after_s" in r and r["idle_after_s"] is None:
        extra.append("server still busy 120 s later")
    return cell + ("; " + "; ".join(extra) if extra else "")


def report(meta: dict, loads: list[dict], startup_results: dict | None) -> str:
    out = [f"## nubis benchmark, {meta['when']}, commit {meta['commit']}", "",
           f"{meta['cpus']} CPUs, Python {meta['python']}, load average before {meta['loadavg']}; "
           f"{meta['placement']}; {meta['connections']} connections, {meta['duration']:g} s measured "
           f"after {meta['warmup']:g} s warm-up, best of {meta['rounds']} round(s).", "",
           "| scenario | server | req/s | p50 (ms) | p90 (ms) | p99 (ms) | errors | driver CPU |",
           "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |"]
    for job in loads:
        r = job["best"]
        if "failed" in r:
            out.append(f"| {job['scenario']} | {job['label']} | n/a | n/a | n/a | n/a | {_errors_cell(r)} | n/a |")
            continue
        cpu = r.get("driver_cpu") or 0.0
        rounds = job["all_rps"]
        rps = f"{r['rps']:,.0f}" + (f" (rounds: {', '.join(f'{x:,.0f}' for x in rounds)})" if len(rounds) > 1 else "")
        out.append(f"| {job['scenario']} | {job['label']} | {rps} | {_fmt(r['p50_ms'])} | {_fmt(r['p90_ms'])} "
                   f"| {_fmt(r['p99_ms'])} | {_errors_cell(r)} | {cpu * 100:.0f}%"
                   f"{' (driver-bound?)' if cpu > 0.9 else ''} |")

    def rps(scenario, server):
        for job in loads:
            if job["scenario"] == scenario and job["server"] == server and "failed" not in job["best"]:
                return job["best"]["rps"] or None
        return None

    ratios = []
    pairs = [("nubis raw-floor / bare ASGI raw-floor (req/s)", ("raw-floor", "nubis"), ("raw-floor", "bare-asgi"))]
    for sc in [j["scenario"] for j in loads if j["server"] == "nubis" and j["scenario"] != "raw-floor"]:
        pairs.append((f"nubis {sc} / nubis raw-floor (req/s)", (sc, "nubis"), ("raw-floor", "nubis")))
        pairs.append((f"nubis {sc} / moto {sc} (req/s)", (sc, "nubis"), (sc, "moto")))
        for peer in PEER_SCENARIOS:
            pairs.append((f"nubis {sc} / {peer} {sc} (req/s)", (sc, "nubis"), (sc, peer)))
        pairs.append((f"nubis IAM enforced {sc} / nubis {sc} (req/s)", (sc, "nubis-iam"), (sc, "nubis")))
    for title, a, b in pairs:
        x, y = rps(*a), rps(*b)
        if x and y:
            ratios.append(f"| {title} | {x / y:.2f} |")
    if ratios:
        out += ["", "| ratio | value |", "| --- | ---: |"] + ratios
    drains = meta.get("drains") or {}
    if drains:
        out += _table("Draining a backlog",
                      "ReceiveMessage (10 at a time) then DeleteMessageBatch, by many consumers until the queue is "
                      "empty (`bench/drain.py`); moto gets a smaller backlog to finish in bounded time.",
                      ["server", "messages", "consumers", "seconds", "msg/s", "empty receives", "errors"], drains,
                      lambda r: [f"{r['deleted']:,} of {r['messages']:,}", r["consumers"], r["seconds"],
                                 f"{r['msgs_per_s']:,.0f}", f"{r['empty_receives']:,}", r["errors"]])
        if "nubis" in drains and "moto" in drains and drains["moto"].get("msgs_per_s"):
            out.append("")
            out.append(f"- nubis / moto drain rate: {drains['nubis']['msgs_per_s'] / drains['moto']['msgs_per_s']:.1f}x")
    transfers = meta.get("transfers") or {}
    if transfers:
        out += _table("Large objects through one connection",
                      "PutObject then GetObject of one object (`bench/transfer.py`); RSS growth is the server's peak "
                      "resident memory during the transfer over its level before it. Placement: "
                      + meta.get("transfer_placement", meta["placement"]) + ".",
                      ["server, size", "PUT MB/s", "PUT RSS growth (MiB)", "GET MB/s", "GET RSS growth (MiB)",
                       "status"], transfers,
                      lambda r: [f"{r['put_mb_s']:,.0f}", f"{r['put_rss_growth_mib']:.1f}", f"{r['get_mb_s']:,.0f}",
                                 f"{r['get_rss_growth_mib']:.1f}", f"PUT {r['put_status']}, GET {r['get_status']}"])
    if meta.get("rss_after_mib"):
        out += ["", "Server memory after every load above: " + ", ".join(
            f"{k} {v:.1f} MiB" for k, v in meta["rss_after_mib"].items()) + "."]
    if startup_results is not None:
        out += ["", "### Start-up and memory", "",
                f"Start-up: launch to first answered health request, polled every 2 ms, "
                f"{meta['startup_runs']} runs each. RSS: after start-up + 1 s idle, then after one "
                f"GetCallerIdentity.", "", startup.markdown(startup_results)]
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Run the nubis benchmark suite and print a Markdown report.")
    p.add_argument("--duration", type=float, default=5.0, help="measured seconds per load (default 5)")
    p.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per load (default 1)")
    p.add_argument("--connections", type=int, default=32, help="driver connections (default 32)")
    p.add_argument("--processes", type=int, default=1, help="driver processes (default 1)")
    p.add_argument("--rounds", type=int, default=1, help="repeat the loads, alternating order; best kept")
    p.add_argument("--startup-runs", type=int, default=5, help="start-ups per server (default 5)")
    p.add_argument("--no-startup", action="store_true", help="skip the start-up and memory figures")
    p.add_argument("--no-pin", action="store_true", help="do not pin servers and driver to separate CPUs")
    p.add_argument("--enforce-iam", action="store_true",
                   help="also load a nubis with IAM enforcement on (signatures verified) with every scenario")
    p.add_argument("--moto-load", action="store_true",
                   help="also load moto's server with every service scenario (if moto is installed)")
    p.add_argument("--json-out", help="also write every figure as JSON to this file")
    p.add_argument("--scenarios", help="comma-separated service scenarios to load (default: all of them)")
    p.add_argument("--no-drain", action="store_true", help="skip the queue-drain measurement")
    p.add_argument("--drain-messages", type=int, default=10_000, help="backlog drained from nubis (10,000)")
    p.add_argument("--moto-drain-messages", type=int, default=1_000, help="backlog drained from moto (1,000)")
    p.add_argument("--transfer-mb", type=lambda v: [int(x) for x in v.split(",") if x], default=[],
                   help="large-object sizes to move through one connection, e.g. 64,1024 (default: none)")
    p.add_argument("--peer-transfer-max-mb", type=int, default=64,
                   help="the largest transfer tried on moto and s3rver (64)")
    args = p.parse_args(argv)
    if args.duration <= 0 or args.warmup < 0 or args.rounds < 1 or args.connections < 1:
        p.error("--duration must be > 0, --warmup >= 0, --rounds and --connections >= 1")
    procs.install_handlers()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731

    cpus = os.cpu_count() or 1
    pin = cpus >= 2 and not args.no_pin
    server_cpus, driver_cpus = ({0}, {1}) if pin else (None, None)
    meta = {"when": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": _git_rev(), "cpus": cpus, "python": platform.python_version(), "loadavg": _loadavg(),
            "placement": "servers pinned to CPU 0, driver to CPU 1" if pin else "no CPU pinning",
            "connections": args.connections, "duration": args.duration, "warmup": args.warmup,
            "rounds": args.rounds, "startup_runs": args.startup_runs}

    if not procs.nubis_available():
        log("nubis cannot start here (`nubis start --help` failed); is it installed (pip install -e .)?")
        return 2
    wanted = ["bare-asgi", "nubis"] + (["nubis-iam"] if args.enforce_iam else [])
    if args.moto_load:
        if procs.moto_command(0) is None:
            log("moto is not installed; --moto-load ignored")
        else:
            wanted.append("moto")
    services = ["sts-get-caller-identity", "sqs-send-message", "sqs-send-message-query", "sns-publish-fanout-3",
                *S3_SCENARIOS]
    if args.scenarios:
        services = [s for s in args.scenarios.split(",") if s]
    for peer, peer_scenarios in PEER_SCENARIOS.items():
        if any(sc in peer_scenarios for sc in services) or (peer == "s3rver" and args.transfer_mb):
            if SERVERS[peer][1](0) is None:
                log(f"{peer} is not installed (npm install --prefix bench {peer}); its loads run without it")
            else:
                wanted.append(peer)
    jobs = [("raw-floor", "bare-asgi"), ("raw-floor", "nubis")]
    for sc in services:
        jobs.append((sc, "nubis"))
        if args.enforce_iam:
            jobs.append((sc, "nubis-iam"))
        for peer in ("moto", *PEER_SCENARIOS):
            if peer in wanted and (peer == "moto" or sc in PEER_SCENARIOS[peer]):
                jobs.append((sc, peer))

    loads: dict[tuple, dict] = {}
    startup_results = None
    status = 0
    try:
        servers = {}
        for name in wanted:
            label, command, path = SERVERS[name]
            port = procs.free_port()
            proc = procs.spawn(command(port), cpus=server_cpus)
            # kinesalite answers an unsigned GET with 403: any answer means it is up.
            procs.wait_ready(proc, port, path, timeout=60, need_200=name != "kinesalite")
            servers[name] = (proc, f"http://127.0.0.1:{port}")
            log(f"{name} ready at http://127.0.0.1:{port} (pid {proc.pid})")
        for rnd in range(args.rounds):
            for scenario, server in (jobs if rnd % 2 == 0 else list(reversed(jobs))):
                proc, endpoint = servers[server]
                if proc.poll() is not None:
                    result = {"failed": f"{server} exited with status {proc.returncode}"}
                else:
                    result = run_driver(endpoint, scenario, args, driver_cpus, procs.credentials_env(server))
                    if result.get("unfinished"):
                        # The server still works on what the driver gave up waiting for (moto's
                        # Query of a large table): the next load, on the same CPU, must not share it.
                        waited = procs.wait_idle(proc.pid)
                        result["idle_after_s"] = waited
                        log(f"{server} busy after {scenario}: " + (
                            f"idle after {waited:.0f} s" if waited is not None else "still busy after 120 s"))
                job = loads.setdefault((scenario, server), {
                    "scenario": scenario, "server": server, "label": SERVERS[server][0],
                    "rounds": [], "all_rps": []})
                job["rounds"].append(result)
                if "failed" not in result:
                    job["all_rps"].append(result["rps"])
        if not args.no_drain:
            meta["drains"] = {}
            for server, messages in (("nubis", args.drain_messages), ("moto", args.moto_drain_messages)):
                if server in servers and servers[server][0].poll() is None:
                    log(f"draining {messages} messages from {server}")
                    meta["drains"][server] = run_drain(servers[server][1], messages, driver_cpus)
        if args.transfer_mb:
            meta["transfers"] = {}
            if pin:
                # One large body is hashed (MD5 ~600 MB/s a core here), written and
                # received at once: each server may use every CPU for it, as on a
                # developer's machine; the client stays where it was.
                for proc, _ in servers.values():
                    procs.unpin(proc.pid)
                meta["transfer_placement"] = "servers on every CPU, transfer client on CPU 1"
            for size in args.transfer_mb:
                for server in ("nubis", "moto", "s3rver"):
                    if server in servers and servers[server][0].poll() is None and (
                            server == "nubis" or size <= args.peer_transfer_max_mb):
                        log(f"moving {size} MB through {server}")
                        meta["transfers"][f"{server} {size} MB"] = run_transfer(
                            servers[server][1], size, servers[server][0].pid, driver_cpus,
                            procs.credentials_env(server))
        meta["rss_after_mib"] = {name: procs.rss_kib(proc.pid) / 1024 for name, (proc, _) in servers.items()
                                 if proc.poll() is None and name != "bare-asgi"}
        for proc, _ in servers.values():
            procs.stop(proc)
        for job in loads.values():
            ok = [r for r in job["rounds"] if "failed" not in r]
            job["best"] = max(ok, key=lambda r: r["rps"]) if ok else job["rounds"][-1]
            if "failed" in job["best"] or job["best"]["errors"] or job["best"]["requests"] == 0:
                status = 1
        if not args.no_startup:
            startup_results = startup.measure(runs=max(1, args.startup_runs), progress=log)
    finally:
        procs.stop_all()

    ordered = [loads[j] for j in jobs if j in loads]
    text = report(meta, ordered, startup_results)
    print(text)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"meta": meta, "loads": ordered, "startup": startup_results}, f, indent=2)
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        procs.stop_all()
        print("interrupted; every process started was stopped", file=sys.stderr)
        sys.exit(130)
