"""No operation of a service nubis implements answers valid-shaped input with
an internal error, an unreadable answer, a dropped connection or silence
(see ``sweep.py``). The default run draws 2 inputs per operation; the marked
sweep draws more:

    pytest -m sweep tests/robustness          # NUBIS_ROBUSTNESS_EXAMPLES, default 10
    python tests/robustness/sweep.py          # a report, with the server's tracebacks
"""
from __future__ import annotations

import os

import pytest

from conftest import ServerProcess
from robustness import sweep as R

SERVICES = R.implemented_services()


@pytest.fixture(scope="module")
def server():
    s = ServerProcess("--ephemeral")
    yield s
    s.proc.terminate()
    s.proc.communicate(timeout=30)


def _check(server, service: str, examples: int) -> None:
    findings, _ = R.sweep(server.endpoint, [service], examples)
    real = [f for f in findings if f.kind != "not-implemented"]
    assert not real, "\n".join(f"{f.service}:{f.operation} [{f.kind}] {f.detail}\n    params: {str(f.params)[:300]}"
                               for f in real)


@pytest.mark.parametrize("service", SERVICES)
def test_no_internal_errors(server, service):
    _check(server, service, 2)


@pytest.mark.sweep
@pytest.mark.parametrize("service", SERVICES)
def test_no_internal_errors_deep(server, service):
    _check(server, service, int(os.environ.get("NUBIS_ROBUSTNESS_EXAMPLES", 10)))


def test_the_sweep_reports_a_provider_that_raises():
    """The sweep can fail: an operation whose provider raises is an ``internal`` finding."""
    broken = ServerProcess("--ephemeral", env={"NUBIS_PROVIDERS": "sts=support.broken_sts:BrokenSts"})
    try:
        findings, _ = R.sweep(broken.endpoint, ["sts"], 1)
    finally:
        broken.proc.terminate()
        broken.proc.communicate(timeout=30)
    kinds = {(f.operation, f.kind) for f in findings}
    assert ("GetCallerIdentity", "internal") in kinds
    assert ("AssumeRole", "not-implemented") in kinds
