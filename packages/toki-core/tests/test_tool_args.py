"""``toki.tool_args.ArgumentSplitter``: the push parser that splits streamed tool-argument JSON per argument."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toki.tool_args import ArgumentSplitter, ArgumentSyntaxError


class RecordingSink:
    """Records what the splitter reports, and checks the start/piece/end protocol on the way."""

    def __init__(self) -> None:
        self.args: dict[str, tuple[bool, list[str]]] = {}
        self.order: list[str] = []
        self.ended: list[str] = []
        self._current: str | None = None

    def arg_start(self, name: str, is_string: bool) -> None:
        assert self._current is None, f"{name!r} started while {self._current!r} is still open"
        self._current = name
        self.args[name] = (is_string, [])
        self.order.append(name)

    def arg_piece(self, text: str) -> None:
        assert self._current is not None, "a piece outside any argument"
        if text:  # the splitter may report an empty piece (whitespace before a '}'); the engine drops those
            self.args[self._current][1].append(text)

    def arg_end(self) -> None:
        assert self._current is not None, "arg_end outside any argument"
        self.ended.append(self._current)
        self._current = None

    def joined(self) -> dict[str, tuple[bool, str]]:
        return {name: (is_string, "".join(parts)) for name, (is_string, parts) in self.args.items()}

    def decoded(self) -> dict[str, Any]:
        """Each argument's value: string pieces joined, raw pieces parsed as JSON."""
        return {
            name: text if is_string else json.loads(text, strict=False)
            for name, (is_string, text) in self.joined().items()
        }


def split(text: str, fragments: list[str]) -> tuple[ArgumentSplitter, RecordingSink]:
    assert "".join(fragments) == text
    sink = RecordingSink()
    splitter = ArgumentSplitter(sink)
    for fragment in fragments:
        splitter.feed(fragment)
    return splitter, sink


