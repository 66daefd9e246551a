"""The widget's socket.io channel on the real assistant: replies, limits, bad input."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import socketio

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
