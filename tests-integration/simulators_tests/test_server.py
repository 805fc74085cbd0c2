"""The HTTP server core: routing, scripting, recording, keep-alive, concurrency and shutdown."""

from __future__ import annotations

import http.client
import json
import math
import socket
import threading
import time

import pytest
from simulators import Fault, OpenAIChatSim, RawReply, RecordedRequest, SimServer, Turn

from simulators_tests._wire import data_events, raw_request, request

CHAT = "/v1/chat/completions"


def test_requests_are_recorded_with_case_insensitive_headers(openai_sim: OpenAIChatSim) -> None:
    openai_sim.enqueue(Turn(content="ok"))
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    request(openai_sim, CHAT + "?api-version=1&x=", body, headers={"Authorization": "Bearer sk-test", "X-Custom": "a"})
    recorded = openai_sim.last_request
    assert recorded.method == "POST"
    assert recorded.path == CHAT
    assert recorded.query == {"api-version": "1", "x": ""}
    assert recorded.headers["authorization"] == "Bearer sk-test"
    assert recorded.headers["AUTHORIZATION"] == "Bearer sk-test"
    assert "x-custom" in recorded.headers
    assert recorded.json == body
    assert json.loads(recorded.body) == body
    assert recorded.route == "chat"
    assert openai_sim.requests_for("chat") == [recorded]


def test_unscripted_request_gets_a_500_naming_the_missing_script(openai_sim: OpenAIChatSim) -> None:
    response = request(openai_sim, CHAT, {"model": "gpt-4o-mini"})
    assert response.status == 500
    message = response.json["error"]["message"]
    assert "no reply scripted for POST /v1/chat/completions" in message
    assert "'chat'" in message and "enqueue" in message
    assert openai_sim.unscripted and "chat" in openai_sim.unscripted[0]
    with pytest.raises(AssertionError, match="without a scripted reply"):
        openai_sim.assert_drained()


def test_unknown_route_is_a_404_in_the_provider_shape(openai_sim: OpenAIChatSim) -> None:
    response = request(openai_sim, "/v1/v1/chat/complete", {"model": "x"})
    assert response.status == 404
    assert "no route for POST /v1/v1/chat/complete" in response.json["error"]["message"]


def test_fifo_then_default(openai_sim: OpenAIChatSim) -> None:
    openai_sim.enqueue(Turn(content="one"), Turn(content="two"))
    openai_sim.set_default(Turn(content="default"))
    answers = [request(openai_sim, CHAT, {"model": "m"}).json["choices"][0]["message"]["content"] for _ in range(4)]
    assert answers == ["one", "two", "default", "default"]
    assert openai_sim.pending() == 0
    openai_sim.assert_drained()


def test_pending_and_assert_drained_report_leftovers(openai_sim: OpenAIChatSim) -> None:
    openai_sim.enqueue(Turn(content="never"))
    assert openai_sim.pending("chat") == 1
    with pytest.raises(AssertionError, match="never requested"):
        openai_sim.assert_drained()
    with pytest.raises(KeyError, match="unknown route"):
        openai_sim.enqueue(Turn(), route="nope")


def test_a_function_of_the_request_can_choose_the_reply(openai_sim: OpenAIChatSim) -> None:
    def echo(req: RecordedRequest) -> Turn:
        return Turn(content=req.json["messages"][-1]["content"].upper())

    openai_sim.set_default(echo)
    response = request(openai_sim, CHAT, {"model": "m", "messages": [{"role": "user", "content": "shout"}]})
    assert response.json["choices"][0]["message"]["content"] == "SHOUT"


def test_keep_alive_serves_several_requests_on_one_connection(openai_sim: OpenAIChatSim) -> None:
    openai_sim.set_default(Turn(content=["a", "b"]))
    connection = http.client.HTTPConnection("127.0.0.1", openai_sim.port, timeout=5)
    try:
        for stream in (True, False, True):
            connection.request("POST", CHAT, json.dumps({"model": "m", "stream": stream}))
            response = connection.getresponse()
            assert response.status == 200
            response.read()
    finally:
        connection.close()
    assert openai_sim.connections_accepted == 1
    assert len({r.connection_id for r in openai_sim.requests}) == 1


def test_chunked_request_body_and_expect_continue(openai_sim: OpenAIChatSim) -> None:
    openai_sim.enqueue(Turn(content="ok"))
    body = json.dumps({"model": "m", "messages": []}).encode()
    chunked = b"%x\r\n%b\r\n0\r\n\r\n" % (len(body), body)
    response = raw_request(
        openai_sim,
        CHAT,
        chunked,
        extra_headers="Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n",
    )
    assert response.raw.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")
    assert openai_sim.last_request.json == {"model": "m", "messages": []}