def cut(text: str, points: list[int]) -> list[str]:
    bounds = [0, *sorted({p for p in points if 0 < p < len(text)}), len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


# ---------------------------------------------------------------------- the property test

# Characters that stress the string scanner: quotes, backslashes, control characters, the JSON
# "escape-looking" letters, non-BMP characters (escaped as surrogate pairs with ensure_ascii).
_TRICKY = ['"', "\\", "/", "\n", "\t", "\b", "\x00", "\x1f", "\x7f", "u", "d", "8", "é", "\u2028", "😀", "\U0010ffff"]
# Whole substrings that look like escapes once JSON-encoded (``\\ud83d`` is a backslash + text).
_TRICKY_RUNS = ["\\ud83d", "\\u00e9", "\\\\", '\\"', "\\n", "😀😀", "a\\", "}", "]", ",", ":"]

_chars = st.one_of(st.characters(exclude_categories=("Cs",)), st.sampled_from(_TRICKY))
json_strings = st.lists(st.one_of(_chars, st.sampled_from(_TRICKY_RUNS)), max_size=12).map("".join)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    json_strings,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(json_strings, children, max_size=4)),
    max_leaves=12,
)
argument_dicts = st.dictionaries(json_strings, json_values, max_size=6)
dump_options = st.fixed_dictionaries(
    {
        "ensure_ascii": st.booleans(),
        "separators": st.sampled_from([None, (",", ":"), (", ", ": "), (" ,\n", " :\t")]),
        "indent": st.sampled_from([None, 0, 2, "\t"]),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arguments=argument_dicts, options=dump_options, padding=st.sampled_from(["", " ", "\n\t "]), data=st.data())
def test_random_fragmentation_reassembles_every_argument(
    arguments: dict[str, Any], options: dict[str, Any], padding: str, data: st.DataObject
) -> None:
    text = padding + json.dumps(arguments, **options) + padding
    points = data.draw(st.lists(st.integers(min_value=0, max_value=len(text)), max_size=20), label="cut points")

    splitter, sink = split(text, cut(text, points))

    assert splitter.closed
    assert splitter.text == text
    assert sink.order == list(arguments)
    assert sink.ended == list(arguments)
    for name, expected in arguments.items():
        is_string, joined = sink.joined()[name]
        assert is_string == isinstance(expected, str), name
        if is_string:
            assert joined == expected  # decoded pieces join to the value
        else:
            assert json.loads(joined) == expected  # raw pieces are the value's JSON text
    # One character at a time gives the same arguments.
    _, one_by_one = split(text, list(text))
    assert one_by_one.decoded() == sink.decoded()


# ---------------------------------------------------------------------- escapes split everywhere

ESCAPE_CASES = {
    "newline": ('{"s": "a\\nb"}', "a\nb"),
    "unicode escape": ('{"s": "x\\u00e9y"}', "xéy"),
    "surrogate pair escapes": ('{"s": "<\\ud83d\\ude00>"}', "<😀>"),
    "escaped backslash then ud83d text": ('{"s": "\\\\ud83d"}', "\\ud83d"),
    "escaped backslash then a real pair": ('{"s": "\\\\\\ud83d\\ude00"}', "\\😀"),
    "three backslashes then ud83d text": ('{"s": "\\\\\\\\ud83d"}', "\\\\ud83d"),
    "escaped quote": ('{"s": "say \\"hi\\""}', 'say "hi"'),
    "lone high surrogate escape": ('{"s": "\\ud83dx"}', "\ud83dx"),
    "all short escapes": ('{"s": "\\"\\\\\\/\\b\\f\\n\\r\\t"}', '"\\/\b\f\n\r\t'),
}


@pytest.mark.parametrize(("text", "expected"), list(ESCAPE_CASES.values()), ids=list(ESCAPE_CASES))
def test_escapes_split_at_every_offset(text: str, expected: str) -> None:
    assert json.loads(text)["s"] == expected  # the case itself is right
    for first in range(len(text) + 1):
        for second in range(first, len(text) + 1):
            splitter, sink = split(text, cut(text, [first, second]))
            assert splitter.closed
            assert sink.joined() == {"s": (True, expected)}, (first, second)


def test_a_high_surrogate_escape_is_held_back_until_its_low_half_arrives() -> None:
    sink = RecordingSink()
    splitter = ArgumentSplitter(sink)
    splitter.feed('{"s": "ab\\ud83d')
    # "ab" is reported now; the high half is not decoded on its own (that would leave a lone surrogate).
    assert sink.args["s"][1] == ["ab"]
    splitter.feed('\\ude00c"}')
    assert sink.args["s"][1] == ["ab", "😀c"]
    assert "\ud83d" not in "".join(sink.args["s"][1])


def test_literal_text_ud83d_after_an_escaped_backslash_is_not_held_or_decoded() -> None:
    sink = RecordingSink()
    splitter = ArgumentSplitter(sink)
    splitter.feed('{"s": "\\\\ud83d')  # escaped backslash, then the letters u d 8 3 d
    assert "".join(sink.args["s"][1]) == "\\ud83d"
    splitter.feed('"}')
    assert sink.joined() == {"s": (True, "\\ud83d")}


def test_partial_escapes_are_carried_not_decoded_early() -> None:
    sink = RecordingSink()
    splitter = ArgumentSplitter(sink)
    splitter.feed('{"s": "a\\')
    splitter.feed("u00")
    assert "".join(sink.args["s"][1]) == "a"
    splitter.feed('e9"}')
    assert sink.joined() == {"s": (True, "aé")}


def test_raw_control_characters_inside_strings_are_tolerated() -> None:
    # Models routinely put raw newlines/tabs in string arguments.
    _, sink = split('{"s": "line1\nline2\tend"}', ['{"s": "line1\n', 'line2\tend"}'])
    assert sink.decoded() == {"s": "line1\nline2\tend"}


def test_keys_with_escapes_split_everywhere() -> None:
    text = '{"k\\u00e9\\ud83d\\ude00\\"": 1, "plain": "v"}'
    for point in range(len(text) + 1):
        _, sink = split(text, cut(text, [point]))
        assert sink.decoded() == {'ké😀"': 1, "plain": "v"}, point


def test_whitespace_inside_keys_is_kept_however_the_key_is_split() -> None:
    # Regression: the whitespace skipper used to run inside keys, so " a b " became "a b " or
    # "ab " depending on where the fragments were cut.
    text = '{" a b ": 1, "  ": "v"}'
    for first in range(len(text) + 1):
        for second in range(first, len(text) + 1):
            _, sink = split(text, cut(text, [first, second]))
            assert sink.order == [" a b ", "  "], (first, second)
            assert sink.decoded() == {" a b ": 1, "  ": "v"}


def test_nested_strings_inside_raw_values_may_contain_structural_characters() -> None:
    text = '{"a": [1, "x,}]\\"{", {"b": "\\\\"}], "c": {"d": "]"}, "e": 2}'
    expected = json.loads(text)
    for point in range(len(text) + 1):
        _, sink = split(text, cut(text, [point]))
        assert sink.decoded() == expected, point
        assert [name for name, (is_string, _) in sink.joined().items() if is_string] == []


def test_duplicate_keys_are_reported_twice() -> None:
    # The splitter reports what it reads; the engine applies json.loads' "last one wins".
    _, sink = split('{"a": 1, "a": 2}', ['{"a": 1, "a": 2}'])
    assert sink.order == ["a", "a"]
    assert sink.decoded() == {"a": 2}


def test_started_and_closed() -> None:
    sink = RecordingSink()
    splitter = ArgumentSplitter(sink)
    splitter.feed("  \n")
    assert not splitter.started  # whitespace only
    splitter.feed("{")
    assert splitter.started
    assert not splitter.closed
    splitter.feed("}")
    assert splitter.closed
    splitter.feed("  ")  # trailing whitespace is fine
    assert splitter.text == "  \n{}  "
    assert sink.order == []


def test_empty_fragments_are_ignored() -> None:
    _, sink = split('{"a": "b"}', ["", '{"a"', "", ': "b"}', ""])
    assert sink.decoded() == {"a": "b"}


# ---------------------------------------------------------------------- malformed input

MALFORMED = {
    "trailing comma": ('{"a": 1,}', 8),
    "single quotes": ("{'a': 1}", 1),
    "top-level array": ("[1, 2]", 0),
    "top-level number": ("42", 0),
    "top-level string": ('"text"', 0),
    "top-level true": ("true", 0),
    "missing colon": ('{"a" 1}', 5),
    "garbage after the object": ('{"a": 1} x', 9),
    "second object": ('{"a": 1}{}', 8),
    "comma before the first key": ('{, "a": 1}', 1),
    "missing value": ('{"a": }', 6),
    "colon as value": ('{"a": :1}', 6),
    "unquoted key": ("{a: 1}", 1),
    "invalid escape in a string": ('{"a": "\\x"}', 7),
    "invalid escape in a key": ('{"\\x": 1}', 2),
    "invalid escape later in a key": ('{"ab\\q": 1}', 4),
    "missing comma": ('{"a": "x" "b": 1}', 10),
    "stray closing bracket in a raw value": ('{"a": 1]}', 7),
}


@pytest.mark.parametrize(("text", "position"), list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_arguments_raise_with_the_offending_position(text: str, position: int) -> None:
    for point in range(len(text) + 1):  # however the text is fragmented
        splitter = ArgumentSplitter(RecordingSink())
        with pytest.raises(ArgumentSyntaxError) as info:
            for fragment in cut(text, [point]):
                splitter.feed(fragment)
        assert info.value.position == position, (point, str(info.value))
        assert f"at position {position}" in str(info.value)
    assert issubclass(ArgumentSyntaxError, ValueError)


def test_structurally_valid_but_bad_raw_values_pass_the_splitter() -> None:
    # Only structure is checked while streaming; json.loads judges the complete text later.
    splitter, sink = split('{"a": tru, "b": 01}', ['{"a": tru, "b": 01}'])
    assert splitter.closed
    assert sink.joined() == {"a": (False, "tru"), "b": (False, "01")}


# ---------------------------------------------------------------------- work is per fragment


def test_a_long_string_in_small_fragments_gives_at_most_one_piece_per_fragment() -> None:
    value = "".join(chr(ord("a") + i % 26) for i in range(10_000))
    text = json.dumps({"text": value, "n": 1})
    fragments = [text[i : i + 16] for i in range(0, len(text), 16)]
    _, sink = split(text, fragments)
    assert sink.decoded() == {"text": value, "n": 1}
    assert len(sink.args["text"][1]) <= len(fragments) + 2


def test_a_long_escaped_string_in_small_fragments_gives_at_most_one_piece_per_fragment() -> None:
    value = 'é"\\😀\n' * 2_000
    text = json.dumps({"text": value}, ensure_ascii=True)
    fragments = [text[i : i + 16] for i in range(0, len(text), 16)]
    _, sink = split(text, fragments)
    assert sink.decoded() == {"text": value}
    assert len(sink.args["text"][1]) <= len(fragments) + 2


def test_a_long_raw_value_in_small_fragments_gives_at_most_one_piece_per_fragment() -> None:
    value = [{"k": i, "s": "x,}" * 3} for i in range(500)]
    text = json.dumps({"items": value})
    fragments = [text[i : i + 16] for i in range(0, len(text), 16)]
    _, sink = split(text, fragments)
    assert sink.decoded() == {"items": value}
    assert len(sink.args["items"][1]) <= len(fragments) + 2
