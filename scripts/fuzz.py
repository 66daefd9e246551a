"""Fuzz: odd and malformed input at the assistant's three doors (issue 13, "Measure").

Sends at least 3,000 requests to the REST channel, 500 to the widget's socket.io
channel and 1,000 to the web app (widget, demo page, handoff links, staff login and
pages), generated from a fixed seed, then reads the assistant's log for unhandled
exceptions and checks that the assistant still answers correctly. Prints a table of
the counts by channel and status class; exits 1 on any 5xx, timeout, connection
error, accepted message without a reply, exception in the log, or wrong answer
afterwards.

``python scripts/fuzz.py`` starts its own assistant (ports 32005/32055/32800, a
temporary SQLite file, staff accounts of each role in it);
``--rasa-url``/``--web-url`` fuzz a running one instead (``--log`` its log file,
``--database-url`` to sign staff accounts in for the staff pages).
``tests/test_fuzz.py`` runs the same against the test session's assistant.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import random
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import socketio
import yarl

PORTS = {"RASA_PORT": "32005", "ACTIONS_PORT": "32055", "WEB_PORT": "32800"}
REST_REQUESTS = 3000
SOCKET_REQUESTS = 500
WEB_REQUESTS = 1000
SEED = 13
# The whole fuzz stops starting requests after this; each request has its timeout.
BUDGET_SECONDS = 240
REQUEST_TIMEOUT = 30
SOCKET_SESSION_TIMEOUT = 60
REPLY_WAIT = 25
# Concurrent requests per channel (2 cores: Rasa answers one message at a time).
REST_CONCURRENCY = 6
SOCKET_CONCURRENCY = 4
WEB_CONCURRENCY = 4
# Login failures the web app counts against an address lock it for 15 minutes after
# 30: the fuzz stays well below, so other tests on the same assistant can log in.
MAX_COUNTED_LOGIN_FAILURES = 8
PROBLEM_EXAMPLES = 15

WEBHOOK = "/webhooks/rest/webhook"

# Ordinary messages in the ten launch languages, mixed in with the odd ones.
REAL_MESSAGES = {
    "en": [
        "hello",
        "How do I get my diploma recognised?",
        "I want a microloan for my business",
        "I live in Antwerp",
        "thank you!",
    ],
    "fr": [
        "Bonjour, je veux un microcrédit",
        "j'habite à Bruxelles",
        "Il faut quels papiers pour déposer le dossier ?",
        "merci",
    ],
    "nl": ["Hoi, ik zoek een cursus ondernemen", "ik woon in Rotterdam", "bedankt"],
    "fi": ["Hei, tarvitsen mikrolainan yritykselleni", "asun Vantaalla", "kiitos"],
    "sv": ["Hej, jag vill starta ett företag", "jag bor i Helsingfors", "tack"],
    "it": ["Ciao, vorrei un microcredito", "abito a Bologna", "grazie"],
    "ar": ["مرحبا", "أريد قرضا صغيرا لمشروعي", "شكرا"],
    "uk": ["Привіт, мені потрібна робота", "я живу у Вантаа", "дякую"],
    "ru": ["Здравствуйте, мне нужен микрокредит", "я живу в Хельсинки", "спасибо"],
    "tr": ["merhaba", "Brükselde kredi almak istiyorum", "teşekkürler"],
    "es": ["hola, necesito un préstamo", "vivo en Amberes", "gracias"],
    "pt": ["olá, quero abrir um negócio", "moro em Bruxelas", "obrigada"],
    "ro": ["bună ziua, vreau un împrumut", "locuiesc la Torino", "mulțumesc"],
    "pl": ["dzień dobry, szukam pracy", "mieszkam w Rotterdamie", "dziękuję"],
    "sq": ["përshëndetje, dua një kredi", "jetoj në Bruksel", "faleminderit"],
    "so": ["salaan, amaah yar ayaan rabaa", "Vantaa ayaan ku noolahay", "mahadsanid"],
    "fa": ["سلام، وام کوچک میخواهم", "در گنت زندگی می‌کنم", "ممنون"],
    "ti": ["ሰላም፡ ልቓሕ ደልየ", "ኣብ ኣምስተርዳም እየ ዝነብር", "የቐንየለይ"],
}
LANGUAGES = list(REAL_MESSAGES)

# Typed Rasa commands, as people type them (or copy them from a button).
COMMANDS = [
    "/restart",
    "/back",
    "/session_start",
    '/greet{"city": 5}',
    "/inform_location{bad json",
    "/nlu_fallback",
    "/",
    "//",
    "/no_such_intent",
    '/request_human{"organisation": "../../etc"}',
    '/request_human{"organisation": null}',
    '/inform_location{"city": ["brussels", "ghent"]}',
    '/ask_microloan{"topic": {"nested": [1, 2]}}',
    "/affirm",
    "/deny",
    "/stop",
    "/delete_my_data",
    "/greet" + "{" * 50,
    "/greet{}}",
    '/greet{"language": "xx"}',
    '/greet{"language": 1e309}',
    "/action_listen",
    "/restart/restart",
    "/ask_microloan" + " " * 10 + "hello",
]


def odd_texts(rng: random.Random) -> list[str]:
    """Text that a client may send as a message: valid JSON strings, odd content."""
    return [
        "",
        " ",
        "\n\t\r ",
        "\x00",
        "hello\x00world",
        "".join(chr(c) for c in range(1, 32)),
        "\x7f\x80\x9f",
        "\ud800",  # lone surrogates: escaped in the JSON body
        "\udfff hello \ud83d",
        "bonjour \udc80 je veux un microcrédit",
        "مرحبا \u202e olleh \u202c",
        "\u200f\u200e\u202b\u202a\u2066\u2069",
        "👋🏽👨‍👩‍👧‍👦🇫🇷🇧🇪 hello 🤖",
        "\u200b\u200c\u200d\ufeff",
        "he\u200bllo",
        "e\u0301\u0301\u0301\u0301" * 40,  # stacked combining marks
        "Z̸̡̢̛̗͎̹̙͔̲̀͐̊̈́̾a̴̡̛̫̝͍̣̐l̵̡̛̠̲̙̍g̶̨̛͍̼̈́o̵̧̲̍",
        "\ufffd\ufffe\uffff",
        "\U0010ffff\U000e0001",
        "ﷺ ﷽ " * 20,
        "𝕳𝖊𝖑𝖑𝖔 𝔪𝔦𝔠𝔯𝔬𝔩𝔬𝔞𝔫",
        "ＨＥＬＬＯ　ｍｉｃｒｏｌｏａｎ",
        "<script>alert(1)</script>",
        "'; DROP TABLE events; --",
        "{{7*7}} ${7*7} %s %d {0}",
        '=HYPERLINK("http://evil.example")',
        "../../../../etc/passwd",
        "a" * 2000,
        "é" * 2000,
        "😀" * 2000,
        ("je veux un microcrédit à Bruxelles " * 60)[:2000],
        "x " * 1000,
        "\n" * 2000,
        "1" * 2000,
        "+32 470 12 34 56",
        "my name is Amal Haddad, amal@example.org",
        "delete my data",
        "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(200)),
        "".join(chr(rng.randrange(0x10000, 0x10FFFF)) for _ in range(50)),
    ]


def odd_metadata(rng: random.Random) -> list[Any]:
    """Metadata values: wrong types, odd languages, places and topics, sizes."""
    return [
        None,
        [],
        "fr",
        '{"language": "fr"}',
        42,
        True,
        {},
        {"language": "xx"},
        {"language": "../"},
        {"language": ""},
        {"language": "FR_be"},
        {"language": "fr-BE"},
        {"language": 5},
        {"language": None},
        {"language": ["fr"]},
        {"language": {"code": "fr"}},
        {"language": "ar", "city": "brussels"},
        {"city": "../../etc/passwd"},
        {"city": 12},
        {"city": ["ghent"]},
        {"topic": "microloan", "city": "liege"},
        {"topic": "no-such-topic"},
        {"topic": {"a": 1}},
        {"handoff": "a" * 300},
        {"language": "\ud800"},
        {"\ud800": "key"},
        {"x": "y" * 3990},
        {"x": "y" * 4100},
        {"nested": _nested(rng.randrange(20, 60))},
        {"deep": _nested(900)},
        {"n": [1.5e308, -0.0, 10**30, -(10**30)]},
        {"language": "fr", "": "", " ": None},
    ]


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@dataclass
class Case:
    """One HTTP request: its method, path (sent as written), headers and body."""

    kind: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    # A message the channel accepted (200) must get at least one reply.
    expect_reply: bool = False
    # Raw bytes for malformed HTTP (sent over a socket as they are).
    raw: bytes | None = None
    # The web app's staff identity: None, "desk", "reviewer", "admin".
    identity: str | None = None
    # Text that must never be in the response (a file read by path traversal).
    leak_markers: tuple[str, ...] = ()


@dataclass
class Tally:
    """What one channel answered."""

    channel: str
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    no_status: int = 0  # socket.io events (no HTTP status), connections closed
    timeouts: int = 0
    errors: int = 0
    unanswered: int = 0
    apologies: int = 0  # "Sorry, I could not answer just now": a turn that failed
    apologised: list[str] = field(default_factory=list)  # what they answered
    leaks: int = 0
    not_sent: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)

    def status(self, code: int) -> None:
        self.requests += 1
        self.statuses[f"{code // 100}xx"] += 1

    def problem(self, text: str) -> None:
        if len(self.problems) < PROBLEM_EXAMPLES:
            self.problems.append(text[:300])

    def merge(self, other: Tally) -> None:
        """Adds another tally's counts (not its time) to this one."""
        self.requests += other.requests
        self.statuses.update(other.statuses)
        self.kinds.update(other.kinds)
        for name in (
            "no_status",
            "timeouts",
            "errors",
            "unanswered",
            "apologies",
            "leaks",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.not_sent += other.not_sent
        for problem in other.problems:
            self.problem(problem)
        self.apologised = (self.apologised + other.apologised)[:PROBLEM_EXAMPLES]

    @property
    def failures(self) -> int:
        return (
            self.statuses["5xx"]
            + self.timeouts
            + self.errors
            + self.unanswered
            + self.leaks
            + self.not_sent
        )

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["statuses"] = {k: self.statuses[k] for k in ("2xx", "3xx", "4xx", "5xx")}
        found["kinds"] = dict(sorted(self.kinds.items()))
        return found


def json_body(value: Any) -> bytes:
    """JSON with every non-ASCII character escaped (lone surrogates included)."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


JSON = {"Content-Type": "application/json"}


# ---------------------------------------------------------------- REST channel


def rest_cases(rng: random.Random, count: int, prefix: str) -> list[Case]:
    """``count`` requests to the REST channel, about a third of them messages."""
    texts = odd_texts(rng)
    metadata = odd_metadata(rng)
    makers: list[tuple[int, Callable[[int], Case]]] = [
        (14, lambda i: _real_message(rng, i, prefix)),
        (9, lambda i: _message(rng, i, prefix, "odd text", rng.choice(texts))),
        (4, lambda i: _message(rng, i, prefix, "command", rng.choice(COMMANDS))),
        (6, lambda i: _odd_metadata(rng, i, prefix, rng.choice(metadata))),
        (2, lambda i: _odd_input_channel(rng, i, prefix)),
        (3, lambda i: _odd_query(rng, i, prefix)),
        (3, lambda i: _odd_content_type(rng, i, prefix)),
        (10, lambda i: _malformed_body(rng, i)),
        (12, lambda i: _odd_sender_or_message(rng, i, prefix)),
        (4, lambda i: _oversized(rng, i, prefix)),
        (5, lambda i: _wrong_method(rng, i, prefix)),
        (6, lambda i: _odd_path(rng, i, prefix)),
        (1, lambda i: _raw_http(rng, i, WEBHOOK)),
    ]
    weights = [weight for weight, _ in makers]
    cases = []
    for index in range(count):
        (_, make) = rng.choices(makers, weights)[0]
        cases.append(make(index))
    return cases


def _sender(rng: random.Random, index: int, prefix: str) -> str:
    # Some conversations go on over many messages, most are one message long.
    if rng.random() < 0.4:
        return f"{prefix}-conversation-{rng.randrange(40)}"
    return f"{prefix}-{index}"


def _message(
    rng: random.Random,
    index: int,
    prefix: str,
    kind: str,
    text: str,
    metadata: Any = None,
    **extra: Any,
) -> Case:
    payload: dict[str, Any] = {"sender": _sender(rng, index, prefix), "message": text}
    if metadata is not None:
        payload["metadata"] = metadata
    payload.update(extra)
    return Case(kind, "POST", WEBHOOK, dict(JSON), json_body(payload), True)


def _real_message(rng: random.Random, index: int, prefix: str) -> Case:
    language = rng.choice(LANGUAGES)
    text = rng.choice(REAL_MESSAGES[language])
    metadata = {"language": language} if rng.random() < 0.3 else None
    return _message(rng, index, prefix, "real message", text, metadata)


def _odd_metadata(rng: random.Random, index: int, prefix: str, metadata: Any) -> Case:
    text = rng.choice(REAL_MESSAGES[rng.choice(LANGUAGES)])
    case = _message(rng, index, prefix, "odd metadata", text)
    payload = json.loads(case.body)
    payload["metadata"] = metadata
    body = json_body(payload)
    if rng.random() < 0.2:  # numbers JSON allows but Python reads as infinite
        body = body[:-1] + b', "metadata": {"big": 1e309, "small": -1e309}}'
    case.body = body
    return case


def _odd_input_channel(rng: random.Random, index: int, prefix: str) -> Case:
    channel = rng.choice(
        [None, "", "socketio", "cmdline", 5, [], {"a": 1}, "x" * 5000, "\ud800", True]
    )
    return _message(
        rng, index, prefix, "odd input_channel", "hello", input_channel=channel
    )


def _odd_query(rng: random.Random, index: int, prefix: str) -> Case:
    query = rng.choice(
        [
            "?stream=true",
            "?stream=TRUE",
            "?stream=banana",
            "?stream=",
            "?token=abc",
            "?%00=%00",
            "?stream=true&stream=false",
            "?a=" + "b" * 3000,
            "?" + "&".join(f"k{n}=v" for n in range(300)),
            "?%FF%FE=%C0%AF",
            "?q=%E2%80%AE",
            "?&&&=&",
        ]
    )
    language = rng.choice(LANGUAGES)
    case = _message(
        rng, index, prefix, "query string", rng.choice(REAL_MESSAGES[language])
    )
    case.path += query
    return case


def _odd_content_type(rng: random.Random, index: int, prefix: str) -> Case:
    case = _message(rng, index, prefix, "content type", "hello")
    content_type = rng.choice(
        [
            None,
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=xyz",
            "application/json; charset=latin-1",
            "application/json; charset=no-such-charset",
            "application/xml",
            "image/png",
            "application/json, text/html",
            "*/*",
        ]
    )
    case.headers = {} if content_type is None else {"Content-Type": content_type}
    if rng.random() < 0.2:
        case.headers["Content-Encoding"] = rng.choice(["gzip", "br", "deflate"])
    return case


def _malformed_body(rng: random.Random, index: int) -> Case:
    body = rng.choice(
        [
            b"",
            b"not json",
            b"{",
            b"}",
            b"[]",
            b"[1, 2, 3]",
            b"42",
            b"-1e309",
            b"null",
            b"true",
            b'"a string"',
            b'{"sender": "x", "message": "hi"',
            b'{"sender": "x" "message": "hi"}',
            b"{'sender': 'x', 'message': 'hi'}",
            b'{"sender": "x", "message": "hi",}',
            b"\xef\xbb\xbf{}",
            b'{"sender": "\xff\xfe", "message": "\xc0\xaf"}',
            b'{"sender": "x", "message": "\\ud800\\udc00\\u0000"}',
            b'{"sender": "x", "message": "\\x41"}',
            b"\x00" * 100,
            b'{"a": NaN, "b": Infinity}',
            b"[" * 20000 + b"]" * 20000,
            b'{"a":' * 5000 + b"1" + b"}" * 5000,
            b'{"sender": "x", "message": "hi"}' * 3,
            bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000))),
        ]
    )
    return Case("malformed body", "POST", WEBHOOK, dict(JSON), body)


def _odd_sender_or_message(rng: random.Random, index: int, prefix: str) -> Case:
    good_sender = f"{prefix}-{index}"
    sender = rng.choice(
        [
            good_sender,
            None,
            "",
            " ",
            5,
            0,
            -1.5,
            True,
            [],
            ["a"],
            {},
            {"id": "x"},
            "s" * 128,
            "s" * 129,
            "s" * 20000,
            "a\x00b",
            "a\nb",
            "\u200b",
            "\ud800",
            "ــ",
            "../../etc",
            "a/b/c",
            "%2F..%2F",
            "👨‍👩‍👧",
            "مرحبا",
            "<script>",
        ]
    )
    message = rng.choice(
        [None, 5, 0.5, True, [], ["hello"], {}, {"text": "hi"}, "hello", ""]
    )
    payload: dict[str, Any] = {}
    if rng.random() < 0.9:
        payload["sender"] = sender
    if rng.random() < 0.9:
        payload["message"] = message
    return Case("odd sender/message", "POST", WEBHOOK, dict(JSON), json_body(payload))


def _oversized(rng: random.Random, index: int, prefix: str) -> Case:
    size = rng.choice([2001, 2500, 10_000, 60_000, 100_000])
    character = rng.choice(["a", "é", "😀", " "])
    payload = {"sender": f"{prefix}-{index}", "message": character * size}
    return Case("oversized message", "POST", WEBHOOK, dict(JSON), json_body(payload))


def _wrong_method(rng: random.Random, index: int, prefix: str) -> Case:
    method = rng.choice(
        ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO", "PROPFIND"]
    )
    body = json_body({"sender": f"{prefix}-{index}", "message": "hello"})
    headers = dict(JSON)
    if method == "OPTIONS" and rng.random() < 0.5:
        headers.update(
            {
                "Origin": rng.choice(["https://evil.example", "null", "http://x"]),
                "Access-Control-Request-Method": "POST",
            }
        )
    return Case(
        "wrong method", method, WEBHOOK, headers, None if method == "GET" else body
    )


def _odd_path(rng: random.Random, index: int, prefix: str) -> Case:
    path = rng.choice(
        [
            "/webhooks/",
            "/webhooks",
            "/webhooks/rest",
            "/webhooks/rest/",
            "/webhooks/rest/webhook/",
            "/webhooks/rest/webhook/extra",
            "/webhooks/rest/webhook%00",
            "/webhooks/rest/webhook%2F",
            "/webhooks/rest//webhook",
            "/webhooks/REST/webhook",
            "/webhooks/socketio/webhook",
            "/webhooks/cmdline/webhook",
            "/webhooks/../status",
            "/webhooks/%2e%2e/%2e%2e/etc/passwd",
            "/webhooks/rest/../../model",
            "/webhooks/%F0%9F%98%80/webhook",
            "/webhooks/rest/webhook;jsessionid=1",
            "/webhooks/" + "a" * 3000,
            "/webhooks/rest/webhook?stream=true#fragment",
            "//webhooks/rest/webhook",
            "/webhooks/rest/webhook/%2e%2e",
        ]
    )
    body = json_body({"sender": f"{prefix}-{index}", "message": "hello"})
    method = rng.choice(["POST", "GET"])
    return Case(
        "odd path",
        method,
        path,
        dict(JSON),
        body if method == "POST" else None,
        leak_markers=("root:x:",),
    )


def _raw_http(rng: random.Random, index: int, path: str) -> Case:
    """A request that no HTTP client library would send."""
    body = b'{"sender": "raw", "message": "hello"}'
    raw = rng.choice(
        [
            b"GARBAGE\r\n\r\n",
            b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            b"POST " + path.encode() + b" HTTP/9.9\r\nHost: x\r\n\r\n",
            b"POST " + path.encode() + b"\r\n\r\n",
            b"POST " + path.encode() + b" HTTP/1.1\r\nHost x\r\n\r\n",
            b"POST "
            + path.encode()
            + b" HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"
            + body,
            b"POST "
            + path.encode()
            + b" HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"
            + body,
            b"POST "
            + path.encode()
            + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"POST "
            + path.encode()
            + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n",
            b"POST "
            + path.encode()
            + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
            + body,
            b"POST "
            + path.encode()
            + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
            + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n",
            b"GET / HTTP/1.1\r\n" + b"X-H: v\r\n" * 500 + b"Host: x\r\n\r\n",
            b"GET /\x00\xff HTTP/1.1\r\nHost: \xff\r\n\r\n",
            b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 50,
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            b"CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n",
            b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n",
            b"GET / HTTP/1.0\r\n\r\n",
        ]
    )
    return Case("raw HTTP", "RAW", path, raw=raw)


# ---------------------------------------------------------------- web app


def web_cases(
    rng: random.Random, count: int, senders: list[str], staff: bool
) -> list[Case]:
    """``count`` requests to the web app (staff ones signed in if ``staff``)."""
    identities = [None, "odd"] + (["desk", "reviewer", "admin"] if staff else [])
    makers: list[tuple[int, Callable[[], Case]]] = [
        (10, lambda: _web_route(rng, identities)),
        (6, lambda: _web_method(rng, identities)),
        (6, lambda: _web_traversal(rng)),
        (12, lambda: _web_query(rng, identities)),
        (6, lambda: _web_handoff_token(rng, identities)),
        (8, lambda: _web_login(rng)),
        (4, lambda: _web_form(rng, identities)),
        (4, lambda: _web_cookies(rng)),
        (4, lambda: _web_headers(rng, identities)),
        (3, lambda: _web_oversized(rng, identities)),
        (2, lambda: _raw_http(rng, 0, "/staff/login")),
    ]
    if staff:
        makers.append((8, lambda: _web_transcript(rng, senders)))
    weights = [weight for weight, _ in makers]
    return [rng.choices(makers, weights)[0][1]() for _ in range(count)]


GET_ROUTES = [
    "/",
    "/health",
    "/widget.js",
    "/static/widget.css",
    "/vendor/socket.io/socket.io.min.js",
    "/staff/login",
    "/staff",
    "/staff/conversations",
    "/staff/conversations.csv",
    "/staff/insight",
    "/staff/referrals",
    "/staff/referrals/1",
    "/staff/audit",
    "/staff/handoffs/x",
    "/h/x",
]
POST_ROUTES = [
    "/staff/login",
    "/staff/logout",
    "/staff/handoffs",
    "/staff/referrals/1",
]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _web_route(rng: random.Random, identities: list) -> Case:
    path = rng.choice(GET_ROUTES + POST_ROUTES)
    method = "POST" if path in POST_ROUTES and rng.random() < 0.5 else "GET"
    headers = {}
    if rng.random() < 0.3:
        headers["Accept-Encoding"] = rng.choice(["gzip", "identity", "br", "*", ""])
    return Case(
        "route",
        method,
        path,
        headers,
        b"" if method == "POST" else None,
        identity=rng.choice(identities),
    )


def _web_method(rng: random.Random, identities: list) -> Case:
    method = rng.choice(
        ["HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "TRACE", "FOO", "POST", "GET"]
    )
    path = rng.choice(GET_ROUTES + POST_ROUTES + ["/socket.io/", "/nlg"])
    headers = {}
    if method == "OPTIONS":
        headers = {
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
        }
    return Case(
        "odd method",
        method,
        path,
        headers,
        b"x=1" if method != "GET" else None,
        identity=rng.choice(identities),
    )


TRAVERSALS = [
    "/static/../bot/settings.py",
    "/static/..%2f..%2fbot%2fsettings.py",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/....//....//etc/passwd",
    "/static/..\\..\\bot\\settings.py",
    "/static/%252e%252e/etc/passwd",
    "/static/%c0%ae%c0%ae/etc/passwd",
    "/vendor/socket.io/../../../../etc/passwd",
    "/vendor/socket.io/..%2F..%2F..%2Fbot%2Fsettings.py",
    "//etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/widget.js/../../etc/passwd",
    "/widget.js%00.css",
    "/static/widget.css%00",
    "/static/widget.css/..",
    "/static/",
    "/static/widget.css?../../etc/passwd",
    "/h/..%2F..%2F..%2Fetc%2Fpasswd",
    "/staff/conversations/..%2F..%2Fetc%2Fpasswd",
    "/staff/handoffs/..%2F..",
    "/%F0%9F%98%80",
    "/staff/%C3%84%C3%96",
    "/h/%D9%85%D8%B1%D8%AD%D8%A8%D8%A7",
    "/%FF%FE",
    "/staff/%00",
    "/.env",
    "/.git/config",
    "/var/assistant.db",
    "/bot/settings.py",
]


def _web_traversal(rng: random.Random) -> Case:
    return Case(
        "path traversal / unicode path",
        rng.choice(["GET", "HEAD", "POST"]),
        rng.choice(TRAVERSALS),
        leak_markers=("root:x:", "RASA_PORT", "[core]", "SQLite format"),
    )


QUERIES = [
    "page=²",
    "page=٣",
    "page=-1",
    "page=0",
    "page=99999999999999999999",
    "page=1e3",
    "page=%00",
    "page=1%00",
    "page=+1",
    "page= 1",
    "page=1&page=2",
    "page=" + "9" * 5000,
    "lang=../../",
    "lang=%00",
    "lang=xx",
    "lang=fr&lang=nl",
    "lang=" + "f" * 5000,
    "since=2024-02-30",
    "since=9999-12-31",
    "since=0001-01-01",
    "since=2024-13-01",
    "since=%FF",
    "since=2024-01-01&until=2023-01-01",
    "until=2100-12-31",
    "language=xx",
    "language=<script>",
    "topic=../..",
    "topic=microloan",
    "status=nonsense",
    "status=",
    "status=new",
    "unanswered=1&with_referral=1",
    "unanswered=%00",
    "%ZZ=%ZZ",
    "a",
    "=",
    "&&&",
    "%F0%9F%98%80=%F0%9F%98%80",
    "q=" + "%E2%80%AE" * 200,
    "x=" + "y" * 7000,
    "x=" + "y" * 20000,
]


def _web_query(rng: random.Random, identities: list) -> Case:
    path = rng.choice(GET_ROUTES)
    return Case(
        "odd query",
        "GET",
        f"{path}?{rng.choice(QUERIES)}",
        identity=rng.choice(identities),
    )


HANDOFF_TOKENS = [
    "",
    "x",
    "%00",
    "..",
    "%2E%2E",
    "a" * 64,
    "a" * 65,
    "a" * 3000,
    "%3Cscript%3E",
    "%F0%9F%98%80",
    "%D8%A7%D9%84",
    "AAAAAAAAAAAAAAAAAAAAAA",
    "null",
    "-1",
    "token%20with%20space",
    "%FF",
    "a%2Fb",
]


def _web_handoff_token(rng: random.Random, identities: list) -> Case:
    token = rng.choice(HANDOFF_TOKENS)
    base = rng.choice(["/h/", "/staff/handoffs/"])
    headers = {}
    if rng.random() < 0.5:
        headers["Accept-Language"] = rng.choice(
            ["ar", "xx", "fr-BE,fr;q=0.9", "*", "uk;q=abc", ",,,", "a" * 3000]
        )
    return Case(
        "handoff token",
        rng.choice(["GET", "GET", "HEAD", "POST"]),
        base + token,
        headers,
        identity=rng.choice(identities),
    )


def _web_login(rng: random.Random) -> Case:
    """A login form without a valid CSRF token (refused before any password)."""
    bodies = [
        b"",
        b"email=a@b.c&password=x",
        b"email=a@b.c&password=x&csrf=wrong",
        b"csrf=",
        b"email=%ZZ&password=%",
        b"email=\xff\xfe&password=\xc0\xaf&csrf=\x00",
        b"email=a&email=b&password=x&password=y",
        b"email[]=a&password[$ne]=x",
        b"=&=&=",
        b"&&&&",
        b"email=" + b"a" * 50_000,
        b'{"email": "a@b.c", "password": "x"}',
        b'--xyz\r\nContent-Disposition: form-data; name="email"\r\n\r\na\r\n--xyz--',
        b'--xyz\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nhello\r\n--xyz--\r\n",
        b"--xyz\r\nbroken",
    ]
    content_type = rng.choice(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=no-such-charset",
            "application/x-www-form-urlencoded; charset=utf-16",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "multipart/mixed; boundary=xyz",
            "application/json",
            "text/plain",
            None,
        ]
    )
    headers = {} if content_type is None else {"Content-Type": content_type}
    cookie = rng.choice([None, "staff_login=", "staff_login=abc", 'staff_login=""'])
    if cookie:
        headers["Cookie"] = cookie
    return Case("login form", "POST", "/staff/login", headers, rng.choice(bodies))


def _web_form(rng: random.Random, identities: list) -> Case:
    """Staff forms with missing or wrong CSRF tokens and odd fields."""
    path = rng.choice(
        [
            "/staff/handoffs",
            "/staff/logout",
            "/staff/referrals/1",
            "/staff/referrals/999999999999",
            "/staff/referrals/-1",
            "/staff/referrals/%C2%B2",
            "/staff/referrals/1e3",
        ]
    )
    body = rng.choice(
        [
            b"",
            b"csrf=wrong",
            b"csrf=wrong&language=xx&city=../..&topic=%00",
            b"language=fr&city=brussels&topic=microloan",
            b"status=" + b"x" * 1000 + b"&note=" + b"y" * 10000,
            b"status=closed&note=%00%FF",
            b"\x00\x01\x02",
        ]
    )
    return Case(
        "staff form",
        "POST",
        path,
        dict(FORM),
        body,
        identity=rng.choice(identities),
    )


def _web_cookies(rng: random.Random) -> Case:
    cookie = rng.choice(
        [
            "staff_session=",
            "staff_session=garbage",
            "staff_session=" + "a" * 4000,
            'staff_session="quoted"',
            "staff_session=%00",
            "staff_session=a; staff_session=b",
            "staff_language=../../; staff_session=x",
            "staff_language=xx",
            "staff_language=fr",
            "staff_login=abc",
            "=; ==; ;;;",
            "; ".join(f"c{n}=v" for n in range(200)),
            "staff_session=\u00e9\u00e8",
        ]
    )
    path = rng.choice(GET_ROUTES)
    return Case("odd cookies", "GET", path, {"Cookie": cookie})


def _web_headers(rng: random.Random, identities: list) -> Case:
    headers = rng.choice(
        [
            {"Accept-Language": "a" * 6000},
            {"Accept-Language": "fr;q=0.9,,,,;q=,nl"},
            {"Accept-Language": "*;q=0"},
            {"Accept-Language": "ar-EG"},
            {"Accept-Encoding": "gzip;q=0, x" * 100},
            {"Host": "evil.example"},
            {"Host": ""},
            {"Host": "127.0.0.1:0"},
            {"X-Forwarded-Proto": "https", "X-Forwarded-For": "1.2.3.4"},
            {"Range": "bytes=0-10"},
            {"Range": "bytes=-1-"},
            {"If-Modified-Since": "yesterday"},
            {"Content-Length": "0"},
            {"Expect": "100-continue"},
            {"Connection": "Upgrade", "Upgrade": "websocket"},
        ]
    )
    return Case(
        "odd headers",
        "GET",
        rng.choice(GET_ROUTES),
        dict(headers),
        identity=rng.choice(identities),
    )


def _web_oversized(rng: random.Random, identities: list) -> Case:
    size = rng.choice([300_000, 1_000_000])
    path = rng.choice(POST_ROUTES + ["/", "/staff/conversations"])
    return Case(
        "oversized body",
        "POST",
        path,
        dict(FORM),
        b"note=" + b"x" * size,
        identity=rng.choice(identities),
    )


def _web_transcript(rng: random.Random, senders: list[str]) -> Case:
    """A transcript (the admin sees every conversation) of a fuzzed sender."""
    conversation = rng.choice(senders + ["no-such-conversation", "a/b", "%00"])
    path = "/staff/conversations/" + quote_path(conversation)
    return Case("transcript", "GET", path, identity=rng.choice(["admin", "reviewer"]))


def quote_path(text: str) -> str:
    from urllib.parse import quote

    return quote(text.encode("utf-8", "surrogatepass"), safe="/")


# ---------------------------------------------------------------- sending


@dataclass
class Staff:
    """A signed-in staff member of the web app: its cookies and CSRF token."""

    cookie: str
    csrf: str


async def send(
    session: aiohttp.ClientSession,
    base: str,
    case: Case,
    tally: Tally,
    staff: dict[str, Staff],
) -> None:
    """Sends one case, counting what came back."""
    tally.kinds[case.kind] += 1
    if case.raw is not None:
        await send_raw(base, case, tally)
        return
    headers = dict(case.headers)
    body = case.body
    if case.identity == "odd":
        headers["Cookie"] = "staff_session=" + secrets.token_urlsafe(32)
    elif case.identity in staff:
        member = staff[case.identity]
        headers["Cookie"] = member.cookie
        if case.path == "/staff/handoffs" and body is not None and b"csrf=" not in body:
            # A valid token with an odd form: the handler's own checks answer.
            # (Never on logout or a referral: that would end the session or
            # change another test's referral.)
            body = (body + b"&" if body else b"") + b"csrf=" + member.csrf.encode()
    url = yarl.URL(base + case.path, encoded=True)
    try:
        async with session.request(
            case.method, url, headers=headers, data=body, allow_redirects=False
        ) as response:
            content = await response.read()
            tally.status(response.status)
            check_response(case, response, content, tally)
    except asyncio.TimeoutError:
        tally.requests += 1
        tally.timeouts += 1
        tally.problem(f"timeout: {case.kind} {case.method} {case.path[:120]}")
    except (aiohttp.ClientError, OSError) as error:
        if refused_while_sending(case, error):
            tally.requests += 1  # a too-large body, cut short by the server
            tally.no_status += 1
            return
        tally.requests += 1
        tally.errors += 1
        tally.problem(
            f"{type(error).__name__}: {error} for {case.kind} {case.method}"
            f" {case.path[:120]}"
        )


def refused_while_sending(case: Case, error: Exception) -> bool:
    """Whether the server closed the connection on a body larger than it takes."""
    too_large = case.body is not None and len(case.body) > 64 * 1024
    return too_large and isinstance(
        error, aiohttp.ClientOSError | aiohttp.ServerDisconnectedError
    )


def check_response(
    case: Case, response: aiohttp.ClientResponse, content: bytes, tally: Tally
) -> None:
    """Counts 5xx, accepted messages without a reply, and leaked files."""
    described = f"{case.kind} {case.method} {case.path[:100]}"
    if response.status >= 500:
        tally.problem(f"{response.status}: {described}: {content[:150]!r}")
    if case.expect_reply and response.status == 200:
        replies = replies_in(content, response.content_type)
        if not replies:
            tally.unanswered += 1
            tally.problem(f"no reply: {described}: {case.body[:150]!r}")
        texts = {r.get("text") for r in replies if isinstance(r, dict)}
        if texts & apologies():
            tally.apologies += 1
            if len(tally.apologised) < PROBLEM_EXAMPLES:
                tally.apologised.append(f"{described}: {case.body[:150]!r}")
    text = content.decode("utf-8", "replace")
    if any(marker in text for marker in case.leak_markers):
        tally.leaks += 1
        tally.problem(f"leak: {described}")


@functools.cache
def apologies() -> frozenset[str]:
    """The apology of a turn that produced no reply, in every language."""
    from bot.channels.checks import SORRY
    from bot.i18n import render
    from bot.languages import SUPPORTED_LANGUAGES

    return frozenset(render(SORRY, code, {}) for code in SUPPORTED_LANGUAGES)


def replies_in(content: bytes, content_type: str) -> list:
    """The bot's messages in a REST channel response (a list, or streamed lines)."""
    try:
        if "event-stream" in content_type:
            return [json.loads(line) for line in content.splitlines() if line.strip()]
        found = json.loads(content)
    except ValueError:
        return []
    return found if isinstance(found, list) else []


async def send_raw(base: str, case: Case, tally: Tally) -> None:
    """Writes raw bytes to the server; a status line is counted, else no status."""
    url = yarl.URL(base)
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(url.host, url.port), 10
        )
    except (OSError, asyncio.TimeoutError) as error:
        tally.requests += 1
        tally.errors += 1
        tally.problem(f"raw connect failed: {error}")
        return
    try:
        writer.write(case.raw)
        await writer.drain()
        first = await asyncio.wait_for(reader.readline(), 15)
    except asyncio.TimeoutError:
        first = b"(silence)"
    except OSError:
        first = b""
    finally:
        writer.close()
    match = re.match(rb"HTTP/\d\.\d (\d{3})", first)
    if match:
        tally.status(int(match.group(1)))
        if int(match.group(1)) >= 500:
            tally.problem(f"{first.strip()!r}: raw {case.raw[:60]!r}")
    else:
        # The server closed the connection or kept silent (waiting for a request
        # line it never got): no answer to count, and no failure of the server.
        tally.requests += 1
        tally.no_status += 1


