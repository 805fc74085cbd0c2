"""Request building and answer decoding, without I/O."""

from __future__ import annotations

import json
from itertools import count
from typing import Any

import ollama
import pytest
from toki.errors import TokiConfigurationError, TokiStreamTruncatedError
from toki.model import (
    _RawContentChunk,  # pyright: ignore[reportPrivateUsage]
    _RawFinish,  # pyright: ignore[reportPrivateUsage]
    _RawThoughtChunk,  # pyright: ignore[reportPrivateUsage]
    _RawToolCall,  # pyright: ignore[reportPrivateUsage]
    _RawToolCallChunk,  # pyright: ignore[reportPrivateUsage]
    _RawUsage,  # pyright: ignore[reportPrivateUsage]
)
from toki.types import ReasoningEffort, TokiMessage, TokiToolCall, TokiToolFunction
from toki_ollama.wire import (
    ChatDecoder,
    chat_arguments,
    finish_event,
    normalize_model_name,
    takes_think_levels,
    think_value,
    to_ollama_messages,
    turn_from_events,
)


def chunk(
    *,
    content: str = "",
    thinking: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    done: bool = False,
    **final: Any,
) -> ollama.ChatResponse:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if thinking is not None:
        message["thinking"] = thinking
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return ollama.ChatResponse.model_validate({"model": "m", "message": message, "done": done, **final})


def ids() -> Any:
    numbers = count()
    return lambda: f"call_{next(numbers)}"


# -- names and think ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("llama3.2", "llama3.2:latest"),
        ("llama3.2:3b", "llama3.2:3b"),
        ("hf.co/org/model", "hf.co/org/model:latest"),
        ("hf.co/org/model:Q4_K_M", "hf.co/org/model:Q4_K_M"),
        ("localhost:5000/m", "localhost:5000/m:latest"),
    ],
)
def test_normalize_model_name_adds_latest_to_bare_names(name: str, expected: str) -> None:
    assert normalize_model_name(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("gpt-oss", True), ("gpt-oss:20b", True), ("gpt-oss:120b-cloud", True), ("qwen3:8b", False), ("gpt", False)],
)
def test_only_gpt_oss_takes_think_levels(name: str, expected: bool) -> None:
    assert takes_think_levels(name) is expected


@pytest.mark.parametrize(
    ("capture", "effort", "supports", "levels", "expected"),
    [
        (False, None, True, False, False),  # not captured: a thinking model must not think for nothing
        (False, None, None, True, False),
        (True, None, True, False, True),
        (True, None, None, False, True),  # unknown support: ask, the warning has said it may not work
        (True, None, False, False, False),  # known non-thinking model: the daemon would answer 400
        (True, None, True, True, True),
        (True, "high", True, True, "high"),
        (False, "low", True, True, "low"),  # effort engages thinking even when it is not captured
        (False, "low", True, False, True),  # no levels on this model: thinking on, that is all
        (True, "minimal", True, True, "low"),
        (True, "xhigh", True, True, "high"),
        (True, "medium", False, True, False),
    ],
)
def test_think_value(
    capture: bool, effort: ReasoningEffort | None, supports: bool | None, levels: bool, expected: bool | str
) -> None:
    value = think_value(
        capture_thinking=capture, reasoning_effort=effort, supports_thinking=supports, takes_levels=levels
    )
    assert value == expected
    assert type(value) is type(expected)


# -- messages -------------------------------------------------------------------------------------


def test_messages_take_ollamas_shape() -> None:
    call = TokiToolCall(id="call_1", function=TokiToolFunction(name="get_weather", arguments={"city": "Paris"}))
    messages = [
        TokiMessage(role="system", content="Be brief."),
        TokiMessage(role="user", content="Weather in Paris?"),
        TokiMessage(role="assistant", content=None, tool_calls=[call]),
        TokiMessage(role="tool", content="sunny", tool_call_id="call_1", name="get_weather"),
        TokiMessage(role="assistant", content="It is sunny."),
    ]
    assert to_ollama_messages(messages) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
        },
        {"role": "tool", "content": "sunny", "tool_name": "get_weather"},
        {"role": "assistant", "content": "It is sunny."},
    ]


