"""The pull API: streaming_parse_json and the stream objects."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from toki.helpers.jsonstream import (
    JsonArrStream,
    JsonDictStream,
    JsonItem,
    JsonStreamError,
    JsonStreamLockedError,
    JsonStrStream,
    streaming_parse_json,
)


def chunks():
    yield '{"city": "Par'
    yield 'is", "items": ["a"'
    yield ', "b"], "n": 42}'


def test_spec_example(capsys: pytest.CaptureFixture[str]) -> None:
    value = streaming_parse_json(chunks())
    assert isinstance(value, JsonDictStream)
    for key, sub in value.items():
        if isinstance(sub, JsonStrStream):
            print(f"{key}=", end="")
            for piece in sub:
                print(piece, end="", flush=True)
            print()
        elif isinstance(sub, JsonArrStream):
            print(f"{key}={[item for item in sub]}")
        else:
            print(f"{key}={sub}")  # primitive (int/float/bool/None)
    assert capsys.readouterr().out == "city=Paris\nitems=[JsonStrStream('a'), JsonStrStream('b')]\nn=42\n"
    assert value.value == {"city": "Paris", "items": ["a", "b"], "n": 42}


# ---------------------------------------------------------------- every chunking
DOCS = [
    "".join(chunks()),
    '{"s": "esc \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\u20AC", "pair": "\\ud83d\\ude80", "lone": "\\udc00x"}',
    '[[], {}, [[]], {"a": {}}, [{}, []], ""]',
    "[1, -0, 0.5, -12.5e-3, 1E+2, 123456789012345678901234567890, true, false, null]",
    '{"deep": [[[[[[[[[[{"x": [[["bottom"]]]}]]]]]]]]]]}',
    '{"a": 1, "a": 2, "b": {"a": 3}, "a": [4]}',
    ' \r\n\t"top-level string with raw ünïcödé 🚀 and \\u00e9scapes" ',
    "1234.5678",
    "[12, 345, 6789]",
]


def full(item: JsonItem) -> Any:
    """Consume an item through iteration only (never .value)."""
    if isinstance(item, JsonStrStream):
        pieces = list(item)
        assert all(pieces), "no empty pieces"
        return "".join(pieces)
    if isinstance(item, JsonArrStream):
        return [full(x) for x in item]
    if isinstance(item, JsonDictStream):
        out: dict[str, Any] = {}
        for key, sub in item.items():
            out[key] = full(sub)
        return out
    return item


def value_of(item: JsonItem) -> Any:
    if isinstance(item, (JsonStrStream, JsonArrStream, JsonDictStream)):
        return item.value
    return item


def chunkings(text: str, seed: int = 0) -> Iterator[list[str]]:
    yield list(text)
    for i in range(1, len(text)):
        yield [text[:i], text[i:]]
    rng = random.Random(seed)
    for _ in range(30):
        cut = sorted(rng.sample(range(1, len(text)), k=min(len(text) - 1, rng.randint(1, 12))))
        yield [text[a:b] for a, b in zip([0, *cut], [*cut, len(text)], strict=True)]


@pytest.mark.parametrize("doc", DOCS)
def test_every_chunking_value_and_iteration_match_json_loads(doc: str) -> None:
    expected = json.loads(doc)
    for pieces in chunkings(doc):
        assert value_of(streaming_parse_json(iter(pieces))) == expected, pieces
        assert full(streaming_parse_json(iter(pieces))) == expected, pieces


def test_empty_chunks_are_harmless() -> None:
    source = ["", '{"a"', "", ": ", "", '"x', "", 'y"}', ""]
    value = streaming_parse_json(source)
    assert isinstance(value, JsonDictStream)
    assert full(value) == {"a": "xy"}


def test_top_level_primitives_are_returned_directly() -> None:
    assert streaming_parse_json(["tr", "ue"]) is True
    assert streaming_parse_json([" null"]) is None
    assert streaming_parse_json(["-1", "2.5", "e1"]) == -125.0
    assert streaming_parse_json(["7"]) == 7


# ---------------------------------------------------------------- streaming behaviour
class Recorder:
    """A chunk source that counts how many chunks were pulled."""

    def __init__(self, chunks: Iterable[str]) -> None:
        self.chunks = list(chunks)
        self.pulled = 0

    def __iter__(self) -> Iterator[str]:
        for chunk in self.chunks:
            self.pulled += 1
            yield chunk


def test_string_pieces_arrive_before_the_closing_quote() -> None:
    source = Recorder(['{"text": "Hel', "lo, wor", 'ld!"', "}"])
    root = streaming_parse_json(source)
    assert isinstance(root, JsonDictStream)
    key, text = next(root.items())
    assert key == "text" and isinstance(text, JsonStrStream)
    pieces = iter(text)
    assert next(pieces) == "Hel"
    assert source.pulled == 1
    assert next(pieces) == "lo, wor"
    assert source.pulled == 2
    assert not text.done
    assert next(pieces) == "ld!"
    assert list(pieces) == []
    assert text.done
    assert source.pulled == 3


def test_array_items_arrive_as_soon_as_they_start() -> None:
    source = Recorder(["[1, ", '"long', " string", '", 3]'])
    root = streaming_parse_json(source)
    assert isinstance(root, JsonArrStream)
    items = iter(root)
    assert next(items) == 1
    second = next(items)
    assert isinstance(second, JsonStrStream)
    assert source.pulled == 2  # the string is handed out before it is complete
    assert next(items) == 3
    assert second.value == "long string"


@pytest.mark.parametrize("body", ["x" * 10_000, ("ab\\ncd\\u00e9\\\\" * 1000)[:10_000]])
def test_pieces_are_chunk_sized_not_per_character(body: str) -> None:
    doc = f'"{body}"'
    deltas = [doc[i : i + 16] for i in range(0, len(doc), 16)]
    stream = streaming_parse_json(deltas)
    assert isinstance(stream, JsonStrStream)
    pieces = list(stream)
    assert "".join(pieces) == json.loads(doc)
    assert len(pieces) <= len(deltas) + 2


def test_source_is_not_pulled_past_the_value() -> None:
    source = Recorder(['{"a": [1]}', " trailing text", "never pulled"])
    root = streaming_parse_json(source)
    assert isinstance(root, JsonDictStream)
    assert root.value == {"a": [1]}
    assert source.pulled == 1


def test_trailing_text_in_the_last_chunk_is_ignored() -> None:
    root = streaming_parse_json(['[1, 2] and then {"some": "prose'])
    assert isinstance(root, JsonArrStream)
    assert list(root) == [1, 2]


# ---------------------------------------------------------------- auto-drain, .value, locking
def test_breaking_out_of_a_child_and_advancing_the_parent() -> None:
    root = streaming_parse_json(['{"a": "one ', "two ", 'three", "b": [1, ', '[2, 3], 4], "c": 5}'])
    assert isinstance(root, JsonDictStream)
    items = root.items()
    key, a = next(items)
    assert key == "a" and isinstance(a, JsonStrStream)
    assert next(iter(a)) == "one "  # break after the first piece
    key, b = next(items)  # the parent drains "a"
    assert key == "b" and isinstance(b, JsonArrStream)
    assert a.done
    assert list(a) == ["two ", "three"]  # drained pieces are kept and replayed
    assert a.value == "one two three"
    assert next(iter(b)) == 1
    assert next(items) == ("c", 5)  # drains the rest of "b", including its nested array
    assert b.value == [1, [2, 3], 4]
    assert root.value == {"a": "one two three", "b": [1, [2, 3], 4], "c": 5}


def test_value_after_partial_consumption_includes_the_yielded_prefix() -> None:
    stream = streaming_parse_json(['"abc', "def", 'ghi"'])
    assert isinstance(stream, JsonStrStream)
    assert next(iter(stream)) == "abc"
    assert not stream.done
    assert stream.value == "abcdefghi"
    assert stream.done

    arr = streaming_parse_json(["[1, [2", "], 3", ", 4]"])
    assert isinstance(arr, JsonArrStream)
    it = iter(arr)
    assert next(it) == 1
    inner = next(it)
    assert isinstance(inner, JsonArrStream)
    assert arr.value == [1, [2], 3, 4]
    assert inner.value == [2]


def test_untouched_children_drained_by_the_parent_can_still_be_iterated() -> None:
    root = streaming_parse_json(['[{"k": "v", "n": [1, {"x": "y"}]}, "s", ', "[]]"])
    assert isinstance(root, JsonArrStream)
    items = list(root)  # each child is drained (in one go) when the next one starts
    first, second, third = items
    assert isinstance(first, JsonDictStream) and isinstance(second, JsonStrStream)
    assert isinstance(third, JsonArrStream)
    assert first.done and second.done and third.done
    members = list(first.items())
    assert [k for k, _ in members] == ["k", "n"]
    k_value = members[0][1]
    assert isinstance(k_value, JsonStrStream) and list(k_value) == ["v"]
    n_value = members[1][1]
    assert isinstance(n_value, JsonArrStream)
    nested = list(n_value)
    assert nested[0] == 1 and isinstance(nested[1], JsonDictStream)
    assert nested[1].value == {"x": "y"}
    assert list(second) == ["s"] and list(third) == []
    assert root.value == [{"k": "v", "n": [1, {"x": "y"}]}, "s", []]


@pytest.mark.parametrize("doc", ['"text"', "[1, 2]", '{"a": 1}'])
def test_iteration_after_value_raises(doc: str) -> None:
    stream = streaming_parse_json([doc])
    assert isinstance(stream, (JsonStrStream, JsonArrStream, JsonDictStream))
    stream.value  # noqa: B018
    with pytest.raises(JsonStreamLockedError, match="locked"):
        iter(stream)
    if isinstance(stream, JsonDictStream):
        with pytest.raises(JsonStreamLockedError):
            stream.items()
    assert stream.value == json.loads(doc)  # .value itself stays readable


def test_a_suspended_iterator_raises_once_value_was_read() -> None:
    stream = streaming_parse_json(['"ab', "cd", 'ef"'])
    assert isinstance(stream, JsonStrStream)
    pieces = iter(stream)
    assert next(pieces) == "ab"
    assert stream.value == "abcdef"
    with pytest.raises(JsonStreamLockedError):
        next(pieces)


def test_done_tracks_what_the_stream_has_read() -> None:
    root = streaming_parse_json(['{"a": "x"', ', "b": 2}'])
    assert isinstance(root, JsonDictStream)
    assert not root.done
    _, a = next(root.items())
    assert isinstance(a, JsonStrStream)
    assert not a.done  # the closing quote is in a pulled chunk, but this stream has not reached it
    assert list(a) == ["x"]
    assert a.done
    assert not root.done
    assert root.value == {"a": "x", "b": 2}
    assert root.done


def test_iterating_a_dict_yields_keys_and_keeps_values() -> None:
    root = streaming_parse_json(['{"a": "x", "b": [1], "a": 3}'])
    assert isinstance(root, JsonDictStream)
    assert list(root) == ["a", "b", "a"]
    assert root.value == {"a": 3, "b": [1]}  # last duplicate wins, as in json.loads


def test_duplicate_keys_are_all_yielded_by_items() -> None:
    root = streaming_parse_json(['{"a": 1, "a": 2}'])
    assert isinstance(root, JsonDictStream)
    assert list(root.items()) == [("a", 1), ("a", 2)]


def test_iterating_again_continues_where_it_stopped() -> None:
    arr = streaming_parse_json(["[1, 2, ", "3, 4]"])
    assert isinstance(arr, JsonArrStream)
    for item in arr:
        if item == 2:
            break
    assert list(arr) == [3, 4]
    assert arr.value == [1, 2, 3, 4]


# ---------------------------------------------------------------- errors through the pull API
def test_errors_surface_where_the_bad_chunk_is_read() -> None:
    root = streaming_parse_json(['{"a": "fine", ', '"b": [1, 2 3]}'])
    assert isinstance(root, JsonDictStream)
    items = root.items()
    key, a = next(items)
    assert key == "a" and isinstance(a, JsonStrStream)
    assert list(a) == ["fine"]
    key, b = next(items)
    assert isinstance(b, JsonArrStream)
    with pytest.raises(JsonStreamError, match=r"expected ',' or '\]' at position 25, got '3'"):
        list(b)


@pytest.mark.parametrize("consume", ["value", "iterate"])
def test_truncated_input_raises(consume: str) -> None:
    doc = '{"a": [1, {"b": "text'
    for i in range(1, len(doc) + 1):
        with pytest.raises(JsonStreamError, match="got end of input"):
            item = streaming_parse_json([doc[:i]])
            value_of(item) if consume == "value" else full(item)