async def run_cases(
    base: str,
    cases: list[Case],
    tally: Tally,
    concurrency: int,
    deadline: float,
    staff: dict[str, Staff] | None = None,
) -> None:
    """Sends the cases, ``concurrency`` at a time, until done or the deadline."""
    started = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    queue: asyncio.Queue[Case] = asyncio.Queue()
    for case in cases:
        queue.put_nowait(case)
    async with aiohttp.ClientSession(
        timeout=timeout,
        cookie_jar=aiohttp.DummyCookieJar(),
        # A connection per request: an odd request (an Upgrade header, say) leaves
        # its connection in a state no other request should inherit.
        connector=aiohttp.TCPConnector(limit=concurrency, force_close=True),
        auto_decompress=False,
    ) as session:

        async def worker() -> None:
            while not queue.empty():
                case = queue.get_nowait()
                if time.monotonic() > deadline:
                    tally.not_sent += 1
                    continue
                await send(session, base, case, tally, staff or {})

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    tally.seconds += time.monotonic() - started
    if tally.not_sent:
        tally.problem(f"{tally.not_sent} requests not sent: the time budget ran out")


# ---------------------------------------------------------------- staff sign-in


def create_staff_accounts(database_url: str, tag: str) -> dict[str, tuple[str, str]]:
    """A desk, a reviewer and an administrator account: role → (e-mail, password)."""
    from sqlalchemy.orm import Session

    from bot.db.tables import engine_for, migrate
    from bot.staff.accounts import create_account

    migrate(database_url)
    accounts = {}
    with Session(engine_for(database_url)) as session, session.begin():
        for role, organisation, desk in (
            ("desk", "microstart", "Fuzz desk"),
            ("reviewer", "microstart", None),
            ("admin", None, None),
        ):
            email = f"fuzz-{role}-{tag}@example.org"
            password = secrets.token_urlsafe(16)
            create_account(session, email, organisation, desk, password, role=role)
            accounts[role] = (email, password)
    return accounts


