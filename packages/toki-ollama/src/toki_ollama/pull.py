"""Making sure the daemon has a model: the ``/api/tags`` check, ``/api/pull`` with progress, ``/api/show``.

The decisions are pure functions shared by the sync and async paths (:func:`is_installed`,
:func:`capabilities_of`, :class:`PullProgress`); :mod:`toki_ollama.model` drives them with either
client. Progress is drawn with tqdm, one bar per layer like ``ollama pull`` does, when it goes to a
terminal; otherwise pulling is silent (a log record at INFO marks its start and end).
"""

from __future__ import annotations

import logging
import sys
from typing import IO, Any

import ollama
from tqdm import tqdm

from toki_ollama.wire import normalize_model_name

__all__ = ["PullProgress", "capabilities_of", "is_installed", "show_progress_by_default"]

logger = logging.getLogger("toki_ollama")


def is_installed(model: str, tags: ollama.ListResponse) -> bool:
    """Whether ``/api/tags`` lists ``model`` (a bare name means ``:latest``)."""
    wanted = normalize_model_name(model)
    return any(entry.model is not None and normalize_model_name(entry.model) == wanted for entry in tags.models)


def capabilities_of(show: ollama.ShowResponse) -> frozenset[str] | None:
    """The capabilities ``/api/show`` reports (``completion``, ``tools``, ``thinking``...); ``None`` if it has none."""
    return None if show.capabilities is None else frozenset(show.capabilities)


def show_progress_by_default() -> bool:
    """Progress bars are drawn when stderr is a terminal."""
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


class PullProgress:
    """Shows the progress lines of one ``/api/pull``.

    Args:
        model: the model being pulled.
        enabled: draw bars and status lines (on ``file``); when false, nothing is written.
        file: where to draw; stderr by default.

    Attributes:
        statuses: every status line received, in order (``pulling manifest`` ... ``success``).
    """

    def __init__(self, model: str, *, enabled: bool, file: IO[str] | None = None) -> None:
        self.model = model
        self.enabled = enabled
        self.file = file
        self.statuses: list[str] = []
        self._bars: dict[str, Any] = {}
        self._completed: dict[str, int] = {}
        logger.info("pulling %s", model)

    def update(self, line: ollama.ProgressResponse) -> None:
        """Take one progress line."""
        status = line.status or ""
        new_status = not self.statuses or self.statuses[-1] != status
        if new_status:
            self.statuses.append(status)
        if not self.enabled:
            return
        digest = line.digest
        if digest and line.total:
            self._advance(digest, status, line.total, line.completed or 0)
        elif new_status and status:
            self._close_bars()
            output = self._output()
            output.write(status + "\n")
            output.flush()

    def _advance(self, digest: str, status: str, total: int, completed: int) -> None:
        bar = self._bars.get(digest)
        if bar is None:
            bar = tqdm(
                desc=status or f"pulling {digest[-12:]}",
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=self._output(),
                leave=True,
            )
            self._bars[digest] = bar
            self._completed[digest] = 0
        step = min(completed, total) - self._completed[digest]
        if step > 0:
            bar.update(step)
            self._completed[digest] += step

    def _output(self) -> IO[str]:
        return self.file if self.file is not None else sys.stderr

    def _close_bars(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()

    def close(self) -> None:
        """Finish drawing (also after a failed pull)."""
        self._close_bars()
        logger.info("pull of %s ended with %r", self.model, self.statuses[-1] if self.statuses else None)

    @property
    def succeeded(self) -> bool:
        """Whether the daemon reported ``success``."""
        return bool(self.statuses) and self.statuses[-1] == "success"
