"""The network side of the fetch steps: a small httpx wrapper (only ever used when a person runs a tool)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import httpx

__all__ = ["FetchError", "client", "get_json", "get_text", "today"]

_USER_AGENT = "toki-tools/0.1 (model-name codegen of the toki LLM client)"


class FetchError(RuntimeError):
    """A source could not be read."""


def client(headers: dict[str, str] | None = None) -> httpx.Client:
    """A client for one fetch run (redirects followed, 30 s per phase)."""
    return httpx.Client(
        headers={"user-agent": _USER_AGENT, **(headers or {})},
        timeout=30.0,
        follow_redirects=True,
    )


def get_text(http: httpx.Client, url: str, *, params: dict[str, str] | None = None) -> str | None:
    """The body at ``url``; ``None`` on 404 (and 401/403: gated or private); :class:`FetchError` otherwise."""
    try:
        response = http.get(url, params=params)
    except httpx.HTTPError as error:
        raise FetchError(f"GET {url}: {error}") from error
    if response.status_code in (401, 403, 404):
        return None
    if response.status_code != 200:
        raise FetchError(f"GET {url}: HTTP {response.status_code}")
    return response.text


def get_json(http: httpx.Client, url: str, *, params: dict[str, str] | None = None) -> object:
    """The decoded JSON at ``url``; ``None`` on 404/401/403."""
    text = get_text(http, url, params=params)
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise FetchError(f"GET {url}: not JSON ({error})") from error


def today() -> str:
    """Today's date (UTC), ISO format: the ``as_of`` of a fetch."""
    return datetime.now(timezone.utc).date().isoformat()
