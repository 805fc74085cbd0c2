"""Helpers shared by the test modules (a plain module; conftest puts this directory on sys.path).

Run one call in any of the four modes and reduce what came back to comparable values.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from toki import (
    AsyncTokiToolCallStream,
    TokiThinking,
    TokiThoughtResponse,
    TokiToolCall,
    TokiToolCallStream,
    TokiToolsResponse,
    TokiToolsThoughtResponse,
)
from toki_openrouter import OpenRouterModel

#: The ``make_model`` fixture: builds an OpenRouterModel aimed at the simulator.
MakeModel = Callable[..., OpenRouterModel]

Mode = Literal["sync-block", "sync-stream", "async-block", "async-stream"]
MODES: tuple[Mode, ...] = ("sync-block", "sync-stream", "async-block", "async-stream")

USER = [{"role": "user", "content": "hi"}]


@dataclass
class Result:
    content: str = ""
    thought: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=lambda: list[tuple[str, dict[str, Any]]]())
    chunks: int = 0


def _call_value(call: object) -> tuple[str, dict[str, Any]]:
    if isinstance(call, TokiToolCall):
        return call.function.name, call.function.arguments
    assert isinstance(call, TokiToolCallStream)
    return call.name, call.arguments


async def _acall_value(call: object) -> tuple[str, dict[str, Any]]:
    if isinstance(call, AsyncTokiToolCallStream):
        return call.name, await call.arguments()
    return _call_value(call)


def _from_response(response: object, result: Result) -> None:
    if isinstance(response, str):
        result.content = response
        return
    if isinstance(response, TokiThoughtResponse):
        result.content, result.thought = response.content, response.thought
        return
    assert isinstance(response, TokiToolsResponse)
    result.content = response.content
    if isinstance(response, TokiToolsThoughtResponse):
        result.thought = response.thought


def run(model: OpenRouterModel, mode: Mode, messages: Any = None, tools: Any = None, **kwargs: Any) -> Result:
    """Make one call in ``mode``; async modes run in a fresh event loop and close the async pool."""
    messages = USER if messages is None else messages
    result = Result()
    # Any: the mode is chosen at run time, so no single overload of complete() applies.
    complete: Any = model.complete
    acomplete: Any = model.acomplete
    if mode == "sync-block":
        response: Any = complete(messages, tools, **kwargs)
        _from_response(response, result)
        if isinstance(response, TokiToolsResponse):
            result.calls = [_call_value(c) for c in response.tool_calls]  # pyright: ignore[reportUnknownVariableType, reportUnknownMemberType, reportUnknownArgumentType]
        return result
    if mode == "sync-stream":
        for chunk in complete(messages, tools, stream=True, **kwargs):
            result.chunks += 1
            if isinstance(chunk, str):
                result.content += chunk
            elif isinstance(chunk, TokiThinking):
                result.thought += chunk.text
            else:
                result.calls.append(_call_value(chunk))
        return result

    async def go() -> Result:
        try:
            if mode == "async-block":
                response: Any = await acomplete(messages, tools, **kwargs)
                _from_response(response, result)
                if isinstance(response, TokiToolsResponse):
                    result.calls = [await _acall_value(c) for c in response.tool_calls]  # pyright: ignore[reportUnknownVariableType, reportUnknownMemberType, reportUnknownArgumentType]
                return result
            async for chunk in acomplete(messages, tools, stream=True, **kwargs):
                result.chunks += 1
                if isinstance(chunk, str):
                    result.content += chunk
                elif isinstance(chunk, TokiThinking):
                    result.thought += chunk.text
                else:
                    result.calls.append(await _acall_value(chunk))
            return result
        finally:
            await model.aclose()

    return asyncio.run(go())
