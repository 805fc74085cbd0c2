"""``toki.engine``: raw backend events -> public chunks and the final ``TurnResult``.

Most tests drive a bare engine (``run_engine``) or a custom backend (``EventModel``) whose raw
events are scripted exactly, so the provider quirks the engine must absorb can be written down.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from typing import Any

import pytest
from toki.engine import raw_turn_events
from toki.errors import TokiResponseError, TokiToolArgumentsError, TokiToolCallTruncatedError
from toki.model import MixedTools
from toki.raw_events import (
    RawChunk,
    _RawContentChunk,
    _RawFinish,
    _RawThoughtChunk,
    _RawToolCall,
    _RawToolCallChunk,
    _RawTurn,
    _RawUsage,
)
from toki.tool_streams import TokiToolCallStream
from toki.types import (
    TokiThinking,
    TokiThoughtResponse,
    TokiToolCall,
    TokiToolFunction,
    TokiToolsThoughtResponse,
    TokiUsageMetadata,
)
from toki.warnings import TokiToolMismatchWarning
from toki_core_testkit import (
    LOOKUP,
    PATCH,
    USER,
    WEATHER,
    EventModel,
    Mode,
    describe,
    model_blocking,
    model_stream,
    run_engine,
    tool_calls_of,
)

Chunk = _RawToolCallChunk


def call(call_id: str, name: str, **arguments: Any) -> TokiToolCall:
    return TokiToolCall(id=call_id, function=TokiToolFunction(name=name, arguments=arguments))


async def pulled_at_each_chunk(
    model: EventModel, mode: Mode, tools: MixedTools | None = None
) -> list[tuple[object, int]]:
    """Each chunk with how many raw events the source had handed out when it was yielded."""
    seen: list[tuple[object, int]] = []
    await model_stream(model, mode, tools=tools, on_chunk=lambda chunk: seen.append((describe(chunk), model.pulled)))
    return seen


# ---------------------------------------------------------------------- keying calls by (index, id)


def test_interleaved_parallel_calls_are_assembled_by_index() -> None:
    events = [
        Chunk(index=0, id="a", name="get_weather", arguments_fragment='{"ci'),
        Chunk(index=1, id="b", name="lookup", arguments_fragment='{"que'),
        Chunk(index=1, arguments_fragment='ry": "rain"'),
        Chunk(index=0, arguments_fragment='ty": "Paris"}'),
        Chunk(index=1, arguments_fragment="}"),
    ]
    outputs, result = run_engine(events, tools=[WEATHER, LOOKUP])
    # Each static call is handed out when its own arguments close.
    assert outputs == [call("a", "get_weather", city="Paris"), call("b", "lookup", query="rain")]
    assert result.tool_calls == outputs
    assert result.finish_reason == "tool_calls"


def test_interleaved_streaming_and_static_calls() -> None:
    events = [
        Chunk(index=0, id="p", name="propose_patch", arguments_fragment='{"target": "a'),
        Chunk(index=1, id="w", name="get_weather", arguments_fragment='{"city": '),
        Chunk(index=0, arguments_fragment='b", "replacement": "c"}'),
        Chunk(index=1, arguments_fragment='"Oslo"}'),
    ]
    outputs, result = run_engine(events, tools=[PATCH, WEATHER])
    assert [describe(o) for o in outputs] == [
        ("tool_stream", "p", "propose_patch"),
        call("w", "get_weather", city="Oslo"),
    ]
    stream = outputs[0]
    assert isinstance(stream, TokiToolCallStream)
    assert stream.arguments == {"target": "ab", "replacement": "c"}
    assert result.tool_calls == [
        call("p", "propose_patch", target="ab", replacement="c"),
        call("w", "get_weather", city="Oslo"),
    ]


def test_a_new_id_on_a_finished_index_starts_a_new_call() -> None:
    events = [
        Chunk(index=0, id="a", name="get_weather", arguments_fragment='{"city": "A"}'),
        Chunk(index=0, id="b", name="get_weather", arguments_fragment='{"city": '),
        Chunk(index=0, arguments_fragment='"B"}'),
    ]
    outputs, result = run_engine(events, tools=[WEATHER])
    assert outputs == [call("a", "get_weather", city="A"), call("b", "get_weather", city="B")]
    assert result.tool_calls == outputs


def test_a_new_id_on_a_finished_index_with_empty_arguments_keeps_the_first_call() -> None:
    events = [
        Chunk(index=0, id="a", name="get_weather"),
        Chunk(index=0, id="b", name="lookup", arguments_fragment='{"query": "q"}'),
    ]
    outputs, _ = run_engine(events, tools=[WEATHER, LOOKUP])
    assert outputs == [call("a", "get_weather"), call("b", "lookup", query="q")]


def test_a_new_id_on_an_index_whose_arguments_are_still_open_reports_the_old_call_truncated() -> None:
    events = [
        Chunk(index=0, id="a", name="get_weather", arguments_fragment='{"city": "Pa'),
        Chunk(index=0, id="b", name="get_weather", arguments_fragment='{"city": "B"}'),
    ]
    with pytest.raises(TokiToolCallTruncatedError) as info:
        run_engine(events, tools=[WEATHER])
    assert info.value.tool_call_id == "a"
    assert info.value.partial_arguments == '{"city": "Pa'


def test_the_same_id_repeated_on_every_delta_continues_the_call() -> None:
    events = [
        Chunk(index=0, id="a", name="get_weather", arguments_fragment='{"city"'),
        Chunk(index=0, id="a", arguments_fragment=': "Rome"'),
        Chunk(index=0, id="a", arguments_fragment="}"),
    ]
    outputs, _ = run_engine(events, tools=[WEATHER])
    assert outputs == [call("a", "get_weather", city="Rome")]


def test_deltas_without_index_are_keyed_by_id() -> None:
    events = [
        Chunk(id="a", name="get_weather", arguments_fragment='{"city": "X'),
        Chunk(id="b", name="lookup", arguments_fragment='{"query": "Y"}'),
        Chunk(id="a", arguments_fragment='"}'),
    ]
    outputs, result = run_engine(events, tools=[WEATHER, LOOKUP])
    assert outputs == [call("b", "lookup", query="Y"), call("a", "get_weather", city="X")]
    assert result.tool_calls == [call("a", "get_weather", city="X"), call("b", "lookup", query="Y")]


def test_deltas_with_neither_index_nor_id_continue_the_latest_call() -> None:
    events = [
        Chunk(id="a", name="get_weather", arguments_fragment='{"city'),
        Chunk(arguments_fragment='": "Lima"}'),
    ]
    outputs, _ = run_engine(events, tools=[WEATHER])
    assert outputs == [call("a", "get_weather", city="Lima")]


def test_a_call_without_an_id_gets_a_unique_generated_one() -> None:
    events = [
        Chunk(index=0, name="get_weather", arguments_fragment='{"city": "A"}'),
        Chunk(index=1, name="get_weather", arguments_fragment='{"city": "B"}'),
    ]
    outputs, _ = run_engine(events, tools=[WEATHER])
    ids = [o.id for o in outputs if isinstance(o, TokiToolCall)]
    assert len(ids) == 2
    assert all(i for i in ids)
    assert ids[0] != ids[1]


# ---------------------------------------------------------------------- names


def test_the_name_may_arrive_after_the_first_argument_fragment() -> None:
    events = [
        Chunk(index=0, id="a", arguments_fragment='{"ci'),
        Chunk(index=0, name="get_weather", arguments_fragment='ty": "Paris"}'),
    ]
    outputs, _ = run_engine(events, tools=[WEATHER])
    assert outputs == [call("a", "get_weather", city="Paris")]


def test_a_streaming_call_named_late_keeps_the_argument_text_received_before_the_name() -> None:
    events = [
        Chunk(index=0, id="p", arguments_fragment='{"target": "ear'),
        Chunk(index=0, arguments_fragment="ly"),
        Chunk(index=0, name="propose_patch", arguments_fragment='", "replacement": "late"}'),
    ]
    outputs, _ = run_engine(events, tools=[PATCH])
    (stream,) = outputs
    assert isinstance(stream, TokiToolCallStream)
    assert stream.name == "propose_patch"
    assert "".join(stream.expect_arg("target")) == "early"
    assert "".join(stream.expect_arg("replacement")) == "late"


def test_a_name_repeated_on_later_deltas_is_not_doubled() -> None:
    # OpenRouter repeats the full name on every delta of a call.
    events = [
        Chunk(index=0, id="a", name="get_weather", arguments_fragment=""),
        Chunk(index=0, name="get_weather", arguments_fragment='{"city"'),
        Chunk(index=0, name="get_weather", arguments_fragment=': "Paris"}'),
    ]
    outputs, result = run_engine(events, tools=[WEATHER])
    assert outputs == [call("a", "get_weather", city="Paris")]
    assert result.tool_calls[0].function.name == "get_weather"


def test_a_name_repeated_before_any_arguments_is_not_doubled() -> None:
    events = [
        Chunk(index=0, id="a", name="get_weather"),
        Chunk(index=0, name="get_weather"),
        Chunk(index=0, name="get_weather", arguments_fragment='{"city": "P"}'),
    ]
    outputs, _ = run_engine(events, tools=[WEATHER])
    assert outputs == [call("a", "get_weather", city="P")]


def test_a_name_sent_in_pieces_before_the_arguments_is_joined() -> None:
    events = [
        Chunk(index=0, id="a", name="get_"),
        Chunk(index=0, name="weather"),
        Chunk(index=0, arguments_fragment='{"city": "P"}'),
    ]
    outputs, _ = run_engine(events, tools=[WEATHER])
    assert outputs == [call("a", "get_weather", city="P")]


# ---------------------------------------------------------------------- empty arguments

EMPTY_FRAGMENTS: dict[str, list[str | None]] = {
    "absent": [None],
    "empty string": [""],
    "whitespace": ["  ", "\n"],
    "empty object": ["{}"],
    "empty object in pieces": ["{", " ", "}"],
}


@pytest.mark.parametrize("fragments", list(EMPTY_FRAGMENTS.values()), ids=list(EMPTY_FRAGMENTS))
def test_empty_or_absent_arguments_are_an_empty_dict_when_streaming(fragments: list[str | None]) -> None:
    events = [Chunk(index=0, id="a", name="get_weather", arguments_fragment=fragments[0])]
    events += [Chunk(index=0, arguments_fragment=f) for f in fragments[1:]]
    outputs, result = run_engine(events, tools=[WEATHER])
    assert outputs == [call("a", "get_weather")]
    assert result.tool_calls == [call("a", "get_weather")]


@pytest.mark.parametrize("fragments", list(EMPTY_FRAGMENTS.values()), ids=list(EMPTY_FRAGMENTS))
def test_empty_or_absent_arguments_of_a_streaming_tool_are_an_empty_dict(fragments: list[str | None]) -> None:
    events = [Chunk(index=0, id="p", name="propose_patch", arguments_fragment=fragments[0])]
    events += [Chunk(index=0, arguments_fragment=f) for f in fragments[1:]]
    outputs, result = run_engine(events, tools=[PATCH])
    (stream,) = outputs
    assert isinstance(stream, TokiToolCallStream)
    assert stream.arguments == {}
    assert result.tool_calls == [call("p", "propose_patch")]


@pytest.mark.parametrize("arguments", [None, "", "   ", "{}", {}], ids=repr)
async def test_empty_or_absent_arguments_are_an_empty_dict_when_blocking(
    mode: Mode, arguments: str | dict[str, Any] | None
) -> None:
    model = EventModel(_RawTurn(tool_calls=[_RawToolCall(id="a", name="get_weather", arguments=arguments)]))
    response = await model_blocking(model, mode, tools=[WEATHER])
    assert tool_calls_of(response) == [call("a", "get_weather")]
    assert model.last_finish_reason == "tool_calls"


# ---------------------------------------------------------------------- surrogate pairs split across events


def test_surrogate_pairs_split_across_content_events_are_combined() -> None:
    outputs, result = run_engine([_RawContentChunk("a\ud83d"), _RawContentChunk("\ude00b")])
    assert outputs == ["a", "😀b"]
    assert result.content == "a😀b"


def test_a_surrogate_pair_alone_across_two_events_yields_one_chunk() -> None:
    outputs, result = run_engine([_RawContentChunk("\ud83d"), _RawContentChunk("\ude00")])
    assert outputs == ["😀"]
    assert result.content == "😀"


def test_surrogate_pairs_split_across_thinking_events_are_combined() -> None:
    events = [_RawThoughtChunk("\ud83d"), _RawThoughtChunk("\ude00!"), _RawContentChunk("ok")]
    outputs, result = run_engine(events, capture_thinking=True)
    assert outputs == [TokiThinking("😀!"), "ok"]
    assert result.thought == "😀!"


def test_thinking_is_dropped_unless_captured_without_disturbing_content() -> None:
    events = [
        _RawThoughtChunk("\ud83d"),
        _RawContentChunk("\ud83d"),
        _RawThoughtChunk("\ude00"),
        _RawContentChunk("\ude00"),
    ]
    outputs, result = run_engine(events, capture_thinking=False)
    assert outputs == ["😀"]
    assert result.thought == ""
    assert result.content == "😀"


def test_surrogates_are_joined_per_text_kind_not_across_kinds() -> None:
    events = [_RawContentChunk("\ud83d"), _RawThoughtChunk("\ude00"), _RawContentChunk("\ude00")]
    outputs, result = run_engine(events, capture_thinking=True)
    assert result.content == "😀"
    assert result.thought == "\ude00"
    assert outputs == [TokiThinking("\ude00"), "😀"]


def test_a_trailing_high_surrogate_is_flushed_at_the_end_not_dropped() -> None:
    outputs, result = run_engine([_RawContentChunk("end\ud83d")])
    assert outputs == ["end", "\ud83d"]
    assert result.content == "end\ud83d"


def test_surrogate_pairs_split_across_argument_fragments_are_combined() -> None:
    events = [
        Chunk(index=0, id="a", name="get_weather", arguments_fragment='{"city": "\ud83d'),
        Chunk(index=0, arguments_fragment='\ude00"}'),
    ]
    outputs, _ = run_engine(events, tools=[WEATHER])
    assert outputs == [call("a", "get_weather", city="😀")]


def test_surrogate_escapes_split_across_argument_fragments_stream_as_one_character() -> None:
    events = [
        Chunk(index=0, id="p", name="propose_patch", arguments_fragment='{"target": "x\\ud83d'),
        Chunk(index=0, arguments_fragment='\\ude00y", "replacement": ""}'),
    ]
    outputs, result = run_engine(events, tools=[PATCH])
    (stream,) = outputs
    assert isinstance(stream, TokiToolCallStream)
    assert list(stream.expect_arg("target")) == ["x", "😀y"]
    assert result.tool_calls[0].function.arguments == {"target": "x😀y", "replacement": ""}


# ---------------------------------------------------------------------- when chunks are yielded


async def test_a_static_call_is_yielded_as_soon_as_its_arguments_close(mode: Mode) -> None:
    model = EventModel(
        [
            _RawContentChunk("before "),
            Chunk(index=0, id="a", name="get_weather", arguments_fragment='{"city": '),
            Chunk(index=0, arguments_fragment='"Paris"}'),
            _RawContentChunk("after"),
            _RawContentChunk(" more"),
            _RawUsage(prompt_tokens=1, completion_tokens=2),
            _RawFinish("tool_calls"),
        ]
    )
    seen = await pulled_at_each_chunk(model, mode, [WEATHER])
    assert seen == [
        ("before ", 1),
        (call("a", "get_weather", city="Paris"), 3),  # before "after" was even pulled
        ("after", 4),
        (" more", 5),
    ]


async def test_a_streaming_call_is_yielded_as_soon_as_it_is_named(mode: Mode) -> None:
    model = EventModel(
        [
            Chunk(index=0, id="p", name="propose_patch", arguments_fragment=""),
            _RawContentChunk("x"),
            Chunk(index=0, arguments_fragment='{"target": "t", "replacement": "r"}'),
        ]
    )
    seen = await pulled_at_each_chunk(model, mode, [PATCH])
    assert seen[0] == (("tool_stream", "p", "propose_patch"), 1)


async def test_a_streaming_call_named_without_argument_text_is_yielded_by_its_first_fragment(mode: Mode) -> None:
    # A delta carrying only id+name may still be followed by more of the name, so the stream
    # is handed out once argument text starts (at the latest), never after later events.
    model = EventModel(
        [
            Chunk(index=0, id="p", name="propose_patch"),
            Chunk(index=0, arguments_fragment='{"target": '),
            _RawContentChunk("x"),
            Chunk(index=0, arguments_fragment='"t", "replacement": "r"}'),
        ]
    )
    seen = await pulled_at_each_chunk(model, mode, [PATCH])
    assert seen[0][0] == ("tool_stream", "p", "propose_patch")
    assert seen[0][1] <= 2


async def test_content_is_yielded_event_by_event(mode: Mode) -> None:
    model = EventModel([_RawContentChunk("a"), _RawContentChunk("b"), _RawContentChunk("c")])
    assert await pulled_at_each_chunk(model, mode) == [("a", 1), ("b", 2), ("c", 3)]


# ---------------------------------------------------------------------- no call silently dropped


def test_a_call_that_never_gets_a_name_is_an_error_not_dropped() -> None:
    with pytest.raises(TokiToolCallTruncatedError, match="never received a name") as info:
        run_engine([Chunk(index=0, id="a", arguments_fragment='{"city": "P"}')], tools=[WEATHER])
    assert info.value.tool_call_id == "a"


def test_every_call_of_a_many_call_turn_is_kept() -> None:
    events: list[RawChunk] = []
    for i in range(10):
        events.append(Chunk(index=i, id=f"c{i}", name="lookup", arguments_fragment='{"query": '))
    for i in reversed(range(10)):
        events.append(Chunk(index=i, arguments_fragment=f'"{i}"}}'))
    outputs, result = run_engine(events, tools=[LOOKUP])
    assert [o.id for o in outputs if isinstance(o, TokiToolCall)] == [f"c{i}" for i in reversed(range(10))]
    assert [c.id for c in result.tool_calls] == [f"c{i}" for i in range(10)]
    assert [c.function.arguments["query"] for c in result.tool_calls] == [str(i) for i in range(10)]


# ---------------------------------------------------------------------- truncated calls


async def test_a_stream_ending_inside_the_arguments_raises_and_never_yields_the_call(mode: Mode) -> None:
    model = EventModel(
        [
            _RawContentChunk("calling"),
            Chunk(index=0, id="a", name="get_weather", arguments_fragment='{"city": "Pa'),
        ]
    )
    chunks: list[object] = []

    async def collect() -> None:
        if mode == "sync":
            for chunk in model.complete(USER, [WEATHER], stream=True):
                chunks.append(chunk)
        else:
            async for chunk in model.acomplete(USER, [WEATHER], stream=True):
                chunks.append(chunk)

    with pytest.raises(TokiToolCallTruncatedError) as info:
        await collect()
    assert chunks == ["calling"]
    error = info.value
    assert isinstance(error, TokiResponseError)
    assert (error.tool_name, error.tool_call_id, error.partial_arguments) == ("get_weather", "a", '{"city": "Pa')
    assert error.provider == "events"
    assert "must not be executed" in str(error)
    assert model.last_usage is None  # the turn never completed


async def test_a_length_finish_while_arguments_are_open_raises_at_once(mode: Mode) -> None:
    model = EventModel(
        [
            Chunk(index=0, id="a", name="get_weather", arguments_fragment='{"city": "Pa'),
            _RawFinish("length"),
            _RawContentChunk("never pulled"),
        ]
    )
    with pytest.raises(TokiToolCallTruncatedError, match="token limit"):
        await model_stream(model, mode, tools=[WEATHER])
    assert model.pulled == 2


async def test_a_length_finish_after_complete_arguments_is_not_a_truncation(mode: Mode) -> None:
    model = EventModel(
        [Chunk(index=0, id="a", name="get_weather", arguments_fragment='{"city": "P"}'), _RawFinish("length")]
    )
    chunks = await model_stream(model, mode, tools=[WEATHER])
    assert chunks == [call("a", "get_weather", city="P")]
    assert model.last_finish_reason == "length"


async def test_a_truncated_streaming_call_fails_its_readers(mode: Mode) -> None:
    model = EventModel(
        [
            Chunk(index=0, id="p", name="propose_patch", arguments_fragment='{"target": "abc'),
            _RawFinish("length"),
        ]
    )
    errors: list[BaseException] = []

    async def read(stream: Any) -> None:
        from toki_core_testkit import expect, pieces

        try:
            await pieces(expect(stream, "target"))
        except TokiToolCallTruncatedError as exc:
            errors.append(exc)

    with pytest.raises(TokiToolCallTruncatedError):
        await model_stream(model, mode, tools=[PATCH], on_tool_stream=read)
    assert len(errors) == 1


@pytest.mark.parametrize("finish_reason", [None, "length"])
async def test_blocking_turns_with_cut_off_arguments_raise(mode: Mode, finish_reason: Any) -> None:
    model = EventModel(
        _RawTurn(
            tool_calls=[_RawToolCall(id="a", name="get_weather", arguments='{"city": "Pa')],
            finish_reason=finish_reason,
        )
    )
    with pytest.raises(TokiToolCallTruncatedError):
        await model_blocking(model, mode, tools=[WEATHER])


# ---------------------------------------------------------------------- invalid arguments

INVALID = {
    "syntax error": '{"city" "P"}',
    "bad literal": '{"city": Paris}',
    "top-level array": '["Paris"]',
    "trailing garbage": '{"city": "P"} x',
}


@pytest.mark.parametrize("text", list(INVALID.values()), ids=list(INVALID))
async def test_invalid_argument_json_raises_tool_arguments_error_when_streaming(mode: Mode, text: str) -> None:
    events: list[object] = [Chunk(index=0, id="a", name="get_weather", arguments_fragment=text[:5])]
    events += [Chunk(index=0, arguments_fragment=text[i : i + 5]) for i in range(5, len(text), 5)]
    model = EventModel(events)
    with pytest.raises(TokiToolArgumentsError) as info:
        await model_stream(model, mode, tools=[WEATHER])
    assert info.value.tool_name == "get_weather"
    assert text.startswith(info.value.raw_arguments[:8])
    assert isinstance(info.value, TokiResponseError)


@pytest.mark.parametrize("text", list(INVALID.values()), ids=list(INVALID))
async def test_invalid_argument_json_raises_tool_arguments_error_when_blocking(mode: Mode, text: str) -> None:
    model = EventModel(_RawTurn(tool_calls=[_RawToolCall(id="a", name="get_weather", arguments=text)]))
    with pytest.raises(TokiToolArgumentsError) as info:
        await model_blocking(model, mode, tools=[WEATHER])
    assert info.value.raw_arguments == text


def test_invalid_arguments_are_reported_at_the_fragment_that_breaks_them() -> None:
    model = EventModel(
        [
            Chunk(index=0, id="a", name="get_weather", arguments_fragment="{'city'"),
            _RawContentChunk("never pulled"),
        ]
    )
    with pytest.raises(TokiToolArgumentsError, match="position 1"):
        list(model.complete(USER, [WEATHER], stream=True))
    assert model.pulled == 1


def test_duplicate_argument_keys_keep_the_last_value_like_json_loads() -> None:
    events = [Chunk(index=0, id="a", name="get_weather", arguments_fragment='{"city": "A", "city": "B"}')]
    outputs, _ = run_engine(events, tools=[WEATHER])
    assert outputs == [call("a", "get_weather", city="B")]


# ---------------------------------------------------------------------- mismatch warnings


def test_a_tool_call_with_no_tools_configured_warns_and_is_still_reported() -> None:
    with pytest.warns(TokiToolMismatchWarning, match="no tools were given"):
        outputs, result = run_engine([Chunk(index=0, id="a", name="get_weather", arguments_fragment="{}")])
    assert outputs == [call("a", "get_weather")]
    assert result.tool_calls == outputs


def test_an_unknown_tool_name_warns_and_is_delivered_as_a_static_call() -> None:
    events = [Chunk(index=0, id="a", name="launch_rockets", arguments_fragment='{"n": 3}')]
    with pytest.warns(TokiToolMismatchWarning, match="launch_rockets") as record:
        outputs, _ = run_engine(events, tools=[WEATHER, PATCH])
    assert len(record) == 1
    assert "get_weather" in str(record[0].message)
    assert outputs == [call("a", "launch_rockets", n=3)]


def test_parallel_calls_warn_per_extra_call_when_not_allowed() -> None:
    events = [Chunk(index=i, id=f"c{i}", name="lookup", arguments_fragment='{"query": "q"}') for i in range(3)]
    with pytest.warns(TokiToolMismatchWarning, match="allow_parallel_tool_calls") as record:
        outputs, _ = run_engine(events, tools=[LOOKUP], allow_parallel_tool_calls=False)
    assert len(record) == 2  # the 2nd and the 3rd call
    assert "2 tool calls" in str(record[0].message)
    assert len(outputs) == 3


def test_parallel_calls_do_not_warn_when_allowed() -> None:
    events = [Chunk(index=i, id=f"c{i}", name="lookup", arguments_fragment='{"query": "q"}') for i in range(2)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outputs, _ = run_engine(events, tools=[LOOKUP], allow_parallel_tool_calls=True)
    assert len(outputs) == 2


async def test_model_allow_parallel_tool_calls_reaches_the_engine(mode: Mode) -> None:
    turn = [Chunk(index=i, id=f"c{i}", name="lookup", arguments_fragment='{"query": "q"}') for i in range(2)]
    strict = EventModel(turn, allow_parallel_tool_calls=False)
    with pytest.warns(TokiToolMismatchWarning):
        await model_stream(strict, mode, tools=[LOOKUP])
    relaxed = EventModel(turn, allow_parallel_tool_calls=True)
    assert len(await model_stream(relaxed, mode, tools=[LOOKUP])) == 2


# ---------------------------------------------------------------------- usage and finish reason


def test_usage_reports_are_merged_later_fields_winning() -> None:
    events: list[RawChunk] = [
        _RawUsage(prompt_tokens=100, completion_tokens=1, cache_read_tokens=40),
        _RawContentChunk("hi"),
        _RawUsage(completion_tokens=25, reasoning_tokens=5),
    ]
    _, result = run_engine(events)
    assert result.usage == TokiUsageMetadata(
        prompt_tokens=100, completion_tokens=25, total_tokens=125, cache_read_tokens=40, reasoning_tokens=5
    )


def test_a_total_from_an_earlier_usage_report_is_recomputed_when_a_later_one_changes_the_counts() -> None:
    # Regression: the first report's total (11) used to survive a later completion count.
    events: list[RawChunk] = [
        _RawUsage(prompt_tokens=10, completion_tokens=1, total_tokens=11),
        _RawUsage(completion_tokens=30),
    ]
    _, result = run_engine(events)
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens, result.usage.total_tokens) == (10, 30, 40)


def test_an_explicit_later_total_wins() -> None:
    events: list[RawChunk] = [_RawUsage(prompt_tokens=10, completion_tokens=1), _RawUsage(total_tokens=99)]
    _, result = run_engine(events)
    assert result.usage == TokiUsageMetadata(prompt_tokens=10, completion_tokens=1, total_tokens=99)


def test_no_usage_report_means_no_usage() -> None:
    _, result = run_engine([_RawContentChunk("hi")])
    assert result.usage is None


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([_RawContentChunk("hi")], "stop"),
        ([Chunk(index=0, id="a", name="get_weather", arguments_fragment="{}")], "tool_calls"),
        ([_RawContentChunk("hi"), _RawFinish("content_filter", raw="SAFETY")], "content_filter"),
        ([_RawContentChunk("hi"), _RawFinish("length")], "length"),
        ([Chunk(index=0, id="a", name="get_weather", arguments_fragment="{}"), _RawFinish("stop")], "stop"),
        ([_RawFinish("other"), _RawContentChunk("x")], "other"),
    ],
    ids=["default stop", "default tool_calls", "explicit content_filter", "length", "explicit wins", "other"],
)
def test_finish_reason(events: Sequence[RawChunk], expected: str) -> None:
    _, result = run_engine(events, tools=[WEATHER])
    assert result.finish_reason == expected


def test_a_non_event_is_rejected() -> None:
    with pytest.raises(TypeError, match="not a raw toki event"):
        run_engine(["plain text"])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]  # on purpose


# ---------------------------------------------------------------------- blocking = the same engine


def test_raw_turn_events_replays_a_turn_in_stream_order() -> None:
    usage = _RawUsage(prompt_tokens=3)
    turn = _RawTurn(
        content="text",
        thought="hmm",
        tool_calls=[
            _RawToolCall(id="a", name="f", arguments={"é": "😀"}),
            _RawToolCall(id=None, name="g", arguments=None),
        ],
        usage=usage,
        finish_reason="tool_calls",
    )
    assert raw_turn_events(turn) == [
        _RawThoughtChunk("hmm"),
        _RawContentChunk("text"),
        Chunk(index=0, id="a", name="f", arguments_fragment=json.dumps({"é": "😀"}, ensure_ascii=False)),
        Chunk(index=1, id=None, name="g", arguments_fragment=""),
        usage,
        _RawFinish("tool_calls"),
    ]
    assert raw_turn_events(_RawTurn()) == []


async def test_blocking_and_streaming_agree_on_a_raw_turn(mode: Mode) -> None:
    turn = _RawTurn(
        content="Let me check.",
        thought="user wants weather",
        tool_calls=[_RawToolCall(id="a", name="get_weather", arguments='{"city": "Oslo"}')],
        usage=_RawUsage(prompt_tokens=5, completion_tokens=7),
    )
    blocking_model = EventModel(turn)
    response = await model_blocking(blocking_model, mode, tools=[WEATHER], capture_thinking=True)
    streaming_model = EventModel(raw_turn_events(turn))
    chunks = await model_stream(streaming_model, mode, tools=[WEATHER], capture_thinking=True)

    assert chunks == [TokiThinking("user wants weather"), "Let me check.", call("a", "get_weather", city="Oslo")]
    assert tool_calls_of(response) == [c for c in chunks if isinstance(c, TokiToolCall)]
    assert isinstance(response, TokiToolsThoughtResponse)
    assert response.content == "".join(c for c in chunks if isinstance(c, str))
    assert response.thought == "user wants weather"
    assert blocking_model.last_usage == streaming_model.last_usage == TokiUsageMetadata(5, 7, 12)
    assert blocking_model.last_finish_reason == streaming_model.last_finish_reason == "tool_calls"


async def test_thinking_only_turn_blocking(mode: Mode) -> None:
    model = EventModel(_RawTurn(thought="deep"))
    response = await model_blocking(model, mode, capture_thinking=True)
    assert response == TokiThoughtResponse(content="", thought="deep")


def test_length_finish_truncates_a_named_call_without_arguments() -> None:
    from toki.engine import StreamEngine
    from toki.errors import TokiToolCallTruncatedError
    from toki.raw_events import _RawFinish, _RawToolCallChunk  # pyright: ignore[reportPrivateUsage]

    engine = StreamEngine(
        tools=None, capture_thinking=False, allow_parallel_tool_calls=False, make_tool_stream=lambda call: call
    )
    engine.feed(_RawToolCallChunk(index=0, id="call_1", name="get_weather"))
    with pytest.raises(TokiToolCallTruncatedError, match="token limit"):
        engine.feed(_RawFinish("length"))
    assert engine.public_calls() == []
