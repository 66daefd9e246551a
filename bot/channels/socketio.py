"""The widget's socket.io channel: every packet checked before Rasa's handlers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from socketio import AsyncServer
from socketio import packet as socketio_packet

from bot import settings
from bot.channels.checks import (
    SORRY,
    answered,
    checked_metadata,
    checked_sender,
    clean_text,
    guarded,
)
from bot.channels.logs import one_line, quiet_malformed_requests
from bot.i18n import render
from bot.languages import DEFAULT_LANGUAGE, normalise_language
from bot.limits import MAX_MESSAGE_CHARS, TOO_LONG

logger = logging.getLogger(__name__)


# Larger socket.io packets are refused by the transport.
MAX_SOCKET_PACKET_BYTES = 64 * 1024


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
