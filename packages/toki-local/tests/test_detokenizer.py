"""Incremental detokenization: pieces concatenate to the full decode, never split a character."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import transformers
from toki_local.detokenizer import IncrementalDecoder

# transformers' loaders are only partly typed: handle them as Any in tests.
AutoTokenizer: Any = transformers.AutoTokenizer

TEXTS = [
    "Hello there! How can I help?",
    "héllo wörld, 😀🎉 中文字符 and ascii",
    '<think>\nhm\n</think>\n\n<tool_call>\n{"name": "f", "arguments": {"a": "}"}}\n</tool_call>',
    "  leading spaces and\ttabs\n\nnewlines  ",
]


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir: Path) -> Any:
    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.mark.parametrize("text", TEXTS)
def test_token_by_token_pieces_join_to_the_text(tokenizer: Any, text: str) -> None:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    decoder = IncrementalDecoder(tokenizer)
    pieces = [decoder.push([token]) for token in ids]
    pieces.append(decoder.flush())
    assert "".join(pieces) == text
    assert not any("\ufffd" in piece for piece in pieces), "a multi-byte character is never emitted in halves"


def test_a_character_split_across_tokens_waits_for_its_last_byte(tokenizer: Any) -> None:
    ids = tokenizer("😀", add_special_tokens=False)["input_ids"]
    assert len(ids) > 1  # byte-level BPE: the emoji's four bytes are several tokens here
    decoder = IncrementalDecoder(tokenizer)
    assert [decoder.push([token]) for token in ids[:-1]] == [""] * (len(ids) - 1)
    assert decoder.push(ids[-1:]) == "😀"


def test_special_tokens_are_skipped_and_tags_kept(tokenizer: Any) -> None:
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    think = tokenizer.convert_tokens_to_ids("<think>")
    decoder = IncrementalDecoder(tokenizer)
    assert decoder.push([think]) == "<think>"
    assert decoder.push([im_end]) == ""
    assert decoder.flush() == ""


def test_an_incomplete_character_at_the_end_is_flushed_as_a_replacement(tokenizer: Any) -> None:
    ids = tokenizer("😀", add_special_tokens=False)["input_ids"]
    decoder = IncrementalDecoder(tokenizer)
    assert decoder.push(ids[:1]) == ""
    assert decoder.flush() == "\ufffd"
    assert decoder.flush() == ""


def test_several_ids_at_once(tokenizer: Any) -> None:
    text = TEXTS[1]
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    decoder = IncrementalDecoder(tokenizer)
    pieces = [decoder.push(ids[i : i + 3]) for i in range(0, len(ids), 3)]
    assert "".join(pieces) + decoder.flush() == text
