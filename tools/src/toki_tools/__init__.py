"""toki-tools: the ``toki-fetch-<backend>-models`` generators of the backends' ``models.py`` snapshots.

Each backend module (:mod:`toki_tools.openrouter`, :mod:`~toki_tools.openai`,
:mod:`~toki_tools.anthropic`, :mod:`~toki_tools.google`, :mod:`~toki_tools.ollama`,
:mod:`~toki_tools.local`) has the same four entry points:

* ``fetch(...)``: the network step (or, for the litellm-fed backends, a read of litellm's
  bundled data), returning a saved input; only ever run by a person;
* ``render(data) -> str``: the pure render step, byte-identical for the same input;
* ``merge(old, new) -> (data, report)``: hand-curated entries kept, removed ones pruned;
* ``main(argv)``: the console script (``--input``, ``--output``, ``--check``).

The saved inputs the committed snapshots are rendered from live in ``toki_tools/inputs/``.
The backends do not depend on this package.
"""

from __future__ import annotations

__all__ = ["BACKEND_NAMES"]

#: The backends with a generator, as in ``toki-fetch-<name>-models``.
BACKEND_NAMES = ("openrouter", "openai", "anthropic", "google", "ollama", "local")