async def sign_in(web: str, accounts: dict[str, tuple[str, str]]) -> dict[str, Staff]:
    """Logs each account in: its session cookie and CSRF token."""
    signed = {}
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
    ) as session:
        for role, (email, password) in accounts.items():
            token = secrets.token_urlsafe(16)
            async with session.post(
                f"{web}/staff/login",
                data={"email": email, "password": password, "csrf": token},
                headers={"Cookie": f"staff_login={token}"},
                allow_redirects=False,
            ) as response:
                if response.status != 303:
                    raise RuntimeError(f"{role} could not log in: {response.status}")
                cookie = f"staff_session={response.cookies['staff_session'].value}"
                landing = response.headers["Location"]
            async with session.get(web + landing, headers={"Cookie": cookie}) as page:
                csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text())
            signed[role] = Staff(cookie, csrf.group(1) if csrf else "")
    return signed


async def staff_scenarios(
    web: str, staff: dict[str, Staff], tally: Tally, rng: random.Random
) -> None:
    """Staff forms with a valid token: handoffs made and opened, wrong values.

    Login failures that count against this address (a valid login token, a wrong
    password) stay below MAX_COUNTED_LOGIN_FAILURES.
    """
    started = time.monotonic()
    cases: list[tuple[Case, str | None]] = []
    for number in range(MAX_COUNTED_LOGIN_FAILURES):
        token = f"fuzz-login-{number}"
        email = rng.choice(["nobody@example.org", "", "a" * 400, "x@y", "\u00e9@x"])
        body = f"email={email}&password={'p' * rng.choice([0, 1, 2000])}"
        body += f"&csrf={token}"
        headers = {**FORM, "Cookie": f"staff_login={token}"}
        cases.append(
            (
                Case(
                    "login, valid token", "POST", "/staff/login", headers, body.encode()
                ),
                None,
            )
        )
    desk = staff.get("desk")
    if desk:
        for language, city, topic in [
            ("fr", "brussels", "microloan"),
            ("ar", "", ""),
            ("xx", "", ""),
            ("fr", "../../etc", ""),
            ("fr", "", "<script>"),
            ("uk", "liege", "job_coaching"),
            ("", "", ""),
            ("FR_be", "brussels", ""),
        ]:
            body = f"language={language}&city={city}&topic={topic}&csrf={desk.csrf}"
            headers = {**FORM, "Cookie": desk.cookie}
            cases.append(
                (
                    Case(
                        "handoff form",
                        "POST",
                        "/staff/handoffs",
                        headers,
                        body.encode(),
                    ),
                    "handoff",
                )
            )
    reviewer = staff.get("reviewer")
    if reviewer:
        for referral, status in [
            ("999999999", "closed"),
            ("1", "no-such-status"),
            ("0", ""),
            ("2147483648", "new"),
            ("٣", "closed"),
        ]:
            body = f"status={status}&note=fuzz&csrf={reviewer.csrf}"
            headers = {**FORM, "Cookie": reviewer.cookie}
            cases.append(
                (
                    Case(
                        "referral form",
                        "POST",
                        f"/staff/referrals/{referral}",
                        headers,
                        body.encode(),
                    ),
                    None,
                )
            )
    for role, member in staff.items():
        body = f"csrf=wrong-{role}"
        headers = {**FORM, "Cookie": member.cookie}
        cases.append(
            (
                Case(
                    "logout, wrong token",
                    "POST",
                    "/staff/logout",
                    headers,
                    body.encode(),
                ),
                None,
            )
        )
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
    ) as session:
        for case, follow in cases:
            tally.kinds[case.kind] += 1
            try:
                async with session.post(
                    web + case.path,
                    data=case.body,
                    headers=case.headers,
                    allow_redirects=False,
                ) as response:
                    content = await response.read()
                    tally.status(response.status)
                    check_response(case, response, content, tally)
                    location = response.headers.get("Location", "")
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as error:
                tally.requests += 1
                tally.errors += 1
                tally.problem(f"{type(error).__name__}: {case.kind}")
                continue
            if follow == "handoff" and location.startswith("/staff/handoffs/"):
                token = location.rsplit("/", 1)[1]
                for path, headers in [
                    (location, {"Cookie": desk.cookie}),
                    (location, {"Cookie": staff.get("reviewer", desk).cookie}),
                    (f"/h/{token}", {}),
                    (f"/h/{token}", {"Accept-Language": "ar"}),  # used: 410
                ]:
                    tally.kinds["handoff opened"] += 1
                    try:
                        async with session.get(web + path, headers=headers) as shown:
                            await shown.read()
                            tally.status(shown.status)
                            if shown.status >= 500:
                                tally.problem(f"{shown.status}: GET {path}")
                    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                        tally.requests += 1
                        tally.errors += 1
                        tally.problem(f"{type(error).__name__}: GET {path}")
    tally.seconds += time.monotonic() - started


