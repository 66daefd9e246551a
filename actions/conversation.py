"""What the actions read of the conversation: the latest intent, the languages."""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.languages import DEFAULT_LANGUAGE
from bot.nlu.detection import LanguageGuess


def latest_intent(tracker: Tracker) -> str | None:
    """The intent of the user's latest message."""
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def reply_language(tracker: Tracker) -> str:
    """The language every reply is written in (the ``language`` slot)."""
    return tracker.get_slot("language") or DEFAULT_LANGUAGE


def guessed_language(tracker: Tracker) -> LanguageGuess | None:
    """The NLU pipeline's guess of the latest message's language."""
    guess = (tracker.latest_message or {}).get("language")
    if not isinstance(guess, dict):
        return None
    return LanguageGuess(
        code=guess.get("code"),
        confidence=float(guess.get("confidence") or 0.0),
        reliable=bool(guess.get("reliable")),
    )


def message_languages(tracker: Tracker) -> list[str]:
    """The languages to read the latest message in: the reply's, then the guessed."""
    guess = guessed_language(tracker)
    languages = [tracker.get_slot("language") or DEFAULT_LANGUAGE]
    if guess is not None and guess.supported and guess.code not in languages:
        languages.append(guess.code)  # type: ignore[arg-type]
    return languages
