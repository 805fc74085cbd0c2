"""toki's litellm adapter: the shared engine of the OpenAI, Anthropic and Google backends, and a generic LiteLLMModel.

Importing this package does not import litellm; litellm is loaded (offline) on the first call.
"""

from toki_litellm.model import LiteLLMBackend, LiteLLMModel, RoundTripCountingBackend
from toki_litellm.routes import ANTHROPIC, GEMINI, GENERIC, OPENAI, Route

__all__ = [
    "ANTHROPIC",
    "GEMINI",
    "GENERIC",
    "OPENAI",
    "LiteLLMBackend",
    "LiteLLMModel",
    "Route",
    "RoundTripCountingBackend",
]