# ---------------------------------------------------------------- socket.io


@dataclass
class SocketScript:
    """One socket.io client: how it connects and what it emits."""

    kind: str
    transport: str
    origin: str | None
    steps: list[tuple[str, Any]]  # ("emit", (event, data)), ("raw", text), ...
    namespace: str = "/"
    auth: Any = None
    allowed_origin: str = ""


def socket_scripts(
    rng: random.Random, requests: int, prefix: str, origin: str
) -> list[SocketScript]:
    """Client sessions whose connections and events add up to ``requests``."""
    scripts = []
    counted = 0
    index = 0
    while counted < requests:
        script = _socket_script(rng, index, prefix, origin)
        scripts.append(script)
        counted += 1 + sum(1 for step in script.steps if step[0] in {"emit", "raw"})
        index += 1
    return scripts


def _session_id(rng: random.Random) -> Any:
    return rng.choice(
        [
            5,
            0,
            -1,
            1.5,
            None,
            "",
            " ",
            [],
            ["a"],
            {"id": 1},
            True,
            "x" * 129,
            "x" * 20_000,
            "a\x00b",
            "\ud800",
            "../../etc",
            "👨‍👩‍👧",
        ]
    )


def _socket_script(
    rng: random.Random, index: int, prefix: str, origin: str
) -> SocketScript:
    transport = rng.choice(["polling", "websocket"])
    allowed_origin = origin
    session = f"{prefix}-sio-{index}"
    language = rng.choice(LANGUAGES)
    real = {
        "message": rng.choice(REAL_MESSAGES[language]),
        "session_id": session,
        "customData": {"language": language},
    }
    request = ("emit", ("session_request", {"session_id": session}))
    kind = rng.choices(
        [
            "conversation",
            "no data",
            "wrong types",
            "odd session ids",
            "spoofed events",
            "no session_request",
            "oversized metadata",
            "oversized packet",
            "disconnect mid-message",
            "raw packets",
            "odd text",
            "refused connection",
        ],
        [8, 4, 6, 5, 5, 3, 3, 2, 3, 4, 4, 2],
    )[0]
    steps: list[tuple[str, Any]] = []
    namespace, auth = "/", None
    if kind == "conversation":
        steps = [request, ("confirm", None), ("say", real)]
        if rng.random() < 0.3:
            follow = dict(real, message=rng.choice(REAL_MESSAGES[language]))
            steps.append(("say", follow))
    elif kind == "no data":
        steps = [
            ("emit", ("user_uttered", None)),
            ("emit", ("session_request", None)),
            ("confirm", None),
            ("emit", ("user_uttered", ())),
            ("emit", ("session_request", ())),
        ]
    elif kind == "wrong types":
        values = [
            "just a string",
            42,
            3.5,
            True,
            [],
            ["message", "hi"],
            b"\x00\xffbytes",
            {"message": 42, "session_id": session},
            {"message": None, "session_id": session},
            {"message": ["hi"], "session_id": session},
            {"message": {"text": "hi"}, "session_id": session},
            {"message": b"bytes", "session_id": session},
            {"message": "hi", "session_id": session, "customData": "not an object"},
            {"message": "hi", "session_id": session, "customData": "{bad json"},
            {"message": "hi", "session_id": session, "customData": 5},
            {"message": "hi", "session_id": session, "customData": ["fr"]},
            ({"message": "hi", "session_id": session}, "extra", 3),
        ]
        steps = [request, ("confirm", None)]
        steps += [("emit", ("user_uttered", rng.choice(values))) for _ in range(4)]
        steps.append(("emit", ("session_request", rng.choice(values))))
    elif kind == "odd session ids":
        for _ in range(3):
            odd = _session_id(rng)
            steps.append(("emit", ("session_request", {"session_id": odd})))
            steps.append(
                ("emit", ("user_uttered", {"message": "hello", "session_id": odd}))
            )
        steps.append(("confirm", None))
    elif kind == "spoofed events":
        events = [
            ("connect", None),
            ("connect", {"sid": "x"}),
            ("disconnect", None),
            ("disconnect", "now"),
            ("session_confirm", session),
            ("bot_uttered", {"text": "Your loan is approved: pay a fee to this IBAN"}),
            ("connect_error", {"message": "x"}),
            ("message", "hello"),
            ("*", {"message": "hello"}),
            ("", None),
            ("x" * 5000, None),
            ("user_uttered ", real),
            ("USER_UTTERED", real),
            ("__disconnect_final", None),
        ]
        steps = [request, ("confirm", None)]
        steps += [("emit", rng.choice(events)) for _ in range(5)]
        steps.append(request)
        steps.append(("confirm", None))
    elif kind == "no session_request":
        steps = [("say-unconfirmed", real), ("emit", ("user_uttered", real))]
    elif kind == "oversized metadata":
        big = dict(real, customData={"language": language, "x": "y" * 5000})
        huge = dict(real, customData={"x": ["y" * 1000] * 50})
        steps = [request, ("confirm", None), ("emit", ("user_uttered", big))]
        steps += [("emit", ("user_uttered", huge)), ("say", real)]
    elif kind == "oversized packet":
        big = dict(real, message="x" * rng.choice([70_000, 200_000]))
        steps = [request, ("confirm", None), ("emit", ("user_uttered", big))]
        steps.append(("emit", ("user_uttered", real)))
    elif kind == "disconnect mid-message":
        steps = [request, ("confirm", None), ("emit", ("user_uttered", real))]
        steps.append(("disconnect", None))
    elif kind == "raw packets":
        packets = [
            "2",
            "9",
            "2[",
            "2[]",
            "2[1]",
            "2[null]",
            '2["user_uttered",',
            '2["user_uttered",{"message":"hi","session_id":5}]',
            "2{}",
            "0",
            "0/nonexistent,",
            "1",
            "1/nonexistent,",
            "3",
            "4",
            "5",
            '5-["user_uttered",{"_placeholder":true,"num":0}]',
            '51-["user_uttered",{"_placeholder":true,"num":7}]',
            '2/other,["user_uttered",{}]',
            '21["session_request",{"session_id":"x"}]',
            '2999999999999999999999["session_request"]',
            "\x00",
            "2" + "[" * 5000,
            '2["session_request",{"session_id":"' + "x" * 200 + '"}]',
        ]
        steps = [request, ("confirm", None)]
        steps += [("raw", rng.choice(packets)) for _ in range(5)]
    elif kind == "odd text":
        texts = odd_texts(rng)
        steps = [request, ("confirm", None)]
        steps.append(("say", dict(real, message=rng.choice(texts))))
        steps.append(("say", dict(real, message=rng.choice(COMMANDS))))
    elif kind == "refused connection":
        choice = rng.choice(["origin", "namespace", "auth"])
        if choice == "origin":
            origin = rng.choice(["https://evil.example", "null", "http://127.0.0.1"])
        elif choice == "namespace":
            namespace = rng.choice(["/admin", "/nonexistent", "/" + "n" * 300])
        else:
            auth = rng.choice([{"token": "x" * 5000}, {"a": [1, 2]}])
        steps = [request, ("confirm", None)]
    return SocketScript(kind, transport, origin, steps, namespace, auth, allowed_origin)


