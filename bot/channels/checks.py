"""What both channels check in a message, and the answer every message gets.

Whatever happens behind them, a user's message gets an answer: malformed input a clear
error, and a turn that produced no reply (the action server down, an exception) a short
apology in the user's language.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, Sanic
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request

from bot.i18n import N_, render
from bot.languages import DEFAULT_LANGUAGE, normalise_language

MAX_SENDER_CHARS = 128
# The widget sends a language, a city, a topic and a handoff token: a few hundred bytes.
MAX_METADATA_CHARS = 4000
SORRY = N_("Sorry, I could not answer just now. Please try again in a moment.")

logger = logging.getLogger(__name__)


def clean_text(text: str) -> str:
    """``text`` with lone surrogates (invalid Unicode) replaced by "?", without NULs.

    A NUL character means nothing in a message, and some databases (PostgreSQL)
    refuse to store one in a text column.
    """
    if _has_surrogate(text):
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text.replace("\0", "")


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def checked_sender(sender: Any) -> str:
    """A conversation id as sent by a client, or a 400 that says what is wrong."""
    if not isinstance(sender, str) or not sender.strip():
        raise InvalidUsage("'sender' must be a non-empty string.")
    if len(sender) > MAX_SENDER_CHARS:
        raise InvalidUsage(f"'sender' is longer than {MAX_SENDER_CHARS} characters.")
    if not sender.isprintable() or _has_surrogate(sender):
        raise InvalidUsage("'sender' must be printable text.")
    return sender


def checked_metadata(metadata: Any) -> dict[str, Any]:
    """Message metadata: an object of modest size (anything else counts as none)."""
    if not isinstance(metadata, dict):
        return {}
    try:
        size = len(json.dumps(metadata))
    except (TypeError, ValueError):
        return {}
    if size > MAX_METADATA_CHARS:
        raise PayloadTooLarge(
            f"'metadata' is larger than {MAX_METADATA_CHARS} characters."
        )
    return _cleaned(metadata)


def _cleaned(value: Any) -> Any:
    """A JSON value with every string's lone surrogates replaced."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(key): _cleaned(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_cleaned(item) for item in value]
    return value


async def answered(
    on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage
) -> None:
    """Handles ``message``, then sends its replies; if there are none, an apology.

    Rasa sends each reply as its action runs and stores the turn at the end: a
    replica that died in between would have shown the user an answer the
    conversation never kept (the widget's socket.io channel; the REST channel
    answers after the end anyway). The replies are held until the turn is stored; a
    turn that failed gets the apology instead of half its replies.
    """
    channel = message.output_channel
    send = channel.send_response
    held: list[tuple[str, dict[str, Any]]] = []

    async def hold(recipient_id: str, reply: dict[str, Any]) -> None:
        held.append((recipient_id, reply))

    channel.send_response = hold  # type: ignore[method-assign]
    try:
        await on_new_message(message)
    except Exception:  # noqa: BLE001 (whatever failed, the user gets an answer)
        logger.exception("Handling a message of %s failed.", message.sender_id)
        held.clear()
    finally:
        channel.send_response = send  # type: ignore[method-assign]
    for recipient_id, reply in held:
        await send(recipient_id, reply)
    if not held:
        language = await conversation_language(message)
        await send(message.sender_id, {"text": render(SORRY, language, {})})


async def conversation_language(message: UserMessage) -> str:
    """The conversation's language, else the message's, the page's, or English."""
    metadata = message.metadata if isinstance(message.metadata, dict) else {}
    candidates: list[Any] = []
    try:
        tracker = await Sanic.get_app().ctx.agent.tracker_store.retrieve(
            message.sender_id
        )
    except Exception:  # noqa: BLE001 (the database may be what failed)
        tracker = None
    if tracker is not None:
        parsed = tracker.latest_message.parse_data if tracker.latest_message else {}
        candidates += [tracker.get_slot("language"), (parsed.get("language") or {})]
    candidates.append(metadata.get("language"))
    for candidate in candidates:
        code = candidate.get("code") if isinstance(candidate, dict) else candidate
        language = normalise_language(code) if isinstance(code, str) else None
        if language:
            return language
    return DEFAULT_LANGUAGE


_CONTENT_LENGTH = re.compile(r"[0-9]{1,18}")
_CHANNEL_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


async def refuse_malformed_framing(request: Request, **_: Any) -> None:
    """A 400 for a request whose body framing Sanic would misread.

    Sanic 21.12 reads ``Content-Length`` with ``int()``: "-5" made it spin for ever
    on one request, so Rasa answered nobody again; "abc", "1_0" or a
    ``Transfer-Encoding`` other than chunked were a 500. A length and chunked
    together (a request smuggling trick) is refused too. Runs on every request of
    Rasa's server, as soon as its head is read (the ``http.lifecycle.request``
    signal).
    """
    lengths = request.headers.getall("content-length", [])
    codings = request.headers.getall("transfer-encoding", [])
    if len(lengths) > 1 or any(not _CONTENT_LENGTH.fullmatch(v) for v in lengths):
        raise InvalidUsage("Malformed Content-Length.")
    if codings and (lengths or codings != ["chunked"]):  # exactly as Sanic reads it
        raise InvalidUsage("Only a Content-Length or chunked Transfer-Encoding.")


def guarded(blueprint: Blueprint) -> Blueprint:
    """``blueprint`` with ``refuse_malformed_framing`` on every request of the app.

    (A blueprint's signal is not limited to its routes: it runs for the app's
    every request, and each channel brings it so that either guards alone.)
    """
    blueprint.signal("http.lifecycle.request")(refuse_malformed_framing)
    return blueprint


def checked_body(request: Request) -> dict[str, Any]:
    """The JSON object of the request, or a 400 that says what is wrong."""
    try:
        body = request.json
    except Exception:  # Sanic raises its own error types for undecodable bodies
        raise InvalidUsage("The body must be a JSON object.") from None
    if not isinstance(body, dict):
        raise InvalidUsage("The body must be a JSON object.")
    return body
