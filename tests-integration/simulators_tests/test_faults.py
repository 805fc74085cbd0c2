"""Every fault, against every protocol, observed over a real socket."""

from __future__ import annotations

import http.client
import json
import socket
import time
from typing import Any

import pytest
from simulators import Fault, ProtocolSim, RawReply, Turn
from simulators.recorded import dechunk

from simulators_tests._protocols import PROTOCOL_IDS, PROTOCOLS, Proto
from simulators_tests._wire import parse_sse, raw_request, request

TURN = Turn(content=["Hel", "lo", " there", "!"])


@pytest.fixture(params=PROTOCOLS, ids=PROTOCOL_IDS)
def proto(request: pytest.FixtureRequest) -> Proto:
    return request.param


SSE_PROTOCOLS = [p for p in PROTOCOLS if not p.ndjson]


@pytest.fixture(params=SSE_PROTOCOLS, ids=[p.name for p in SSE_PROTOCOLS])
def sse_proto(request: pytest.FixtureRequest) -> Proto:
    return request.param


@pytest.fixture
def sse_sim(sse_proto: Proto, request: pytest.FixtureRequest) -> ProtocolSim:
    return request.getfixturevalue(sse_proto.fixture)


@pytest.fixture
def sim(proto: Proto, request: pytest.FixtureRequest) -> ProtocolSim:
    return request.getfixturevalue(proto.fixture)


def stream(sim: ProtocolSim, proto: Proto, **kwargs: Any) -> Any:
    return raw_request(sim, proto.stream_path, proto.stream_body, **kwargs)


def test_clean_stream_has_content_and_terminal(sim: ProtocolSim, proto: Proto) -> None:
    sim.enqueue(TURN)
    response = stream(sim, proto)
    assert response.status == 200
    assert response.complete
    assert proto.content(response.body) == "Hello there!"
    assert proto.has_terminal(response.body)
    assert response.chunks is not None and len(response.chunks) >= 4  # one write per event


# -- status faults ---------------------------------------------------------------------------


def _check_error_shape(proto: Proto, status: int, body: Any) -> None:
    if proto.name == "openai":
        assert set(body["error"]) == {"message", "type", "param", "code"}
    elif proto.name == "openrouter":
        assert body["error"]["code"] == status and body["error"]["message"]
    elif proto.name == "anthropic":
        expected = {
            400: "invalid_request_error",
            401: "authentication_error",
            403: "permission_error",
            404: "not_found_error",
            429: "rate_limit_error",
            500: "api_error",
            529: "overloaded_error",
        }
        assert body["type"] == "error"
        assert body["error"]["type"] == expected[status]
        assert body["error"]["message"] and body["request_id"].startswith("req_")
    elif proto.name == "gemini":
        names = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}
        names |= {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 529: "INTERNAL"}
        assert body["error"]["code"] == status
        assert body["error"]["status"] == names[status]
        assert body["error"]["message"]
    else:
        assert isinstance(body["error"], str) and body["error"]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 529])
def test_status_fault_uses_the_provider_error_shape(sim: ProtocolSim, proto: Proto, status: int) -> None:
    sim.enqueue(Fault.status(status))
    response = request(sim, proto.stream_path, proto.stream_body)
    assert response.status == status
    assert response.headers["content-type"].startswith("application/json")
    _check_error_shape(proto, status, response.json)


def test_status_fault_overrides_and_retry_after(sim: ProtocolSim, proto: Proto) -> None:
    sim.enqueue(Fault.status(429, headers={"Retry-After": "1"}, message="slow down"))
    response = request(sim, proto.blocking_path, proto.blocking_body)
    assert response.status == 429
    assert response.headers["retry-after"] == "1"
    assert "slow down" in response.text
    if proto.name == "gemini":
        retry = [d for d in response.json["error"]["details"] if d["@type"].endswith("RetryInfo")]
        assert retry[0]["retryDelay"] == "1s"


def test_status_fault_with_html_or_empty_body(sim: ProtocolSim, proto: Proto) -> None:
    html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    sim.enqueue(Fault.status(502, body=html), Fault.status(503, body=""))
    response = request(sim, proto.stream_path, proto.stream_body)
    assert (response.status, response.text) == (502, html)
    assert response.headers["content-type"].startswith("text/html")
    response = request(sim, proto.stream_path, proto.stream_body)
    assert (response.status, response.body, response.headers["content-length"]) == (503, b"", "0")


