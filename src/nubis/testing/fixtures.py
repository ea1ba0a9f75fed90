"""Fixtures a test directory opts into by importing them in its conftest.py.

    from nubis.testing.fixtures import frozen_clock  # noqa: F401  (autouse)
    from nubis.testing.fixtures import enforcing  # noqa: F401  (a server enforcing IAM)
"""
from __future__ import annotations

import pytest

from . import start


@pytest.fixture(autouse=True)
def frozen_clock(request):
    """The clock of the test's nubis stands still between advances, so that
    "59 seconds is not yet 60" holds however slowly a loaded machine runs the
    test. (The ``nubis`` fixture's reset runs before the next test; tests that
    use no server start none.)"""
    if "nubis" in request.fixturenames or "aws_client" in request.fixturenames:
        request.getfixturevalue("nubis").freeze()


@pytest.fixture(scope="module")
def enforcing():
    """A second nubis with IAM enforcement on, shared by the module's tests (a
    test resets it with ``enforcing.reset()`` when it needs a clean cloud)."""
    cloud = start(enforce_iam=True)
    try:
        yield cloud
    finally:
        cloud.stop()
