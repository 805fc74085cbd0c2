"""``toki-fetch-openrouter-models``: ``toki_openrouter/models.py`` from OpenRouter's model listing.

The source is ``GET https://openrouter.ai/api/v1/models``; the saved input keeps its shape
(``{"data": [{"id", "name", "context_length", "supported_parameters": [...]}, ...]}``), reduced to
the models with text output and the fields read here. ``context_size`` is ``context_length``;
``supports_tools`` / ``supports_thinking`` say whether ``"tools"`` / ``"reasoning"`` are among
the ``supported_parameters``.

When the endpoint cannot be reached, ``--from-litellm-wheel`` derives the same shape from a litellm
wheel's ``openrouter/*`` entries (:func:`from_litellm`), and says so in the saved input and the
generated header. Such a listing may mark a parameter as unrecorded
(``toki_unrecorded_parameters``, not an OpenRouter field): its flag renders as ``None``.
"""

from __future__ import annotations

import argparse
import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from toki_tools import _http
from toki_tools._backend import Backend, add_row
from toki_tools._codegen import Field, Row, Shape
from toki_tools._json import JSON, InputError, as_list, as_object, as_str, as_strings, opt_int
from toki_tools._litellm import METADATA_FILE, read_metadata, wheel_version

__all__ = ["BACKEND", "MODELS_URL", "fetch", "from_api", "from_litellm", "main", "merge", "render"]

MODELS_URL = "https://openrouter.ai/api/v1/models"
_UNRECORDED = "toki_unrecorded_parameters"
_PREFIX = "openrouter/"
#: supported_parameters value -> litellm flag.
_PARAMETERS = {"tools": "supports_function_calling", "reasoning": "supports_reasoning"}

SHAPE = Shape(
    backend="openrouter",
    literal="OpenRouterModelName",
    title="OpenRouter model ids and what is known about each.",
    notes=(
        "``context_size`` is the listing's ``context_length``; ``supports_tools`` / "
        "``supports_thinking`` say whether ``tools`` / ``reasoning`` are among the model's "
        "``supported_parameters``; ``None`` means the source did not record it.",
    ),
    literal_comment="Model ids known when this snapshot was taken; any other id OpenRouter accepts works too.",
    attr_doc="What the snapshot says about one model; ``None`` means the source did not say.",
    fields=(
        Field("context_size", "int", True, "the context window, in tokens."),
        Field("supports_tools", "bool", True, "the model takes tools (``tools`` is a supported parameter)."),
        Field(
            "supports_thinking",
            "bool",
            True,
            "the model reasons and OpenRouter can return its reasoning (``reasoning`` is a supported parameter).",
        ),
    ),
)


def parse(section: object, where: str) -> dict[str, Row]:
    """Rows of an ``/api/v1/models``-shaped ``data`` array."""
    rows: dict[str, Row] = {}
    for index, item in enumerate(as_list(section, where)):
        at = f"{where}[{index}]"
        model = as_object(item, at)
        model_id = as_str(model.get("id"), f"{at}.id")
        supported = set(as_strings(model.get("supported_parameters"), f"{at}.supported_parameters"))
        unrecorded = set(as_strings(model.get(_UNRECORDED), f"{at}.{_UNRECORDED}"))
        flags = tuple(None if name in unrecorded else name in supported for name in ("tools", "reasoning"))
        add_row(rows, model_id, (opt_int(model.get("context_length"), f"{at}.context_length"), *flags), where)
    return rows


def from_api(payload: object, *, as_of: str) -> JSON:
    """The saved input for an ``/api/v1/models`` response: text-output models, the fields read here."""
    models: list[JSON] = []
    for index, item in enumerate(as_list(as_object(payload, "response").get("data"), "data")):
        model = as_object(item, f"data[{index}]")
        architecture = model.get("architecture")
        outputs = as_object(architecture, "architecture").get("output_modalities") if architecture else None
        if outputs is not None and "text" not in as_strings(outputs, "output_modalities"):
            continue
        entry: JSON = {"id": as_str(model.get("id"), f"data[{index}].id")}
        if isinstance(model.get("name"), str):
            entry["name"] = model["name"]
        entry["context_length"] = opt_int(model.get("context_length"), f"data[{index}].context_length")
        entry["supported_parameters"] = sorted(
            set(as_strings(model.get("supported_parameters"), f"data[{index}].supported_parameters"))
        )
        models.append(entry)
    return {
        "source": {
            "as_of": as_of,
            "provenance": [
                f"OpenRouter's model listing ({MODELS_URL}), fetched {as_of}: every model whose output "
                "modalities include text."
            ],
        },
        "data": sorted(models, key=lambda model: str(model["id"])),
        "curated": [],
    }


def _fill_from_rules(key: str, entry: Mapping[str, object], rules: Sequence[object]) -> dict[str, object]:
    """The entry with the flags it lacks taken from the first matching litellm fallback rule."""
    filled = dict(entry)
    for index, raw in enumerate(rules):
        rule = as_object(raw, f"fallback_generalizations.rules[{index}]")
        providers = rule.get("fill_missing_for_providers")
        if providers is not None and "openrouter" not in as_strings(providers, "fill_missing_for_providers"):
            continue
        if not re.search(str(rule.get("pattern", "")), key):
            continue
        info = as_object(rule.get("model_info") or {}, "model_info")
        for flag in _PARAMETERS.values():
            if flag not in filled and flag in info:
                filled[flag] = info[flag]
    return filled