def test_turn_can_carry_a_status_fault_and_extra_headers(openai_sim: ProtocolSim) -> None:
    openai_sim.enqueue(Turn(content="unused", headers={"x-extra": "1"}).with_faults(Fault.status(500, code="boom")))
    response = request(openai_sim, "/v1/chat/completions", {"model": "m"})
    assert response.status == 500
    assert response.headers["x-extra"] == "1"
    assert response.json["error"]["code"] == "boom"


# -- connection faults -------------------------------------------------------------------------


def test_reset_before_headers(sim: ProtocolSim, proto: Proto) -> None:
    sim.enqueue(Fault.reset_before_headers())
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        request(sim, proto.stream_path, proto.stream_body)


def test_stall_before_headers_trips_a_client_timeout(sim: ProtocolSim, proto: Proto) -> None:
    sim.enqueue(TURN.with_faults(Fault.stall(0.5)))
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        request(sim, proto.stream_path, proto.stream_body, timeout=0.15)
    assert time.monotonic() - started < 0.45


def test_stall_after_headers_and_after_events(sim: ProtocolSim, proto: Proto) -> None:
    sim.enqueue(TURN.with_faults(Fault.stall(0.2, headers_sent=True), Fault.stall(0.2, after=2)))
    body = json.dumps(proto.stream_body).encode()
    path = proto.stream_path
    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as sock:
        sock.sendall(
            b"POST %b HTTP/1.1\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%b" % (path.encode(), len(body), body)
        )
        started = time.monotonic()
        first = sock.recv(65536)
        headers_at = time.monotonic() - started
        rest = b""
        while chunk := sock.recv(65536):
            rest += chunk
        total = time.monotonic() - started
    assert first.startswith(b"HTTP/1.1 200 OK") and first.endswith(b"\r\n\r\n")  # headers alone
    assert headers_at < 0.25
    assert total >= 0.4
    assert proto.content(dechunk(rest)) == "Hello there!"


@pytest.mark.parametrize("n", [1, 3])
def test_cut_after_n_events(sim: ProtocolSim, proto: Proto, n: int) -> None:
    sim.enqueue(TURN.with_faults(Fault.cut_after(n)))
    response = stream(sim, proto)
    assert response.status == 200
    assert not response.complete
    assert proto.event_count(response.body) == n
    assert response.body.endswith(b"\n")
    with pytest.raises(http.client.IncompleteRead):
        sim.enqueue(TURN.with_faults(Fault.cut_after(n)))
        request(sim, proto.stream_path, proto.stream_body)


def test_cut_mid_event(sim: ProtocolSim, proto: Proto) -> None:
    sim.enqueue(TURN.with_faults(Fault.cut_after(2, mid_event=True)))
    response = stream(sim, proto)
    assert not response.complete
    assert proto.event_count(response.body) == 2
    assert not response.body.endswith(b"\n")  # half an event


def test_cut_blocking_body_short_of_content_length(sim: ProtocolSim, proto: Proto) -> None:
    sim.enqueue(TURN.with_faults(Fault.cut_after(0, mid_event=True)))
    response = raw_request(sim, proto.blocking_path, proto.blocking_body)
    assert response.status == 200
    assert not response.complete
    assert 0 < len(response.body) < int(response.headers["content-length"])


def test_malformed_and_non_object_events(sim: ProtocolSim, proto: Proto) -> None:
    sim.enqueue(TURN.with_faults(Fault.malformed_event(after=2)), TURN.with_faults(Fault.non_object_event(after=1)))
    for fault_index, kind in ((2, "malformed"), (1, "non_object")):
        response = stream(sim, proto)
        assert response.complete
        payloads = _payloads(proto, response.body)
        bad = payloads.pop(fault_index)
        if kind == "malformed":
            with pytest.raises(json.JSONDecodeError):
                json.loads(bad)
        else:
            assert json.loads(bad) == [1, 2, 3]
        events = [json.loads(p) for p in payloads if p != "[DONE]"]
        assert proto.content_of(events) == "Hello there!"  # the stream goes on after the bad event