def test_tool_name_falls_back_to_the_matching_call() -> None:
    calls = [
        TokiToolCall(id="a", function=TokiToolFunction(name="first", arguments={})),
        TokiToolCall(id="b", function=TokiToolFunction(name="second", arguments={"x": 1})),
    ]
    messages = [
        TokiMessage(role="assistant", content="", tool_calls=calls),
        TokiMessage(role="tool", content="2", tool_call_id="b"),
        TokiMessage(role="tool", content="?", tool_call_id="unknown"),
    ]
    converted = to_ollama_messages(messages)
    assert converted[1] == {"role": "tool", "content": "2", "tool_name": "second"}
    assert converted[2] == {"role": "tool", "content": "?"}


def test_messages_are_copies() -> None:
    arguments = {"city": "Paris"}
    call = TokiToolCall(id="a", function=TokiToolFunction(name="f", arguments=arguments))
    converted = to_ollama_messages([TokiMessage(role="assistant", content="", tool_calls=[call])])
    converted[0]["tool_calls"][0]["function"]["arguments"]["city"] = "Rome"
    assert arguments == {"city": "Paris"}


# -- request arguments ----------------------------------------------------------------------------


def arguments(call_kwargs: dict[str, Any], **model: Any) -> Any:
    settings: dict[str, Any] = {"think": False, "options": None, "keep_alive": None}
    settings.update(model)
    return chat_arguments(
        "qwen3:0.6b", [TokiMessage(role="user", content="hi")], None, call_kwargs=call_kwargs, **settings
    )


def test_call_arguments_defaults() -> None:
    call = arguments({})
    assert call.model == "qwen3:0.6b"
    assert call.messages == [{"role": "user", "content": "hi"}]
    assert (call.tools, call.think, call.options, call.keep_alive, call.format) == (None, False, None, None, None)


def test_named_options_map_into_options() -> None:
    call = arguments({"max_tokens": 20, "temperature": 0.2, "top_p": 0.9, "seed": 7, "stop": "END", "min_p": 0.05})
    assert call.options == {
        "num_predict": 20,
        "temperature": 0.2,
        "top_p": 0.9,
        "seed": 7,
        "stop": ["END"],
        "min_p": 0.05,
    }


def test_option_precedence_model_then_call_options_then_named() -> None:
    call = arguments(
        {"options": {"temperature": 0.5, "num_ctx": 2048, "top_k": 5}, "temperature": 0.1},
        options={"temperature": 1.0, "num_ctx": 8192, "repeat_penalty": 1.1},
    )
    assert call.options == {"temperature": 0.1, "num_ctx": 2048, "top_k": 5, "repeat_penalty": 1.1}


def test_none_valued_options_are_left_out() -> None:
    assert arguments({"temperature": None, "max_tokens": None}).options is None


def test_request_fields_pass_through_and_think_can_be_overridden() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    call = arguments({"keep_alive": "10m", "format": schema, "think": "high"}, keep_alive=300)
    assert (call.keep_alive, call.format, call.think) == ("10m", schema, "high")
    assert arguments({}, keep_alive=300, think=True).keep_alive == 300


def test_unknown_keyword_is_an_error_that_lists_the_choices() -> None:
    with pytest.raises(TokiConfigurationError, match=r"'max_output_tokens'.*num_predict"):
        arguments({"max_output_tokens": 5})


def test_options_must_be_a_mapping() -> None:
    with pytest.raises(TokiConfigurationError, match="options must be a mapping"):
        arguments({"options": [("temperature", 1)]})


def test_tools_are_sent_as_given() -> None:
    tool: dict[str, Any] = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    call = chat_arguments("m", [], [tool], think=False, options=None, keep_alive=None, call_kwargs={})
    assert call.tools == [tool]
    assert call.tools is not None and call.tools[0] is not tool


# -- decoding -------------------------------------------------------------------------------------


def test_decoder_maps_thinking_content_usage_and_finish() -> None:
    decoder = ChatDecoder("the daemon", new_call_id=ids())
    events = [
        *decoder.feed(chunk(thinking="Let me think")),
        *decoder.feed(chunk(content="Hel")),
        *decoder.feed(chunk(content="lo")),
        *decoder.feed(chunk(done=True, done_reason="stop", prompt_eval_count=12, eval_count=5)),
    ]
    decoder.finish()
    assert events == [
        _RawThoughtChunk("Let me think"),
        _RawContentChunk("Hel"),
        _RawContentChunk("lo"),
        _RawUsage(prompt_tokens=12, completion_tokens=5, total_tokens=17),
        _RawFinish("stop", "stop"),
    ]
    assert decoder.content_so_far == "Hello"
    assert decoder.objects == 4