def from_litellm(
    entries: Mapping[str, object],
    entries_label: str,
    rules_metadata: Mapping[str, object],
    rules_label: str,
) -> JSON:
    """An ``/api/v1/models``-shaped saved input derived from litellm's ``openrouter/*`` chat entries.

    ``context_length`` is ``max_input_tokens``, else ``max_tokens``; a parameter is supported when
    litellm's flag is true, unsupported when false, and unrecorded when litellm has no value even
    after filling from the ``fallback_generalizations`` rules of ``rules_metadata``.
    """
    generalizations = as_object(rules_metadata.get("fallback_generalizations") or {}, "fallback_generalizations")
    rules = as_list(generalizations.get("rules") or [], "fallback_generalizations.rules")
    models: list[JSON] = []
    for key, raw in entries.items():
        if not key.startswith(_PREFIX) or not isinstance(raw, dict):
            continue
        entry = as_object(raw, key)  # pyright: ignore[reportUnknownArgumentType]
        if entry.get("mode", "chat") != "chat":
            continue
        filled = _fill_from_rules(key, entry, rules)
        context = filled.get("max_input_tokens") or filled.get("max_tokens")
        model: JSON = {
            "id": key[len(_PREFIX) :],
            "context_length": int(context) if isinstance(context, (int, float)) else None,
            "supported_parameters": sorted(p for p, flag in _PARAMETERS.items() if filled.get(flag)),
        }
        unrecorded = sorted(p for p, flag in _PARAMETERS.items() if filled.get(flag) is None)
        if unrecorded:
            model[_UNRECORDED] = unrecorded
        models.append(model)
    provenance = [
        f"Not a live listing: OpenRouter's {MODELS_URL} was not reachable where this snapshot was made. "
        f"Its saved input is a listing of that shape derived from the openrouter/* chat entries of "
        f"{entries_label}'s bundled {METADATA_FILE} (prefix stripped): context_length is their "
        "max_input_tokens, else max_tokens; tools / reasoning are supported parameters where their "
        "supports_function_calling / supports_reasoning is true, and flags an entry lacks were filled "
        f"from the fallback_generalizations rules of {rules_label}'s copy. A flag neither records is "
        "None. litellm records no display names, so the listing has none.",
    ]
    return {
        "source": {"as_of": f"{entries_label} (entries) and {rules_label} (fallback rules)", "provenance": provenance},
        "data": sorted(models, key=lambda model: str(model["id"])),
        "curated": [],
    }


def fetch(previous: JSON | None = None, *, client: httpx.Client | None = None) -> JSON:
    """The network step: OpenRouter's current listing as a saved input (``previous`` is unused:
    the endpoint lists every model, so nothing needs refreshing separately)."""
    del previous
    http = client if client is not None else _http.client()
    try:
        payload = _http.get_json(http, MODELS_URL)
    finally:
        if client is None:
            http.close()
    if payload is None:
        raise _http.FetchError(f"GET {MODELS_URL}: not found")
    return from_api(payload, as_of=_http.today())


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from-litellm-wheel",
        type=Path,
        metavar="WHEEL",
        help="offline: derive the listing from this litellm wheel's openrouter/* entries instead of the API",
    )
    parser.add_argument(
        "--rules-from-litellm-wheel",
        type=Path,
        metavar="WHEEL",
        help="with --from-litellm-wheel: fill missing flags from this wheel's fallback rules "
        "(default: the installed litellm's)",
    )


def _fetch(args: argparse.Namespace, previous: JSON | None) -> JSON:
    wheel: Path | None = args.from_litellm_wheel
    if wheel is None:
        if args.rules_from_litellm_wheel is not None:
            raise InputError("--rules-from-litellm-wheel needs --from-litellm-wheel")
        return fetch(previous)
    entries, _ = read_metadata(wheel=wheel)
    rules_wheel: Path | None = args.rules_from_litellm_wheel
    rules, rules_version = read_metadata(wheel=rules_wheel)
    data = from_litellm(entries, f"litellm {wheel_version(wheel)}", rules, f"litellm {rules_version}")
    rules_origin = _wheel_note(rules_wheel) if rules_wheel is not None else f"the installed litellm {rules_version}"
    data["source"]["provenance"].append(
        f"Files read: the entries from {_wheel_note(wheel)}; the rules from {rules_origin}."
    )
    return data


def _wheel_note(wheel: Path) -> str:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    return f"{wheel.name} (sha256 {digest})"


BACKEND = Backend(
    shape=SHAPE,
    target="packages/toki-openrouter/src/toki_openrouter/models.py",
    listing_key="data",
    parse=parse,
    fetcher=_fetch,
    add_arguments=_add_arguments,
    description="Regenerate toki_openrouter/models.py from OpenRouter's /api/v1/models.",
)


#: The ``models.py`` text of a saved input (pure).
render = BACKEND.render
#: ``new`` with ``old``'s hand-curated entries kept, and what changed.
merge = BACKEND.merge
#: The command line (``toki-fetch-*-models``).
main = BACKEND.main
