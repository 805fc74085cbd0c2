"""toki: one small, strongly typed interface to LLMs across providers.

Every public name is importable from here, lazily: ``import toki`` loads nothing but this
file, and a name's module is imported on first access. Backends live in their own
distributions (``toki-openrouter``, ``toki-ollama``...); asking for a backend class whose
package is not installed raises an ``ImportError`` that names the package to install.
"""

from __future__ import annotations

import importlib

# Not `from typing import TYPE_CHECKING`: importing typing would triple the cost of `import toki`.
# Type checkers treat a module-level TYPE_CHECKING as true whatever its value.
TYPE_CHECKING = False

__version__ = "0.1.0"

# name -> (module, attribute); backends map to their own distributions' import packages.
_CORE: dict[str, str] = {
    "Agent": "toki.agent",
    "BaseModel": "toki.model",
    "AsyncTokiArgStream": "toki.tool_streams",
    "AsyncTokiToolCallStream": "toki.tool_streams",
    "TokiArgStream": "toki.tool_streams",
    "TokiToolCallStream": "toki.tool_streams",
    "FinishReason": "toki.types",
    "ReasoningEffort": "toki.types",
    "Role": "toki.types",
    "StreamingToolSchema": "toki.types",
    "TokenCountEstimate": "toki.types",
    "TokiMessage": "toki.types",
    "TokiThinking": "toki.types",
    "TokiThoughtResponse": "toki.types",
    "TokiToolCall": "toki.types",
    "TokiToolFunction": "toki.types",
    "TokiToolsResponse": "toki.types",
    "TokiToolsThoughtResponse": "toki.types",
    "TokiUsageMetadata": "toki.types",
    "ToolSchema": "toki.types",
    "WithMixedTools": "toki.types",
    "WithStaticTools": "toki.types",
    "WithStreamingTools": "toki.types",
    "WithoutTools": "toki.types",
    "pretty_tool_call": "toki.types",
    "TokiBackendQuirkWarning": "toki.warnings",
    "TokiCacheWarning": "toki.warnings",
    "TokiThinkingSupportWarning": "toki.warnings",
    "TokiToolMismatchWarning": "toki.warnings",
    "TokiWarning": "toki.warnings",
    "get_anthropic_api_key": "toki.api_keys",
    "get_google_api_key": "toki.api_keys",
    "get_openai_api_key": "toki.api_keys",
    "get_openrouter_api_key": "toki.api_keys",
    "TokiAPIError": "toki.errors",
    "TokiAuthenticationError": "toki.errors",
    "TokiBadRequestError": "toki.errors",
    "TokiConfigurationError": "toki.errors",
    "TokiConflictError": "toki.errors",
    "TokiConnectionError": "toki.errors",
    "TokiError": "toki.errors",
    "TokiInputError": "toki.errors",
    "TokiInsufficientCreditsError": "toki.errors",
    "TokiMissingAPIKeyError": "toki.errors",
    "TokiMissingArgumentError": "toki.errors",
    "TokiNotFoundError": "toki.errors",
    "TokiPermissionDeniedError": "toki.errors",
    "TokiRateLimitError": "toki.errors",
    "TokiResponseError": "toki.errors",
    "TokiServerError": "toki.errors",
    "TokiStreamTruncatedError": "toki.errors",
    "TokiTimeoutError": "toki.errors",
    "TokiToolArgumentsError": "toki.errors",
    "TokiToolCallTruncatedError": "toki.errors",
    "TokiToolStreamError": "toki.errors",
    "streaming_parse_json": "toki.helpers.jsonstream",
}

# name -> (import package, distribution, extra)
_BACKENDS: dict[str, tuple[str, str, str]] = {
    "OpenRouterModel": ("toki_openrouter", "toki-openrouter", "openrouter"),
    "OpenAIModel": ("toki_openai", "toki-openai", "openai"),
    "AnthropicModel": ("toki_anthropic", "toki-anthropic", "anthropic"),
    "GoogleModel": ("toki_google", "toki-google", "google"),
    "OllamaModel": ("toki_ollama", "toki-ollama", "ollama"),
    "LocalModel": ("toki_local", "toki-local", "local"),
    "LiteLLMModel": ("toki_litellm", "toki-litellm", "litellm"),
}

# Backend classes are not in __all__, so `from toki import *` works whichever backends are installed;
# they resolve lazily through __getattr__ and, for type checkers, through the TYPE_CHECKING block.
__all__ = [
    "Agent",
    "AsyncTokiArgStream",
    "AsyncTokiToolCallStream",
    "BaseModel",
    "FinishReason",
    "ReasoningEffort",
    "Role",
    "StreamingToolSchema",
    "TokenCountEstimate",
    "TokiAPIError",
    "TokiArgStream",
    "TokiAuthenticationError",
    "TokiBackendQuirkWarning",
    "TokiBadRequestError",
    "TokiCacheWarning",
    "TokiConfigurationError",
    "TokiConflictError",
    "TokiConnectionError",
    "TokiError",
    "TokiInputError",
    "TokiInsufficientCreditsError",
    "TokiMessage",
    "TokiMissingAPIKeyError",
    "TokiMissingArgumentError",
    "TokiNotFoundError",
    "TokiPermissionDeniedError",
    "TokiRateLimitError",
    "TokiResponseError",
    "TokiServerError",
    "TokiStreamTruncatedError",
    "TokiThinking",
    "TokiThinkingSupportWarning",
    "TokiThoughtResponse",
    "TokiTimeoutError",
    "TokiToolArgumentsError",
    "TokiToolCall",
    "TokiToolCallStream",
    "TokiToolCallTruncatedError",
    "TokiToolFunction",
    "TokiToolMismatchWarning",
    "TokiToolStreamError",
    "TokiToolsResponse",
    "TokiToolsThoughtResponse",
    "TokiUsageMetadata",
    "TokiWarning",
    "ToolSchema",
    "WithMixedTools",
    "WithStaticTools",
    "WithStreamingTools",
    "WithoutTools",
    "get_anthropic_api_key",
    "get_google_api_key",
    "get_openai_api_key",
    "get_openrouter_api_key",
    "pretty_tool_call",
    "streaming_parse_json",
]

