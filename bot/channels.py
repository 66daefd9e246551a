"""Input channels (REST and the widget's socket.io), each message checked first.

Whatever happens behind them, a user's message gets an answer: malformed input a clear
error, and a turn that produced no reply (the action server down, an exception) a short
apology in the user's language.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, Sanic
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request

from bot import settings
from bot.i18n import N_, render
from bot.languages import DEFAULT_LANGUAGE, normalise_language
from bot.limits import MAX_MESSAGE_CHARS, TOO_LONG

MAX_SENDER_CHARS = 128
# The widget sends a language, a city, a topic and a handoff token: a few hundred bytes.
MAX_METADATA_CHARS = 4000
# Larger socket.io packets are refused by the transport.
MAX_SOCKET_PACKET_BYTES = 64 * 1024
SORRY = N_("Sorry, I could not answer just now. Please try again in a moment.")

logger = logging.getLogger(__name__)


def clean_text(text: str) -> str:
    """``text`` with lone surrogates (invalid Unicode) replaced by "?"."""
    return (
        text.encode("utf-8", "replace").decode("utf-8")
        if _has_surrogate(text)
        else text
    )


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
    """Handles ``message``; if that sent the user nothing, sends an apology."""
    channel = message.output_channel
    send = channel.send_response
    sent = False

    async def counted(recipient_id: str, reply: dict[str, Any]) -> None:
        nonlocal sent
        sent = True
        await send(recipient_id, reply)

    channel.send_response = counted  # type: ignore[method-assign]
    try:
        await on_new_message(message)
    except Exception:  # noqa: BLE001 (whatever failed, the user gets an answer)
        logger.exception("Handling a message of %s failed.", message.sender_id)
    if not sent:
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


def checked_body(request: Request) -> dict[str, Any]:
    """The JSON object of the request, or a 400 that says what is wrong."""
    try:
        body = request.json
    except Exception:  # Sanic raises its own error types for undecodable bodies
        raise InvalidUsage("The body must be a JSON object.") from None
    if not isinstance(body, dict):
        raise InvalidUsage("The body must be a JSON object.")
    return body


class CheckedRestInput(RestInput):
    """Rasa's REST channel that answers malformed requests with a 4xx, not a crash."""

    @classmethod
    def name(cls) -> str:
        """Keeps the usual URL: /webhooks/rest/webhook."""
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Rasa's blueprint; every message gets an answer (see ``answered``)."""

        async def handle(message: UserMessage) -> None:
            await answered(on_new_message, message)

        return super().blueprint(handle)

    async def _extract_sender(self, req: Request) -> str:
        return checked_sender(checked_body(req).get("sender"))

    def _extract_message(self, req: Request) -> str:
        message = checked_body(req).get("message")
        if not isinstance(message, str):
            raise InvalidUsage("'message' must be a string.")
        if len(message) > MAX_MESSAGE_CHARS:
            raise PayloadTooLarge(
                f"'message' is longer than {MAX_MESSAGE_CHARS} characters."
            )
        return clean_text(message)

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """Metadata sent with the message (language, city, topic), if an object."""
        return checked_metadata(checked_body(request).get("metadata")) or None


class CheckedSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel (the web widget) with each event checked first.

    Only the configured web pages may connect (``ALLOWED_ORIGINS``). A message that is
    not text, is longer than the widget allows or comes with oversized metadata gets a
    polite answer in the user's language, or is ignored if no widget could have sent
    it; malformed events never raise.
    """

    @classmethod
    def name(cls) -> str:
        """Keeps the usual name and path (/socket.io)."""
        return "socketio"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Rasa's blueprint, with its event handlers replaced by checked ones."""

        async def handle(message: UserMessage) -> None:
            await answered(on_new_message, message)

        blueprint = super().blueprint(handle)
        self.sio.eio.cors_allowed_origins = settings.allowed_origins()
        self.sio.eio.max_http_buffer_size = MAX_SOCKET_PACKET_BYTES
        namespace = self.namespace or "/"
        handlers = self.sio.handlers[namespace]
        handle_message = handlers[self.user_message_evt]

        async def checked_message(sid: str, *args: Any) -> None:
            data = args[0] if args else None
            if not isinstance(data, dict) or not isinstance(
                data.get("message", ""), str
            ):
                return  # not something our widget sends: ignored, nothing stored
            session_id = data.get("session_id")
            if self.session_persistence and not _valid_session_id(session_id):
                return
            data["message"] = clean_text(data.get("message", ""))
            room = session_id or sid
            try:
                data[self.metadata_key] = checked_metadata(data.get(self.metadata_key))
            except PayloadTooLarge:
                await self.sio.emit(
                    self.bot_message_evt, {"text": "", "error": "too_large"}, room=room
                )
                return
            if len(data["message"]) > MAX_MESSAGE_CHARS:
                language = (
                    normalise_language(data[self.metadata_key].get("language"))
                    or DEFAULT_LANGUAGE
                )
                text = render(TOO_LONG, language, {"limit": MAX_MESSAGE_CHARS})
                await self.sio.emit(
                    self.bot_message_evt, {"text": text, "error": "too_long"}, room=room
                )
                return
            await handle_message(sid, data)

        async def connect(sid: str, *args: Any) -> bool:
            return True  # the origin was checked by the transport

        async def disconnect(sid: str, *args: Any) -> None:
            return None

        handlers[self.user_message_evt] = checked_message
        handlers["session_request"] = self._session_request
        handlers["connect"] = connect
        handlers["disconnect"] = disconnect
        return blueprint

    async def _session_request(self, sid: str, *args: Any) -> None:
        """Joins the browser to its conversation's room and confirms the session.

        Rasa 3.6's handler calls ``enter_room`` without awaiting it, which
        python-socketio 5.10+ made a coroutine: the browser never joined its room
        and got no replies. The session id is the browser's; a missing or malformed
        one gets a new id.
        """
        data = args[0] if args else None
        session_id = data.get("session_id") if isinstance(data, dict) else None
        if not _valid_session_id(session_id):
            session_id = uuid.uuid4().hex
        if self.session_persistence:
            for room in self.sio.rooms(sid, namespace=self.namespace):
                if room != sid:  # "New conversation": replies of the old one stop
                    await self.sio.leave_room(sid, room, namespace=self.namespace)
            await self.sio.enter_room(sid, session_id, namespace=self.namespace)
        await self.sio.emit(
            "session_confirm", session_id, room=sid, namespace=self.namespace
        )


def _valid_session_id(session_id: Any) -> bool:
    """Whether a widget could have sent this session id (printable text, ≤128)."""
    try:
        checked_sender(session_id)
    except InvalidUsage:
        return False
    return True
