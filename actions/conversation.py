"""What the actions read of the conversation: the latest intent, the reply language."""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.languages import DEFAULT_LANGUAGE


def latest_intent(tracker: Tracker) -> str | None:
    """The intent of the user's latest message."""
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def reply_language(tracker: Tracker) -> str:
    """The language every reply is written in (the ``language`` slot)."""
    return tracker.get_slot("language") or DEFAULT_LANGUAGE