if TYPE_CHECKING:
    from typing import Any

    # Backends: these names resolve to the real classes for type checkers and IDEs whenever the
    # backend's distribution is installed (and to Unknown, harmlessly, when it is not).
    from toki_anthropic import AnthropicModel as AnthropicModel
    from toki_google import GoogleModel as GoogleModel
    from toki_litellm import LiteLLMModel as LiteLLMModel
    from toki_local import LocalModel as LocalModel
    from toki_ollama import OllamaModel as OllamaModel
    from toki_openai import OpenAIModel as OpenAIModel
    from toki_openrouter import OpenRouterModel as OpenRouterModel

    from toki.agent import Agent as Agent
    from toki.api_keys import get_anthropic_api_key as get_anthropic_api_key
    from toki.api_keys import get_google_api_key as get_google_api_key
    from toki.api_keys import get_openai_api_key as get_openai_api_key
    from toki.api_keys import get_openrouter_api_key as get_openrouter_api_key
    from toki.errors import TokiAPIError as TokiAPIError
    from toki.errors import TokiAuthenticationError as TokiAuthenticationError
    from toki.errors import TokiBadRequestError as TokiBadRequestError
    from toki.errors import TokiConfigurationError as TokiConfigurationError
    from toki.errors import TokiConflictError as TokiConflictError
    from toki.errors import TokiConnectionError as TokiConnectionError
    from toki.errors import TokiError as TokiError
    from toki.errors import TokiInputError as TokiInputError
    from toki.errors import TokiInsufficientCreditsError as TokiInsufficientCreditsError
    from toki.errors import TokiMissingAPIKeyError as TokiMissingAPIKeyError
    from toki.errors import TokiMissingArgumentError as TokiMissingArgumentError
    from toki.errors import TokiNotFoundError as TokiNotFoundError
    from toki.errors import TokiPermissionDeniedError as TokiPermissionDeniedError
    from toki.errors import TokiRateLimitError as TokiRateLimitError
    from toki.errors import TokiResponseError as TokiResponseError
    from toki.errors import TokiServerError as TokiServerError
    from toki.errors import TokiStreamTruncatedError as TokiStreamTruncatedError
    from toki.errors import TokiTimeoutError as TokiTimeoutError
    from toki.errors import TokiToolArgumentsError as TokiToolArgumentsError
    from toki.errors import TokiToolCallTruncatedError as TokiToolCallTruncatedError
    from toki.errors import TokiToolStreamError as TokiToolStreamError
    from toki.helpers.jsonstream import streaming_parse_json as streaming_parse_json
    from toki.model import BaseModel as BaseModel
    from toki.tool_streams import AsyncTokiArgStream as AsyncTokiArgStream
    from toki.tool_streams import AsyncTokiToolCallStream as AsyncTokiToolCallStream
    from toki.tool_streams import TokiArgStream as TokiArgStream
    from toki.tool_streams import TokiToolCallStream as TokiToolCallStream
    from toki.types import FinishReason as FinishReason
    from toki.types import ReasoningEffort as ReasoningEffort
    from toki.types import Role as Role
    from toki.types import StreamingToolSchema as StreamingToolSchema
    from toki.types import TokenCountEstimate as TokenCountEstimate
    from toki.types import TokiMessage as TokiMessage
    from toki.types import TokiThinking as TokiThinking
    from toki.types import TokiThoughtResponse as TokiThoughtResponse
    from toki.types import TokiToolCall as TokiToolCall
    from toki.types import TokiToolFunction as TokiToolFunction
    from toki.types import TokiToolsResponse as TokiToolsResponse
    from toki.types import TokiToolsThoughtResponse as TokiToolsThoughtResponse
    from toki.types import TokiUsageMetadata as TokiUsageMetadata
    from toki.types import ToolSchema as ToolSchema
    from toki.types import WithMixedTools as WithMixedTools
    from toki.types import WithoutTools as WithoutTools
    from toki.types import WithStaticTools as WithStaticTools
    from toki.types import WithStreamingTools as WithStreamingTools
    from toki.types import pretty_tool_call as pretty_tool_call
    from toki.warnings import TokiBackendQuirkWarning as TokiBackendQuirkWarning
    from toki.warnings import TokiCacheWarning as TokiCacheWarning
    from toki.warnings import TokiThinkingSupportWarning as TokiThinkingSupportWarning
    from toki.warnings import TokiToolMismatchWarning as TokiToolMismatchWarning
    from toki.warnings import TokiWarning as TokiWarning


def __getattr__(name: str) -> Any:
    module_name = _CORE.get(name)
    if module_name is not None:
        value = getattr(importlib.import_module(module_name), name)
    elif name in _BACKENDS:
        package, distribution, extra = _BACKENDS[name]
        try:
            module = importlib.import_module(package)
        except ModuleNotFoundError as exc:
            if exc.name != package:
                raise
            raise ImportError(
                f"toki.{name} needs the {distribution} package: pip install 'toki[{extra}]' (or {distribution})",
                name=package,
            ) from exc
        value = getattr(module, name)
    else:
        raise AttributeError(f"module 'toki' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_BACKENDS})
