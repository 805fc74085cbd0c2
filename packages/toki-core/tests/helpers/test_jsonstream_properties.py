"""Property tests: any JSON, any dump style, any chunking behaves like json.loads."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from toki.helpers.jsonstream import (
    EventKind,
    JsonArrStream,
    JsonDictStream,
    JsonEventScanner,
    JsonItem,
    JsonStreamError,
    JsonStrStream,
    streaming_parse_json,
    trash_skipper,
)

# text with every code point class hypothesis offers, non-BMP included
texts = st.text(max_size=30)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | texts
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=8), children, max_size=6),
    max_leaves=30,
)
containers = st.lists(json_values, max_size=6) | st.dictionaries(st.text(max_size=8), json_values, max_size=6)
dump_styles = st.fixed_dictionaries(
    {
        "ensure_ascii": st.booleans(),
        "separators": st.sampled_from([None, (",", ":"), (", ", ": ")]),
        "indent": st.sampled_from([None, 0, 2, "\t"]),
    }
)
chunk_sizes = st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=20)

SETTINGS = settings(max_examples=150, deadline=None)


def split(text: str, sizes: list[int]) -> list[str]:
    out: list[str] = []
    i = 0
    k = 0
    while i < len(text):
        size = sizes[k % len(sizes)]
        out.append(text[i : i + size])
        i += size
        k += 1
    return out


def value_of(item: JsonItem) -> Any:
    return item.value if isinstance(item, (JsonStrStream, JsonArrStream, JsonDictStream)) else item


def full(item: JsonItem) -> Any:
    if isinstance(item, JsonStrStream):
        pieces = list(item)
        assert all(pieces)
        return "".join(pieces)
    if isinstance(item, JsonArrStream):
        return [full(x) for x in item]
    if isinstance(item, JsonDictStream):
        return {k: full(v) for k, v in item.items()}
    return item


@SETTINGS
@given(json_values, dump_styles, chunk_sizes)
def test_value_and_iteration_match_json_loads(value: Any, style: dict[str, Any], sizes: list[int]) -> None:
    text = json.dumps(value, **style)
    expected = json.loads(text)
    chunks = split(text, sizes)
    assert value_of(streaming_parse_json(chunks)) == expected
    assert full(streaming_parse_json(chunks)) == expected


@SETTINGS
@given(json_values, dump_styles, chunk_sizes)
def test_scanner_events_describe_the_document(value: Any, style: dict[str, Any], sizes: list[int]) -> None:
    text = json.dumps(value, **style)
    scanner = JsonEventScanner()
    events: list[tuple[EventKind, Any]] = []
    for chunk in split(text, sizes):
        events += scanner.feed(chunk)
    events += scanner.finish()
    # rebuild with a stack, no recursion
    stack: list[Any] = [[]]
    keys: list[Any] = [None]
    parts: list[str] = []
    for kind, payload in events:
        if kind is EventKind.STR_PIECE:
            parts.append(payload)
            continue
        if kind is EventKind.KEY:
            keys[-1] = payload
            continue
        if kind is EventKind.STR_START:
            parts = []
            continue
        if kind in (EventKind.OBJ_START, EventKind.ARR_START):
            stack.append({} if kind is EventKind.OBJ_START else [])
            keys.append(None)
            continue
        if kind in (EventKind.OBJ_END, EventKind.ARR_END):
            done = stack.pop()
            keys.pop()
        elif kind is EventKind.STR_END:
            done = "".join(parts)
        else:
            done = payload
        parent = stack[-1]
        if isinstance(parent, dict):
            parent[keys[-1]] = done
        else:
            parent.append(done)
    assert stack == [[json.loads(text)]]


@SETTINGS
@given(json_values, chunk_sizes, st.randoms(use_true_random=False))
def test_any_mix_of_iteration_break_and_value(value: Any, sizes: list[int], rng: random.Random) -> None:
    text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    expected = json.loads(text)
    root = streaming_parse_json(split(text, sizes))
    walk(root, expected, rng)
    assert value_of(root) == expected


def walk(item: JsonItem, expected: Any, rng: random.Random) -> None:
    """Consume ``item`` the way a random user would, checking what is seen on the way."""
    action = rng.choice(["value", "iterate", "break", "skip"])
    if not isinstance(item, (JsonStrStream, JsonArrStream, JsonDictStream)):
        assert item == expected
        return
    if action == "skip":
        return  # the parent (or the final .value) drains it
    if action == "value":
        assert item.value == expected
        return
    if isinstance(item, JsonStrStream):
        seen = ""
        for piece in item:
            assert piece
            seen += piece
            assert expected.startswith(seen)
            if action == "break" and rng.random() < 0.5:
                break
        return
    if isinstance(item, JsonArrStream):
        for i, sub in enumerate(item):
            walk(sub, expected[i], rng)
            if action == "break" and rng.random() < 0.3:
                break
        return
    for key, sub in item.items():
        walk(sub, expected[key], rng)
        if action == "break" and rng.random() < 0.3:
            break


@SETTINGS
@given(json_values, chunk_sizes)
def test_value_of_large_containers(value: Any, sizes: list[int]) -> None:
    # a long first member pushes capture past its C-parser probe into bracket matching
    doc = {"pad": "x" * 2100, "value": value, "more": [value, {"v": value}]}
    text = json.dumps(doc)
    assert value_of(streaming_parse_json(split(text, sizes))) == json.loads(text)
    assert value_of(streaming_parse_json(split(f"[{text}, 1]", sizes))) == [json.loads(text), 1]


@SETTINGS
@given(texts, st.booleans(), chunk_sizes)
def test_string_pieces_concatenate_to_the_string(value: str, ensure_ascii: bool, sizes: list[int]) -> None:
    text = json.dumps(value, ensure_ascii=ensure_ascii)
    chunks = split(text, sizes)
    stream = streaming_parse_json(chunks)
    assert isinstance(stream, JsonStrStream)
    pieces = list(stream)
    assert "".join(pieces) == value
    assert all(pieces)
    assert len(pieces) <= len(chunks)


@SETTINGS
@given(st.text(alphabet=st.characters(categories=["Cs", "Ll", "So"]), max_size=20), chunk_sizes)
def test_lone_surrogates_are_kept_like_json_loads(value: str, sizes: list[int]) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        stream = streaming_parse_json(split(text, sizes))
        assert isinstance(stream, JsonStrStream)
        # (a raw high+low pair dumped as two escapes is one character again, as in json.loads)
        assert stream.value == json.loads(text)


@SETTINGS
@given(containers | texts, dump_styles, chunk_sizes, st.data())
def test_truncated_documents_raise(value: Any, style: dict[str, Any], sizes: list[int], data: st.DataObject) -> None:
    text = json.dumps(value, **style)
    cut = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    chunks = split(text[:cut], sizes)
    for consume in (value_of, full):
        try:
            consume(streaming_parse_json(chunks))
        except JsonStreamError as exc:
            assert exc.got is None or exc.position <= cut
        else:
            raise AssertionError(f"no error for truncated {text[:cut]!r}")


@SETTINGS
@given(containers, chunk_sizes, st.data())
def test_corrupted_documents_fail_like_json(value: Any, sizes: list[int], data: st.DataObject) -> None:
    text = json.dumps(value)
    pos = data.draw(st.integers(min_value=1, max_value=len(text) - 1))
    junk = data.draw(st.sampled_from(list('{}[]",: \n\\0-1.eEtrufalsn\x00x')))
    how = data.draw(st.sampled_from(["replace", "insert", "delete"]))
    if how == "replace":
        bad = text[:pos] + junk + text[pos + 1 :]
    elif how == "insert":
        bad = text[:pos] + junk + text[pos:]
    else:
        bad = text[:pos] + text[pos + 1 :]
    try:
        expected = json.JSONDecoder().raw_decode(bad)[0]  # one value, trailing text ignored
    except ValueError:
        expected = JsonStreamError
    for consume in (value_of, full):
        try:
            got = consume(streaming_parse_json(split(bad, sizes)))
        except JsonStreamError:
            got = JsonStreamError
        assert got == expected, bad


@SETTINGS
@given(json_values.filter(lambda v: isinstance(v, (dict, list))), st.sampled_from([dict, list]), st.text(), st.text())
def test_trash_skipper_finds_a_dumped_value_in_prose(value: Any, kind: type[Any], before: str, after: str) -> None:
    if not isinstance(value, kind):
        return
    doc = json.dumps(value)
    noise = before.replace("{", "(").replace("[", "(")  # prose before: no candidate of its own
    text = f"{noise}\n```json\n{doc}\n```\n{after}"
    rng = random.Random(len(text))
    chunks = split(text, [rng.randint(1, 9) for _ in range(5)])
    found = "".join(trash_skipper(chunks, kind))
    assert found == doc
    assert json.loads(found) == value
