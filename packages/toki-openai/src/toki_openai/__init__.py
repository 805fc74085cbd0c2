"""toki backend for OpenAI chat completions (via litellm).

Importing this package (or ``toki.openai``) does not import litellm; it loads on the first call.
"""

from toki_openai.model import OpenAIModel
from toki_openai.models import Attr, OpenAIModelName, attributes_map, list_openai_models

__all__ = ["Attr", "OpenAIModel", "OpenAIModelName", "attributes_map", "list_openai_models"]
