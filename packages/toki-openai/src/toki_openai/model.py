"""``OpenAIModel``: OpenAI Chat Completions through toki's litellm adapter.

All request building, event translation, error mapping and HTTP handling is shared in
:mod:`toki_litellm`; this frontend adds what is OpenAI's own: the API key variable, the model
metadata, the exact local token count (tiktoken, through ``litellm.token_counter``), and the
warning that Chat Completions does not return reasoning text reliably.
"""

from __future__ import annotations

import warnings
from typing import ClassVar, Literal

from toki.api_keys import read_api_key
from toki.messages import normalize_messages
from toki.model import Messages, MixedTools
from toki.timeouts import Timeouts
from toki.tool_schemas import ToolSet
from toki.types import ReasoningEffort
from toki.warnings import TokiThinkingSupportWarning
from toki_litellm import OPENAI, LiteLLMBackend, Route
from toki_litellm.model import resolve_base_url
from toki_litellm.tokens import count_offline

from toki_openai.models import OpenAIModelName, attributes_map

__all__ = ["OpenAIModel"]

_PROVIDER = "openai"
_API_KEY_ENV = "OPENAI_API_KEY"


class OpenAIModel(LiteLLMBackend):
    """An OpenAI chat model (Chat Completions API), via litellm.

    OpenAI caches long prompt prefixes automatically, so there is no ``cache=`` argument.

    Args:
        model: an OpenAI model id such as ``"gpt-5.4-mini"``; any id the API accepts works.
        api_key: the API key; defaults to the ``OPENAI_API_KEY`` environment variable.
        base_url: the API root including ``/v1`` (a proxy, a compatible server); ``api_base`` is an
            alias. Default: OpenAI's, or the ``OPENAI_BASE_URL`` environment variable.
        reasoning_effort: how hard a reasoning model thinks (``'low'`` ... ``'xhigh'``); ``None``
            leaves it to the model unless ``capture_thinking=True`` asks for ``'medium'``.
        allow_parallel_tool_calls: let the model request several tools at once.
        timeout: seconds for every phase, or a :class:`~toki.timeouts.Timeouts`; never infinite.
        max_retries: retries of transient failures (toki's; litellm and the SDK make one attempt).
    """

    provider: ClassVar[str | None] = _PROVIDER
    route: ClassVar[Route | None] = OPENAI

    def __init__(
        self,
        model: OpenAIModelName | str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        api_base: str | None = None,
        reasoning_effort: ReasoningEffort | None = None,
        allow_parallel_tool_calls: bool = False,
        timeout: float | Timeouts | None = None,
        max_retries: int = 2,
    ) -> None:
        super().__init__(
            model,
            api_key=api_key if api_key is not None else read_api_key(_API_KEY_ENV, provider=_PROVIDER),
            base_url=resolve_base_url(base_url, api_base),
            reasoning_effort=reasoning_effort,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            timeout=timeout,
            max_retries=max_retries,
        )

    def __repr__(self) -> str:
        return f"OpenAIModel({self.model!r})"

    def _supports_thinking(self) -> bool | None:
        attr = attributes_map.get(self.model)
        return None if attr is None else attr.supports_thinking

    def _supports_tools(self) -> bool | None:
        attr = attributes_map.get(self.model)
        return None if attr is None else attr.supports_tools

    def _before_call(self, tools: ToolSet | None, *, stream: bool, capture_thinking: bool) -> None:
        if capture_thinking and not self._thinking_warned:
            self._thinking_warned = True
            support = self._supports_thinking()
            about_model = (
                f"{self.model!r} is not a reasoning model, and "
                if support is False
                else f"{self.model!r} is not in toki's model list, and "
                if support is None
                else ""
            )
            warnings.warn(
                f"capture_thinking=True on OpenAIModel is unreliable: {about_model}OpenAI's Chat Completions "
                "endpoint returns no reasoning text (reasoning is engaged server-side; its text is usually absent)",
                TokiThinkingSupportWarning,
                stacklevel=4,
            )
        super()._before_call(tools, stream=stream, capture_thinking=capture_thinking)

    def count_tokens(
        self, messages: Messages, *, tools: MixedTools | None = None, kind: Literal["exact"] = "exact"
    ) -> int:
        """Count prompt tokens exactly, locally (tiktoken via ``litellm.token_counter``); only ``kind='exact'``."""
        if kind != "exact":
            raise ValueError(f"kind={kind!r} is not supported by OpenAIModel; use 'exact'")
        toolset = ToolSet.from_tools(tools)
        wire = [dict(schema) for schema in toolset.schemas] if toolset is not None else None
        return count_offline(self.litellm_model, normalize_messages(messages), wire)

    async def acount_tokens(
        self, messages: Messages, *, tools: MixedTools | None = None, kind: Literal["exact"] = "exact"
    ) -> int:
        """Async :meth:`count_tokens` (a local computation: it runs inline, no thread)."""
        return self.count_tokens(messages, tools=tools, kind=kind)