def test_decoder_gives_each_whole_tool_call_an_index_and_a_fresh_id() -> None:
    decoder = ChatDecoder("the daemon", new_call_id=ids())
    first = {"function": {"name": "get_weather", "arguments": {"city": "Zürich"}}}
    second: dict[str, Any] = {"function": {"name": "get_time", "arguments": {}}}
    events = [
        *decoder.feed(chunk(tool_calls=[first])),
        *decoder.feed(chunk(tool_calls=[second, first])),
        *decoder.feed(chunk(done=True, done_reason="stop")),
    ]
    calls = [event for event in events if isinstance(event, _RawToolCallChunk)]
    assert [(c.index, c.id, c.name) for c in calls] == [
        (0, "call_0", "get_weather"),
        (1, "call_1", "get_time"),
        (2, "call_2", "get_weather"),
    ]
    assert json.loads(calls[0].arguments_fragment or "") == {"city": "Zürich"}
    assert "Zürich" in (calls[0].arguments_fragment or "")  # not \u-escaped
    assert calls[1].arguments_fragment == "{}"
    assert events[-1] == _RawFinish("tool_calls", "stop")  # the daemon says "stop" after tool calls


def test_default_ids_are_unique() -> None:
    decoder = ChatDecoder("the daemon")
    call: dict[str, Any] = {"function": {"name": "f", "arguments": {}}}
    events = decoder.feed(chunk(tool_calls=[call, call]))
    assert len({e.id for e in events if isinstance(e, _RawToolCallChunk)}) == 2


def test_decoder_without_final_object_is_truncated() -> None:
    decoder = ChatDecoder("the Ollama daemon at http://h:1")
    decoder.feed(chunk(content="partial "))
    decoder.feed(chunk(content="answer"))
    with pytest.raises(TokiStreamTruncatedError) as caught:
        decoder.finish()
    assert caught.value.received == "partial answer"
    assert "http://h:1" in str(caught.value)
    assert "2 line(s)" in str(caught.value)


def test_empty_answer_is_truncated_too() -> None:
    with pytest.raises(TokiStreamTruncatedError):
        ChatDecoder("d").finish()


def test_objects_after_the_final_one_are_ignored() -> None:
    decoder = ChatDecoder("d")
    decoder.feed(chunk(done=True, done_reason="stop"))
    assert decoder.feed(chunk(content="late")) == []
    assert decoder.content_so_far == ""


def test_missing_counts_give_partial_usage() -> None:
    events = ChatDecoder("d").feed(chunk(done=True, done_reason="stop", eval_count=3))
    assert events[0] == _RawUsage(prompt_tokens=None, completion_tokens=3, total_tokens=None)


@pytest.mark.parametrize(
    ("reason", "called", "expected"),
    [
        ("stop", False, _RawFinish("stop", "stop")),
        ("stop", True, _RawFinish("tool_calls", "stop")),
        (None, False, _RawFinish("stop", None)),
        ("length", False, _RawFinish("length", "length")),
        ("length", True, _RawFinish("length", "length")),
        ("load", False, _RawFinish("other", "load")),
        ("unload", False, _RawFinish("other", "unload")),
    ],
)
def test_finish_event(reason: str | None, called: bool, expected: _RawFinish) -> None:
    assert finish_event(reason, called_tools=called) == expected


def test_turn_from_events() -> None:
    turn = turn_from_events(
        [
            _RawThoughtChunk("a"),
            _RawThoughtChunk("b"),
            _RawContentChunk("x"),
            _RawToolCallChunk(index=0, id="call_0", name="f", arguments_fragment='{"a": 1}'),
            _RawUsage(prompt_tokens=1, completion_tokens=2, total_tokens=3),
            _RawFinish("tool_calls", "stop"),
        ]
    )
    assert turn.content == "x"
    assert turn.thought == "ab"
    assert turn.tool_calls == [_RawToolCall(id="call_0", name="f", arguments='{"a": 1}')]
    assert turn.usage == _RawUsage(prompt_tokens=1, completion_tokens=2, total_tokens=3)
    assert turn.finish_reason == "tool_calls"


def test_turn_without_thinking_has_no_thought() -> None:
    assert turn_from_events([_RawContentChunk("x")]).thought is None
