"""The SSE decoder: framing per the WHATWG standard, chunking invariance, bounded memory, linear time."""

from __future__ import annotations

import time
import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st
from toki.sse import SSEDecoder, SSEEvent


def decode(*pieces: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for piece in pieces:
        events.extend(decoder.feed(piece))
    events.extend(decoder.finish())
    return events


def split_at(data: bytes, offsets: list[int]) -> list[bytes]:
    cuts = sorted({min(max(0, o), len(data)) for o in offsets})
    pieces: list[bytes] = []
    start = 0
    for cut in cuts:
        pieces.append(data[start:cut])
        start = cut
    pieces.append(data[start:])
    return pieces


FRAME = (
    b": OPENROUTER PROCESSING\n\n"
    b'data: {"a": 1}\n\n'
    b"event: update\r\nid: 7\r\ndata: line one\r\ndata: line two\r\n\r\n"
    b"data: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\r\rdata:no-space\n\n"
    b"retry: 100\nunknown: x\ndata\n\n"
    b"data: [DONE]\n\n"
)

FRAME_EVENTS = [
    SSEEvent("message", '{"a": 1}', None),
    SSEEvent("update", "line one\nline two", "7"),
    SSEEvent("message", "café € 😀", "7"),
    SSEEvent("message", "no-space", "7"),
    SSEEvent("message", "", "7"),
    SSEEvent("message", "[DONE]", "7"),
]


def test_frame_decodes_whole() -> None:
    assert decode(FRAME) == FRAME_EVENTS


def test_every_single_split_offset_gives_the_same_events() -> None:
    for offset in range(len(FRAME) + 1):
        assert decode(FRAME[:offset], FRAME[offset:]) == FRAME_EVENTS, offset


def test_every_pair_of_split_offsets_in_a_crlf_region() -> None:
    start = FRAME.index(b"event: update")
    end = FRAME.index(b"retry:")
    for first in range(start, end):
        for second in range(first, end):
            assert decode(*split_at(FRAME, [first, second])) == FRAME_EVENTS, (first, second)


def test_byte_by_byte() -> None:
    assert decode(*[FRAME[i : i + 1] for i in range(len(FRAME))]) == FRAME_EVENTS


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(FRAME)), max_size=12))
def test_chunking_invariance_on_the_frame(offsets: list[int]) -> None:
    assert decode(*split_at(FRAME, offsets)) == FRAME_EVENTS


_field_text = st.text(
    alphabet=st.characters(blacklist_characters="\r\n\x00", blacklist_categories=("Cs",)), max_size=20
)


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    """Arbitrary well-formed streams: events, comments, mixed line endings."""
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 6))):
        eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        kind = draw(st.sampled_from(["event", "comment", "id"]))
        if kind == "comment":
            parts.append(":" + draw(_field_text) + eol)
            continue
        if kind == "id":
            parts.append("id: " + draw(_field_text) + eol)
        if draw(st.booleans()):
            parts.append("event: " + draw(_field_text) + eol)
        for line in draw(st.lists(_field_text, min_size=1, max_size=3)):
            parts.append("data: " + line + eol)
        parts.append(eol)
    return "".join(parts).encode()


@settings(max_examples=300, deadline=None)
@given(streams(), st.lists(st.integers(min_value=0, max_value=400), max_size=10))
def test_chunking_invariance_on_generated_streams(stream: bytes, offsets: list[int]) -> None:
    assert decode(*split_at(stream, offsets)) == decode(stream)


def test_line_endings_are_interchangeable() -> None:
    for eol in (b"\n", b"\r\n", b"\r"):
        stream = b"event: e" + eol + b"data: a" + eol + b"data: b" + eol + eol
        assert decode(stream) == [SSEEvent("e", "a\nb", None)]


def test_crlf_split_between_feeds_is_one_line_end() -> None:
    # A CR ending one feed and the LF starting the next must not produce an extra blank line.
    assert decode(b"data: a\r", b"\ndata: b\r\n\r\n") == [SSEEvent("message", "a\nb", None)]


