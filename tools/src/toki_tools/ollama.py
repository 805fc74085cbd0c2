"""``toki-fetch-ollama-models``: ``toki_ollama/models.py`` from the ollama.com library.

The saved input lists library tags as ``{"name", "context", "capabilities"}`` (``capabilities``
are the library's badges: ``tools``, ``thinking``, ``vision``, ...), plus ``curated`` tags that
every refresh keeps.

The fetch step scrapes https://ollama.com: the popular page for the families, each family's
listing entry for its capability and size badges, and its ``/tags`` page for each tag's context
window. Families of the previous listing are refreshed too, so a family is pruned only when the
library no longer has it (its ``/tags`` page is gone), not when it leaves the popular page. The
page parsers (:func:`parse_listing`, :func:`parse_tags`) follow the site's markup as it was known
when they were written (``x-test-*`` attributes, "128K context window"); they have not been run
against the live site from the machine this package was written on.
"""

from __future__ import annotations

import argparse
import re
import sys

import httpx

from toki_tools import _http
from toki_tools._backend import Backend, add_row
from toki_tools._codegen import Field, Row, Shape
from toki_tools._json import JSON, as_list, as_object, as_str, as_strings, opt_int

__all__ = ["BACKEND", "LIBRARY_URL", "fetch", "main", "merge", "parse_listing", "parse_tags", "render"]

LIBRARY_URL = "https://ollama.com/library"
_SEARCH_URL = "https://ollama.com/search"

SHAPE = Shape(
    backend="ollama",
    literal="OllamaModelName",
    title="Ollama model names known to toki, with their context sizes and capabilities.",
    notes=(
        "Each entry is a library tag as `ollama pull` takes it: a bare family name is that family's "
        "`:latest` tag. `context_size` is the context length the library lists for the tag; "
        '`supports_tools` / `supports_thinking` are the library\'s "tools" / "thinking" capability badges.',
        "The list is not exhaustive: OllamaModel takes any name the daemon knows, and for the model it "
        "actually runs, the capabilities the daemon reports (`/api/show`) take precedence over this table.",
    ),
    literal_comment="Library tags known when this snapshot was taken; any other name the daemon knows works too.",
    attr_doc="What the Ollama library says about one model tag.",
    fields=(
        Field("context_size", "int", False, "the tag's context length, in tokens."),
        Field("supports_tools", "bool", False, 'whether the tag can call tools (the library\'s "tools" badge).'),
        Field(
            "supports_thinking",
            "bool",
            False,
            "whether the tag reasons in a separate thinking channel that the daemon returns as "
            '`message.thinking` (the library\'s "thinking" badge).',
        ),
    ),
    list_doc="Every model name in this snapshot, sorted.",
)


def parse(section: object, where: str) -> dict[str, Row]:
    """Rows of a ``[{"name", "context", "capabilities"}]`` listing."""
    rows: dict[str, Row] = {}
    for index, item in enumerate(as_list(section, where)):
        at = f"{where}[{index}]"
        tag = as_object(item, at)
        name = as_str(tag.get("name"), f"{at}.name")
        capabilities = set(as_strings(tag.get("capabilities"), f"{at}.capabilities"))
        row: Row = (opt_int(tag.get("context"), f"{at}.context"), "tools" in capabilities, "thinking" in capabilities)
        add_row(rows, name, row, where)
    return rows


# --- the scraper ---------------------------------------------------------------------------------

_BLOCK = re.compile(r"<li[^>]*x-test-model[^>]*>(.*?)</li>", re.S)
_FAMILY = re.compile(r'href="/library/([A-Za-z0-9._-]+)"')
_CAPABILITY = re.compile(r"x-test-capability[^>]*>\s*([A-Za-z]+)\s*<")
_SIZE = re.compile(r"x-test-size[^>]*>\s*([A-Za-z0-9._-]+)\s*<")
_CONTEXT = re.compile(r"(\d+(?:\.\d+)?)\s*([KM])\s+context window", re.I)


def parse_listing(html: str) -> dict[str, tuple[list[str], list[str]]]:
    """``{family: (capability badges, size badges)}`` of a library listing or search page, in page order."""
    families: dict[str, tuple[list[str], list[str]]] = {}
    for block in _BLOCK.findall(html):
        family = _FAMILY.search(block)
        if family is not None and family.group(1) not in families:
            families[family.group(1)] = (
                sorted({c.lower() for c in _CAPABILITY.findall(block)}),
                list(dict.fromkeys(s.lower() for s in _SIZE.findall(block))),
            )
    return families


