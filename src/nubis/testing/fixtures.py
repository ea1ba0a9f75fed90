"""Fixtures a test directory opts into by importing them in its conftest.py.

    from nubis.testing.fixtures import frozen_clock  # noqa: F401  (autouse)
"""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def frozen_clock(request):
    """The clock of the test's nubis stands still between advances, so that
    "59 seconds is not yet 60" holds however slowly a loaded machine runs the
    test. (The ``nubis`` fixture's reset runs before the next test; tests that
    use no server start none.)"""
    if "nubis" in request.fixturenames or "aws_client" in request.fixturenames:
        request.getfixturevalue("nubis").freeze()
