"""Helpers shared by this package's tests (importable because conftest puts this folder on the path)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, cast

from toki.model import BaseModel

#: ``run(model, messages, tools=None, *, stream=False, **kwargs)``
Run = Callable[..., Any]
#: ``make_model(model_id="...", **ctor_kwargs)``
MakeModel = Callable[..., Any]


def call_in_mode(
    mode: str, model: BaseModel, messages: Any, tools: Any = None, *, stream: bool = False, **kwargs: Any
) -> Any:
    """One call on the sync or async path; streaming calls return their chunks as a list.

    Async calls run in a fresh event loop and release that loop's connections afterwards.
    """
    if mode == "sync":
        result: Any = model.complete(messages, tools, stream=stream, **kwargs)
        return list(cast(Iterable[Any], result)) if stream else result

    async def go() -> Any:
        try:
            if stream:
                chunks = cast(AsyncIterator[Any], model.acomplete(messages, tools, stream=True, **kwargs))
                return [chunk async for chunk in chunks]
            pending = cast(Awaitable[Any], model.acomplete(messages, tools, **kwargs))
            return await pending
        finally:
            aclose = getattr(model, "aclose", None)
            if aclose is not None:
                await aclose()

    return asyncio.run(go())