def test_malformed_request_line_gets_400(openai_sim: OpenAIChatSim) -> None:
    with socket.create_connection(("127.0.0.1", openai_sim.port), timeout=5) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        data = sock.recv(65536)
    assert data.startswith(b"HTTP/1.1 400 ")


def test_fifty_concurrent_streams(openai_sim: OpenAIChatSim) -> None:
    openai_sim.set_default(Turn(content=[f"tok{i} " for i in range(50)]).with_faults(Fault.stall(0.2, after=2)))
    results: list[int] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            response = request(openai_sim, CHAT, {"model": "m", "stream": True}, timeout=10)
            results.append(len(data_events(response.body)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(50)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors
    assert results == [52] * 50  # role + 50 content + finish
    assert time.monotonic() - started < 5  # the 0.2 s stalls overlap
    assert openai_sim.connections_accepted == 50


def test_wait_for_requests(openai_sim: OpenAIChatSim) -> None:
    openai_sim.set_default(Turn(content="ok"))
    thread = threading.Thread(target=lambda: request(openai_sim, CHAT, {"model": "m"}))
    thread.start()
    assert len(openai_sim.wait_for_requests(1, timeout=5)) == 1
    thread.join()
    with pytest.raises(TimeoutError):
        openai_sim.wait_for_requests(2, timeout=0.05)


def test_stop_does_not_hang_on_stalled_replies_or_idle_clients() -> None:
    sim = OpenAIChatSim().start()
    sim.set_default(Turn(content="never").with_faults(Fault.stall(math.inf)))
    idle = socket.create_connection(("127.0.0.1", sim.port), timeout=5)  # connects, sends nothing
    half = socket.create_connection(("127.0.0.1", sim.port), timeout=5)
    half.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")  # half a request
    waiting = socket.create_connection(("127.0.0.1", sim.port), timeout=5)
    body = b'{"model": "m"}'
    waiting.sendall(b"POST %b HTTP/1.1\r\nContent-Length: %d\r\n\r\n%b" % (CHAT.encode(), len(body), body))
    sim.wait_for_requests(1)
    deadline = time.monotonic() + 5
    while sim.open_connections < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 2
    assert sim.open_connections == 0
    for sock in (idle, half, waiting):
        assert sock.recv(100) == b""  # the server closed it
        sock.close()
    sim.stop()  # idempotent


def test_stop_does_not_hang_when_the_client_stops_reading() -> None:
    sim = OpenAIChatSim().start()
    sim.enqueue(Turn(content="x").with_faults(Fault.huge_event(64_000_000)))
    client = socket.create_connection(("127.0.0.1", sim.port), timeout=5)
    body = b'{"model": "m", "stream": true}'
    client.sendall(b"POST %b HTTP/1.1\r\nContent-Length: %d\r\n\r\n%b" % (CHAT.encode(), len(body), body))
    client.recv(1024)  # the server is now writing 64 MB that nobody reads: its sendall blocks
    time.sleep(0.2)
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 2
    assert sim.open_connections == 0
    client.close()


def test_stall_ends_early_when_the_client_leaves(openai_sim: OpenAIChatSim) -> None:
    openai_sim.enqueue(Turn(content="x").with_faults(Fault.stall(math.inf)))
    with pytest.raises(TimeoutError):
        request(openai_sim, CHAT, {"model": "m"}, timeout=0.2)
    deadline = time.monotonic() + 3
    while openai_sim.open_connections and time.monotonic() < deadline:
        time.sleep(0.02)
    assert openai_sim.open_connections == 0


def test_handler_errors_become_visible_500s(openai_sim: OpenAIChatSim) -> None:
    def broken(req: RecordedRequest) -> Turn:
        raise RuntimeError("boom")

    openai_sim.enqueue(broken)
    response = request(openai_sim, CHAT, {"model": "m"})
    assert response.status == 500
    assert "RuntimeError: boom" in response.json["error"]["message"]
    assert openai_sim.errors


def test_raw_reply_in_any_framing(openai_sim: OpenAIChatSim) -> None:
    for framing in ("length", "chunked", "close"):
        openai_sim.enqueue(RawReply((b"ab", b"cd"), content_type="text/plain", framing=framing))
        response = raw_request(openai_sim, CHAT, {"model": "m"})
        assert response.body == b"abcd"
        assert response.complete
    assert response.headers.get("connection") == "close"


def test_plain_sim_server_context_manager() -> None:
    with SimServer() as server:
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        response = raw_request(server, "/anything", method="GET")
        assert response.status == 404
    with pytest.raises(RuntimeError, match="not started"):
        _ = SimServer().base_url
