"""The ``nubis`` command: start | status | reset | clock."""
from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request


def _endpoint(args) -> str:
    if args.endpoint:
        return args.endpoint.rstrip("/")
    from .config import from_env

    return os.environ.get("NUBIS_ENDPOINT") or from_env().endpoint


def _call(url: str, method: str = "GET", doc: dict | None = None) -> dict:
    data = json.dumps(doc).encode() if doc is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def cmd_start(args) -> int:
    from .config import from_env
    from .server import serve

    config = from_env(host=args.host, port=args.port, data_dir=args.data_dir,
                      ephemeral=True if args.ephemeral else None, log_level=args.log_level,
                      sync=args.sync, hostname=args.hostname,
                      enforce_iam=True if args.enforce_iam else None)
    serve(config)
    return 0


def cmd_status(args) -> int:
    url = _endpoint(args)
    try:
        health = _call(url + "/_nubis/health")
    except (urllib.error.URLError, OSError) as e:
        print(f"nubis is not running at {url} ({getattr(e, 'reason', e)})", file=sys.stderr)
        return 1
    started = sorted(s for s, state in health["services"].items() if state == "started")
    available = sorted(s for s, state in health["services"].items() if state in ("started", "available"))
    print(f"nubis {health['version']} at {url}, up {health['uptime']:.0f} s, "
          f"data: {health['data_dir'] or 'ephemeral'}")
    print(f"services available: {', '.join(available)}")
    print(f"services started:   {', '.join(started) or '(none yet)'}")
    return 0


def cmd_reset(args) -> int:
    url = _endpoint(args)
    try:
        result = _call(url + "/_nubis/reset", "POST", {"service": args.service} if args.service else {})
    except urllib.error.HTTPError as e:
        print(json.loads(e.read()).get("error", str(e)), file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as e:
        print(f"nubis is not running at {url} ({getattr(e, 'reason', e)})", file=sys.stderr)
        return 1
    print("reset: " + (", ".join(result["reset"]) or "all state"))
    return 0


def cmd_clock(args) -> int:
    url = _endpoint(args) + "/_nubis/clock"
    try:
        doc = _call(url, "POST", {"advance_seconds": args.advance}) if args.advance else _call(url)
    except (urllib.error.URLError, OSError) as e:
        print(f"nubis is not running at {_endpoint(args)} ({getattr(e, 'reason', e)})", file=sys.stderr)
        return 1
    print(f"{doc['iso']} (offset {doc['offset_seconds']:.3f} s)")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nubis", description="A local AWS cloud in one process.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("start", help="serve in the foreground")
    s.add_argument("--host", help="address to listen on (default 127.0.0.1; NUBIS_HOST)")
    s.add_argument("--port", type=int, help="port (default 4566; NUBIS_PORT)")
    s.add_argument("--data-dir", help="where state is kept (default: per-user data dir; NUBIS_DATA_DIR)")
    s.add_argument("--ephemeral", action="store_true", help="keep nothing after exit (NUBIS_EPHEMERAL=1)")
    s.add_argument("--log-level", choices=["debug", "info", "warning", "error"], help="NUBIS_LOG_LEVEL")
    s.add_argument("--sync", choices=["normal", "full"],
                   help="full: fsync every commit, surviving power loss (NUBIS_SYNC)")
    s.add_argument("--hostname", help="base host name for data-plane names (default localhost; NUBIS_HOSTNAME)")
    s.add_argument("--enforce-iam", action="store_true",
                   help="check signatures and policies; deny what AWS would deny (NUBIS_ENFORCE_IAM=1)")
    s.set_defaults(fn=cmd_start)
    for name, fn, helptext in (("status", cmd_status, "show a running server's state"),
                               ("reset", cmd_reset, "wipe a running server's state"),
                               ("clock", cmd_clock, "read or advance the controllable clock")):
        c = sub.add_parser(name, help=helptext)
        c.add_argument("--endpoint", help="default http://localhost:4566 (NUBIS_ENDPOINT)")
        if name == "reset":
            c.add_argument("service", nargs="?", help="only this service (default: everything)")
        if name == "clock":
            c.add_argument("--advance", type=float, help="seconds to move the clock forward")
        c.set_defaults(fn=fn)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.fn(args) or 0


if __name__ == "__main__":
    sys.exit(main())