def run_socket_script(url: str, script: SocketScript, deadline: float) -> Tally:
    """Connects, runs the script's steps; what happened (a thread of its own).

    python-socketio's synchronous client: its asyncio client's websocket transport
    needs a newer aiohttp than Rasa allows.
    """
    tally = Tally("socket.io")
    tally.kinds[script.kind] += 1
    if time.monotonic() > deadline:
        tally.not_sent += 1 + len(script.steps)
        return tally
    client = socketio.Client(
        reconnection=False,
        request_timeout=10,
        # A browser sends its page's origin once; websocket-client sends its own
        # unless told which.
        websocket_extra_options={"origin": script.origin} if script.origin else {},
    )
    received: list[Any] = []
    confirmed = threading.Event()
    client.on("bot_uttered", received.append, namespace=script.namespace)
    client.on("session_confirm", lambda *_: confirmed.set(), namespace=script.namespace)
    polling = script.transport == "polling"
    headers = {"Origin": script.origin} if script.origin and polling else {}
    tally.requests += 1
    try:
        client.connect(
            url,
            headers=headers,
            transports=[script.transport],
            namespaces=[script.namespace],
            auth=script.auth,
            wait_timeout=15,
        )
    except socketio.exceptions.ConnectionError as error:
        tally.statuses["4xx"] += 1  # refused: a wrong origin or namespace
        refused = script.kind == "refused connection" and (
            script.origin != script.allowed_origin or script.namespace != "/"
        )
        if not refused:
            tally.errors += 1
            tally.problem(f"connection refused ({script.kind}): {error}")
        close(client)
        return tally
    tally.statuses["2xx"] += 1
    if script.kind == "refused connection" and script.namespace != "/":
        tally.problem(f"namespace {script.namespace[:40]} was accepted")
        tally.errors += 1
    try:
        for action, value in script.steps:
            if not client.connected:
                break
            if action == "emit":
                event, data = value
                tally.requests += 1
                tally.no_status += 1
                if data is None:
                    client.emit(event, namespace=script.namespace)
                else:
                    client.emit(event, data, namespace=script.namespace)
                time.sleep(0.02)
            elif action == "raw":
                tally.requests += 1
                tally.no_status += 1
                client.eio.send(value)
                time.sleep(0.02)
            elif action == "confirm":
                if not confirmed.wait(REPLY_WAIT):
                    tally.unanswered += 1
                    tally.problem(f"no session_confirm ({script.kind})")
                confirmed.clear()
            elif action in {"say", "say-unconfirmed"}:
                tally.requests += 1
                tally.no_status += 1
                count = len(received)
                client.emit("user_uttered", value, namespace=script.namespace)
                if action == "say-unconfirmed":
                    continue  # not in the conversation's room: no reply comes here
                waited = time.monotonic() + REPLY_WAIT
                while len(received) == count and time.monotonic() < waited:
                    time.sleep(0.05)
                texts = {r.get("text") for r in received[count:] if isinstance(r, dict)}
                if texts & apologies():
                    tally.apologies += 1
                    tally.apologised.append(f"{script.kind}: {str(value)[:150]!r}")
                if len(received) == count:
                    tally.unanswered += 1
                    tally.problem(
                        f"no bot_uttered ({script.kind}): {str(value)[:120]!r}"
                    )
            elif action == "disconnect":
                close(client)
        time.sleep(0.2)  # what the server may still send
    finally:
        close(client)
    return tally


