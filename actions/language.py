"""What every user message sets, and the replies that do not need a topic.

``action_validate_slot_mappings`` runs after each message: it keeps the
``language`` slot (the language every reply is written in) and the slots of what
the user told about themselves (``actions.memory``). Small talk, the fallback and
language choices are answered here; small talk that carries a place or a question
goes on to the topic's answer.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from actions.answers import (
    ActionAnswerTopic,
    asked_place_last,
    asks_something,
    message_topic,
)
from actions.conversation import (
    guessed_language,
    latest_intent,
    message_languages,
    reply_language,
)
from actions.cues import fold, shipped_cues
from actions.knowledge import place_resolver, user_place
from actions.memory import Told, greeting_language, read_message, replaces
from bot.knowledge.loading import Place
from bot.knowledge.places import Mention
from bot.languages import NATIVE_NAMES, SUPPORTED_LANGUAGES, normalise_language
from bot.nlu.detection import (
    CLOSE_PAIRS,
    MIN_LETTERS_FOR_DETECTION,
    OWN_LETTERS,
    LanguageGuess,
    conversation_language,
    count_letters,
    mentioned_language,
    named_language,
)
from bot.nlu.text import normalise_text


def explicit_language(tracker: Tracker) -> str | None:
    """A language the user chose on purpose in their latest message, if any.

    The widget and handoff links send it as message metadata; in the text it is the
    ``language`` entity of a ``choose_language`` message.
    """
    message = tracker.latest_message or {}
    chosen = normalise_language((message.get("metadata") or {}).get("language"))
    if chosen:
        return chosen
    if (message.get("intent") or {}).get("name") != "choose_language":
        return None
    chosen = normalise_language(
        next(tracker.get_latest_entity_values("language"), None)
    ) or named_language(message.get("text") or "")
    if not chosen:
        return None
    if requests_language(tracker, chosen):
        return chosen
    guess = guessed_language(tracker)
    if guess is not None and guess.reliable and guess.code != chosen:
        return None  # a sentence in one language that names another, no request
    return None if asks_something(tracker) else chosen


def requests_language(tracker: Tracker, chosen: str) -> bool:
    """Whether the latest message asks to write in ``chosen``, not only names it.

    "in which language is the decision?" or "my Finnish is still weak" name a
    language without asking for it. A message written in the language it names is
    a choice ("can we continue in Dutch?"), as is one with a request's words.
    """
    guess = guessed_language(tracker)
    if guess is not None and guess.reliable and guess.code == chosen:
        return True
    text = fold((tracker.latest_message or {}).get("text") or "")
    cues = shipped_cues()
    languages = [*message_languages(tracker), chosen]
    return any(
        pattern.search(text)
        for code in dict.fromkeys(languages)
        if code in cues
        for pattern in cues[code].language_request
    )


# Form questions answered with a name or an address: the answer is in no language
# ("giuseppe esposito" reads as Italian), so it keeps the conversation's.
ANSWERS_WITHOUT_LANGUAGE = {"referral_name", "referral_contact"}


def answers_without_language(tracker: Tracker) -> bool:
    """Whether the latest message answers a form's question for a name or address."""
    return bool(tracker.active_loop_name) and (
        tracker.get_slot("requested_slot") in ANSWERS_WITHOUT_LANGUAGE
    )


def mixes_in(text: str, current: str | None, guess: LanguageGuess | None) -> bool:
    """Whether a Ukrainian message with Russian words was guessed as Russian.

    Or the other way round, or Persian typed on an Arabic keyboard taken for
    Arabic: such a message keeps the conversation's language.
    """
    if guess is None or {current, guess.code} not in CLOSE_PAIRS:
        return False
    return bool(OWN_LETTERS[current] & set(text.lower()))


def language_list() -> str:
    """Every language we speak, each named in its own language."""
    return ", ".join(NATIVE_NAMES[code] for code in SUPPORTED_LANGUAGES)


