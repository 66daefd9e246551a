from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.language import (
    ActionConfirmLanguage,
    ActionFallback,
    ValidateSlotMappings,
    language_list,
)
from tests.conftest import make_tracker

FRENCH_TEXT = {"code": "fr", "confidence": 0.9, "reliable": True, "supported": True}
SHORT_TEXT = {"code": "it", "confidence": 0.2, "reliable": False, "supported": True}
GERMAN_TEXT = {"code": "de", "confidence": 0.85, "reliable": True, "supported": False}
ARABIC_ENTITY = {"entity": "language", "value": "ar"}


@pytest.mark.parametrize(
    "case",
    [
        {"tracker": {"language": FRENCH_TEXT}, "expected": "fr"},
        {
            "tracker": {"language": SHORT_TEXT, "slots": {"language": "nl"}},
            "expected": "nl",
        },
        {"tracker": {"language": SHORT_TEXT}, "expected": "en"},
        {
            "tracker": {"language": GERMAN_TEXT, "slots": {"language": "tr"}},
            "expected": "tr",
        },
        {
            "tracker": {"language": FRENCH_TEXT, "metadata": {"language": "ar"}},
            "expected": "ar",
        },
        {
            "tracker": {
                "intent": "choose_language",
                "entities": [ARABIC_ENTITY],
                "language": FRENCH_TEXT,
            },
            "expected": "ar",
        },
        {
            "tracker": {
                "intent": "greet",
                "entities": [ARABIC_ENTITY],
                "slots": {"language": "fi"},
            },
            "expected": "fi",
        },
    ],
)
async def test_language_slot_after_a_message(
    case: dict[str, Any], dispatcher: CollectingDispatcher, domain: dict
) -> None:
    tracker = make_tracker(**case["tracker"])
    events = await ValidateSlotMappings().run(dispatcher, tracker, domain)
    assert events == [SlotSet("language", case["expected"])]
    assert dispatcher.messages == []


async def test_confirming_a_supported_language(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(intent="choose_language", entities=[ARABIC_ENTITY])
    assert await ActionConfirmLanguage().run(dispatcher, tracker, {}) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_language_changed"]


async def test_asking_for_an_unsupported_language_lists_ours(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(text="can you speak german", intent="choose_language")
    await ActionConfirmLanguage().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["response"] == "utter_unsupported_language"
    assert message["language_list"] == language_list()
    for name in ("العربية", "Türkçe", "Español", "فارسی / دری", "ትግርኛ"):
        assert name in message["language_list"]


async def test_fallback_in_a_foreign_language_lists_ours(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(intent="nlu_fallback", language=GERMAN_TEXT)
    await ActionFallback().run(dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_unsupported_language"
    ]


async def test_fallback_says_what_we_can_help_with(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(text="🙂🙂", intent="nlu_fallback", language=SHORT_TEXT)
    await ActionFallback().run(dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_not_understood"]


ITALIAN_TEXT = {"code": "it", "confidence": 0.86, "reliable": True, "supported": True}


@pytest.mark.parametrize(
    "asked, text, expected",
    [
        # A name or an address, as the answer to the form's question: any spelling.
        ("referral_name", "giuseppe esposito", "fr"),
        ("referral_contact", "giuseppe.esposito@libero.it", "fr"),
        # The contact time is a sentence: written in another language, it is one.
        ("referral_time", "la mattina, dopo le nove per favore", "it"),
    ],
)
async def test_a_name_or_address_given_in_the_form_keeps_the_language(
    asked: str, text: str, expected: str, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    tracker = make_tracker(
        text=text,
        intent="nlu_fallback",
        language=ITALIAN_TEXT,
        slots={"language": "fr", "requested_slot": asked},
    )
    tracker.active_loop = {"name": "referral_form"}
    events = await ValidateSlotMappings().run(dispatcher, tracker, domain)
    assert SlotSet("language", expected) in events


async def test_a_language_chosen_in_the_form_is_still_taken(
    dispatcher: CollectingDispatcher, domain: dict
) -> None:
    tracker = make_tracker(
        text="giuseppe esposito",
        language=ITALIAN_TEXT,
        metadata={"language": "it"},
        slots={"language": "fr", "requested_slot": "referral_name"},
    )
    tracker.active_loop = {"name": "referral_form"}
    events = await ValidateSlotMappings().run(dispatcher, tracker, domain)
    assert SlotSet("language", "it") in events


@pytest.mark.parametrize(
    "text, current, guessed, kept",
    [
        # Persian typed on an Arabic keyboard (ي ك) still has its own گ
        ("از قبل يكم بدهي دارم، اين مشكلي براي وام گرفتن نداره؟", "fa", "ar", True),
        ("هل يمكنني الحصول على قرض صغير لمشروعي؟", "fa", "ar", False),
        ("هل يمكنني الحصول على قرض للشركة؟", "ar", "fa", True),
        ("а бізнес план обязатєльно писать? я ж не вмію їх", "uk", "ru", True),
        ("quiero un préstamo", "pt", "es", False),  # no letters tell them apart
    ],
)
def test_a_close_language_with_the_conversations_own_letters_keeps_it(
    text: str, current: str, guessed: str, kept: bool
) -> None:
    from actions.language import mixes_in
    from bot.nlu.detection import LanguageGuess

    guess = LanguageGuess(code=guessed, confidence=0.9, reliable=True)
    assert mixes_in(text, current, guess) == kept