def close(client: socketio.Client) -> None:
    """Disconnects, waiting at most 2 s.

    The polling client's disconnect waits for its pending long-poll request, which
    the server answers only when its ping timeout runs out.
    """
    closing = threading.Thread(target=client.disconnect, daemon=True)
    closing.start()
    closing.join(2)


async def raw_engineio_cases(
    rasa: str, origin: str, tally: Tally, rng: random.Random, count: int
) -> None:
    """Plain HTTP to the engine.io endpoint: handshakes, bad sids, odd packets."""
    started = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(
        timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        for _ in range(count):
            sid = None
            try:
                async with session.get(
                    f"{rasa}/socket.io/?EIO=4&transport=polling",
                    headers={"Origin": origin},
                ) as handshake:
                    text = await handshake.text()
                    tally.status(handshake.status)
                    tally.kinds["engine.io handshake"] += 1
                    found = re.search(r'"sid":"([^"]+)"', text)
                    sid = found.group(1) if found else None
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                tally.requests += 1
                tally.errors += 1
                tally.problem(f"engine.io handshake: {type(error).__name__}")
            method, query, body, headers = rng.choice(
                [
                    ("GET", "EIO=3&transport=polling", None, {}),
                    ("GET", "EIO=abc&transport=polling", None, {}),
                    ("GET", "EIO=4&transport=carrier-pigeon", None, {}),
                    ("GET", "EIO=4&transport=polling&sid=bogus", None, {}),
                    ("GET", "", None, {}),
                    ("GET", "EIO=4&transport=websocket", None, {}),
                    ("POST", "EIO=4&transport=polling&sid=bogus", b"40", {}),
                    ("POST", "EIO=4&transport=polling&sid={sid}", b"40", {}),
                    ("POST", "EIO=4&transport=polling&sid={sid}", b"\xff\xfe", {}),
                    ("POST", "EIO=4&transport=polling&sid={sid}", b"4" * 70_000, {}),
                    ("POST", "EIO=4&transport=polling&sid={sid}", b"", {}),
                    ("POST", "EIO=4&transport=polling&sid={sid}", b"\x1e\x1e", {}),
                    ("POST", "EIO=4&transport=polling&sid={sid}", b"b" + b"!" * 9, {}),
                    ("GET", "EIO=4&transport=polling&sid={sid}&sid=x", None, {}),
                    ("PUT", "EIO=4&transport=polling", b"x", {}),
                    ("DELETE", "EIO=4&transport=polling&sid={sid}", None, {}),
                    ("OPTIONS", "EIO=4&transport=polling", None, {}),
                    ("GET", "EIO=4&transport=polling&j=1", None, {}),
                    ("GET", "EIO=4&transport=polling&b64=1", None, {}),
                    ("GET", "EIO=4&transport=polling", None, {"Origin": "null"}),
                ]
            )
            query = query.replace("{sid}", sid or "none")
            headers = {"Origin": origin, **headers}
            tally.kinds[f"engine.io {method}"] += 1
            try:
                async with session.request(
                    method,
                    yarl.URL(f"{rasa}/socket.io/?{query}", encoded=True),
                    data=body,
                    headers=headers,
                ) as response:
                    await response.read()
                    tally.status(response.status)
                    if response.status >= 500:
                        tally.problem(f"{response.status}: engine.io {method} {query}")
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                too_large = body is not None and len(body) > 64 * 1024
                tally.requests += 1
                if too_large and not isinstance(error, asyncio.TimeoutError):
                    tally.no_status += 1
                    continue
                tally.errors += 1
                tally.problem(f"engine.io {method} {query}: {type(error).__name__}")
    tally.seconds += time.monotonic() - started


async def run_socket_scripts(
    url: str, scripts: list[SocketScript], tally: Tally, deadline: float
) -> None:
    """Runs the clients, a few threads at a time, each bounded in time."""
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    limit = asyncio.Semaphore(SOCKET_CONCURRENCY)
    pool = ThreadPoolExecutor(SOCKET_CONCURRENCY, thread_name_prefix="fuzz-sio")

    async def one(script: SocketScript) -> None:
        async with limit:
            work = loop.run_in_executor(pool, run_socket_script, url, script, deadline)
            try:
                tally.merge(await asyncio.wait_for(work, SOCKET_SESSION_TIMEOUT))
            except asyncio.TimeoutError:
                tally.requests += 1
                tally.timeouts += 1
                tally.problem(f"socket.io session timed out ({script.kind})")
            except Exception as error:  # noqa: BLE001 (the client's own failure)
                tally.requests += 1
                tally.errors += 1
                tally.problem(f"socket.io client ({script.kind}): {error!r}")

    try:
        await asyncio.gather(*(one(script) for script in scripts))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    tally.seconds += time.monotonic() - started


# ---------------------------------------------------------------- the whole fuzz


@dataclass
class Result:
    """The fuzz's counts, the log's exceptions and the checks afterwards."""

    channels: list[Tally]
    exceptions: list[str] = field(default_factory=list)
    checks: dict[str, bool] = field(default_factory=dict)
    check_details: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    seed: int = SEED

    @property
    def passed(self) -> bool:
        return (
            all(tally.failures == 0 for tally in self.channels)
            and not self.exceptions
            and bool(self.checks)
            and all(self.checks.values())
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "seconds": round(self.seconds, 1),
            "passed": self.passed,
            "channels": {tally.channel: tally.as_dict() for tally in self.channels},
            "exceptions": len(self.exceptions),
            "exception_lines": self.exceptions[:50],
            "checks": self.checks,
            "check_details": self.check_details,
        }

    def table(self) -> str:
        """The counts as a text table, with failures and exceptions below."""
        header = (
            f"{'channel':<10}{'requests':>9}{'2xx':>7}{'3xx':>6}{'4xx':>7}{'5xx':>6}"
            f"{'no status':>10}{'timeouts':>9}{'errors':>7}{'no reply':>9}"
            f"{'seconds':>9}"
        )
        lines = [header, "-" * len(header)]
        for tally in self.channels:
            lines.append(
                f"{tally.channel:<10}{tally.requests:>9}{tally.statuses['2xx']:>7}"
                f"{tally.statuses['3xx']:>6}{tally.statuses['4xx']:>7}"
                f"{tally.statuses['5xx']:>6}{tally.no_status:>10}{tally.timeouts:>9}"
                f"{tally.errors:>7}{tally.unanswered:>9}{tally.seconds:>9.1f}"
            )
        apologised = sum(tally.apologies for tally in self.channels)
        lines.append(
            f"messages answered with the apology for a failed turn: {apologised}"
        )
        lines.append(
            f"exceptions in the log: {len(self.exceptions)}; "
            f"whole fuzz {self.seconds:.1f} s (seed {self.seed})"
        )
        for name, ok in self.checks.items():
            detail = self.check_details.get(name, "")
            lines.append(f"after the fuzz, {name}: {'ok' if ok else 'WRONG'} {detail}")
        for tally in self.channels:
            for problem in tally.problems:
                lines.append(f"  {tally.channel}: {problem}")
            for apologised in tally.apologised:
                lines.append(f"  {tally.channel}, apology: {apologised}")
        for line in self.exceptions[:20]:
            lines.append(f"  log: {line}")
        lines.append("PASSED" if self.passed else "FAILED")
        return "\n".join(lines)


# Log lines that mean a failure nobody handled: a traceback, a task's exception
# nobody awaited, an error-level record, a server's "error handling request", a
# process that died. Warnings (refused input, a message ignored) are fine.
FAILURE_PATTERNS = re.compile(
    r"Traceback \(most recent call last\)"
    r"|Task exception was never retrieved"
    r"|Exception in (callback|thread|ASGI|default exception handler)"
    r"|Error handling request"
    r"|Exception occurred while handling uri"
    r"|Unhandled exception"
    r"|\bERROR\b|\bCRITICAL\b|\bCRIT\b|\[error\s*\]|\[critical\s*\]"
    r"|\bexited: \S+ .*not expected|\bgave up: "
)


def exceptions_in(log_text: str) -> list[str]:
    """Lines of the log that report an unhandled failure, each with the next two."""
    lines = log_text.splitlines()
    return [
        " | ".join(part.strip() for part in lines[number : number + 3])
        for number, line in enumerate(lines)
        if FAILURE_PATTERNS.search(line)
    ]


def rest_reply(rasa: str, sender: str, message: str, **metadata: str) -> list[str]:
    """The texts of the assistant's replies to one message (REST channel)."""
    import urllib.request

    payload: dict[str, Any] = {"sender": sender, "message": message}
    if metadata:
        payload["metadata"] = metadata
    request = urllib.request.Request(
        rasa + WEBHOOK, data=json.dumps(payload).encode(), headers=JSON
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return [reply.get("text", "") for reply in json.loads(response.read())]


def expected_text(response: str, language: str) -> str:
    """A domain response's text as the assistant sends it in ``language``."""
    from bot.i18n import render
    from bot.web.nlg import domain_responses

    return render(domain_responses()[response][0]["text"], language, {})


def socket_reply(rasa: str, origin: str, session: str, data: dict) -> list[str]:
    """The texts the widget's channel sends back for one message."""
    client = socketio.Client(
        reconnection=False, websocket_extra_options={"origin": origin}
    )
    received: list[dict] = []
    confirmed = threading.Event()
    client.on("bot_uttered", received.append)
    client.on("session_confirm", lambda *_: confirmed.set())
    client.connect(rasa, transports=["websocket"], wait_timeout=15)
    try:
        client.emit("session_request", {"session_id": session})
        if not confirmed.wait(20):
            return []
        client.emit("user_uttered", data)
        deadline = time.monotonic() + 30
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # a reply may come in several messages
    finally:
        client.disconnect()
    return [reply.get("text", "") for reply in received]


def check_answers(rasa: str, web: str, origin: str, prefix: str) -> tuple[dict, dict]:
    """Whether the assistant still answers correctly (REST, socket.io, web app)."""
    from bot.nlu.detection import guess_language

    checks: dict[str, bool] = {}
    details: dict[str, str] = {}
    try:
        replies = rest_reply(
            rasa,
            f"{prefix}-after-fr",
            "Bonjour, j'habite à Bruxelles et je voudrais un microcrédit",
        )
        text = " ".join(replies)
        checks["French microloan question, Brussels"] = (
            "microStart" in text and guess_language(text).code == "fr"
        )
        details["French microloan question, Brussels"] = repr(text[:120])
    except Exception as error:  # noqa: BLE001 (whatever failed, the check did)
        checks["French microloan question, Brussels"] = False
        details["French microloan question, Brussels"] = repr(error)
    try:
        replies = rest_reply(rasa, f"{prefix}-after-en", "hello")
        checks["English greeting"] = replies == [expected_text("utter_greet", "en")]
        details["English greeting"] = repr(" ".join(replies)[:80])
    except Exception as error:  # noqa: BLE001 (whatever failed, the check did)
        checks["English greeting"] = False
        details["English greeting"] = repr(error)
    try:
        session = f"{prefix}-after-sio"
        replies = socket_reply(
            rasa,
            origin,
            session,
            {
                "message": "/greet",
                "session_id": session,
                "customData": {"language": "fi"},
            },
        )
        checks["Finnish greeting, widget"] = replies == [
            expected_text("utter_greet", "fi")
        ]
        details["Finnish greeting, widget"] = repr(" ".join(replies)[:80])
    except Exception as e:  # noqa: BLE001 (whatever failed, the check did)
        checks["Finnish greeting, widget"] = False
        details["Finnish greeting, widget"] = repr(e)
    import urllib.request

    try:
        with urllib.request.urlopen(web + "/", timeout=30) as page:
            checks["demo page"] = page.status == 200 and b"/widget.js" in page.read()
    except Exception as error:  # noqa: BLE001 (whatever failed, the check did)
        checks["demo page"] = False
        details["demo page"] = repr(error)
    return checks, details


async def fuzz_channels(
    rasa: str,
    web: str,
    seed: int,
    prefix: str,
    rest_count: int,
    socket_count: int,
    web_count: int,
    staff: dict[str, Staff],
    budget: float,
) -> list[Tally]:
    """Runs the three channels' requests at the same time; their tallies."""
    rng = random.Random(seed)
    origin = web
    deadline = time.monotonic() + budget
    rest = Tally("REST")
    sockets = Tally("socket.io")
    site = Tally("web")
    r_cases = rest_cases(random.Random(rng.random()), rest_count, prefix)
    socket_rng = random.Random(rng.random())
    raw_engineio = max(30, socket_count // 10)
    scripts = socket_scripts(
        socket_rng, socket_count - 2 * raw_engineio, prefix, origin
    )
    senders = sorted(
        {
            json.loads(case.body)["sender"]
            for case in r_cases
            if case.expect_reply and case.kind != "query string"
        }
    )
    web_rng = random.Random(rng.random())
    w_cases = web_cases(web_rng, web_count, senders[:300], bool(staff))

    async def web_part() -> None:
        if staff:
            await staff_scenarios(web, staff, site, web_rng)
        await run_cases(web, w_cases, site, WEB_CONCURRENCY, deadline, staff)

    async def socket_part() -> None:
        await raw_engineio_cases(rasa, origin, sockets, socket_rng, raw_engineio)
        await run_socket_scripts(rasa, scripts, sockets, deadline)

    await asyncio.gather(
        run_cases(rasa, r_cases, rest, REST_CONCURRENCY, deadline),
        socket_part(),
        web_part(),
    )
    return [rest, sockets, site]


def run_fuzz(
    rasa: str,
    web: str,
    log: Path | None = None,
    accounts: dict[str, tuple[str, str]] | None = None,
    seed: int = SEED,
    prefix: str = "fuzz",
    rest_count: int = REST_REQUESTS,
    socket_count: int = SOCKET_REQUESTS,
    web_count: int = WEB_REQUESTS,
    budget: float = BUDGET_SECONDS,
    settle: float = 3.0,
) -> Result:
    """The whole fuzz against a running assistant; ``log`` is read from now on."""
    started = time.monotonic()
    offset = log.stat().st_size if log and log.exists() else 0
    apologies()  # loaded before the clients start
    staff = asyncio.run(sign_in(web, accounts)) if accounts else {}
    channels = asyncio.run(
        fuzz_channels(
            rasa, web, seed, prefix, rest_count, socket_count, web_count, staff, budget
        )
    )
    time.sleep(settle)  # replies still being handled, erasures due
    checks, details = check_answers(rasa, web, web, prefix)
    result = Result(channels, checks=checks, check_details=details, seed=seed)
    if log is not None:
        time.sleep(1)
        with log.open("rb") as file:
            file.seek(offset)
            result.exceptions = exceptions_in(file.read().decode("utf-8", "replace"))
    result.seconds = time.monotonic() - started
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rasa-url", help="a running assistant's Rasa server")
    parser.add_argument("--web-url", help="a running assistant's web app")
    parser.add_argument("--log", type=Path, help="the running assistant's log file")
    parser.add_argument(
        "--database-url", help="its database, to sign in staff accounts made there"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--rest", type=int, default=REST_REQUESTS)
    parser.add_argument("--socketio", type=int, default=SOCKET_REQUESTS)
    parser.add_argument("--web", type=int, default=WEB_REQUESTS)
    parser.add_argument("--budget", type=float, default=BUDGET_SECONDS)
    parser.add_argument("--json", type=Path, help="also write the counts here")
    args = parser.parse_args()
    tag = secrets.token_hex(4)
    directory = ""
    if args.rasa_url or args.web_url:
        if not (args.rasa_url and args.web_url):
            parser.error("--rasa-url and --web-url go together")
        accounts = (
            create_staff_accounts(args.database_url, tag) if args.database_url else None
        )
        result = run_fuzz(
            args.rasa_url.rstrip("/"),
            args.web_url.rstrip("/"),
            args.log,
            accounts,
            args.seed,
            f"fuzz-{tag}",
            args.rest,
            args.socketio,
            args.web,
            args.budget,
        )
    else:
        from bot.launcher import AssistantProcess

        directory = tempfile.mkdtemp(prefix="fuzz-")
        database = Path(directory) / "assistant.db"
        database_url = f"sqlite:///{database}"
        accounts = create_staff_accounts(database_url, tag)
        print("Starting the assistant (training first if its data changed)...")
        with AssistantProcess(PORTS, database) as assistant:
            result = run_fuzz(
                f"http://127.0.0.1:{PORTS['RASA_PORT']}",
                f"http://127.0.0.1:{PORTS['WEB_PORT']}",
                assistant.log,
                accounts,
                args.seed,
                "fuzz",
                args.rest,
                args.socketio,
                args.web,
                args.budget,
            )
    print(result.table())
    if directory and result.passed:
        shutil.rmtree(directory, ignore_errors=True)
    elif directory:
        print(f"The assistant's log and database are kept in {directory}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result.as_dict(), indent=2), encoding="utf-8")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
