"""Closed doors and answers for everyone, on the real assistant (issue 13).

Rasa's HTTP API needs its token, browsers may call only from the configured origins,
only Rasa may call the action server, and a user always gets an answer: with the
action server killed, after "/restart", in a very long conversation.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
import socketio
import sqlalchemy as sa

from bot.channels.checks import SORRY
from bot.i18n import render
from tests.conftest import PORTS, Assistant, expected, post, say

pytestmark = pytest.mark.e2e

RASA = f"http://127.0.0.1:{PORTS['RASA_PORT']}"
ACTIONS = f"http://127.0.0.1:{PORTS['ACTIONS_PORT']}"
WEB_ORIGIN = f"http://127.0.0.1:{PORTS['WEB_PORT']}"

# Every door of Rasa's HTTP API that reads or changes someone's data or the model.
API_CALLS = [
    ("GET", "/status", None),
    ("GET", "/domain", None),
    ("GET", "/conversations/victim/tracker", None),
    ("GET", "/conversations/victim/story", None),
    ("POST", "/conversations/victim/execute", {"name": "action_delete_my_data"}),
    ("POST", "/conversations/victim/trigger_intent", {"name": "greet"}),
    ("POST", "/conversations/victim/predict", None),
    ("POST", "/conversations/victim/messages", {"text": "hi", "sender": "user"}),
    (
        "POST",
        "/conversations/victim/tracker/events",
        {"event": "bot", "text": "Your loan is approved: pay a fee to this IBAN."},
    ),
    ("PUT", "/conversations/victim/tracker/events", []),
    ("POST", "/model/parse", {"text": "hello"}),
    ("POST", "/model/train", {}),
    ("POST", "/model/test/intents", {}),
    ("POST", "/model/predict", {}),
    ("PUT", "/model", {"model_file": "/tmp/evil.tar.gz"}),
    ("DELETE", "/model", None),
]


def call(
    method: str,
    url: str,
    body: object = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], str]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")


def events_of(assistant: Assistant, sender: str) -> list[str]:
    engine = sa.create_engine(f"sqlite:///{assistant.database}")
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :s"), {"s": sender}
        )
        return [row[0] for row in rows]


@pytest.mark.parametrize("method, path, body", API_CALLS)
def test_rasas_api_refuses_every_call_without_the_token(
    assistant: Assistant, method: str, path: str, body: object
) -> None:
    say("victim", "My name is Amal Haddad, my phone is +32 470 12 34 56")
    stored = events_of(assistant, "victim")
    status, _, text = call(method, RASA + path, body)
    assert status == 401, (status, text[:200])
    assert "Haddad" not in text and "470" not in text
    status, _, _ = call(method, RASA + path + "?token=wrong", body)
    assert status == 401
    assert events_of(assistant, "victim") == stored  # nothing planted, nothing erased


def test_rasas_api_answers_with_the_token(assistant: Assistant) -> None:
    say("api-reader", "hello")
    status, _, text = call(
        "GET", f"{RASA}/conversations/api-reader/tracker?token={assistant.api_token}"
    )
    assert status == 200 and json.loads(text)["sender_id"] == "api-reader"


@pytest.mark.parametrize(
    "origin, allowed",
    [(WEB_ORIGIN, True), ("https://evil.example", False), ("null", False)],
)
def test_only_configured_pages_may_call_rasa_from_a_browser(
    assistant: Assistant, origin: str, allowed: bool
) -> None:
    _, headers, _ = call(
        "OPTIONS",
        f"{RASA}/webhooks/rest/webhook",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    granted = headers.get("Access-Control-Allow-Origin")
    assert (granted == origin) is allowed and granted != "*"


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_the_widget_channel_refuses_other_web_pages(
    assistant: Assistant, transport: str
) -> None:
    def client_from(origin: str) -> socketio.Client:
        return socketio.Client(
            reconnection=False, websocket_extra_options={"origin": origin}
        )

    def headers(origin: str) -> dict[str, str]:  # a websocket sends it once
        return {} if transport == "websocket" else {"Origin": origin}

    evil = "https://evil.example"
    with pytest.raises(socketio.exceptions.ConnectionError):
        client_from(evil).connect(RASA, headers=headers(evil), transports=[transport])
    client = client_from(WEB_ORIGIN)
    client.connect(RASA, headers=headers(WEB_ORIGIN), transports=[transport])
    assert client.connected
    client.disconnect()


@pytest.mark.parametrize(
    "action, slots",
    [
        ("action_delete_my_data", {}),
        (
            "action_submit_referral",
            {
                "referral_consent": "yes",
                "referral_name": "Forged Person",
                "referral_contact": "+31 6 12345678",
                "referral_language": "en",
                "referral_time": "any",
                "city": "amsterdam",
                "topic": "microloan",
            },
        ),
    ],
)
@pytest.mark.parametrize("token", [None, "wrong"])
def test_only_rasa_may_call_the_action_server(
    assistant: Assistant, action: str, slots: dict, token: str | None
) -> None:
    say("action-victim", "Bonjour, j'habite à Liège")
    stored = events_of(assistant, "action-victim")
    forged = {
        "next_action": action,
        "sender_id": "action-victim",
        "tracker": {
            "sender_id": "action-victim",
            "slots": slots,
            "latest_message": {"text": "x", "intent": {"name": "affirm"}},
            "events": [],
        },
        "domain": {},
        "version": "3.6.21",
    }
    headers = {"X-Action-Token": token} if token else {}
    status, _, text = call("POST", f"{ACTIONS}/webhook", forged, headers)
    assert status == 401 and "Forged" not in text
    assert events_of(assistant, "action-victim") == stored
    engine = sa.create_engine(f"sqlite:///{assistant.database}")
    with engine.connect() as connection:
        forged_referrals = connection.execute(
            sa.text("SELECT count(*) FROM referrals WHERE name = 'Forged Person'")
        ).scalar()
    assert forged_referrals == 0


def test_the_action_server_listens_on_loopback_only(assistant: Assistant) -> None:
    addresses = subprocess.run(
        ["hostname", "-I"], capture_output=True, text=True
    ).stdout.split()
    outside = [a for a in addresses if not a.startswith("127.") and ":" not in a]
    if not outside:
        pytest.skip("this machine has no address besides loopback")
    with pytest.raises(OSError):
        socket.create_connection((outside[0], int(PORTS["ACTIONS_PORT"])), timeout=3)


def wait_for(condition, seconds: float) -> float:
    """Waits until ``condition()`` holds; returns how long it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > seconds:
            raise AssertionError(f"not within {seconds} s")
        time.sleep(0.2)
    return time.monotonic() - start