def parse_tags(html: str, family: str) -> dict[str, int]:
    """``{tag: context window in tokens}`` of a family's ``/tags`` page (``128K`` is 131072)."""
    links = list(re.finditer(rf'href="/library/{re.escape(family)}:([A-Za-z0-9._-]+)"', html))
    contexts: dict[str, int] = {}
    for index, link in enumerate(links):
        end = links[index + 1].start() if index + 1 < len(links) else len(html)
        found = _CONTEXT.search(html, link.end(), end)
        if found is not None and link.group(1) not in contexts:
            scale = 1024 if found.group(2).upper() == "K" else 1024 * 1024
            contexts[link.group(1)] = round(float(found.group(1)) * scale)
    return contexts


def _previous_tags(previous: JSON | None) -> dict[str, Row]:
    if previous is None or "models" not in previous:
        return {}
    return parse(previous["models"], "models")


def fetch(previous: JSON | None = None, *, client: httpx.Client | None = None, limit: int = 25) -> JSON:
    """The network step: the first ``limit`` non-embedding families of the popular page, plus the
    families ``previous`` lists, each with its ``latest`` tag and one tag per size badge.

    A tag whose context window cannot be read keeps its previous entry (or is left out, with a
    warning on stderr); a family whose ``/tags`` page is gone is pruned.
    """
    http = client if client is not None else _http.client()
    try:
        popular = parse_listing(_http.get_text(http, LIBRARY_URL, params={"sort": "popular"}) or "")
        if not popular:
            raise _http.FetchError(f"{LIBRARY_URL}: no models found (has the page's markup changed?)")
        chosen = [family for family, (caps, _) in popular.items() if "embedding" not in caps][:limit]
        old = _previous_tags(previous)
        for family in sorted({name.split(":")[0] for name in old}):
            if family not in chosen:
                chosen.append(family)
        models: list[JSON] = []
        for family in chosen:
            badges = popular.get(family)
            if badges is None:
                badges = parse_listing(_http.get_text(http, _SEARCH_URL, params={"q": family}) or "").get(family)
            tags_page = _http.get_text(http, f"{LIBRARY_URL}/{family}/tags")
            if badges is None or tags_page is None:
                sys.stderr.write(f"ollama: {family}: no longer in the library, pruned\n")
                continue
            capabilities, sizes = badges
            contexts = parse_tags(tags_page, family)
            for tag in ["latest", *sizes]:
                name = family if tag == "latest" else f"{family}:{tag}"
                context = contexts.get(tag)
                if context is None and name in old:
                    context = old[name][0]
                    sys.stderr.write(f"ollama: {name}: no context window on the tags page, kept the previous one\n")
                if context is None:
                    sys.stderr.write(f"ollama: {name}: no context window on the tags page, left out\n")
                    continue
                models.append({"name": name, "context": context, "capabilities": capabilities})
    finally:
        if client is None:
            http.close()
    as_of = _http.today()
    return {
        "source": {
            "as_of": as_of,
            "provenance": [
                f"Scraped from the ollama.com library ({LIBRARY_URL}) on {as_of}: the {limit} most popular "
                "families without the embedding badge, and the families the previous snapshot listed, each "
                "with its latest tag and one tag per size badge; context windows from each family's tags page.",
            ],
        },
        "models": sorted(models, key=lambda model: str(model["name"])),
        "curated": [],
    }


def to_entry(name: str, row: Row) -> JSON:
    """One saved-input entry for a snapshot row (the inverse of :func:`parse`)."""
    context, tools, thinking = row
    capabilities = [badge for badge, on in (("thinking", thinking), ("tools", tools)) if on]
    return {"name": name, "context": context, "capabilities": capabilities}


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, default=25, help="how many popular families to take (default 25)")


def _fetch(args: argparse.Namespace, previous: JSON | None) -> JSON:
    return fetch(previous, limit=args.limit)


BACKEND = Backend(
    shape=SHAPE,
    target="packages/toki-ollama/src/toki_ollama/models.py",
    listing_key="models",
    parse=parse,
    fetcher=_fetch,
    add_arguments=_add_arguments,
    description="Regenerate toki_ollama/models.py from the ollama.com library.",
    to_entry=to_entry,
)


#: The ``models.py`` text of a saved input (pure).
render = BACKEND.render
#: ``new`` with ``old``'s hand-curated entries kept, and what changed.
merge = BACKEND.merge
#: The command line (``toki-fetch-*-models``).
main = BACKEND.main