def _payloads(proto: Proto, body: bytes) -> list[str]:
    if proto.ndjson:
        return body.decode().split("\n")[:-1]
    return [e.data for e in parse_sse(body).events]


def test_non_blocking_json_faults(sim: ProtocolSim, proto: Proto) -> None:
    sim.enqueue(TURN.with_faults(Fault.malformed_event()), TURN.with_faults(Fault.non_object_event(value='"text"')))
    response = request(sim, proto.blocking_path, proto.blocking_body)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.body)
    assert request(sim, proto.blocking_path, proto.blocking_body).json == "text"


def test_in_band_error(sim: ProtocolSim, proto: Proto) -> None:
    sim.enqueue(TURN.with_faults(Fault.in_band_error(after=3, message="it broke")))
    response = stream(sim, proto)
    assert response.status == 200
    assert response.complete  # a clean end of body right after the error
    events = proto.events(response.body)
    error = events[3]
    if proto.name == "openai":
        assert error["error"]["message"] == "it broke" and error["error"]["type"] == "server_error"
        assert b"[DONE]" not in response.body
    elif proto.name == "openrouter":
        assert error["error"] == {"code": "server_error", "message": "it broke"}
        assert error["choices"][0]["finish_reason"] == "error"
        assert response.body.endswith(b"data: [DONE]\n\n")
    elif proto.name == "anthropic":
        assert parse_sse(response.body).events[3].event == "error"
        assert error == {"type": "error", "error": {"type": "overloaded_error", "message": "it broke"}}
    elif proto.name == "gemini":
        assert error["error"]["code"] == 503 and error["error"]["status"] == "UNAVAILABLE"
        assert error["error"]["message"] == "it broke"
    else:
        assert error == {"error": "it broke"}
    assert len(events) == 4


def test_drip_writes_one_byte_at_a_time(sim: ProtocolSim, proto: Proto) -> None:
    sim.enqueue(Turn(content=["ab", "c"]).with_faults(Fault.drip()))
    response = stream(sim, proto)
    assert response.complete and response.chunks
    assert {len(c) for c in response.chunks} == {1}
    assert proto.content(response.body) == "abc"


def test_drip_delay_applies_per_byte(openai_sim: ProtocolSim) -> None:
    openai_sim.enqueue(RawReply.of(b"0123456789").with_faults(Fault.drip(0.02)))
    started = time.monotonic()
    response = raw_request(openai_sim, "/v1/chat/completions", {"model": "m"})
    assert time.monotonic() - started >= 0.2
    assert response.body == b"0123456789" and response.headers["content-length"] == "10"


def test_write_sizes(sim: ProtocolSim, proto: Proto) -> None:
    sim.enqueue(TURN.with_faults(Fault.write_sizes(3, 5)))
    response = stream(sim, proto)
    assert response.chunks
    sizes = [len(c) for c in response.chunks]
    assert sizes[:-1] == [3 if i % 2 == 0 else 5 for i in range(len(sizes) - 1)]
    assert sizes[-1] <= 5
    assert proto.content(response.body) == "Hello there!"


@pytest.mark.parametrize("streamed", [True, False], ids=["stream", "blocking"])
def test_patch_bytes_puts_raw_bytes_in_every_event(sim: ProtocolSim, proto: Proto, streamed: bool) -> None:
    sim.enqueue(Turn(content=["Hel", "MARK", "lo"]).with_faults(Fault.patch_bytes(b"MARK", b"\xff\xfe")))
    response = stream(sim, proto) if streamed else raw_request(sim, proto.blocking_path, proto.blocking_body)
    assert response.status == 200 and response.complete
    assert b"MARK" not in response.body and b"\xff\xfe" in response.body
    if not streamed:  # one JSON document: the content in one string
        assert b"Hel\xff\xfelo" in response.body


def test_no_terminal_event(sim: ProtocolSim, proto: Proto) -> None:
    sim.enqueue(TURN.with_faults(Fault.no_terminal_event()))
    response = stream(sim, proto)
    assert response.complete  # the HTTP body ends cleanly...
    assert proto.content(response.body) == "Hello there!"
    assert not proto.has_terminal(response.body)  # ...but the protocol never said it was done


