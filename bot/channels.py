"""Input channels (REST and the widget's socket.io), each message checked first."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request

from bot.i18n import render
from bot.languages import DEFAULT_LANGUAGE, normalise_language
from bot.limits import MAX_MESSAGE_CHARS, TOO_LONG

MAX_SENDER_CHARS = 128


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

    async def _extract_sender(self, req: Request) -> str:
        sender = checked_body(req).get("sender")
        if not isinstance(sender, str) or not sender.strip():
            raise InvalidUsage("'sender' must be a non-empty string.")
        if len(sender) > MAX_SENDER_CHARS:
            raise InvalidUsage(
                f"'sender' is longer than {MAX_SENDER_CHARS} characters."
            )
        return sender

    def _extract_message(self, req: Request) -> str:
        message = checked_body(req).get("message")
        if not isinstance(message, str):
            raise InvalidUsage("'message' must be a string.")
        if len(message) > MAX_MESSAGE_CHARS:
            raise PayloadTooLarge(
                f"'message' is longer than {MAX_MESSAGE_CHARS} characters."
            )
        return message

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """Metadata sent with the message (language, city, topic), if an object."""
        metadata = checked_body(request).get("metadata")
        return metadata if isinstance(metadata, dict) else None


class CheckedSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel (the web widget) with each message checked first.

    A message that is not text, or is longer than the widget allows, gets a polite
    answer in the user's language instead of reaching the assistant.
    """

    @classmethod
    def name(cls) -> str:
        """Keeps the usual name and path (/socket.io)."""
        return "socketio"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Rasa's blueprint, with the user-message handler guarded."""
        blueprint = super().blueprint(on_new_message)
        namespace = self.namespace or "/"
        handlers = self.sio.handlers[namespace]
        handle_message = handlers[self.user_message_evt]

        async def checked_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict) or not isinstance(
                data.get("message", ""), str
            ):
                return  # not something our widget sends: ignored, nothing stored
            metadata = data.get(self.metadata_key)
            if not isinstance(metadata, dict):
                data[self.metadata_key] = {}
            if len(data.get("message", "")) > MAX_MESSAGE_CHARS:
                language = (
                    normalise_language(data[self.metadata_key].get("language"))
                    or DEFAULT_LANGUAGE
                )
                text = render(TOO_LONG, language, {"limit": MAX_MESSAGE_CHARS})
                room = data.get("session_id") or sid
                await self.sio.emit(
                    self.bot_message_evt, {"text": text, "error": "too_long"}, room=room
                )
                return
            await handle_message(sid, data)

        handlers[self.user_message_evt] = checked_message
        handlers["session_request"] = self._session_request
        return blueprint

    async def _session_request(self, sid: str, data: Any) -> None:
        """Joins the browser to its conversation's room and confirms the session.

        Rasa 3.6's handler calls ``enter_room`` without awaiting it, which
        python-socketio 5.10+ made a coroutine: the browser never joined its room
        and got no replies. The session id is the browser's; a missing or malformed
        one gets a new id.
        """
        session_id = data.get("session_id") if isinstance(data, dict) else None
        if not isinstance(session_id, str) or not 0 < len(session_id) <= 128:
            session_id = uuid.uuid4().hex
        if self.session_persistence:
            for room in self.sio.rooms(sid, namespace=self.namespace):
                if room != sid:  # "New conversation": replies of the old one stop
                    await self.sio.leave_room(sid, room, namespace=self.namespace)
            await self.sio.enter_room(sid, session_id, namespace=self.namespace)
        await self.sio.emit(
            "session_confirm", session_id, room=sid, namespace=self.namespace
        )