def health(url: str) -> bool:
    try:
        return call("GET", url)[0] == 200
    except OSError:
        return False


def test_a_killed_action_server_gets_an_apology_and_comes_back(
    assistant: Assistant,
) -> None:
    assert "microStart" in " ".join(
        say("down-fr", "Bonjour, j'habite à Liège, je veux un microcrédit")
    )
    before = assistant.pid("actions")
    rasa = assistant.pid("rasa")
    os.kill(before, 9)
    # Rasa finds nothing listening and answers itself, in the user's language.
    sorry = render(SORRY, "fr", {})
    assert say("down-fr", "et quel est le montant maximum ?") == [sorry]
    back = wait_for(
        lambda: (
            assistant.pid("actions") not in {0, before} and health(f"{ACTIONS}/health")
        ),
        60,
    )
    print(f"action server back after {back:.1f} s")
    assert assistant.pid("rasa") == rasa  # the others went on
    replies = " ".join(say("down-fr", "et quel est le montant maximum ?"))
    assert "microStart" in replies and "€" in replies  # the place was kept


def test_a_500_turn_conversation_still_gets_replies(assistant: Assistant) -> None:
    turn = [
        {
            "event": "user",
            "text": "Je voudrais savoir " + "beaucoup de choses " * 20,
            "parse_data": {"intent": {"name": "greet", "confidence": 1.0}},
        },
        {"event": "bot", "text": "Voici une longue réponse. " * 20},
    ]
    for _ in range(25):  # 20 turns a request: Rasa refuses bodies over 64 KB
        status, _, text = call(
            "POST",
            f"{RASA}/conversations/long-one/tracker/events?token={assistant.api_token}",
            turn * 20,
        )
        assert status == 200, text[:200]
    assert say("long-one", "hello") == [expected("utter_greet", "en")]
    assert say("long-one", "thank you!") == [expected("utter_you_are_welcome", "en")]


@pytest.mark.parametrize(
    "command, response", [("/restart", "utter_restart"), ("/back", "utter_back")]
)
def test_typed_rasa_commands_get_an_answer(
    assistant: Assistant, command: str, response: str
) -> None:
    sender = f"typed{command}"
    say(sender, "Merhaba, kredi almak istiyorum")
    assert say(sender, command) == [expected(response, "tr")]
    assert say(sender, "Merhaba") == [expected("utter_greet", "tr")]