def test_keepalives_before_the_first_event(sim: ProtocolSim, proto: Proto) -> None:
    sim.enqueue(TURN.with_faults(Fault.keepalives(5)))
    response = stream(sim, proto)
    assert proto.content(response.body) == "Hello there!"
    if proto.name in ("openai", "openrouter", "gemini"):
        parsed = parse_sse(response.body)
        expected = {"openai": "keep-alive", "openrouter": "OPENROUTER PROCESSING", "gemini": "keep-alive"}[proto.name]
        assert parsed.comments == [expected] * 5
        assert response.body.startswith(f": {expected}".encode())
    elif proto.name == "anthropic":
        names = [e.event for e in parse_sse(response.body).events]
        assert names[:6] == ["ping"] * 5 + ["message_start"]
    else:
        lines = proto.events(response.body)
        assert all(line["message"]["content"] == "" and line["done"] is False for line in lines[:5])


def test_many_keepalives_mid_stream(openrouter_sim: ProtocolSim) -> None:
    openrouter_sim.enqueue(TURN.with_faults(Fault.keepalives(100_000, after=1)))
    response = raw_request(openrouter_sim, "/api/v1/chat/completions", {"model": "m", "stream": True})
    parsed = parse_sse(response.body)
    assert len(parsed.comments) == 100_000
    assert parsed.events[0].json["choices"][0]["delta"]["role"] == "assistant"


def test_huge_event(sim: ProtocolSim, proto: Proto) -> None:
    size = 2_000_000
    sim.enqueue(TURN.with_faults(Fault.huge_event(size)))
    response = stream(sim, proto, timeout=20)
    assert response.complete
    content = proto.content(response.body)
    assert content == "x" * size + "Hello there!"


@pytest.mark.parametrize(("ending", "separator"), [("crlf", b"\r\n\r\n"), ("cr", b"\r\r"), ("lf", b"\n\n")])
def test_sse_line_endings(sse_sim: ProtocolSim, sse_proto: Proto, ending: Any, separator: bytes) -> None:
    proto = sse_proto
    sse_sim.enqueue(TURN.with_faults(Fault.line_ending(ending), Fault.keepalives(1)))
    response = stream(sse_sim, proto)
    body = response.body
    assert body.count(separator) >= 5
    if ending == "cr":
        assert b"\n" not in body
    if ending == "lf":
        assert b"\r" not in body
    assert proto.content(body) == "Hello there!"
    assert proto.has_terminal(body)


def test_gemini_defaults_to_crlf(gemini_sim: ProtocolSim) -> None:
    gemini_sim.enqueue(TURN)
    response = raw_request(gemini_sim, PROTOCOLS[3].stream_path, PROTOCOLS[3].stream_body)
    assert response.body.endswith(b"\r\n\r\n")
    assert response.body.count(b"\r\n\r\n") == 4


def test_close_delimited_stream(sim: ProtocolSim, proto: Proto) -> None:
    sim.enqueue(TURN.with_faults(Fault.close_delimited()))
    response = stream(sim, proto)
    assert "transfer-encoding" not in response.headers
    assert "content-length" not in response.headers
    assert response.headers["connection"] == "close"
    assert proto.content(response.body) == "Hello there!"


def test_raw_reply_faults(openai_sim: ProtocolSim) -> None:
    parts = (b"data: {}\n\n", b"data: {}\n\n", b"data: [DONE]\n\n")
    raw = RawReply(parts, content_type="text/event-stream", framing="chunked")
    openai_sim.enqueue(raw.with_faults(Fault.cut_after(1)), raw.rechunked(1), raw.with_faults(Fault.keepalives(2)))
    first = raw_request(openai_sim, "/v1/chat/completions", {"model": "m"})
    assert (first.body, first.complete) == (parts[0], False)
    second = raw_request(openai_sim, "/v1/chat/completions", {"model": "m"})
    assert second.body == b"".join(parts) and second.chunks and {len(c) for c in second.chunks} == {1}
    third = raw_request(openai_sim, "/v1/chat/completions", {"model": "m"})
    assert third.body == b": keep-alive\n\n" * 2 + b"".join(parts)
