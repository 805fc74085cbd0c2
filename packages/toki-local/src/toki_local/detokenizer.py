"""Incremental detokenization: generated token ids in, text pieces out, in linear time.

Decoding each new token on its own is wrong (byte-level BPE splits multi-byte characters
across tokens; SentencePiece decides a token's leading space from its neighbour), and decoding
the whole growing sequence every step is quadratic. :class:`IncrementalDecoder` keeps a small
window instead: it decodes the last emitted token(s) with and without the new ones and emits the
difference, holding text back while it still ends in an incomplete character (U+FFFD).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["IncrementalDecoder"]

_INCOMPLETE = "\ufffd"


class IncrementalDecoder:
    """Turns a stream of token ids into text pieces whose concatenation is the decoded text.

    Special tokens (end of turn, padding) are skipped; tags that are ordinary added tokens, such
    as ``<think>`` or ``<tool_call>`` on Qwen models, are kept.
    """

    __slots__ = ("_decode", "_ids", "_prefix", "_read")

    def __init__(self, tokenizer: Any) -> None:
        self._decode = tokenizer.decode
        self._ids: list[int] = []
        self._prefix = 0  # start of the context window decoded with the new tokens
        self._read = 0  # tokens before this offset have been emitted

    def _window(self) -> tuple[str, str]:
        ids = self._ids
        before = self._text(ids[self._prefix : self._read])
        after = self._text(ids[self._prefix :])
        return before, after

    def _text(self, ids: list[int]) -> str:
        if not ids:
            return ""
        return self._decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)

    def push(self, ids: Sequence[int]) -> str:
        """Add generated token ids; return the text they complete (possibly empty)."""
        self._ids.extend(ids)
        before, after = self._window()
        if len(after) > len(before) and not after.endswith(_INCOMPLETE):
            self._prefix = self._read
            self._read = len(self._ids)
            return after[len(before) :]
        return ""

    def flush(self) -> str:
        """Return whatever is still held back (an incomplete character stays as U+FFFD)."""
        if self._read == len(self._ids):
            return ""
        before, after = self._window()
        self._prefix = self._read = len(self._ids)
        return after[len(before) :]
