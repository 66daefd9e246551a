"""Input channels (REST and the widget's socket.io), each message checked first.

Whatever happens behind them, a user's message gets an answer: malformed input a clear
error, and a turn that produced no reply (the action server down, an exception) a short
apology in the user's language.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, Sanic
from sanic.exceptions import InvalidUsage, PayloadTooLarge, SanicException
from sanic.request import Request
from socketio import AsyncServer
from socketio import packet as socketio_packet

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

        return guarded(super().blueprint(handle))

    async def _extract_sender(self, req: Request) -> str:
        return checked_sender(checked_body(req).get("sender"))

    def _extract_input_channel(self, req: Request) -> str:
        """The channel a client names (a short name), else "rest".

        Rasa stores whatever the body says with each event: a dict, or 60 KB of
        text, outside the metadata's size limit.
        """
        named = checked_body(req).get("input_channel")
        if isinstance(named, str) and _CHANNEL_NAME.fullmatch(named):
            return named
        return self.name()

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

        blueprint = guarded(super().blueprint(handle))
        self.sio.eio.cors_allowed_origins = settings.allowed_origins()
        self.sio.eio.max_http_buffer_size = MAX_SOCKET_PACKET_BYTES
        quiet_malformed_requests(self.sio.eio.logger)
        self.sio.eio.handlers["message"] = checked_eio_message(
            self.sio, self.sio.eio.handlers["message"]
        )
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
            metadata = data.get(self.metadata_key)
            language = (
                normalise_language(metadata.get("language"))
                if isinstance(metadata, dict)
                else None
            ) or DEFAULT_LANGUAGE
            try:
                data[self.metadata_key] = checked_metadata(metadata)
            except PayloadTooLarge:  # no widget sends that: nothing is stored
                text, error = render(SORRY, language, {}), "too_large"
            else:
                if len(data["message"]) <= MAX_MESSAGE_CHARS:
                    await handle_message(sid, data)
                    return
                limit = {"limit": MAX_MESSAGE_CHARS}
                text, error = render(TOO_LONG, language, limit), "too_long"
            await self.sio.emit(
                self.bot_message_evt, {"text": text, "error": error}, room=room
            )

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


class MalformedPacketsInOneLine(logging.Filter):
    """Logs an undecodable engine.io request as one warning line, not a traceback.

    python-engineio ignores a polling request whose body is no packet (empty, not
    UTF-8, not in its framing) and answers it, but logs "post request handler error"
    with the decoder's traceback, as if the channel had failed: anyone could fill
    the log with those and hide the real failures in it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrites the record of an undecodable request; keeps every record."""
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, ValueError) and _raised_in(error, "/engineio/"):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "Ignored an undecodable engine.io request: %s"
            record.args = (one_line(error),)
            record.exc_info = record.exc_text = None
        return True


class MalformedHttpInOneLine(logging.Filter):
    """Logs a malformed HTTP request to Rasa's server as one warning line.

    Sanic 21.12 closes the connection of a request whose target it cannot parse (a
    CONNECT, bytes that are not UTF-8) and refuses a broken chunked body with a 400,
    but logs "protocol.connection_task uncaught" and a traceback, as if it had
    failed; it logs an error too when a preflight request came with a body that
    nobody read. Anyone could fill the log with those and hide the real failures
    in it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrites the record of a malformed request; keeps every record."""
        error = record.exc_info[1] if record.exc_info else None
        refused = isinstance(error, SanicException) and (
            getattr(error, "status_code", 500) < 500
        )
        malformed = isinstance(error, UnicodeError) or (
            type(error).__module__.startswith("httptools")
        )
        if record.msg == "protocol.connection_task uncaught" and (refused or malformed):
            record.msg = "Closed the connection of a malformed request: %s"
            record.args = (one_line(error),)
        elif str(record.msg).endswith(" body not consumed."):
            request = str(record.msg).removesuffix(" body not consumed.")
            record.msg, record.args = "Did not read the body of %s", (request,)
        else:
            return True
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True


_SANIC_WEBSOCKET_TASK = re.compile(
    r"coro=<Websocket\w*\.\w+\(\) running at \S*/sanic/server/websockets/"
)


class DroppedWebsocketFramesInOneLine(logging.Filter):
    """Logs the frames of a closed websocket that nobody read as one warning line.

    Sanic 21.12 hands each batch of websocket frames to a task it keeps no
    reference to, and leaves a read waiting; when the connection closes (a client
    gone mid-message, a packet over the size limit) before the frames were read,
    asyncio collects those tasks and logs "Task was destroyed but it is pending!"
    as an error. A live connection's tasks are never collected: nothing is lost that
    anyone could still read.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrites the record of such a task; keeps every record."""
        message = record.getMessage()
        if "Task was destroyed but it is pending" in message and (
            _SANIC_WEBSOCKET_TASK.search(message)
        ):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "Dropped the unread frames of a closed websocket."
            record.args = ()
        return True


def one_line(error: BaseException) -> str:
    """An exception as a short line of the log."""
    return f"{type(error).__name__}: " + " ".join(str(error).split())[:200]


def _raised_in(error: BaseException, package: str) -> bool:
    """Whether ``error`` was raised by code in ``package`` ("/engineio/")."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and package in frames[-1].filename