def test_utf8_character_split_across_feeds() -> None:
    text = "€😀é".encode()
    for offset in range(1, len(text)):
        stream = b"data: " + text[:offset]
        assert decode(stream, text[offset:] + b"\n\n") == [SSEEvent("message", "€😀é", None)]


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    assert decode(b"data: a\xffb\n\n") == [SSEEvent("message", "a\ufffdb", None)]


def test_leading_byte_order_mark_is_dropped() -> None:
    assert decode(b"\xef\xbb", b"\xbfdata: x\n\n") == [SSEEvent("message", "x", None)]


def test_event_without_data_is_not_dispatched_and_resets_the_type() -> None:
    assert decode(b"event: lonely\n\ndata: x\n\n") == [SSEEvent("message", "x", None)]


def test_id_persists_and_null_ids_are_ignored() -> None:
    events = decode(b"id: 1\ndata: a\n\ndata: b\n\nid: x\x00y\ndata: c\n\n")
    assert [e.id for e in events] == ["1", "1", "1"]


def test_field_without_colon_and_value_colons() -> None:
    assert decode(b"data\ndata: a: b\n\n") == [SSEEvent("message", "\na: b", None)]


def test_finish_dispatches_terminated_lines_without_blank_line() -> None:
    assert decode(b"data: [DONE]\n") == [SSEEvent("message", "[DONE]", None)]


def test_finish_drops_an_unterminated_line() -> None:
    assert decode(b'data: {"a": 1}\n\ndata: {"cut') == [SSEEvent("message", '{"a": 1}', None)]


def test_finish_resets_for_reuse() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 3\ndata: a\n") == []
    assert decoder.finish() == [SSEEvent("message", "a", "3")]
    assert decoder.feed(b"data: b\n\n") == [SSEEvent("message", "b", None)]


def test_empty_feed_is_a_no_op() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"") == []
    assert decoder.feed(b"data: a\n\n") == [SSEEvent("message", "a", None)]


def test_keepalives_before_the_first_event_keep_memory_flat() -> None:
    decoder = SSEDecoder()
    keepalive = b": OPENROUTER PROCESSING\n\n"
    for _ in range(1000):  # warm up allocator caches
        decoder.feed(keepalive)
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        for _ in range(100_000):
            assert decoder.feed(keepalive) == []
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert current - baseline < 4096
    assert peak - baseline < 64 * 1024
    assert decoder.feed(b"data: first\n\n") == [SSEEvent("message", "first", None)]


def test_keepalive_split_mid_comment_is_not_retained() -> None:
    decoder = SSEDecoder()
    for _ in range(10_000):
        decoder.feed(b": OPENROUTER PRO")
        decoder.feed(b"CESSING\n\n")
    assert len(decoder._buffer) == 0  # pyright: ignore[reportPrivateUsage]


def test_one_32_mb_event_in_64_kb_pieces_is_linear() -> None:
    payload = b"x" * (32 * 1024 * 1024)
    stream = b"data: " + payload + b"\n\n"
    decoder = SSEDecoder()
    started = time.perf_counter()
    events: list[SSEEvent] = []
    step = 64 * 1024
    for start in range(0, len(stream), step):
        events.extend(decoder.feed(stream[start : start + step]))
    elapsed = time.perf_counter() - started
    assert len(events) == 1
    assert len(events[0].data) == len(payload)
    # A quadratic re-scan would touch ~17 GB here and take minutes.
    assert elapsed < 5.0


def test_many_small_events_in_one_feed() -> None:
    stream = b"".join(b"data: %d\n\n" % i for i in range(10_000))
    events = decode(stream)
    assert [e.data for e in events] == [str(i) for i in range(10_000)]


def test_cr_only_stream_of_many_events_is_linear() -> None:
    stream = b"data: x\r\r" * 50_000
    started = time.perf_counter()
    events = decode(*split_at(stream, list(range(0, len(stream), 4096))))
    assert len(events) == 50_000
    assert time.perf_counter() - started < 5.0
