"""HTTP messages as the simulators see them: a recorded request, and the reply to write.

`RecordedRequest` is what a test reads back (method, path, query, case-insensitive headers, raw
body, parsed JSON). `Reply` is what the server writes: a status, headers and body steps (`Data`
writes, `Pause`s, an `Abort`), with a framing (RFC 9112: Content-Length, chunked, or close).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

__all__ = ["Abort", "Data", "Framing", "Headers", "Pause", "RecordedRequest", "Reply", "Step", "reason_phrase"]

Framing = Literal["length", "chunked", "close"]
"""How a body is delimited: Content-Length, chunked transfer coding, or closing the connection."""


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only view of header fields; repeated fields join with ", "."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = list(items)
        self._folded: dict[str, list[str]] = {}
        for name, value in self._items:
            self._folded.setdefault(name.lower(), []).append(value)

    def __getitem__(self, key: str) -> str:
        return ", ".join(self._folded[key.lower()])

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._folded

    def __iter__(self) -> Iterator[str]:
        return iter(self._folded)

    def __len__(self) -> int:
        return len(self._folded)

    def get_all(self, key: str) -> list[str]:
        """Every value of a repeated header field, in the order received."""
        return list(self._folded.get(key.lower(), []))

    def raw_items(self) -> list[tuple[str, str]]:
        """The header fields as received: original spelling and order."""
        return list(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class RecordedRequest:
    """One request as the server received it.

    Attributes: `method`, `target` (the raw request target), `path`, `raw_query`, `query` (first
    value of each parameter), `headers` (case-insensitive), `body` (raw bytes, de-chunked), `route`
    (name of the route that served it, or None), `received_at` (`time.monotonic()`) and
    `connection_id` (which TCP connection carried it; equal ids mean a pooled connection).
    """

    def __init__(
        self,
        *,
        method: str,
        target: str,
        headers: Headers,
        body: bytes,
        connection_id: int,
        route: str | None = None,
    ) -> None:
        self.method = method
        self.target = target
        split = urlsplit(target)
        self.path = split.path
        self.raw_query = split.query
        self.query: dict[str, str] = {}
        for key, value in parse_qsl(split.query, keep_blank_values=True):
            self.query.setdefault(key, value)
        self.headers = headers
        self.body = body
        self.connection_id = connection_id
        self.route = route
        self.received_at = time.monotonic()
        self._json: Any = None
        self._json_done = False

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8")

    @property
    def json(self) -> Any:
        """The body parsed as JSON (raises `ValueError` if it is not JSON)."""
        if not self._json_done:
            self._json = json.loads(self.body) if self.body else None
            self._json_done = True
        return self._json

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object, or an empty dict if it is empty, not JSON or not an object."""
        try:
            value = self.json
        except ValueError:
            return {}
        if isinstance(value, dict):
            return _as_str_dict(value)  # pyright: ignore[reportUnknownArgumentType]
        return {}

    def __repr__(self) -> str:
        return f"RecordedRequest({self.method} {self.target}, {len(self.body)} body bytes)"


def _as_str_dict(value: dict[Any, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()}


@dataclass(frozen=True)
class Data:
    """A body step: write these bytes in one write (one chunk under chunked framing)."""

    data: bytes


@dataclass(frozen=True)
class Pause:
    """A body step: wait this many seconds (`math.inf` = until the client leaves or the server stops)."""

    seconds: float


@dataclass(frozen=True)
class Abort:
    """A body step: close the socket now, without finishing the body (`reset` sends a TCP RST).

    `missing` is how many body bytes the cut left unsent (informational; used for Content-Length).
    """

    reset: bool = False
    missing: int = 0


Step = Data | Pause | Abort


@dataclass
class Reply:
    """Everything the server writes for one request.

    `steps` is the body. Under "length" framing the Content-Length is the total of the `Data` steps
    (so an `Abort` leaves the body short of it); under "chunked" each write is one chunk and the
    terminating `0` chunk is sent only if the body completes; under "close" the body ends when the
    connection closes. `write_sizes` re-splits the data into writes of those sizes (cycled);
    `byte_delay` waits that long after every write. `reset_before_headers` closes the connection
    with a TCP RST before any byte; `pause_before_headers` / `pause_after_headers` stall there.
    """

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list[tuple[str, str]])
    steps: list[Step] = field(default_factory=list[Step])
    framing: Framing = "length"
    reason: str | None = None
    write_sizes: tuple[int, ...] | None = None
    byte_delay: float = 0.0
    reset_before_headers: bool = False
    pause_before_headers: float = 0.0
    pause_after_headers: float = 0.0
    content_length: int | None = None

    @classmethod
    def json(cls, status: int, value: object, headers: Sequence[tuple[str, str]] = ()) -> Reply:
        """A complete JSON body with Content-Length."""
        body = json.dumps(value).encode()
        return cls(
            status=status,
            headers=[("Content-Type", "application/json"), *headers],
            steps=[Data(body)],
        )


_EXTRA_REASONS = {499: "Client Closed Request", 529: "Site Overloaded"}


def reason_phrase(status: int) -> str:
    """The reason phrase for a status line."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _EXTRA_REASONS.get(status, "Status")
