"""The push core: JsonEventScanner events, chunk boundaries, pause/capture, finish, errors."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from toki.helpers.jsonstream import EventKind, JsonEventScanner, JsonStreamError
from toki.helpers.jsonstream.scanner import Event

K = EventKind

# documents whose every chunking must give json.loads' value
DOCS = [
    '{"a": [1, 2.5, "x\\u00e9y", true, null], "b": -0, "c": {}}',
    '"\\ud83d\\ude80 rocket \\ud83d"',  # pair, then a lone high surrogate kept as is
    '"\\\\\\\\\\"\\\\u0041"',  # runs of escaped backslashes next to quotes and "u"
    '[[], {}, [[{}]], {"": {"": []}}]',
    "[0, -0, -0.0, 1e5, 1E-5, 1.5e+3, 12345678901234567890, -1.25]",
    '{"k\\n\\u00e9y": "v\\t\\/\\b\\f\\r", "z": false}',
    '  \n\t {"spaced" :\r\n [ 1 , 2 ] }  ',
    "42",
    "-3.5e-2",
    "true",
    "null",
    '"\\u00e9\\u00E9"',
    '"\\ud834\\udd1e\\udd1e"',  # pair then a lone low surrogate
]


def scan(chunks: list[str], **kwargs: Any) -> list[Event]:
    scanner = JsonEventScanner(**kwargs)
    events: list[Event] = []
    for chunk in chunks:
        events += scanner.feed(chunk)
    events += scanner.finish()
    assert scanner.done
    return events


def build(events: list[Event]) -> Any:
    """Independent reference assembler (recursion is fine at test depths)."""
    it = iter(events)

    def value(kind: EventKind, payload: Any) -> Any:
        if kind is K.VALUE:
            return payload
        if kind is K.STR_START:
            parts: list[str] = []
            for k, p in it:
                if k is K.STR_END:
                    return "".join(parts)
                assert k is K.STR_PIECE and p
                parts.append(p)
        if kind is K.ARR_START:
            out: list[Any] = []
            for k, p in it:
                if k is K.ARR_END:
                    return out
                out.append(value(k, p))
        if kind is K.OBJ_START:
            obj: dict[str, Any] = {}
            for k, p in it:
                if k is K.OBJ_END:
                    return obj
                assert k is K.KEY
                obj[p] = value(*next(it))
        raise AssertionError((kind, payload))

    result = value(*next(it))
    assert next(it, None) is None
    return result


def splits(text: str) -> list[list[str]]:
    """1-char chunks and every 2-way split."""
    out = [list(text)]
    out += [[text[:i], text[i:]] for i in range(1, len(text))]
    return out


@pytest.mark.parametrize("doc", DOCS)
def test_every_chunking_matches_json_loads(doc: str) -> None:
    expected = json.loads(doc)
    for chunks in splits(doc):
        assert build(scan(chunks)) == expected, chunks


def test_events_of_a_small_document() -> None:
    events = scan(['{"a": [1, "x', 'y"], "b": nu', "ll}"])
    assert events == [
        (K.OBJ_START, None),
        (K.KEY, "a"),
        (K.ARR_START, None),
        (K.VALUE, 1),
        (K.STR_START, None),
        (K.STR_PIECE, "x"),
        (K.STR_PIECE, "y"),
        (K.STR_END, None),
        (K.ARR_END, None),
        (K.KEY, "b"),
        (K.VALUE, None),
        (K.OBJ_END, None),
    ]


def test_one_string_piece_per_chunk_even_with_escapes() -> None:
    scanner = JsonEventScanner()
    scanner.feed('"')
    events = scanner.feed('ab\\ncd\\"ef\\u00e9gh\\\\ij')
    assert events == [(K.STR_PIECE, 'ab\ncd"ef\u00e9gh\\ij')]


def test_numbers_are_typed_like_json_loads() -> None:
    values = [p for k, p in scan(["[0, -0, 1.0, 1e2, -2E-1, 7]"]) if k is K.VALUE]
    expected = json.loads("[0, -0, 1.0, 1e2, -2E-1, 7]")
    assert values == expected
    assert [type(v) for v in values] == [type(v) for v in expected] == [int, int, float, float, float, int]


def test_number_edge_cases_follow_json_loads() -> None:
    doc = "[-0, -0.0, 1e400, -1e400, 1E-400, 123456789012345678901234567890]"
    values = [p for k, p in scan([doc]) if k is K.VALUE]
    assert values == json.loads(doc)
    assert math.copysign(1, values[1]) == -1 and isinstance(values[0], int)
    assert values[2] == math.inf and values[3] == -math.inf
    with pytest.raises(JsonStreamError, match="number cannot be converted"):
        scan(["[" + "1" * 5000 + "]"])  # json.loads refuses it too (int digit limit)


def test_number_split_across_chunks_is_one_value() -> None:
    assert scan(["[12", "34.5", "e1", "]"])[1] == (K.VALUE, 12345.0)
    assert scan(["-", "0"]) == [(K.VALUE, 0)]


def test_top_level_number_needs_finish() -> None:
    scanner = JsonEventScanner()
    assert scanner.feed("42") == []
    assert not scanner.done
    assert scanner.finish() == [(K.VALUE, 42)]
    assert scanner.done


def test_text_after_the_value_is_left_unparsed() -> None:
    scanner = JsonEventScanner()
    assert scanner.feed('{"a": 1} trailing {') == [(K.OBJ_START, None), (K.KEY, "a"), (K.VALUE, 1), (K.OBJ_END, None)]
    assert scanner.done
    assert scanner.position == 8
    assert scanner.feed(" more garbage") == []
    assert scanner.rest == " trailing { more garbage"
    assert scanner.finish() == []


def test_position_counts_from_start_position() -> None:
    scanner = JsonEventScanner(start_position=100)
    scanner.feed("[1, ")
    with pytest.raises(JsonStreamError) as info:
        scanner.feed("x]")
    assert info.value.position == 104


def test_error_is_sticky() -> None:
    scanner = JsonEventScanner()
    with pytest.raises(JsonStreamError) as first:
        scanner.feed("[1 2]")
    with pytest.raises(JsonStreamError) as again:
        scanner.feed("]")
    assert again.value is first.value
    with pytest.raises(JsonStreamError):
        scanner.finish()


def test_nan_and_infinity_are_rejected() -> None:
    for doc in ("NaN", "[Infinity]"):
        with pytest.raises(JsonStreamError, match="expected a JSON value"):
            scan([doc])
    with pytest.raises(JsonStreamError, match="invalid number at position 6, got '-'"):
        scan(['{"a": -Infinity}'])


def test_deep_nesting_has_no_recursion_limit() -> None:
    depth = 20_000
    events = scan(["[" * depth, "]" * depth])
    assert len(events) == 2 * depth


# ---------------------------------------------------------------- feed_in_string
def test_feed_in_string_matches_feed_for_every_split() -> None:
    body = 'plain \\u00e9 \\ud83d\\ude80 \\\\ \\" \\n tail\\\\'
    expected = json.loads('"' + body + '"')
    for chunks in splits(body):
        scanner = JsonEventScanner()
        assert scanner.feed('"') == [(K.STR_START, None)]
        pieces: list[str] = []
        for chunk in chunks:
            piece = scanner.feed_in_string(chunk)
            if piece is None:
                pieces += [p for k, p in scanner.feed(chunk) if k is K.STR_PIECE]
            else:
                pieces.append(piece)
        assert scanner.feed('"') == [(K.STR_END, None)]
        assert "".join(pieces) == expected, chunks


def test_feed_in_string_declines_outside_strings_and_at_the_closing_quote() -> None:
    scanner = JsonEventScanner()
    assert scanner.feed_in_string("abc") is None  # not in a string yet
    scanner.feed('["')
    assert scanner.feed_in_string("abc") == "abc"
    assert scanner.feed_in_string('d", 1]') is None  # closes: nothing consumed
    assert scanner.feed('d", 1]')[:2] == [(K.STR_PIECE, "d"), (K.STR_END, None)]
    assert scanner.done


def test_feed_in_string_holds_back_a_cut_escape() -> None:
    scanner = JsonEventScanner()
    scanner.feed('"')
    assert scanner.feed_in_string("ab\\u00") == "ab"
    assert scanner.feed_in_string("e9cd\\ud83d") == "\u00e9cd"  # high surrogate waits for its pair
    assert scanner.feed_in_string("\\ude80") == "\U0001f680"
    assert scanner.position == len('"ab\\u00e9cd\\ud83d\\ude80')


def test_feed_in_string_leaves_errors_to_feed() -> None:
    scanner = JsonEventScanner()
    scanner.feed('"')
    assert scanner.feed_in_string("ab\\x") is None
    with pytest.raises(JsonStreamError, match=r"invalid escape at position 3, got '\\\\x'"):
        scanner.feed("ab\\x")


# ---------------------------------------------------------------- pause / capture
def test_pause_after_container_start_then_resume() -> None:
    scanner = JsonEventScanner(pause_on_container=True)
    assert scanner.feed('[1, {"a": 2}, 3]') == [(K.ARR_START, None)]
    assert scanner.paused
    with pytest.raises(RuntimeError, match="paused"):
        scanner.feed("x")
    assert scanner.resume() == [(K.VALUE, 1), (K.OBJ_START, None)]
    assert scanner.resume() == [(K.KEY, "a"), (K.VALUE, 2), (K.OBJ_END, None), (K.VALUE, 3), (K.ARR_END, None)]
    assert not scanner.paused
    assert scanner.done


def test_capture_delivers_the_container_as_one_value() -> None:
    scanner = JsonEventScanner(pause_on_container=True)
    assert scanner.feed('[0, {"s": "}]\\"", "n": [1, {') == [(K.ARR_START, None)]
    assert scanner.resume() == [(K.VALUE, 0), (K.OBJ_START, None)]
    scanner.capture()
    assert scanner.resume() == []
    assert scanner.feed('"d": []}]}, 7]') == [
        (K.VALUE, {"s": '}]"', "n": [1, {"d": []}]}),
        (K.VALUE, 7),
        (K.ARR_END, None),
    ]


@pytest.mark.parametrize("doc", [d for d in DOCS if d.strip()[0] in "[{"])
def test_capture_of_the_root_for_every_chunking(doc: str) -> None:
    expected = json.loads(doc)
    for chunks in splits(doc):
        scanner = JsonEventScanner(pause_on_container=True)
        events: list[Event] = []
        captured = False
        for chunk in chunks:
            events += scanner.feed(chunk)
            if scanner.paused and not captured:
                scanner.capture()
                captured = True
            while scanner.paused:
                events += scanner.resume()
        events += scanner.finish()
        assert events == [(K.OBJ_START if doc.strip()[0] == "{" else K.ARR_START, None), (K.VALUE, expected)]


def test_capture_of_a_large_container_switches_to_exact_bracket_matching() -> None:
    # many small inner objects: the C parser probe fails on each '}' and gives up
    value = {"rows": [{"i": i, "s": "}{][" * (i % 3), "t": "\\"} for i in range(400)]}
    doc = json.dumps(value)
    scanner = JsonEventScanner(pause_on_container=True)
    chunks = [doc[i : i + 7] for i in range(0, len(doc), 7)]
    assert scanner.feed(chunks[0]) == [(K.OBJ_START, None)]
    scanner.capture()
    events = scanner.resume()
    for chunk in chunks[1:]:
        events += scanner.feed(chunk)
    assert events == [(K.VALUE, value)]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7])
def test_exact_capture_with_escapes_and_brackets_in_strings_cut_anywhere(size: int) -> None:
    # past the probe limit every chunk goes through exact bracket matching
    value: dict[str, Any] = {
        "pad": "p" * 2100,
        "tricky": ['a\\"b', "\\", '"', "}]{[", '\\"}', "x\\\\", '\\\\"'],
        "after": [{"k": "v\\"}, []],
    }
    doc = json.dumps(value)
    scanner = JsonEventScanner(pause_on_container=True)
    assert scanner.feed(doc[:1]) == [(K.OBJ_START, None)]
    scanner.capture()
    events = scanner.resume()
    rest = doc[1:] + " "
    for i in range(0, len(rest), size):
        events += scanner.feed(rest[i : i + size])
    assert events == [(K.VALUE, value)]
    assert scanner.rest.strip() == ""


def test_capture_of_deep_nesting_beyond_the_c_parser_limit() -> None:
    depth = 5000
    scanner = JsonEventScanner(pause_on_container=True)
    scanner.feed("[")
    scanner.capture()
    scanner.resume()
    events = scanner.feed("[" * (depth - 1) + "1" + "]" * depth)
    value: Any = events[0][1]
    for _ in range(depth):
        assert isinstance(value, list) and len(value) == 1  # pyright: ignore[reportUnknownArgumentType]
        value = value[0]  # pyright: ignore[reportUnknownVariableType]
    assert value == 1


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ('[{"a": 1 "b": 2}]', "expected ',' or '}' at position 9, got '\"'"),
        ('[{"a": [1, }]', "expected a JSON value at position 11, got '}'"),
        ('[{"a": NaN}]', "expected a JSON value at position 7, got 'N'"),
        ('[{"a": "x\ny"}]', "invalid control character in string at position 9, got '\\n'"),
        ('[{"a": 1]', "expected ',' or '}' at position 8, got ']'"),
        ('[{"a": [1, 2}', "expected ',' or ']' at position 12, got '}'"),
        ('[{"a": "\\q"}]', "invalid escape at position 8, got '\\\\q'"),
    ],
)
def test_capture_reports_the_same_errors_as_token_mode(doc: str, message: str) -> None:
    with pytest.raises(JsonStreamError) as plain:
        scan([doc])
    assert str(plain.value) == message
    for size in (1, 3, len(doc)):
        scanner = JsonEventScanner(pause_on_container=True)
        chunks = [doc[i : i + size] for i in range(0, len(doc), size)]
        with pytest.raises(JsonStreamError) as captured:
            for chunk in chunks:
                scanner.feed(chunk)
                while scanner.paused:
                    if scanner.depth == 2:  # the inner object
                        scanner.capture()
                    scanner.resume()
            scanner.finish()
        assert str(captured.value) == message, size


def test_malformed_capture_is_reported_with_its_own_position_and_sticks() -> None:
    # the C-parser probe only fails: the error surfaces once the probe gives up, with
    # the message and position the token scanner gives
    doc = "[[1 2], " + ", ".join(f"[{i}]" for i in range(3, 40)) + "]"
    scanner = JsonEventScanner(pause_on_container=True)
    assert scanner.feed(doc[:2]) == [(K.ARR_START, None)]
    assert scanner.resume() == [(K.ARR_START, None)]
    scanner.capture()
    assert scanner.resume() == []
    with pytest.raises(JsonStreamError) as first:
        for i in range(2, len(doc), 4):
            scanner.feed(doc[i : i + 4])
    assert str(first.value) == "expected ',' or ']' at position 4, got '2'"
    with pytest.raises(JsonStreamError) as again:
        scanner.feed("]")
    assert again.value is first.value
    with pytest.raises(JsonStreamError):
        scanner.finish()


def test_truncated_capture_reports_end_of_input() -> None:
    scanner = JsonEventScanner(pause_on_container=True)
    scanner.feed('{"a": [1, "b')
    scanner.capture()
    scanner.resume()
    with pytest.raises(JsonStreamError, match="unterminated string at position 12, got end of input"):
        scanner.finish()


def test_capture_is_only_valid_right_after_a_container_start() -> None:
    scanner = JsonEventScanner(pause_on_container=True)
    with pytest.raises(RuntimeError, match="capture"):
        scanner.capture()
    scanner.feed("[1")
    scanner.resume()
    with pytest.raises(RuntimeError, match="capture"):
        scanner.capture()
