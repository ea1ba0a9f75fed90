"""Every operation of every service nubis implements, called with inputs a
real client could send, through a real server: none may answer with an
internal error.

The inputs are drawn from the operation's botocore input shape by the same
hypothesis strategies as the protocol sweep (``tests/protocol/strategies.py``):
valid in shape, random in content (names, ARNs, numbers, enums), so most of
them name resources that do not exist or break a rule the model cannot say.
AWS answers such a request with a 4xx error; nubis must too. A finding is:

- ``internal``: a 5xx answer other than ``NotImplemented`` (the gateway turns
  a provider's exception into ``InternalFailure``; the traceback is in the
  server's log, which the report quotes);
- ``unreadable``: botocore could not read the answer;
- ``timeout``: no answer within ``TIMEOUT`` seconds;
- ``dropped``: the connection closed without an answer;
- ``seed``: making the service's seeded resources failed (``seeds.py``).

A request botocore itself refuses to send (its own client-side checks) is not
nubis's answer and is skipped.

``NotImplemented`` (501) answers are counted, not findings.

    python tests/robustness/sweep.py [--examples N] [--service NAME ...] [--verbose]
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import sys
import time
from urllib.parse import urlsplit

# The tests directory is the import root (as under pytest): ``protocol``, ``robustness``, ``conftest``.
_TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

import botocore.exceptions  # noqa: E402
from botocore.config import Config  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from nubis.testing.loopback import loopback  # noqa: E402
from protocol import strategies as S  # noqa: E402
from robustness import seeds  # noqa: E402

TIMEOUT = 20
# Operations that wait by design for as long as their input asks (long polls):
# called with their wait bounded, or (None) not at all. Event-stream operations are left out.
BOUNDED_WAITS = {("sqs", "ReceiveMessage"): {"WaitTimeSeconds": 0},
                 ("stepfunctions", "GetActivityTask"): None}


def implemented_services() -> list[str]:
    from nubis import services

    return sorted(s for s in services.PROVIDERS if _has_model(s))


def _has_model(service: str) -> bool:
    import botocore.session

    return service in botocore.session.get_session().get_available_services()


def client(endpoint: str, service: str):
    import boto3

    c = boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                     aws_secret_access_key="test",
                     config=Config(retries={"max_attempts": 1}, read_timeout=TIMEOUT, connect_timeout=5,
                                   parameter_validation=False, inject_host_prefix=False))
    c.meta.events.register("before-send", _mark_sent)
    # Host names such as <account>.localhost (S3 Control) reach the server without DNS.
    return loopback(c, urlsplit(endpoint).port)


def operations(c) -> list[str]:
    model = c.meta.service_model
    out = []
    for name in model.operation_names:
        op = model.operation_model(name)
        if op.has_event_stream_input or op.has_event_stream_output:
            continue
        if BOUNDED_WAITS.get((model.service_name, name), {}) is None:
            continue
        out.append(name)
    return out


Finding = collections.namedtuple("Finding", "service operation kind detail params")


def _mark_sent(request, **kwargs):
    _sent.append(True)


_sent: list = []


def call(c, service: str, name: str, params: dict):
    """One call: None when the answer is acceptable, else (kind, detail)."""
    params = dict(params)
    params.update(BOUNDED_WAITS.get((service, name)) or {})
    _sent.clear()
    try:
        c._make_api_call(name, params)
    except botocore.exceptions.ClientError as e:
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = e.response.get("Error", {}).get("Code", "")
        if status >= 500 and code != "NotImplemented":
            return "internal", f"{status} {code}: {e.response.get('Error', {}).get('Message', '')}"[:300]
        if code == "NotImplemented":
            return "not-implemented", code
        return None
    except botocore.exceptions.ReadTimeoutError:
        return "timeout", f"no answer in {TIMEOUT} s"
    except (botocore.exceptions.ParamValidationError, botocore.exceptions.StubResponseError):
        return None
    except Exception as e:
        if not _sent:  # botocore refused to send it (its own checks): not nubis's answer
            return None
        if isinstance(e, (botocore.exceptions.ConnectionClosedError, botocore.exceptions.EndpointConnectionError)):
            return "dropped", f"{type(e).__name__}: {str(e)[:300]}"
        return "unreadable", f"{type(e).__name__}: {str(e)[:300]}"  # botocore could not read the answer
    return None


def sweep_operation(c, service: str, name: str, examples: int, seeded: dict | None = None,
                    shrink: bool = False) -> list[Finding]:
    """Findings of one operation (the first of each kind). ``seeded``: input members
    naming resources that exist, set on about half of the examples."""
    model = c.meta.service_model
    op = model.operation_model(name)
    protocol = model.metadata.get("protocol")
    found: dict[str, Finding] = {}
    members = op.input_shape.members if op.input_shape is not None else {}
    overrides = {k: v for k, v in (seeded or {}).items() if k in members}

    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), print_blob=False,
              phases=[Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else []))
    @given(S.top_level(op.input_shape, protocol, "request", op), st.booleans())
    def run(params, use_seeds):
        if use_seeds and overrides:
            params = {**params, **overrides}
        result = call(c, service, name, params)
        if result is not None and result[0] not in found:
            found[result[0]] = Finding(service, name, result[0], result[1], params)

    run()
    return list(found.values())


def sweep(endpoint: str, services: list[str], examples: int, verbose: bool = False) -> tuple[list[Finding], int]:
    findings, calls = [], 0
    for service in services:
        c = client(endpoint, service)
        try:
            seeded = seeds.seed(service, c, endpoint)
        except Exception as e:  # a seed the service refused is a finding of its own
            findings.append(Finding(service, "(seed)", "seed", f"{type(e).__name__}: {e}"[:300], {}))
            seeded = {}
        if verbose:
            print(f"{service}: {len(operations(c))} operations", file=sys.stderr, flush=True)
        for name in operations(c):
            got = sweep_operation(c, service, name, examples, seeded)
            calls += examples
            findings += got
            if verbose:
                for f in got:
                    print(f"  {f.service}:{f.operation} {f.kind} {f.detail}", flush=True)
    return findings, calls


_TRACE = re.compile(r"internal error in (\S+) (\S+)\n(Traceback.*?)(?=\n\S|\Z)", re.S)


def main(argv=None) -> int:
    from conftest import ServerProcess

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=5)
    p.add_argument("--service", action="append")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    services = args.service or implemented_services()
    server = ServerProcess("--ephemeral")
    t0 = time.monotonic()
    try:
        findings, calls = sweep(server.endpoint, services, args.examples, args.verbose)
    finally:
        server.proc.terminate()
        _, err = server.proc.communicate(timeout=30)
    real = [f for f in findings if f.kind != "not-implemented"]
    print(f"{len(services)} services, ~{calls} calls, {time.monotonic() - t0:.0f} s: "
          f"{len(real)} findings, {len(findings) - len(real)} operations not implemented")
    by_kind = collections.Counter(f.kind for f in real)
    print("  " + ", ".join(f"{k}: {n}" for k, n in by_kind.most_common()))
    for f in real:
        print(f"- {f.service}:{f.operation} [{f.kind}] {f.detail}\n    params: {str(f.params)[:400]}")
    traces = collections.OrderedDict()
    for m in _TRACE.finditer(err):
        last = m.group(3).strip().splitlines()
        traces.setdefault(last[-1], m.group(3).strip())
    if traces:
        print(f"\n{len(traces)} distinct server tracebacks (by last line):")
        for text in traces.values():
            lines = text.splitlines()
            print("\n".join(lines[-7:]))
            print()
    return 1 if real else 0


if __name__ == "__main__":
    sys.exit(main())
