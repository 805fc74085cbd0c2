"""toki backend for Anthropic Messages (via litellm).

Importing this package (or ``toki.anthropic``) does not import litellm; it loads on the first call.
"""

from toki_anthropic.caching import CacheTTL
from toki_anthropic.model import AnthropicModel
from toki_anthropic.models import AnthropicModelName, Attr, attributes_map, list_anthropic_models

__all__ = ["AnthropicModel", "AnthropicModelName", "Attr", "CacheTTL", "attributes_map", "list_anthropic_models"]
