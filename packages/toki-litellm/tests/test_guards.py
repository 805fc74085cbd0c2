"""``toki_litellm.guards``: what litellm is handed of a successful body, and what is refused."""

from __future__ import annotations

import pytest
from toki.errors import TokiResponseError
from toki_litellm.guards import DocumentGuard, EventGuard, Guard

ANTHROPIC_BODY = (
    b": keep-alive\r\n\r\n"
    b'event: message_start\r\ndata: {"type":"message_start"}\r\n\r\n'
    b'event: content_block_delta\rdata: {"type":"content_block_delta","delta":{"text":"h\xc3\xa9"}}\r\r'
    b": another comment\n"
    b"data: [DONE]\n\n"
)
CANONICAL = (
    'event: message_start\ndata: {"type":"message_start"}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"hé"}}\n\n'
    "data: [DONE]\n\n"
).encode()


def _run(guard: Guard, pieces: list[bytes]) -> bytes:
    out = b"".join(guard.feed(piece) for piece in pieces) + guard.finish()
    assert guard.error is None
    return out


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, len(ANTHROPIC_BODY)])
def test_events_are_handed_on_canonically_whatever_the_split(size: int) -> None:
    """Comments dropped, CR/CRLF/LF made LF, the event names kept, a UTF-8 character split anywhere."""
    pieces = [ANTHROPIC_BODY[i : i + size] for i in range(0, len(ANTHROPIC_BODY), size)]
    assert _run(EventGuard("anthropic"), pieces) == CANONICAL


def test_nothing_is_handed_on_before_an_event_is_complete() -> None:
    guard = EventGuard("openai")
    assert guard.feed(b'data: {"a":') == b""
    assert guard.feed(b"1}\n") == b""
    assert guard.feed(b"\n") == b'data: {"a":1}\n\n'


def test_keepalives_alone_hand_on_nothing() -> None:
    guard = EventGuard("google")
    assert guard.feed(b": ping\n\n" * 1000) == b"" and guard.finish() == b"" and guard.error is None


def test_a_data_split_over_lines_stays_one_event() -> None:
    assert _run(EventGuard("openai"), [b'data: {"a":\ndata: 1}\n\n']) == b'data: {"a":\ndata: 1}\n\n'


def test_a_last_event_without_its_blank_line_is_handed_on_at_the_end() -> None:
    guard = EventGuard("openai")
    assert guard.feed(b"data: [DONE]\n") == b""
    assert guard.finish() == b"data: [DONE]\n\n"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ('{"type":"content_block_delta","delta":{"te', "is not valid JSON"),
        ("null", "is null, not a JSON object"),
        ("[1, 2]", "is an array, not a JSON object"),
        ('"text"', "is a string, not a JSON object"),
        ("42", "is a number, not a JSON object"),
        ("true", "is a boolean, not a JSON object"),
    ],
)
def test_a_bad_event_is_refused_after_the_good_ones_before_it(data: str, problem: str) -> None:
    guard = EventGuard("anthropic")
    good = b'event: ping\ndata: {"type":"ping"}\n\n'
    passed = guard.feed(good + f"event: content_block_delta\ndata: {data}\n\n".encode() + good)
    assert passed == good  # what came before the fault, and nothing after it
    assert isinstance(guard.error, TokiResponseError) and type(guard.error) is TokiResponseError
    assert f"malformed 'content_block_delta' event: its data {problem}" in str(guard.error)
    assert guard.error.provider == "anthropic"
    assert guard.feed(good) == b"" and guard.finish() == b""


def test_a_long_bad_event_is_shown_shortened() -> None:
    guard = EventGuard("openai")
    guard.feed(b"data: {" + b"x" * 10_000 + b"\n\n")
    assert guard.error is not None and len(str(guard.error)) < 300 and "..." in str(guard.error)


def test_a_json_body_is_handed_on_whole_and_unchanged() -> None:
    body = b'{"id": "x", "choices": []}'
    guard = DocumentGuard("openai")
    assert guard.feed(body[:5]) == b"" and guard.feed(body[5:]) == b""
    assert guard.finish() == body and guard.error is None


def test_invalid_utf8_in_a_body_becomes_replacement_characters() -> None:
    guard = DocumentGuard("openai")
    guard.feed(b'{"content": "caf\xff\xfe ok"}')
    assert guard.finish() == '{"content": "caf\ufffd\ufffd ok"}'.encode() and guard.error is None


def test_invalid_utf8_in_an_event_becomes_replacement_characters() -> None:
    out = _run(EventGuard("openai"), [b'data: {"c": "caf\xff\xfe ok"}\n\n'])
    assert out == 'data: {"c": "caf\ufffd\ufffd ok"}\n\n'.encode()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"id": "x", "choi', "is not valid JSON"),
        (b"", "is not valid JSON"),
        (b"[1]", "is an array, not a JSON object"),
    ],
)
def test_a_bad_json_body_is_refused_at_its_end(body: bytes, problem: str) -> None:
    guard = DocumentGuard("google")
    assert guard.feed(body) == b"" and guard.error is None
    assert guard.finish() == b""
    assert type(guard.error) is TokiResponseError and f"the provider's answer {problem}" in str(guard.error)


def test_a_web_page_is_refused_with_its_declared_type() -> None:
    guard = DocumentGuard("openai", "text/html; charset=utf-8")
    guard.feed(b"<html><body>Sign in to the Wi-Fi</body></html>")
    guard.finish()
    assert guard.error is not None
    assert "is not valid JSON, declared as 'text/html; charset=utf-8'" in str(guard.error)
    assert "Sign in to the Wi-Fi" in str(guard.error)