def guess_without_places(tracker: Tracker) -> LanguageGuess | None:
    """The message's language guess, unsure when place names make up its letters.

    "abito a Vantaa, a Myyrmäki" looks Finnish to a language identifier.
    """
    guess = guessed_language(tracker)
    text = (tracker.latest_message or {}).get("text") or ""
    if guess is None or not guess.reliable or not guess.code:
        return guess
    mentions = place_resolver().mentions(text, guess.code)
    if not mentions:
        return guess
    normalised = normalise_text(text)
    kept, position = [], 0
    for mention in mentions:
        kept.append(normalised[position : mention.start])
        position = mention.end
    kept.append(normalised[position:])
    if count_letters(" ".join(kept)) >= MIN_LETTERS_FOR_DETECTION:
        return guess
    return replace(guess, reliable=False)


def _name(mention: Mention | None) -> str | None:
    return mention.place.aliases[0] if mention and mention.place.aliases else None


def remembered_slots(
    tracker: Tracker, told: Told, known: Place | None
) -> dict[str, Any]:
    """The slots a message changes: a new place may replace the old one."""
    slots: dict[str, Any] = {}
    text = (tracker.latest_message or {}).get("text") or ""
    residence = told.residence
    intent = latest_intent(tracker)
    abroad = known is None and any(tracker.get_slot(s) for s in ("city", "country"))
    if residence is not None and replaces(
        told, known, intent, text, asked_place_last(tracker), abroad
    ):
        is_country = residence.place.kind == "country"
        slots["city"] = None if is_country else _name(residence)
        slots["country"] = _name(residence) if is_country else None
    elif residence is None and intent == "inform_location":
        # A place we do not know at all ("I live in Smalltown"): kept as said.
        said = [
            e.get("value")
            for e in (tracker.latest_message or {}).get("entities", [])
            if e.get("entity") in ("city", "country") and e.get("value")
        ]
        if said and known is None:
            slots["city"] = str(said[-1])
    if told.origin is not None:
        slots["origin"] = _name(told.origin)
    if told.status is not None:
        slots["status"] = told.status
    if told.stage is not None and not tracker.active_loop_name:
        slots["business_stage"] = told.stage
    return {k: v for k, v in slots.items() if tracker.get_slot(k) != v}


