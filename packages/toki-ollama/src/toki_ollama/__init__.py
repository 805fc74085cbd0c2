"""toki backend for an Ollama daemon, over the official ``ollama`` client.

``OllamaModel("qwen3:1.7b")`` checks that the daemon has the model (pulling it if not) and then
chats through ``/api/chat``, blocking or streaming, sync or async. ``OllamaModelName`` and
``attributes_map`` describe the models of the Ollama library that toki knows about.
"""

from toki_ollama.model import OllamaModel
from toki_ollama.models import Attr, OllamaModelName, attributes_map, list_ollama_models

__all__ = ["Attr", "OllamaModel", "OllamaModelName", "attributes_map", "list_ollama_models"]