def quiet_malformed_requests(engineio_logger: logging.Logger) -> None:
    """Installs the filters above on the loggers they read (once each)."""
    for logger_, kind in (
        (engineio_logger, MalformedPacketsInOneLine),
        (logging.getLogger("sanic.error"), MalformedHttpInOneLine),
        (logging.getLogger("asyncio"), DroppedWebsocketFramesInOneLine),
    ):
        if not any(isinstance(f, kind) for f in logger_.filters):
            logger_.addFilter(kind())


def checked_eio_message(
    sio: AsyncServer, handle: Callable[[str, Any], Awaitable[None]]
) -> Callable[[str, Any], Awaitable[None]]:
    """python-socketio's handler of engine.io messages, malformed packets ignored.

    python-socketio raises on a socket.io packet that its own client never sends
    (no type, an unknown type, broken JSON, an event without a name, a binary packet
    before connecting) and its engine.io server logs each with a traceback. Such a
    packet is now ignored with a warning; the connection goes on.
    """

    async def checked(eio_sid: str, data: Any) -> None:
        pending = getattr(sio, "_binary_packet", {})
        if eio_sid in pending and isinstance(data, bytes):
            try:  # the attachment a binary packet was waiting for
                await handle(eio_sid, data)
            except (ValueError, TypeError, IndexError, KeyError) as error:
                pending.pop(eio_sid, None)
                logger.warning(
                    "Ignored a malformed socket.io attachment from %s: %s",
                    eio_sid,
                    one_line(error),
                )
            return
        pending.pop(eio_sid, None)  # a packet instead of the attachment: dropped
        problem = _packet_problem(sio, eio_sid, data)
        if problem:
            logger.warning(
                "Ignored a malformed socket.io packet from %s: %s", eio_sid, problem
            )
            return
        await handle(eio_sid, data)

    return checked


def _packet_problem(sio: AsyncServer, eio_sid: str, data: Any) -> str | None:
    """What is wrong with a socket.io packet, or None."""
    if not isinstance(data, str):
        return "binary data that no packet announced"
    try:
        packet = sio.packet_class(encoded_packet=data)
    except (ValueError, TypeError, IndexError, KeyError, RecursionError) as error:
        return one_line(error)  # RecursionError: "[[[[..." nested past Python's limit
    kind = packet.packet_type
    if kind not in {
        socketio_packet.CONNECT,
        socketio_packet.DISCONNECT,
        socketio_packet.EVENT,
        socketio_packet.ACK,
        socketio_packet.BINARY_EVENT,
        socketio_packet.BINARY_ACK,
    }:
        return f"packet type {kind!r}"
    named = (
        isinstance(packet.data, list)
        and bool(packet.data)
        and isinstance(packet.data[0], str)
    )
    if kind in {socketio_packet.EVENT, socketio_packet.BINARY_EVENT} and not named:
        return "an event without a name"
    binary = kind in {socketio_packet.BINARY_EVENT, socketio_packet.BINARY_ACK}
    if binary and not sio.manager.sid_from_eio_sid(eio_sid, packet.namespace or "/"):
        return "a binary packet before connecting"
    return None


def _valid_session_id(session_id: Any) -> bool:
    """Whether a widget could have sent this session id (printable text, ≤128)."""
    try:
        checked_sender(session_id)
    except InvalidUsage:
        return False
    return True
