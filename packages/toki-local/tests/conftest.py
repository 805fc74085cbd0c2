"""Fixtures for toki-local's tests: the tiny deterministic model and the embedded SmolLM2.

Test modules share the tiny-model builder through ``toki_local_tiny_model`` (a plain module next
to this file, also used by the integration suite); pytest runs in importlib mode, which does not
put test directories on ``sys.path``, so this conftest does.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from toki_local import LocalModel  # noqa: E402
from toki_local.worker import THREAD_NAME  # noqa: E402
from toki_local_tiny_model import build_tiny_model  # noqa: E402  (needs the path set up above)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model, built once per test session (a few seconds)."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture
def tiny(tiny_model_dir: Path) -> LocalModel:
    """A fresh greedy LocalModel over the tiny model (loading it takes a few milliseconds)."""
    return LocalModel(str(tiny_model_dir), temperature=0)


@pytest.fixture(scope="session")
def smollm2() -> LocalModel:
    """The embedded SmolLM2, converted into toki's cache on first use (tens of seconds, once)."""
    return LocalModel("smollm2-135m-instruct", temperature=0)


def worker_threads() -> int:
    """How many generation worker threads are alive."""
    return sum(1 for thread in threading.enumerate() if thread.name == THREAD_NAME)


@pytest.fixture
def wait_for_workers() -> Callable[[int], float]:
    """Wait until at most ``n`` worker threads are alive; fail after 10 s. Returns the seconds waited."""

    def wait(n: int = 0) -> float:
        start = time.monotonic()
        while worker_threads() > n:
            if time.monotonic() - start > 10:
                pytest.fail(f"{worker_threads()} generation threads still alive after 10 s")
            time.sleep(0.01)
        return time.monotonic() - start

    return wait
