"""The translator from worker items to raw events, and folding events into a blocking turn."""

from __future__ import annotations

import pytest
from toki.errors import TokiInputError, TokiResponseError, TokiToolCallTruncatedError
from toki.model import _RawContentChunk, _RawFinish, _RawThoughtChunk, _RawToolCall, _RawToolCallChunk, _RawUsage
from toki_local.events import EventTranslator, Failed, Finished, Item, Started, fold_turn

CALL = '<tool_call>\n{"name": "f", "arguments": {"a": 1}}\n</tool_call>'


def translate(items: list[Item]) -> list[object]:
    translator = EventTranslator()
    return [event for item in items for event in translator.translate(item)]


def test_text_then_usage_and_finish() -> None:
    events = translate([Started(10, False), "Hel", "lo", Finished(3, "stop")])
    assert events == [
        _RawContentChunk("Hel"),
        _RawContentChunk("lo"),
        _RawUsage(prompt_tokens=10, completion_tokens=3, total_tokens=13),
        _RawFinish("stop", raw="stop"),
    ]


def test_a_prompt_opened_think_starts_in_thinking() -> None:
    events = translate([Started(1, True), "why</think>", "answer", Finished(2, "stop")])
    assert events[:2] == [_RawThoughtChunk("why"), _RawContentChunk("answer")]


def test_tool_calls_finish_with_tool_calls() -> None:
    events = translate([Started(1, False), CALL, Finished(9, "stop")])
    assert events[-1] == _RawFinish("tool_calls", raw="stop")


def test_the_token_limit_keeps_length_and_truncates_an_open_call() -> None:
    assert translate([Started(1, False), "abc", Finished(3, "length")])[-1] == _RawFinish("length", raw="length")
    with pytest.raises(TokiToolCallTruncatedError, match="token limit"):
        translate([Started(1, False), '<tool_call>{"name": "f", "arguments": {"a', Finished(3, "length")])


def test_a_failure_is_raised_as_a_toki_error() -> None:
    with pytest.raises(TokiResponseError, match="RuntimeError: boom") as caught:
        translate([Started(1, False), "a", Failed(RuntimeError("boom"))])
    assert isinstance(caught.value.__cause__, RuntimeError)
    with pytest.raises(TokiInputError, match="too long"):
        translate([Failed(ValueError("too long"))])
    error = TokiInputError("bad template")
    with pytest.raises(TokiInputError) as same:
        translate([Failed(error)])
    assert same.value is error


def test_interrupts_are_not_wrapped() -> None:
    with pytest.raises(KeyboardInterrupt):
        translate([Failed(KeyboardInterrupt())])


def test_fold_turn_assembles_a_blocking_turn() -> None:
    usage = _RawUsage(prompt_tokens=1, completion_tokens=2, total_tokens=3)
    turn = fold_turn(
        [
            _RawThoughtChunk("th"),
            _RawThoughtChunk("ink"),
            _RawContentChunk("an"),
            _RawContentChunk("swer"),
            _RawToolCallChunk(index=0, name="f"),
            _RawToolCallChunk(index=0, arguments_fragment='{"a"'),
            _RawToolCallChunk(index=0, arguments_fragment=": 1}"),
            _RawToolCallChunk(index=1, arguments_fragment="{}"),
            _RawToolCallChunk(index=1, name="g"),
            usage,
            _RawFinish("tool_calls"),
        ]
    )
    assert turn.content == "answer" and turn.thought == "think"
    assert turn.tool_calls == [_RawToolCall(None, "f", '{"a": 1}'), _RawToolCall(None, "g", "{}")]
    assert turn.usage == usage and turn.finish_reason == "tool_calls"


def test_fold_turn_without_thinking_has_no_thought() -> None:
    assert fold_turn([_RawContentChunk("x")]).thought is None
