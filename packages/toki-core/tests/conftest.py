"""Fixtures for toki-core's tests.

The test modules share helpers through ``toki_core_testkit`` (a plain module next to this
file); pytest runs in importlib mode, which does not put test directories on ``sys.path``,
so this conftest does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from toki_core_testkit import Mode  # noqa: E402  (needs the path set up above)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> Mode:
    """Run a scenario through the sync API (``complete``/``execute``) or the async one."""
    return request.param
