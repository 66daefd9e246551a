"""Keeps the ``language`` slot: the language every reply is written in."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from bot.languages import (
    NATIVE_NAMES,
    SUPPORTED_LANGUAGES,
    LanguageGuess,
    conversation_language,
    normalise_language,
)


def explicit_language(tracker: Tracker) -> str | None:
    """A language the user chose on purpose in their latest message, if any.

    The widget and handoff links send it as message metadata; in the text it is the
    ``language`` entity of a ``choose_language`` message.
    """
    message = tracker.latest_message or {}
    chosen = normalise_language((message.get("metadata") or {}).get("language"))
    if chosen:
        return chosen
    if (message.get("intent") or {}).get("name") == "choose_language":
        return normalise_language(
            next(tracker.get_latest_entity_values("language"), None)
        )
    return None


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


def language_list() -> str:
    """Every language we speak, each named in its own language."""
    return ", ".join(NATIVE_NAMES[code] for code in SUPPORTED_LANGUAGES)


class ValidateSlotMappings(ValidationAction):
    """Fills the custom-mapped slots after every user message."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Only the slots with a custom mapping are ours to fill."""
        return ["language"]

    def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Sets the reply language from the user's choice or from their text."""
        language = conversation_language(
            current=tracker.get_slot("language"),
            explicit=explicit_language(tracker),
            guess=guessed_language(tracker),
        )
        return {"language": language}

    def validate_language(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Keeps only languages we can answer in."""
        return {"language": normalise_language(value) or tracker.get_slot("language")}


class ActionConfirmLanguage(Action):
    """Answers "can you speak ...?": confirms the switch or lists our languages."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_confirm_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Confirms a supported choice; otherwise offers the languages we speak."""
        if explicit_language(tracker):
            dispatcher.utter_message(response="utter_language_changed")
        else:
            dispatcher.utter_message(
                response="utter_unsupported_language", language_list=language_list()
            )
        return []


class ActionFallback(Action):
    """Answers what the assistant could not understand, in a language the user reads."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Lists our languages for foreign text, else says what we can help with."""
        guess = guessed_language(tracker)
        if guess is not None and guess.reliable and not guess.supported:
            dispatcher.utter_message(
                response="utter_unsupported_language", language_list=language_list()
            )
        else:
            dispatcher.utter_message(response="utter_not_understood")
        return []
