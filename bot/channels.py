"""The REST input channel, with the request checked before Rasa sees it."""

from __future__ import annotations

from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request

# Longer messages are refused with a clear error; the widget stops them earlier.
MAX_MESSAGE_CHARS = 2000
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
