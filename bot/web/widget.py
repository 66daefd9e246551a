"""The chat widget's web side: the script, its texts per language, and a demo page.

One ``<script src=".../widget.js">`` embeds the widget in any page; an optional
``window.assistantConfig`` (language, city, topic, colours) set before it chooses the
conversation's context. The widget talks to Rasa's socket.io channel directly.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path

from aiohttp import web

from bot import settings
from bot.i18n import N_, render
from bot.languages import (
    DEFAULT_LANGUAGE,
    NATIVE_NAMES,
    RIGHT_TO_LEFT,
    SUPPORTED_LANGUAGES,
)
from bot.limits import MAX_MESSAGE_CHARS, TOO_LONG
from bot.topics import COMPUTED, TOPICS

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
SOCKET_IO_CLIENT = WEB_DIR / "node_modules" / "socket.io-client" / "dist"
CACHE = "public, max-age=300"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Every text the widget shows, by key (gettext ids: translated in locales/).
TEXTS = {
    "title": N_("Ask about money, work and diplomas"),
    "open": N_("Open the chat"),
    "close": N_("Close the chat"),
    "language": N_("Language"),
    "new_conversation": N_("New conversation"),
    "message_label": N_("Your message"),
    "placeholder": N_("Write your question…"),
    "send": N_("Send"),
    "typing": N_("The assistant is writing…"),
    "offline": N_(
        "No connection. Your messages will be sent when the connection is back."
    ),
    "pending": N_("Not sent yet"),
    "too_long": TOO_LONG,
    "privacy_title": N_("Before you start"),
    "privacy": N_(
        "This assistant gives general information from partner organisations; it is "
        "not a person and does not decide on loans. Your messages are stored so that "
        "it can answer you. Please do not write ID numbers, bank details or other "
        "personal data."
    ),
    "privacy_ok": N_("I understand"),
    "you": N_("You"),
    "assistant": N_("Assistant"),
}
# Which opening question a page's configured topic stands for.
TOPIC_PAYLOADS = {
    topic.name: f"/{topic.intent}" for topic in TOPICS if topic.answered_by != COMPUTED
}


@cache
def widget_texts(language: str) -> dict[str, str]:
    """The widget's texts in ``language`` (English where a text is not translated)."""
    return {
        key: render(text, language, {"limit": MAX_MESSAGE_CHARS})
        for key, text in TEXTS.items()
    }


def widget_settings() -> dict[str, object]:
    """What the script needs to know before it asks for anything."""
    return {
        "languages": [
            {
                "code": code,
                "name": NATIVE_NAMES[code],
                "rtl": code in RIGHT_TO_LEFT,
            }
            for code in SUPPORTED_LANGUAGES
        ],
        "defaultLanguage": DEFAULT_LANGUAGE,
        "rasaPort": settings.RASA_PORT,
        "socketUrl": settings.PUBLIC_SOCKET_URL,
        "maxMessageChars": MAX_MESSAGE_CHARS,
        "topics": TOPIC_PAYLOADS,
        # Every language's texts travel with the script: no second round trip
        # before the widget can be used (about 3 KB gzipped for all ten).
        "texts": {code: widget_texts(code) for code in SUPPORTED_LANGUAGES},
    }


@cache
def asset(name: str) -> tuple[bytes, bytes]:
    """A file the widget loads, plain and gzipped (read once per process).

    widget.js gets its settings in front, so one script tag is all a page needs.
    """
    folder = SOCKET_IO_CLIENT if name.startswith("socket.io") else STATIC_DIR
    body = (folder / name).read_bytes()
    if name == "widget.js":
        body = f"window.__assistantSettings={json.dumps(widget_settings())};\n".encode()
        body += (STATIC_DIR / name).read_bytes()
    return body, gzip.compress(body, compresslevel=9, mtime=0)


def serve_asset(name: str, content_type: str) -> Handler:
    """A handler for one of the widget's files, gzipped for browsers that accept it."""

    async def handler(request: web.Request) -> web.Response:
        plain, compressed = asset(name)
        headers = {"Cache-Control": CACHE, "Access-Control-Allow-Origin": "*"}
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
            body = compressed
        else:
            body = plain
        return web.Response(body=body, content_type=content_type, headers=headers)

    return handler


async def handle_demo(request: web.Request) -> web.Response:
    """GET /: a demo page that embeds the widget, as a partner's page would."""
    page = (STATIC_DIR / "demo.html").read_text(encoding="utf-8")
    return web.Response(text=page, content_type="text/html")


def add_widget_routes(app: web.Application) -> None:
    """The widget's routes on the web app."""
    javascript = "application/javascript"
    app.router.add_get("/", handle_demo)
    app.router.add_get("/widget.js", serve_asset("widget.js", javascript))
    app.router.add_get("/static/widget.css", serve_asset("widget.css", "text/css"))
    app.router.add_get(
        "/vendor/socket.io/socket.io.min.js",
        serve_asset("socket.io.min.js", javascript),
    )
