"""toki backend for OpenRouter, over httpx: ``OpenRouterModel`` and the model-name snapshot.

Also importable as :mod:`toki.openrouter`, and ``OpenRouterModel`` as ``toki.OpenRouterModel``.
"""

from toki_openrouter.cache_routes import CacheTTL
from toki_openrouter.model import OpenRouterModel, TokenCountKind
from toki_openrouter.models import Attr, OpenRouterModelName, attributes_map, list_openrouter_models
from toki_openrouter.wire import DEFAULT_BASE_URL

__all__ = [
    "DEFAULT_BASE_URL",
    "Attr",
    "CacheTTL",
    "OpenRouterModel",
    "OpenRouterModelName",
    "TokenCountKind",
    "attributes_map",
    "list_openrouter_models",
]
