"""The widget's socket.io channel on the real assistant: replies, limits, bad input."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import pytest
import requests
import socketio

from bot.channels.checks import SORRY
from bot.i18n import render
from bot.limits import TOO_LONG
from tests.conftest import PORTS, Assistant, expected

pytestmark = pytest.mark.e2e

URL = f"http://127.0.0.1:{PORTS['RASA_PORT']}"
# A browser sends its page's origin; only the configured pages may connect.
ORIGIN = f"http://127.0.0.1:{PORTS['WEB_PORT']}"


def converse(session_id: str, *messages: Any, wait: float = 15) -> list[dict]:
    """Sends each message in turn; returns every bot message that came back."""
    client = socketio.Client(websocket_extra_options={"origin": ORIGIN})
    received: list[dict] = []
    confirmed = threading.Event()
    client.on("bot_uttered", received.append)
    client.on("session_confirm", lambda _: confirmed.set())
    client.connect(URL, transports=["websocket"])
    try:
        client.emit("session_request", {"session_id": session_id})
        assert confirmed.wait(15)
        for message in messages:
            count = len(received)
            client.emit("user_uttered", message)
            deadline = time.monotonic() + wait
            while len(received) == count and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)  # a reply may come in several messages
    finally:
        client.disconnect()
    return received


def test_a_reply_in_the_language_the_page_chose(assistant: Assistant) -> None:
    [reply] = converse(
        "sio-fi",
        {"message": "/greet", "session_id": "sio-fi", "customData": {"language": "fi"}},
    )
    assert reply["text"] == expected("utter_greet", "fi")
    assert [b["payload"] for b in reply["quick_replies"]][0] == "/ask_microloan"


def test_an_oversized_message_gets_a_polite_answer(assistant: Assistant) -> None:
    too_long = {
        "message": "x" * 2001,
        "session_id": "sio-long",
        "customData": {"language": "fr"},
    }
    [reply] = converse("sio-long", too_long)
    assert reply["text"] == render(TOO_LONG, "fr", {"limit": 2000})


def test_oversized_metadata_gets_an_apology_not_an_empty_message(
    assistant: Assistant,
) -> None:
    too_large = {
        "message": "bonjour",
        "session_id": "sio-meta",
        "customData": {"language": "fr", "x": "a" * 20_000},
    }
    [reply] = converse("sio-meta", too_large)
    assert reply["text"] == render(SORRY, "fr", {})


def test_malformed_messages_are_ignored_and_the_channel_goes_on(
    assistant: Assistant,
) -> None:
    replies = converse(
        "sio-bad",
        "just a string",
        {"message": 42, "session_id": "sio-bad"},
        {"message": "hello", "session_id": "sio-bad", "customData": "not an object"},
        wait=3,
    )
    assert [r["text"] for r in replies] == [expected("utter_greet", "en")]


def log_since(assistant: Assistant, offset: int) -> str:
    time.sleep(1)  # the launcher copies the processes' output line by line
    with assistant.log.open("rb") as log:
        log.seek(offset)
        return log.read().decode("utf-8", "replace")


# Packets python-socketio raised on, each logged with a traceback (the fuzz).
MALFORMED_PACKETS = [
    "2",  # an event without its data
    "2[]",
    "2[1]",  # an event whose name is no text
    "2[",  # broken JSON
    "9",  # no such packet type
    "\x00",
    "4",  # CONNECT_ERROR, which only a server sends
    '51-["user_uttered",{"_placeholder":true,"num":7}]',  # and no attachment follows
    '2["user_uttered",{"message":"hi","session_id":"sio-packets"}]',
]


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_malformed_packets_are_ignored_and_the_connection_goes_on(
    assistant: Assistant, transport: str
) -> None:
    offset = assistant.log.stat().st_size
    client = socketio.Client(websocket_extra_options={"origin": ORIGIN})
    received: list[dict] = []
    confirmed = threading.Event()
    client.on("bot_uttered", received.append)
    client.on("session_confirm", lambda _: confirmed.set())
    headers = {"Origin": ORIGIN} if transport == "polling" else {}
    client.connect(URL, headers=headers, transports=[transport])
    session = f"sio-packets-{transport}"
    try:
        client.emit("session_request", {"session_id": session})
        assert confirmed.wait(15)
        for packet in MALFORMED_PACKETS:
            client.eio.send(packet)
        client.eio.send(b"2")  # binary data that no packet announced
        client.emit("user_uttered", {"message": "hello", "session_id": session})
        deadline = time.monotonic() + 20
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        threading.Thread(target=client.disconnect, daemon=True).start()
    assert [r["text"] for r in received] == [expected("utter_greet", "en")]
    logged = log_since(assistant, offset)
    assert "Traceback" not in logged and "ERROR" not in logged, logged[-3000:]
    assert "Ignored a malformed socket.io packet" in logged


def test_undecodable_polling_requests_leave_no_traceback(assistant: Assistant) -> None:
    """python-engineio logged "post request handler error" and a traceback."""
    offset = assistant.log.stat().st_size
    handshake = requests.get(
        f"{URL}/socket.io/?EIO=4&transport=polling",
        headers={"Origin": ORIGIN},
        timeout=10,
    )
    sid = json.loads(handshake.text[1:])["sid"]
    for body in [b"", b"\x1e\x1e", b"\xff\xfe", b"b!!!!"]:
        response = requests.post(
            f"{URL}/socket.io/?EIO=4&transport=polling&sid={sid}",
            data=body,
            headers={"Origin": ORIGIN},
            timeout=10,
        )
        assert response.status_code < 500
    logged = log_since(assistant, offset)
    assert "Traceback" not in logged and "ERROR" not in logged, logged[-3000:]


@pytest.mark.parametrize(
    "task, dropped",
    [
        ("WebsocketImplProtocol.async_data_received", "sanic/server/websockets/impl"),
        ("WebsocketFrameAssembler.get", "sanic/server/websockets/frame"),
        ("AsyncSocket._send_ping", ""),  # not Sanic's websocket: stays an error
    ],
)
def test_a_closed_websockets_unread_frames_are_a_warning(
    task: str, dropped: str
) -> None:
    from bot.channels.logs import DroppedWebsocketFramesInOneLine

    where = f"/venv/site-packages/{dropped or 'engineio/async_socket'}.py:780"
    record = logging.LogRecord(
        "asyncio",
        logging.ERROR,
        __file__,
        1,
        "Task was destroyed but it is pending!\ntask: <Task pending name='Task-1' "
        f"coro=<{task}() running at {where}> wait_for=<Future pending>>",
        (),
        None,
    )
    assert DroppedWebsocketFramesInOneLine().filter(record)
    assert record.levelno == (logging.WARNING if dropped else logging.ERROR)
    assert ("\n" not in record.getMessage()) is bool(dropped)


def test_a_packet_nested_past_pythons_limit_is_refused_not_raised() -> None:
    from socketio import AsyncServer

    from bot.channels.socketio import _packet_problem

    problem = _packet_problem(
        AsyncServer(async_mode="asgi"), "sid", "2" + "[" * 100_000
    )
    assert problem is not None and "recursion" in problem.lower()
