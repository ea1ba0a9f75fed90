"""Lambda cold start: the time from Invoke of a new function version to its
answer, beside the floor a process start sets, ``python -c "import handler"``
in a directory holding the same handler, measured in the same run.

Each round publishes a new version (a changed environment variable), so its
first Invoke starts a fresh execution environment: unpack, Runtime API
listener, process start, the runtime client's import of the handler, the
event and the answer. Medians (and min) are reported, and their ratio.

    python bench/lambda_cold.py [--runs 20] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import procs  # noqa: E402
import scenarios  # noqa: E402


def cold_invokes(endpoint: str, runs: int) -> list[float]:
    lam = scenarios.client(endpoint, "lambda")
    name = "bench-cold"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role="arn:aws:iam::000000000000:role/bench",
                        Handler="handler.handler", Code={"ZipFile": scenarios.lambda_zip()})
    times = []
    for i in range(runs):
        lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"ROUND": str(i)}})
        version = lam.publish_version(FunctionName=name)["Version"]
        started = time.perf_counter()
        out = lam.invoke(FunctionName=name, Qualifier=version, Payload=b"{}")
        body = out["Payload"].read()
        times.append((time.perf_counter() - started) * 1000)
        if out.get("FunctionError") or json.loads(body) != {"ok": True}:
            raise RuntimeError(f"the cold invoke failed: {body!r}")
    return times


def process_floor(runs: int) -> list[float]:
    with tempfile.TemporaryDirectory() as root:
        with open(os.path.join(root, "handler.py"), "w") as f:
            f.write(scenarios.LAMBDA_HANDLER)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import handler"], cwd=root, check=True)
            times.append((time.perf_counter() - started) * 1000)
        return times


def summary(times: list[float]) -> dict:
    return {"runs": len(times), "median_ms": round(statistics.median(times), 2), "min_ms": round(min(times), 2)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args(argv)
    procs.install_handlers()
    port = procs.free_port()
    proc = procs.spawn(procs.nubis_start_command(port))
    try:
        procs.wait_ready(proc, port, "/_nubis/health", timeout=60, need_200=True)
        cold = summary(cold_invokes(f"http://127.0.0.1:{port}", args.runs))
        floor = summary(process_floor(args.runs))
    finally:
        procs.stop(proc)
    result = {"cold_invoke": cold, "python_import_handler": floor,
              "ratio_of_medians": round(cold["median_ms"] / floor["median_ms"], 2)}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print("| measurement | runs | median ms | min ms |\n|---|---|---|---|")
        print(f"| Invoke of a new version (cold start) | {cold['runs']} | {cold['median_ms']} | {cold['min_ms']} |")
        print(f"| `python -c \"import handler\"` | {floor['runs']} | {floor['median_ms']} | {floor['min_ms']} |")
        print(f"\ncold start / process floor (medians): {result['ratio_of_medians']}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