def test_every_message_gets_an_answer_even_odd_ones(assistant: Assistant) -> None:
    for message in ["/session_start", "/nlu_fallback", "/no_such_intent", "/"]:
        assert say("odd-commands", message), message


def test_oversized_metadata_is_refused_and_the_conversation_goes_on(
    assistant: Assistant,
) -> None:
    status, _ = post(
        {"sender": "big-meta", "message": "hello", "metadata": {"x": "a" * 20_000}}
    )
    assert status == 413
    status, _ = post(b'{"sender": "big-meta", "message": "' + b"a" * 200_000 + b'"}')
    assert status == 413
    assert events_of(assistant, "big-meta") == []  # nothing of it was stored
    assert say("big-meta", "hello") == [expected("utter_greet", "en")]


def test_a_lone_surrogate_gets_an_answer(assistant: Assistant) -> None:
    status, replies = post(b'{"sender": "surrogate", "message": "\\ud800 hello"}')
    assert status == 200 and replies and replies[0]["text"]


def raw_request(data: bytes, port: int = int(PORTS["RASA_PORT"])) -> bytes:
    """Sends bytes as they are; what came back before the server closed or 10 s."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer:
                    break
        except TimeoutError:
            pass
    return answer


def log_since(assistant: Assistant, offset: int) -> str:
    time.sleep(1)  # the launcher copies the processes' output line by line
    with assistant.log.open("rb") as log:
        log.seek(offset)
        return log.read().decode("utf-8", "replace")


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: -5",  # Rasa spun on it for ever: nobody got an answer
        b"Content-Length: abc",  # these were 500s
        b"Content-Length: 1_0",
        b"Transfer-Encoding: gzip",
        b"Transfer-Encoding: Chunked",  # Sanic reads only "chunked" as chunked
        b"Transfer-Encoding: chunked ",
        b"Content-Length: 5\r\nContent-Length: 6",
        b"Content-Length: 3\r\nTransfer-Encoding: chunked",
    ],
)
def test_a_malformed_body_framing_gets_a_400_and_rasa_goes_on(
    assistant: Assistant, framing: bytes
) -> None:
    answer = raw_request(
        b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: x\r\n"
        + framing
        + b'\r\n\r\n{"sender": "x", "message": "hi"}'
    )
    assert answer.startswith(b"HTTP/1.1 400"), answer[:100]
    assert say("framing", "hello") == [expected("utter_greet", "en")]


def test_malformed_requests_leave_no_traceback_in_the_log(
    assistant: Assistant,
) -> None:
    """Sanic logged each of these as "connection_task uncaught" or an error."""
    offset = assistant.log.stat().st_size
    webhook = b"/webhooks/rest/webhook"
    for data in [
        b"CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n",
        b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST " + webhook + b" HTTP/1.1\r\nHost: x\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"OPTIONS " + webhook + b" HTTP/1.1\r\nHost: x\r\n"
        b"Origin: " + WEB_ORIGIN.encode() + b"\r\n"
        b"Access-Control-Request-Method: POST\r\nContent-Length: 5\r\n\r\nhello",
    ]:
        raw_request(data)
    assert say("framing-log", "hello") == [expected("utter_greet", "en")]
    logged = log_since(assistant, offset)
    assert "Traceback" not in logged and "ERROR" not in logged, logged[-3000:]


def test_a_nul_character_is_not_stored(assistant: Assistant) -> None:
    """It means nothing in a message, and PostgreSQL refuses it in a text column."""
    assert say("nul-char", "hello\x00") == [expected("utter_greet", "en")]
    stored = " ".join(events_of(assistant, "nul-char"))
    assert '"hello"' in stored and "\\u0000" not in stored


@pytest.mark.parametrize(
    "channel",
    ["x" * 20_000, {"a": ["b"] * 2000}, 5],
    ids=["long text", "object", "number"],
)
def test_a_clients_input_channel_is_a_short_name_or_rest(
    assistant: Assistant, channel: object
) -> None:
    """Rasa stored any value with each event, outside the metadata's size limit."""
    sender = f"channel-{type(channel).__name__}"
    status, replies = post(
        {"sender": sender, "message": "hello", "input_channel": channel}
    )
    assert status == 200 and replies
    stored = events_of(assistant, sender)
    assert stored and all(len(data) < 10_000 for data in stored)
    assert '"input_channel": "rest"' in " ".join(stored)
