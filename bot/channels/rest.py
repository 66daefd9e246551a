"""The REST channel (``/webhooks/rest/webhook``), its body checked before Rasa."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request

from bot.channels.checks import (
    _CHANNEL_NAME,
    answered,
    checked_body,
    checked_metadata,
    checked_sender,
    clean_text,
    guarded,
)
from bot.limits import MAX_MESSAGE_CHARS


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
