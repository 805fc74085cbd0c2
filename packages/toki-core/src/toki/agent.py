"""``Agent``: a model plus the conversation around it.

The agent owns ``messages`` and ``tools``; each ``execute`` sends the whole history to the
model and, when the turn completes, appends the assistant's reply (text and tool calls).

History stays valid however a call ends. The assistant turn is appended only once the turn
has completed: a call that raises, or a stream the caller stops reading (``break``, ``close()``,
garbage collection, task cancellation), leaves ``messages`` exactly as it was before the call.
Thinking text is never added to the history.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import AsyncGenerator, Coroutine, Generator
from typing import Any, Generic, Literal, TypeVar, overload

from toki.engine import TurnResult
from toki.messages import MessageLike, normalize_message
from toki.model import BaseModel, MixedTools, StaticTools, StreamingTools
from toki.tool_schemas import ToolSet
from toki.tool_streams import AsyncTokiToolCallStream, TokiToolCallStream
from toki.types import (
    FinishReason,
    TokiMessage,
    TokiThinking,
    TokiThoughtResponse,
    TokiToolCall,
    TokiToolsResponse,
    TokiToolsThoughtResponse,
    TokiUsageMetadata,
    WithMixedTools,
    WithoutTools,
    WithStaticTools,
    WithStreamingTools,
)
from toki.warnings import TokiToolMismatchWarning

__all__ = ["Agent"]

ShapeT = TypeVar("ShapeT", WithoutTools, WithStaticTools, WithStreamingTools, WithMixedTools)


class Agent(Generic[ShapeT]):
    """A conversation with one model.

    ``Agent[WithoutTools]``, ``Agent[WithStaticTools]``, ``Agent[WithStreamingTools]`` and
    ``Agent[WithMixedTools]`` narrow :meth:`execute`'s return type to the tools configured; the
    constructor infers the right one from ``tools``.

    Attributes:
        model: the model every call goes to.
        tools: the tool schemas offered on every call (``None`` for none).
        messages: the conversation so far.
        usage: token usage summed over every completed call of this agent.
        last_usage: token usage of the most recent completed call.
        last_finish_reason: why the most recent completed call ended.
    """

    @overload
    def __init__(self: Agent[WithoutTools], model: BaseModel, tools: None = None) -> None: ...
    @overload
    def __init__(self: Agent[WithStreamingTools], model: BaseModel, tools: StreamingTools) -> None: ...
    @overload
    def __init__(self: Agent[WithStaticTools], model: BaseModel, tools: StaticTools) -> None: ...
    @overload
    def __init__(self: Agent[WithMixedTools], model: BaseModel, tools: MixedTools) -> None: ...
    def __init__(self, model: BaseModel, tools: MixedTools | None = None) -> None:
        self.model = model
        toolset = ToolSet.from_tools(tools)  # validate now so a bad schema fails at construction
        self.tools: MixedTools | None = list(tools) if tools else None
        self.messages: list[TokiMessage] = []
        self.usage = TokiUsageMetadata()
        self.last_usage: TokiUsageMetadata | None = None
        self.last_finish_reason: FinishReason | None = None
        if (
            toolset is not None
            and not model._tools_warned  # pyright: ignore[reportPrivateUsage]
            and model._supports_tools() is False  # pyright: ignore[reportPrivateUsage]
        ):
            model._tools_warned = True  # pyright: ignore[reportPrivateUsage]  # one-shot per model, as documented
            warnings.warn(
                f"{type(model).__name__}({model.model!r}) does not support tools, but the agent was given "
                f"{len(toolset.schemas)}",
                TokiToolMismatchWarning,
                stacklevel=2,
            )

    # ------------------------------------------------------------------ history

    def add_message(self, message: MessageLike) -> None:
        """Append a message (a ``TokiMessage`` or an OpenAI-style dict), validated."""
        self.messages.append(normalize_message(message, position=len(self.messages)))

    def add_system_message(self, content: str) -> None:
        """Append a system message."""
        self.add_message(TokiMessage(role="system", content=content))

    def add_user_message(self, content: str) -> None:
        """Append a user message."""
        self.add_message(TokiMessage(role="user", content=content))

    def add_assistant_message(self, content: str) -> None:
        """Append an assistant message (e.g. a reply produced elsewhere, or a prefill)."""
        self.add_message(TokiMessage(role="assistant", content=content))

    def add_tool_message(self, tool_call_id: str, content: object) -> None:
        """Append the result of the tool call ``tool_call_id``.

        ``content`` that is not a string is JSON-encoded. The message carries the called tool's
        name, which some providers require. An id that matches no tool call of the latest
        assistant turn emits a :class:`~toki.warnings.TokiToolMismatchWarning`.
        """
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, default=str)
        name = self._pending_tool_name(tool_call_id)
        self.add_message(TokiMessage(role="tool", content=text, tool_call_id=tool_call_id, name=name))

    def _pending_tool_name(self, tool_call_id: str) -> str | None:
        for message in reversed(self.messages):
            if message.role == "assistant":
                for call in message.tool_calls or ():
                    if call.id == tool_call_id:
                        return call.function.name
                break
        warnings.warn(
            f"add_tool_message: {tool_call_id!r} matches no tool call of the latest assistant turn",
            TokiToolMismatchWarning,
            stacklevel=3,
        )
        return None

    def reset(self) -> None:
        """Forget the conversation (usage totals are kept)."""
        self.messages.clear()

    def _record(self, result: TurnResult) -> None:
        if result.tool_calls:
            message = TokiMessage(role="assistant", content=result.content or None, tool_calls=list(result.tool_calls))
        else:
            message = TokiMessage(role="assistant", content=result.content)
        self.messages.append(message)
        self.last_usage = result.usage
        self.last_finish_reason = result.finish_reason
        if result.usage is not None:
            self.usage = self.usage + result.usage

    # ------------------------------------------------------------------ calls

    @overload
    def execute(
        self: Agent[WithoutTools],
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> str: ...
    @overload
    def execute(
        self: Agent[WithoutTools], *, stream: Literal[False] = False, capture_thinking: Literal[True], **kwargs: Any
    ) -> TokiThoughtResponse: ...
    @overload
    def execute(
        self: Agent[WithoutTools], *, stream: Literal[True], capture_thinking: Literal[False] = False, **kwargs: Any
    ) -> Generator[str, None, None]: ...
    @overload
    def execute(
        self: Agent[WithoutTools], *, stream: Literal[True], capture_thinking: Literal[True], **kwargs: Any
    ) -> Generator[str | TokiThinking, None, None]: ...
    @overload
    def execute(
        self: Agent[WithStreamingTools],
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> str | TokiToolsResponse[TokiToolCallStream]: ...
    @overload
    def execute(
        self: Agent[WithStreamingTools],
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> TokiThoughtResponse | TokiToolsThoughtResponse[TokiToolCallStream]: ...
    @overload
    def execute(
        self: Agent[WithStreamingTools],
        *,
        stream: Literal[True],
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> Generator[str | TokiToolCallStream, None, None]: ...
    @overload
    def execute(
        self: Agent[WithStreamingTools], *, stream: Literal[True], capture_thinking: Literal[True], **kwargs: Any
    ) -> Generator[str | TokiThinking | TokiToolCallStream, None, None]: ...
    @overload
    def execute(
        self: Agent[WithStaticTools],
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> str | TokiToolsResponse[TokiToolCall]: ...
    @overload
    def execute(
        self: Agent[WithStaticTools], *, stream: Literal[False] = False, capture_thinking: Literal[True], **kwargs: Any
    ) -> TokiThoughtResponse | TokiToolsThoughtResponse[TokiToolCall]: ...
    @overload
    def execute(
        self: Agent[WithStaticTools], *, stream: Literal[True], capture_thinking: Literal[False] = False, **kwargs: Any
    ) -> Generator[str | TokiToolCall, None, None]: ...
    @overload
    def execute(
        self: Agent[WithStaticTools], *, stream: Literal[True], capture_thinking: Literal[True], **kwargs: Any
    ) -> Generator[str | TokiThinking | TokiToolCall, None, None]: ...
    @overload
    def execute(
        self: Agent[WithMixedTools],
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> str | TokiToolsResponse[TokiToolCall | TokiToolCallStream]: ...
    @overload
    def execute(
        self: Agent[WithMixedTools], *, stream: Literal[False] = False, capture_thinking: Literal[True], **kwargs: Any
    ) -> TokiThoughtResponse | TokiToolsThoughtResponse[TokiToolCall | TokiToolCallStream]: ...
    @overload
    def execute(
        self: Agent[WithMixedTools], *, stream: Literal[True], capture_thinking: Literal[False] = False, **kwargs: Any
    ) -> Generator[str | TokiToolCall | TokiToolCallStream, None, None]: ...
    @overload
    def execute(
        self: Agent[WithMixedTools], *, stream: Literal[True], capture_thinking: Literal[True], **kwargs: Any
    ) -> Generator[str | TokiThinking | TokiToolCall | TokiToolCallStream, None, None]: ...
    @overload
    def execute(
        self, *, stream: bool = False, capture_thinking: bool = False, **kwargs: Any
    ) -> (
        str
        | TokiThoughtResponse
        | TokiToolsResponse[TokiToolCall | TokiToolCallStream]
        | Generator[str | TokiThinking | TokiToolCall | TokiToolCallStream, None, None]
    ): ...
    def execute(self, *, stream: bool = False, capture_thinking: bool = False, **kwargs: Any) -> Any:
        """Run the model on the conversation and record its reply.

        Same chunk and return types as :meth:`BaseModel.complete` for this agent's tools;
        ``kwargs`` (``temperature``, ``max_tokens``...) are forwarded to the model. A streamed
        reply is recorded once the generator is exhausted.
        """
        return self.model._complete(  # pyright: ignore[reportPrivateUsage]
            list(self.messages),
            self.tools,
            stream=stream,
            capture_thinking=capture_thinking,
            kwargs=kwargs,
            on_complete=self._record,
        )

    @overload
    def aexecute(
        self: Agent[WithoutTools],
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> Coroutine[Any, Any, str]: ...
    @overload
    def aexecute(
        self: Agent[WithoutTools], *, stream: Literal[False] = False, capture_thinking: Literal[True], **kwargs: Any
    ) -> Coroutine[Any, Any, TokiThoughtResponse]: ...
    @overload
    def aexecute(
        self: Agent[WithoutTools], *, stream: Literal[True], capture_thinking: Literal[False] = False, **kwargs: Any
    ) -> AsyncGenerator[str, None]: ...
    @overload
    def aexecute(
        self: Agent[WithoutTools], *, stream: Literal[True], capture_thinking: Literal[True], **kwargs: Any
    ) -> AsyncGenerator[str | TokiThinking, None]: ...
    @overload
    def aexecute(
        self: Agent[WithStreamingTools],
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> Coroutine[Any, Any, str | TokiToolsResponse[AsyncTokiToolCallStream]]: ...
    @overload
    def aexecute(
        self: Agent[WithStreamingTools],
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[True],
        **kwargs: Any,
    ) -> Coroutine[Any, Any, TokiThoughtResponse | TokiToolsThoughtResponse[AsyncTokiToolCallStream]]: ...
    @overload
    def aexecute(
        self: Agent[WithStreamingTools],
        *,
        stream: Literal[True],
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> AsyncGenerator[str | AsyncTokiToolCallStream, None]: ...
    @overload
    def aexecute(
        self: Agent[WithStreamingTools], *, stream: Literal[True], capture_thinking: Literal[True], **kwargs: Any
    ) -> AsyncGenerator[str | TokiThinking | AsyncTokiToolCallStream, None]: ...
    @overload
    def aexecute(
        self: Agent[WithStaticTools],
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> Coroutine[Any, Any, str | TokiToolsResponse[TokiToolCall]]: ...
    @overload
    def aexecute(
        self: Agent[WithStaticTools], *, stream: Literal[False] = False, capture_thinking: Literal[True], **kwargs: Any
    ) -> Coroutine[Any, Any, TokiThoughtResponse | TokiToolsThoughtResponse[TokiToolCall]]: ...
    @overload
    def aexecute(
        self: Agent[WithStaticTools], *, stream: Literal[True], capture_thinking: Literal[False] = False, **kwargs: Any
    ) -> AsyncGenerator[str | TokiToolCall, None]: ...
    @overload
    def aexecute(
        self: Agent[WithStaticTools], *, stream: Literal[True], capture_thinking: Literal[True], **kwargs: Any
    ) -> AsyncGenerator[str | TokiThinking | TokiToolCall, None]: ...
    @overload
    def aexecute(
        self: Agent[WithMixedTools],
        *,
        stream: Literal[False] = False,
        capture_thinking: Literal[False] = False,
        **kwargs: Any,
    ) -> Coroutine[Any, Any, str | TokiToolsResponse[TokiToolCall | AsyncTokiToolCallStream]]: ...
    @overload
    def aexecute(
        self: Agent[WithMixedTools], *, stream: Literal[False] = False, capture_thinking: Literal[True], **kwargs: Any
    ) -> Coroutine[
        Any, Any, TokiThoughtResponse | TokiToolsThoughtResponse[TokiToolCall | AsyncTokiToolCallStream]
    ]: ...
    @overload
    def aexecute(
        self: Agent[WithMixedTools], *, stream: Literal[True], capture_thinking: Literal[False] = False, **kwargs: Any
    ) -> AsyncGenerator[str | TokiToolCall | AsyncTokiToolCallStream, None]: ...
    @overload
    def aexecute(
        self: Agent[WithMixedTools], *, stream: Literal[True], capture_thinking: Literal[True], **kwargs: Any
    ) -> AsyncGenerator[str | TokiThinking | TokiToolCall | AsyncTokiToolCallStream, None]: ...
    @overload
    def aexecute(
        self, *, stream: bool = False, capture_thinking: bool = False, **kwargs: Any
    ) -> (
        Coroutine[Any, Any, str | TokiThoughtResponse | TokiToolsResponse[TokiToolCall | AsyncTokiToolCallStream]]
        | AsyncGenerator[str | TokiThinking | TokiToolCall | AsyncTokiToolCallStream, None]
    ): ...
    def aexecute(self, *, stream: bool = False, capture_thinking: bool = False, **kwargs: Any) -> Any:
        """Async :meth:`execute`: a coroutine when blocking, an async generator when streaming."""
        return self.model._acomplete(  # pyright: ignore[reportPrivateUsage]
            list(self.messages),
            self.tools,
            stream=stream,
            capture_thinking=capture_thinking,
            kwargs=kwargs,
            on_complete=self._record,
        )
