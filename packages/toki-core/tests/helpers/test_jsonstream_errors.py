"""Malformed input: JsonStreamError with the reason and the position, in every mode."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from toki.helpers.jsonstream import (
    JsonArrStream,
    JsonDictStream,
    JsonEventScanner,
    JsonItem,
    JsonStreamError,
    JsonStrStream,
    streaming_parse_json,
)

# (document, exact message): positions are 0-based offsets into the whole input
CATALOGUE = [
    ("[1, 2,]", "expected a JSON value at position 6, got ']'"),
    ('{"a": 1,}', "expected a string key at position 8, got '}'"),
    ("{'a': 1}", "expected a string key or '}' at position 1, got \"'\""),
    ("['a']", "expected a JSON value or ']' at position 1, got \"'\""),
    ('["line\nbreak"]', "invalid control character in string at position 6, got '\\n'"),
    ('{"tab": "a\tb"}', "invalid control character in string at position 10, got '\\t'"),
    ('{"a": [1, 2]', "expected ',' or '}' at position 12, got end of input"),
    ('{"a": "tex', "unterminated string at position 10, got end of input"),
    ("", "expected a JSON value at position 0, got end of input"),
    ("   \n ", "expected a JSON value at position 5, got end of input"),
    ("tru", "invalid literal at position 0, got 'tru'"),
    ("[nul]", "invalid literal at position 1, got 'nul]'"),
    ("[truthy]", "invalid literal at position 1, got 'trut'"),
    ('"bad \\x escape"', "invalid escape at position 5, got '\\\\x'"),
    ('"bad \\u12G4"', "invalid escape at position 5, got '\\\\u12G4'"),
    ('{"a" 1}', "expected ':' at position 5, got '1'"),
    ('{"a": 1 "b": 2}', "expected ',' or '}' at position 8, got '\"'"),
    ("[01]", "invalid number at position 1, got '01'"),
    ("[+1]", "expected a JSON value or ']' at position 1, got '+'"),
    ("[.5]", "expected a JSON value or ']' at position 1, got '.'"),
    ("[1.]", "invalid number at position 1, got '1.'"),
    ("[-]", "invalid number at position 1, got '-'"),
    ("[1e]", "invalid number at position 1, got '1e'"),
    ("[NaN]", "expected a JSON value or ']' at position 1, got 'N'"),
    ("[1 2]", "expected ',' or ']' at position 3, got '2'"),
    ("[1}", "expected ',' or ']' at position 2, got '}'"),
    ('{"a": [}', "expected a JSON value or ']' at position 7, got '}'"),
    ("]", "expected a JSON value at position 0, got ']'"),
    ('"\\', "unterminated string at position 2, got end of input"),
    ('"\\ud83d', "unterminated string at position 7, got end of input"),
]


def consume(item: JsonItem, *, use_value: bool) -> Any:
    if isinstance(item, (JsonStrStream, JsonArrStream, JsonDictStream)):
        if use_value:
            return item.value
        if isinstance(item, JsonStrStream):
            return "".join(item)
        if isinstance(item, JsonArrStream):
            return [consume(x, use_value=False) for x in item]
        return {k: consume(v, use_value=False) for k, v in item.items()}
    return item


@pytest.mark.parametrize(("doc", "message"), CATALOGUE)
@pytest.mark.parametrize("size", [1, 2, 5, 1000])
@pytest.mark.parametrize("use_value", [True, False])
def test_catalogue(doc: str, message: str, size: int, use_value: bool) -> None:
    if "NaN" not in doc:  # json.loads accepts NaN; strict JSON does not
        with pytest.raises(ValueError):  # json.loads agrees the input is bad
            json.loads(doc)
    chunks = [doc[i : i + size] for i in range(0, len(doc), size)]
    with pytest.raises(JsonStreamError) as info:
        consume(streaming_parse_json(chunks), use_value=use_value)
    assert str(info.value) == message
    assert f"at position {info.value.position}" in message


@pytest.mark.parametrize(("doc", "message"), [(d, m) for d, m in CATALOGUE if d[:1] in "[{"])
@pytest.mark.parametrize("size", [1, 3, 1000])
def test_catalogue_inside_a_captured_container(doc: str, message: str, size: int) -> None:
    # .value of an untouched container takes the capture path: same reason, same position
    prefix = '{"wrapper": '
    wrapped = prefix + doc
    reason, _, rest = message.partition(" at position ")
    position, _, got = rest.partition(", got ")
    stream = streaming_parse_json([wrapped[i : i + size] for i in range(0, len(wrapped), size)])
    assert isinstance(stream, JsonDictStream)
    with pytest.raises(JsonStreamError) as info:
        stream.value  # noqa: B018
    assert str(info.value) == f"{reason} at position {int(position) + len(prefix)}, got {got}"


def test_duplicate_keys_are_not_an_error() -> None:
    stream = streaming_parse_json(['{"k": 1, "k": 2}'])
    assert isinstance(stream, JsonDictStream)
    assert stream.value == json.loads('{"k": 1, "k": 2}') == {"k": 2}


def test_error_fields_and_pickling() -> None:
    err = JsonStreamError("expected ':'", 17, "x")
    assert isinstance(err, ValueError)
    assert (err.reason, err.position, err.got) == ("expected ':'", 17, "x")
    assert str(err) == "expected ':' at position 17, got 'x'"
    clone = pickle.loads(pickle.dumps(err))
    assert str(clone) == str(err) and clone.position == 17


def test_scanner_and_pull_api_agree() -> None:
    for doc, message in CATALOGUE:
        scanner = JsonEventScanner()
        with pytest.raises(JsonStreamError) as info:
            scanner.feed(doc)
            scanner.finish()
        assert str(info.value) == message