class ValidateSlotMappings(ValidationAction):
    """Fills the custom-mapped slots after every user message.

    Also remembers what the user told about themselves (``actions.memory``).
    """

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The reply language first: the message is read in it."""
        events = await super().run(dispatcher, tracker, domain)
        text = (tracker.latest_message or {}).get("text") or ""
        if not text or text.startswith("/"):  # a button's payload says nothing more
            return events
        places = place_resolver()
        languages = message_languages(tracker)
        told = read_message(text, languages, places, shipped_cues())
        known = user_place(tracker, places, languages[0])
        return events + [
            SlotSet(slot, value)
            for slot, value in remembered_slots(tracker, told, known).items()
        ]

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
        text = (tracker.latest_message or {}).get("text") or ""
        guess = None
        if not answers_without_language(tracker):
            guess = guess_without_places(tracker)
            if mixes_in(text, tracker.get_slot("language"), guess):
                guess = None  # "а бізнес план обязатєльно писать? я ж не вмію їх"
            greeted_in = greeting_language(text, shipped_cues())
            if greeted_in and not (guess and guess.reliable):  # "merhaba": too short
                guess = LanguageGuess(code=greeted_in, confidence=1.0, reliable=False)
        language = conversation_language(
            current=tracker.get_slot("language"),
            explicit=explicit_language(tracker),
            guess=guess,
            text=text,
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
        """Confirms a supported choice; otherwise offers the languages we speak.

        A question asked with the choice ("in Dutch please: how much can I
        borrow?"), or one that only names a language ("is the decision in
        Finnish?"), is answered as well.
        """
        chosen = explicit_language(tracker)
        asks = asks_something(tracker) or said_place(tracker)
        if chosen:
            dispatcher.utter_message(response="utter_language_changed")
        elif names_unsupported_language(tracker) or not (
            asks or tracker.get_slot("topic")
        ):
            dispatcher.utter_message(
                response="utter_unsupported_language", language_list=language_list()
            )
            return []
        if asks or not chosen:  # "and the decision, in which language is it?"
            return await ActionAnswerTopic().run(dispatcher, tracker, domain)
        return []


def names_unsupported_language(tracker: Tracker) -> bool:
    """Whether the latest message names a language we do not speak ("in Spanish")."""
    text = (tracker.latest_message or {}).get("text") or ""
    entity = next(tracker.get_latest_entity_values("language"), None)
    if entity is not None and normalise_language(entity) is None:
        return True
    mentioned = mentioned_language(text)
    return mentioned is not None and mentioned not in SUPPORTED_LANGUAGES


class ActionPrivacy(Action):
    """Says what is stored, when the question is about the user's data.

    The intent model may take another question for a privacy one ("is it free for
    refugees?", "do they check my credit record?"): without a word about data or
    this chat, a question that continues the conversation gets the topic's answer.
    """

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_privacy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The privacy answer, or the topic's if the message asks a topic's detail."""
        if not about_privacy(tracker) and asks_something(tracker):
            return await ActionAnswerTopic().run(dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_privacy")
        return []


def about_privacy(tracker: Tracker) -> bool:
    """Whether the latest message has a word about data, messages or privacy."""
    text = fold((tracker.latest_message or {}).get("text") or "")
    cues = shipped_cues()
    return any(
        pattern.search(text)
        for code in message_languages(tracker)
        if code in cues
        for pattern in cues[code].privacy
    )


def said_place(tracker: Tracker) -> bool:
    """Whether the latest message told where the user lives."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") in ("city", "country"):
            return True
    return False


def names_place_again(tracker: Tracker) -> bool:
    """Whether the latest message names where the user lives, as we know it.

    "so in Spain you have nobody?" after "I live in Spain": no slot changes, yet the
    message is about that place.
    """
    known = {tracker.get_slot("city"), tracker.get_slot("country")} - {None}
    text = (tracker.latest_message or {}).get("text") or ""
    if not known or not text:
        return False
    mentions = place_resolver().mentions(text, reply_language(tracker))
    return any(_name(mention) in known for mention in mentions)


def talked_before(tracker: Tracker) -> bool:
    """Whether the user wrote before their latest message in this conversation."""
    return sum(event.get("event") == "user" for event in tracker.events) > 1


# The reply to small talk that neither names a place nor asks anything.
SMALL_TALK_RESPONSES = {
    "greet": "utter_greet",
    "thank": "utter_you_are_welcome",
    "affirm": "utter_affirm_ack",
    "deny": "utter_deny_ack",
    "out_of_scope": "utter_out_of_scope",
    "help": "utter_help",
}


class ActionSmallTalk(Action):
    """Answers small talk, and what the assistant could not understand.

    Such a message may still continue the conversation: a place ("hi, I'm in
    Ghent", "Good morning. I moved to Tilburg last year") or a question ("thanks!
    and how much does it cost?", "and how long?"): those get the topic's answer.
    """

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_small_talk"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Answers a place or a question; lists our languages for foreign text."""
        guess = guessed_language(tracker)
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        foreign = guess is not None and guess.reliable and not guess.supported
        if foreign and talked_before(tracker) and message_topic(tracker):
            foreign = False  # Arabizi or slang mid-conversation that asks a topic
        if foreign:
            dispatcher.utter_message(
                response="utter_unsupported_language", language_list=language_list()
            )
        elif (
            said_place(tracker) or names_place_again(tracker) or asks_something(tracker)
        ):
            return await ActionAnswerTopic().run(dispatcher, tracker, domain)
        else:
            response = SMALL_TALK_RESPONSES.get(intent or "", "utter_not_understood")
            dispatcher.utter_message(response=response)
        return []


class ActionFallback(ActionSmallTalk):
    """What Rasa runs when it is unsure what to do: the same as small talk."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_fallback"
