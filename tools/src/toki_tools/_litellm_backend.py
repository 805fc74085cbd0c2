"""The generators fed by litellm's bundled model metadata: OpenAI, Anthropic and Google.

The saved input keeps litellm's own format, reduced to the entries of one ``litellm_provider``
and the keys read here (:data:`KEPT_KEYS`), under ``model_prices_and_context_window``. A model is
listed when its ``mode`` is ``"chat"`` and its key (without the backend's prefix, such as
``gemini/``) holds no further ``/`` and does not start with ``ft:``; when both the bare and the
prefixed key exist, the bare key's entry wins. ``context_size`` is ``max_input_tokens``, else
``max_tokens``; the two flags are true only when litellm says ``true``.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from toki_tools._backend import Backend
from toki_tools._codegen import Field, Row, Shape
from toki_tools._json import JSON, as_object
from toki_tools._litellm import METADATA_FILE, read_metadata

__all__ = ["KEPT_KEYS", "LitellmSource", "make_backend"]

#: The keys of a litellm entry the saved input keeps: the ones read here, and what explains them.
KEPT_KEYS = (
    "litellm_provider",
    "mode",
    "max_input_tokens",
    "max_tokens",
    "supports_function_calling",
    "supports_reasoning",
)
LISTING = "model_prices_and_context_window"


@dataclass(frozen=True)
class LitellmSource:
    """Which litellm entries one backend lists."""

    provider: str  # the litellm_provider value
    strip_prefix: str = ""  # removed from keys ("gemini/")

    def model_id(self, key: str) -> str | None:
        """The toki model id of a metadata key, or ``None`` if the key is not a plain chat model id."""
        if self.strip_prefix and key.startswith(self.strip_prefix):
            key = key[len(self.strip_prefix) :]
        if "/" in key or key.startswith("ft:"):
            return None
        return key

    def parse(self, section: object, where: str) -> dict[str, Row]:
        """Rows of a litellm-format ``{key: entry}`` section."""
        rows: dict[str, Row] = {}
        from_bare_key: set[str] = set()
        for key, raw in sorted(as_object(section, where).items()):
            entry = as_object(raw, f"{where}[{key!r}]")
            if entry.get("litellm_provider") != self.provider or entry.get("mode") != "chat":
                continue
            model_id = self.model_id(key)
            if model_id is None or model_id in from_bare_key:
                continue
            if key == model_id:
                from_bare_key.add(model_id)
            size = entry.get("max_input_tokens") or entry.get("max_tokens")
            rows[model_id] = (
                int(size) if isinstance(size, (int, float)) and not isinstance(size, bool) else None,
                entry.get("supports_function_calling") is True,
                entry.get("supports_reasoning") is True,
            )
        return rows

    def subset(self, metadata: Mapping[str, object], version: str) -> JSON:
        """The saved input for one litellm release's metadata."""
        entries: JSON = {}
        for key in sorted(metadata):
            raw = metadata[key]
            if not isinstance(raw, dict):
                continue
            entry = as_object(raw, key)  # pyright: ignore[reportUnknownArgumentType]
            if entry.get("litellm_provider") == self.provider:
                entries[key] = {name: entry[name] for name in KEPT_KEYS if name in entry}
        prefix = f', keys without the "{self.strip_prefix}" prefix' if self.strip_prefix else ""
        return {
            "source": {
                "as_of": f"litellm {version}",
                "provenance": [
                    f"litellm {version}'s bundled model metadata ({METADATA_FILE}), read offline: the "
                    f'entries with litellm_provider "{self.provider}" and mode "chat"{prefix}, except keys '
                    'holding a further "/" or starting with "ft:" (the bare key wins over the prefixed one). '
                    "context_size is max_input_tokens, else max_tokens; supports_tools is "
                    "supports_function_calling, supports_thinking is supports_reasoning.",
                ],
            },
            LISTING: entries,
            "curated": {},
        }


_FIELDS = (
    Field("context_size", "int", True, "the input context window in tokens (``None`` when not recorded)."),
    Field("supports_tools", "bool", False, "the model can call tools."),
    Field("supports_thinking", "bool", False, "the model reasons server-side (its thinking may be captured)."),
)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--litellm-wheel", type=Path, metavar="WHEEL", help="read a litellm wheel instead of the installed litellm"
    )
    group.add_argument(
        "--litellm-json", type=Path, metavar="FILE", help=f"read this {METADATA_FILE} (with --litellm-version)"
    )
    parser.add_argument("--litellm-version", metavar="VERSION", help="the litellm release --litellm-json comes from")


def make_backend(name: str, literal: str, label: str, source: LitellmSource) -> Backend:
    """The generator of one litellm-fed backend."""

    def fetch(args: argparse.Namespace, previous: JSON | None) -> JSON:
        del previous  # litellm's metadata is complete: nothing to refresh separately
        metadata, version = read_metadata(
            wheel=args.litellm_wheel, json_path=args.litellm_json, version=args.litellm_version
        )
        return source.subset(metadata, version)

    shape = Shape(
        backend=name,
        literal=literal,
        title=f"Model ids of the {name} backend and what is known about each.",
        notes=("``supports_thinking`` is litellm's ``supports_reasoning`` flag.",),
        literal_comment=f"Model ids known when this snapshot was made; any other id {label} accepts works too.",
        attr_doc="What litellm's metadata records about one model.",
        fields=_FIELDS,
    )
    return Backend(
        shape=shape,
        target=f"packages/toki-{name}/src/toki_{name}/models.py",
        listing_key=LISTING,
        parse=source.parse,
        fetcher=fetch,
        add_arguments=_add_arguments,
        description=(
            f"Regenerate toki_{name}/models.py from litellm's bundled model metadata (read offline from the "
            "installed litellm, or a wheel: `uv run --with litellm==X` picks a release)."
        ),
    )
