"""The exhaustive protocol sweep without pytest, summarised for a note.

    python -m tests.protocol.sweep_report [--examples N] [--jobs J]
        [--service NAME ...] [--protocol P ...] [--no-shrink] [--verbose]

Runs the round trips of ``test_roundtrip.test_sweep`` (request, response and
modeled errors of every operation of every service in botocore's data, under
every protocol the service lists that botocore can serialize) and prints:
services and operations covered, cases run and skipped, and the failures by
protocol, each with its first error message, grouped by cause.

A failure's kind says where it came from: ``mismatch`` (the round trip lost or
changed a value: an assertion), ``nubis`` (nubis's protocol code raised),
``botocore`` (botocore raised serializing or parsing what the other side
produced), ``harness`` (the harness itself: a strategy, an unsatisfiable
model).
"""
from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import re
import sys
import time
import traceback

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    __package__ = "tests.protocol"  # noqa: A001

from . import harness as H  # noqa: E402


def _kind(exc: BaseException) -> str:
    if isinstance(exc, AssertionError):
        return "mismatch"
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        f = frame.filename.replace(os.sep, "/")
        if "/nubis/protocol/" in f:
            return "nubis"
        if "/botocore/" in f:
            return "botocore"
        if "/tests/protocol/" in f:
            return "harness"
    return "harness"


def _cause(message: str) -> str:
    """A failure message with its values taken out, to group like failures."""
    text = message.split(" | ")[0]
    text = re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "'…'", text)
    text = re.sub(r"\b\d+(\.\d+)?\b", "N", text)
    text = re.sub(r"\[N\]", "[]", text)
    text = re.sub(r"expected .*?, got .*", "expected …, got …", text)
    text = re.sub(r"unexpected .*", "unexpected …", text)
    text = re.sub(r"missing in nubis \(expected .*\)", "missing in nubis", text)
    text = re.sub(r"^(\w+Error: \w+(?: members)?): [.\w\[\]]+:", r"\1: <path>:", text)
    return text[:200]


def run_target(args) -> dict:
    service, protocol, examples, shrink = args
    out = {"service": service, "protocol": protocol, "operations": 0, "cases": 0,
           "skipped": [], "failures": []}
    try:
        model = H.service_model(service, protocol)
        out["operations"] = len(model.operation_names)
        cases = H.cases(service, protocol)
        for name in model.operation_names:
            op = model.operation_model(name)
            if op.has_event_stream_input:
                out["skipped"].append(("request", name, "event-stream input"))
            if op.has_event_stream_output:
                out["skipped"].append(("response", name, "event-stream output"))
    except Exception as e:  # noqa: BLE001
        out["failures"].append(("load", service, "harness", H.describe(e)))
        return out
    for kind, name in cases:
        out["cases"] += 1
        try:
            H.run_case(kind, service, protocol, name, max_examples=examples, shrink=shrink)
        except Exception as e:  # noqa: BLE001
            out["failures"].append((kind, name, _kind(e), H.describe(e)))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=10, help="examples per case (default 10)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--service", action="append", help="only these services")
    ap.add_argument("--protocol", action="append", help="only these protocols")
    ap.add_argument("--no-shrink", action="store_true", help="report unshrunk examples (faster)")
    ap.add_argument("--verbose", action="store_true", help="every failure, not the first per cause")
    args = ap.parse_args(argv)

    targets = [(s, p) for s, p in H.sweep_targets()
               if (not args.service or s in args.service) and (not args.protocol or p in args.protocol)]
    work = [(s, p, args.examples, not args.no_shrink) for s, p in targets]
    started = time.monotonic()
    results = []
    if args.jobs > 1:
        with multiprocessing.Pool(args.jobs) as pool:
            for i, r in enumerate(pool.imap_unordered(run_target, work), 1):
                results.append(r)
                print(f"\r{i}/{len(work)} {r['service']} ({r['protocol']})".ljust(70), end="", file=sys.stderr)
    else:
        for i, w in enumerate(work, 1):
            results.append(run_target(w))
            print(f"\r{i}/{len(work)} {w[0]} ({w[1]})".ljust(70), end="", file=sys.stderr)
    print(file=sys.stderr)
    elapsed = time.monotonic() - started

    services = {r["service"] for r in results}
    by_proto = collections.defaultdict(lambda: {"targets": 0, "operations": 0, "cases": 0, "skipped": 0,
                                                "failures": [], "failing_ops": set()})
    for r in results:
        b = by_proto[r["protocol"]]
        b["targets"] += 1
        b["operations"] += r["operations"]
        b["cases"] += r["cases"]
        b["skipped"] += len(r["skipped"])
        for kind, name, where, message in r["failures"]:
            b["failures"].append((r["service"], kind, name, where, message))
            b["failing_ops"].add((r["service"], name.split("@")[-1]))

    total_ops = sum(r["operations"] for r in results)
    total_cases = sum(r["cases"] for r in results)
    total_fail = sum(len(r["failures"]) for r in results)
    print(f"protocol sweep: {len(services)} services, {len(results)} (service, protocol) pairs, "
          f"{total_ops} operations, {total_cases} cases, {total_fail} failing, "
          f"{args.examples} examples per case, {elapsed:.0f}s")
    print()
    print(f"{'protocol':<20}{'services':>9}{'operations':>11}{'cases':>8}{'skipped':>8}{'failing':>8}")
    for proto in sorted(by_proto):
        b = by_proto[proto]
        print(f"{proto:<20}{b['targets']:>9}{b['operations']:>11}{b['cases']:>8}{b['skipped']:>8}"
              f"{len(b['failures']):>8}")
    for proto in sorted(by_proto):
        fails = by_proto[proto]["failures"]
        if not fails:
            continue
        print(f"\n== {proto}: {len(fails)} failing cases")
        groups = collections.defaultdict(list)
        for f in fails:
            groups[(f[1], f[3], _cause(f[4]))].append(f)
        for (kind, where, cause), items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            print(f"-- [{where}] {kind}: {cause}  ({len(items)} case(s))")
            for service, kind, name, _, message in items if args.verbose else items[:1]:
                print(f"   {service} {name}: {message}")
            if not args.verbose and len(items) > 1:
                more = sorted({f"{s}:{n}" for s, _, n, _, _ in items[1:]})
                print(f"   also: {', '.join(more[:12])}{' …' if len(more) > 12 else ''}")
    return 1 if total_fail else 0


if __name__ == "__main__":
    sys.exit(main())
