"""The output splitter: thinking, answer and tool-call envelopes, under every chunking.

Each case is run whole, split at every offset, one character at a time, and under random
chunkings (hypothesis); all must give the same result. That covers tags split anywhere.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from toki.errors import TokiResponseError, TokiToolCallTruncatedError
from toki.model import RawChunk, _RawContentChunk, _RawThoughtChunk, _RawToolCallChunk
from toki_local.splitter import OutputSplitter


@dataclass
class Split:
    """What a run of the splitter produced, merged."""

    content: str = ""
    thought: str = ""
    calls: list[tuple[str | None, str]] = field(default_factory=lambda: list[tuple[str | None, str]]())


def summarize(events: Sequence[RawChunk]) -> Split:
    out = Split()
    names: dict[int, str] = {}
    arguments: dict[int, list[str]] = {}
    for event in events:
        if isinstance(event, _RawContentChunk):
            assert event.text, "no empty content events"
            out.content += event.text
        elif isinstance(event, _RawThoughtChunk):
            assert event.text, "no empty thought events"
            out.thought += event.text
        else:
            assert isinstance(event, _RawToolCallChunk)
            assert event.index is not None and event.id is None
            assert event.index == len(arguments) - 1 or event.index == len(arguments), "indices are sequential"
            arguments.setdefault(event.index, [])
            if event.name is not None:
                assert event.index not in names, "a call's name is sent once"
                names[event.index] = event.name
            if event.arguments_fragment is not None:
                arguments[event.index].append(event.arguments_fragment)
    out.calls = [(names.get(index), "".join(parts)) for index, parts in sorted(arguments.items())]
    return out


def run(pieces: Sequence[str], *, thinking_open: bool = False, token_limit: bool = False) -> Split:
    splitter = OutputSplitter(thinking_open=thinking_open)
    events: list[RawChunk] = []
    for piece in pieces:
        events += splitter.feed(piece)
    events += splitter.finish(token_limit=token_limit)
    return summarize(events)


def chunkings(text: str) -> list[list[str]]:
    """The whole text, every two-piece split, and one character at a time."""
    out = [[text], list(text)]
    out.extend([text[:cut], text[cut:]] for cut in range(len(text) + 1))
    return out


ENVELOPE = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
TRICKY_ARGUMENTS = {
    "code": 'if x: {"a": [1, {"b": "}"}]}',
    "note": 'say "</tool_call>" and \\ then }',
    "nested": {"list": [1, 2.5, True, None, {"deep": "]}"}]},
    "unicode": "héllo 😀 中文",
}

# (name, text, thinking_open, expected)
CASES: list[tuple[str, str, bool, Split]] = [
    ("plain", "Hello there!", False, Split(content="Hello there!")),
    ("leading whitespace dropped", " \n\tHello", False, Split(content="Hello")),
    ("inner and trailing whitespace kept", "a\n\nb  c\n", False, Split(content="a\n\nb  c\n")),
    ("unicode", "héllo 😀 中文 <b>", False, Split(content="héllo 😀 中文 <b>")),
    (
        "thinking then answer",
        "<think>\nTwo plus two.\n</think>\n\nThe answer is 4.",
        False,
        Split(content="The answer is 4.", thought="Two plus two."),
    ),
    (
        "thinking after leading whitespace",
        "\n <think>Hm, yes.</think>Yes.",
        False,
        Split(content="Yes.", thought="Hm, yes."),
    ),
    (
        "thinking opened by the prompt",
        "Reason.\n</think>\n\nAnswer.",
        True,
        Split(content="Answer.", thought="Reason."),
    ),
    ("empty thinking", "<think>\n\n</think>\n\nAnswer", False, Split(content="Answer")),
    ("unclosed thinking stays thinking", "<think>still going\n", False, Split(thought="still going")),
    ("unclosed prompt-opened thinking", "still going", True, Split(thought="still going")),
    (
        "tags inside thinking are thinking",
        "<think>a <think> b <tool_call> c</think>d",
        False,
        Split(content="d", thought="a <think> b <tool_call> c"),
    ),
    (
        "a later <think> is answer text",
        "Use <think> tags.\n<think>x</think> ok",
        False,
        Split(content="Use <think> tags.\n<think>x</think> ok"),
    ),
    ("</think> without thinking is text", "a </think> b", False, Split(content="a </think> b")),
    ("not quite a think tag", "<thinking>no</thinking>", False, Split(content="<thinking>no</thinking>")),
    ("a partial tag at the end is text", "Hello <tool_ca", False, Split(content="Hello <tool_ca")),
    ("a partial think tag alone is text", "<thi", False, Split(content="<thi")),
    ("a tool call", ENVELOPE, False, Split(calls=[("get_weather", '{"city": "Paris"}')])),
    (
        "text, a call, text",
        "Let me check.\n\n" + ENVELOPE + "\n\nDone here.",
        False,
        Split(content="Let me check.Done here.", calls=[("get_weather", '{"city": "Paris"}')]),
    ),
    (
        "thinking then a call",
        "<think>Need weather.</think>\n" + ENVELOPE,
        False,
        Split(thought="Need weather.", calls=[("get_weather", '{"city": "Paris"}')]),
    ),
    (
        "parallel calls",
        ENVELOPE + "\n" + ENVELOPE.replace("Paris", "Rome"),
        False,
        Split(calls=[("get_weather", '{"city": "Paris"}'), ("get_weather", '{"city": "Rome"}')]),
    ),
    (
        "arguments with braces, brackets, tags and escapes inside strings",
        '<tool_call>{"name": "f", "arguments": ' + json.dumps(TRICKY_ARGUMENTS) + "}</tool_call>",
        False,
        Split(calls=[("f", json.dumps(TRICKY_ARGUMENTS))]),
    ),
    (
        "unescaped unicode arguments",
        '<tool_call>{"name": "f", "arguments": ' + json.dumps(TRICKY_ARGUMENTS, ensure_ascii=False) + "}</tool_call>",
        False,
        Split(calls=[("f", json.dumps(TRICKY_ARGUMENTS, ensure_ascii=False))]),
    ),
    (
        "name after the arguments",
        '<tool_call>{"arguments": {"x": 1}, "name": "f"}</tool_call>',
        False,
        Split(calls=[("f", '{"x": 1}')]),
    ),
    (
        "parameters key",
        '<tool_call>{"name": "f", "parameters": {"x": [1]}}</tool_call>',
        False,
        Split(calls=[("f", '{"x": [1]}')]),
    ),
    (
        "string-encoded arguments are decoded",
        '<tool_call>{"name": "f", "arguments": "{\\"x\\": \\"}\\"}"}</tool_call>',
        False,
        Split(calls=[("f", '{"x": "}"}')]),
    ),
    ("no arguments", '<tool_call>{"name": "now"}</tool_call>', False, Split(calls=[("now", "{}")])),
    (
        "other members are skipped",
        '<tool_call>{"id": 12, "name": "f", "meta": {"k": [true, null]}, "arguments": {}}</tool_call>',
        False,
        Split(calls=[("f", "{}")]),
    ),
    (
        "escaped name",
        '<tool_call>{"name": "f\\u00e9", "arguments": {}}</tool_call>',
        False,
        Split(calls=[("fé", "{}")]),
    ),
    (
        "scalar arguments are passed on",
        '<tool_call>{"name": "f", "arguments": null}</tool_call>',
        False,
        Split(calls=[("f", "null")]),
    ),
    (
        "missing closing tag after a complete envelope",
        '<tool_call>{"name": "f", "arguments": {"a": 1}}\n',
        False,
        Split(calls=[("f", '{"a": 1}')]),
    ),
    (
        "missing final brace before the closing tag",
        '<tool_call>{"name": "f", "arguments": {"a": 1}\n</tool_call>after',
        False,
        Split(content="after", calls=[("f", '{"a": 1}')]),
    ),
    ("not an envelope", "<tool_call> maybe later", False, Split(content="<tool_call> maybe later")),
    ("a lone opening tag at the end", "Calling <tool_call>\n", False, Split(content="Calling <tool_call>\n")),
]


@pytest.mark.parametrize(("text", "thinking_open", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_chunking_gives_the_expected_split(text: str, thinking_open: bool, expected: Split) -> None:
    for pieces in chunkings(text):
        assert run(pieces, thinking_open=thinking_open) == expected, pieces


@settings(max_examples=300, deadline=None)
@given(case=st.sampled_from(CASES), cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_random_chunkings(case: tuple[str, str, bool, Split], cuts: list[int]) -> None:
    _, text, thinking_open, expected = case
    points = sorted({min(cut, len(text)) for cut in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    assert run(pieces, thinking_open=thinking_open) == expected


def test_arguments_stream_as_they_are_generated() -> None:
    splitter = OutputSplitter()
    assert splitter.feed('<tool_call>\n{"name": "f", ') == [_RawToolCallChunk(index=0, name="f")]
    assert splitter.feed('"arguments": {"text": "Hel') == [
        _RawToolCallChunk(index=0, arguments_fragment="{"),
        _RawToolCallChunk(index=0, arguments_fragment='"text": "Hel'),
    ]
    assert splitter.feed('lo"}}') == [_RawToolCallChunk(index=0, arguments_fragment='lo"}')]
    assert splitter.feed("\n</tool_") == []
    assert splitter.feed("call>") == []
    assert splitter.finish() == []
    assert splitter.tool_calls == 1


def test_text_is_emitted_chunk_by_chunk_not_per_character() -> None:
    splitter = OutputSplitter()
    assert splitter.feed("a" * 10_000) == [_RawContentChunk("a" * 10_000)]
    assert splitter.feed("<think>" + "b" * 100) == [_RawContentChunk("<think>" + "b" * 100)]


def test_a_possible_tag_is_held_back_only_as_long_as_needed() -> None:
    splitter = OutputSplitter()
    assert splitter.feed("Hello <tool") == [_RawContentChunk("Hello")]  # " <tool" might be a call
    assert splitter.feed("box> ok") == [_RawContentChunk(" <toolbox> ok")]


TRUNCATIONS = [
    ("inside the arguments", '<tool_call>{"name": "f", "arguments": {"a": "par', "f", '{"a": "par'),
    ("before the arguments", '<tool_call>{"name": "f", "argu', "f", ""),
    ("before the name", '<tool_call>{"na', None, ""),
    ("inside a string-encoded arguments value", '<tool_call>{"name": "f", "arguments": "{\\"a', "f", ""),
]


@pytest.mark.parametrize(("text", "name", "partial"), [t[1:] for t in TRUNCATIONS], ids=[t[0] for t in TRUNCATIONS])
@pytest.mark.parametrize("token_limit", [False, True])
def test_a_call_cut_off_at_the_end_is_truncated(text: str, name: str | None, partial: str, token_limit: bool) -> None:
    for pieces in chunkings(text):
        splitter = OutputSplitter()
        for piece in pieces:
            splitter.feed(piece)
        with pytest.raises(TokiToolCallTruncatedError) as caught:
            splitter.finish(token_limit=token_limit)
        assert caught.value.tool_name == name
        assert caught.value.partial_arguments == partial
        assert ("token limit" in str(caught.value)) is token_limit


MALFORMED = [
    ("no colon", '<tool_call>{"name" "f"}</tool_call>'),
    ("bare word key", "<tool_call>{name: 1}</tool_call>"),
    ("name is not a string", '<tool_call>{"name": 3, "arguments": {}}</tool_call>'),
    ("empty name", '<tool_call>{"name": "", "arguments": {}}</tool_call>'),
    ("garbage after the value", '<tool_call>{"name": "f", "arguments": {} x}</tool_call>'),
    ("garbage instead of the closing tag", '<tool_call>{"name": "f", "arguments": {}} oops'),
    ("no name at all", '<tool_call>{"arguments": {"a": 1}}</tool_call>'),
    ("invalid string escape in the name", '<tool_call>{"name": "\\q", "arguments": {}}</tool_call>'),
]


@pytest.mark.parametrize("text", [m[1] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_a_malformed_envelope_is_a_response_error(text: str) -> None:
    for pieces in chunkings(text):
        with pytest.raises(TokiResponseError, match="malformed <tool_call>"):
            run(pieces)


def test_scalar_arguments_must_be_objects_for_the_engine_but_are_reported_verbatim() -> None:
    # The engine rejects a non-object; the splitter only has to pass the text on unchanged.
    assert run(['<tool_call>{"name": "f", "arguments": 12}</tool_call>']).calls == [("f", "12")]


def _timed(pieces: list[str]) -> float:
    # CPU time of this process: other processes on a shared machine disturb it less than wall time.
    start = time.process_time()
    splitter = OutputSplitter()
    for piece in pieces:
        splitter.feed(piece)
    splitter.finish()
    return time.process_time() - start


def _call_in_pieces(size: int, piece: int) -> list[str]:
    value = ('x}"\\ ' * (size // 5))[:size]
    text = '<tool_call>{"name": "f", "arguments": ' + json.dumps({"v": value}) + "}</tool_call>"
    return [text[i : i + piece] for i in range(0, len(text), piece)]


def test_work_is_linear_in_the_output_size() -> None:
    small = _timed(_call_in_pieces(250_000, 10))
    large = _timed(_call_in_pieces(1_000_000, 10))
    assert large < 8 * small + 0.05  # 4x the input: linear is 4x, quadratic would be 16x
    assert large < 5.0


def test_thinking_and_content_are_linear_too() -> None:
    def pieces(size: int) -> list[str]:
        text = "<think>" + "a <b " * (size // 5) + "</think>" + "c <d " * (size // 5)
        return [text[i : i + 7] for i in range(0, len(text), 7)]

    small = _timed(pieces(200_000))
    large = _timed(pieces(800_000))
    assert large < 8 * small + 0.05
