"""trash_skipper: find the wanted JSON value in prose, yield exactly its text."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from toki.helpers.jsonstream import JsonDictStream, JsonStreamError, streaming_parse_json, trash_skipper
from toki.helpers.jsonstream.trash import LookFor

RESPONSE = """Sure, here's your data:
```json
{"key": "value", "n": 42}
```
Let me know if you need anything else."""


def test_spec_example() -> None:
    clean = trash_skipper(iter([RESPONSE]), look_for=dict)
    result = streaming_parse_json(clean)
    assert isinstance(result, JsonDictStream)
    assert result.value == {"key": "value", "n": 42}


def skim(text: str | Iterable[str], look_for: LookFor, **kwargs: Any) -> str:
    chunks = [text] if isinstance(text, str) else list(text)
    return "".join(trash_skipper(chunks, look_for, **kwargs))


def test_every_chunking_of_the_spec_example() -> None:
    expected = '{"key": "value", "n": 42}'
    assert skim(list(RESPONSE), dict) == expected
    for i in range(1, len(RESPONSE)):
        assert skim([RESPONSE[:i], RESPONSE[i:]], dict) == expected, i


@pytest.mark.parametrize(
    ("text", "look_for", "found"),
    [
        ("I truthfully say: true.", bool, "true"),
        ("untrue, but false", bool, "false"),
        ("nullable fields are null", None, "null"),
        ("nothing: null", type(None), "null"),
        ("see [1] or [2, [3, {}]] now", list, "[1]"),
        ("see [oops] or [2, [3, {}]] now", list, "[2, [3, {}]]"),
        ('He said "hi\\n \\"there\\"" twice', str, '"hi\\n \\"there\\""'),
        ('a "broken\nstring and then "ok"', str, '"ok"'),
        ("The answer is 42.", int, "42"),
        ("version v2, 1.2.3 and -7!", int, "-7"),
        ("x=4.5, y=6", int, "6"),
        ("x=4.5, y=6", float, "4.5"),
        ("n = 1e3 items", float, "1e3"),
        ("n = 007 or 8", int, "8"),
        ('[1, 2] and {"a": 1}', dict, '{"a": 1}'),
        ('[1, 2] and {"a": 1}', (dict, list), "[1, 2]"),
        ('Use {braces} like {"not": json} or {"a": {"b": [1]}} here', dict, '{"a": {"b": [1]}}'),
        ("f(x) = {x | x > 0}; result: {}", dict, "{}"),
        ('{"a": [1, 2}  fixed: {"a": [1, 2]}', dict, '{"a": [1, 2]}'),
        ("true", bool, "true"),
        ("3", int, "3"),
    ],
)
def test_finds_the_first_valid_value_of_the_wanted_types(text: str, look_for: LookFor, found: str) -> None:
    assert skim(text, look_for) == found
    assert skim(list(text), look_for) == found  # one character at a time


@pytest.mark.parametrize(
    ("text", "look_for"),
    [
        ("I truthfully believe it", bool),
        ("untrue nullable", (bool, None)),
        ("4.5 and 1e3", int),
        ("1, 2, 3", float),
        ('{"a" 1} and [1, 2]', dict),
        ("", dict),
    ],
)
def test_no_value_raises(text: str, look_for: LookFor) -> None:
    with pytest.raises(JsonStreamError, match="no JSON value of type"):
        skim(text, look_for)


class Recorder:
    def __init__(self, chunks: Iterable[str]) -> None:
        self.chunks = list(chunks)
        self.pulled = 0

    def __iter__(self) -> Iterator[str]:
        for chunk in self.chunks:
            self.pulled += 1
            yield chunk


def test_stops_after_the_value_and_drops_trailing_noise() -> None:
    source = Recorder(['noise {"a": ', "[1]} trailing", " more", " never pulled"])
    assert list(trash_skipper(source, dict)) == ['{"a": [1]}']
    assert source.pulled == 2


def test_a_long_value_is_streamed_once_committed() -> None:
    value = {"code": "x" * 1000}
    doc = json.dumps(value)
    deltas = [doc[i : i + 50] for i in range(0, len(doc), 50)]
    source = Recorder(["Here you go: ", *deltas, " bye"])
    out = trash_skipper(source, dict, commit_after=100)
    first = next(out)
    assert first == doc[:100]  # the candidate is held back until 100 characters validate
    assert source.pulled == 3
    rest = list(out)
    assert len(rest) > 10  # then chunk by chunk
    assert first + "".join(rest) == doc
    assert json.loads(first + "".join(rest)) == value


def test_a_committed_candidate_that_breaks_raises() -> None:
    bad = '{"a": "' + "y" * 300 + '", oops} then {"b": 2}'
    with pytest.raises(JsonStreamError, match=r"expected a string key at position 310, got 'o'"):
        skim([bad[i : i + 20] for i in range(0, len(bad), 20)], dict, commit_after=256)
    # below the threshold the search resumes instead
    assert skim(bad, dict, commit_after=1000) == '{"b": 2}'
    # never committing: always resumes
    assert skim(bad, dict, commit_after=None) == '{"b": 2}'


def test_composes_with_the_parser_chunk_by_chunk() -> None:
    noisy = 'Thinking... {not json}. Result:\n```json\n{"items": [1, 2, {"x": "}"}]}\n```\n'
    result = streaming_parse_json(trash_skipper(list(noisy), dict))
    assert isinstance(result, JsonDictStream)
    assert result.value == {"items": [1, 2, {"x": "}"}]}


def test_look_for_is_validated_eagerly() -> None:
    with pytest.raises(TypeError, match="look_for"):
        trash_skipper(["{}"], set)
    with pytest.raises(ValueError, match="empty"):
        trash_skipper(["{}"], ())
    with pytest.raises(ValueError, match="commit_after"):
        trash_skipper(["{}"], dict, commit_after=0)
