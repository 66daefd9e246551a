"""The real assistant (Rasa, action server, web app) started by the run command."""

from __future__ import annotations

import json
import urllib.request

import pytest

from actions.language import language_list
from bot.i18n import render
from bot.languages import NATIVE_NAMES
from bot.limits import MAX_MESSAGE_CHARS
from bot.web.nlg import domain_responses
from tests.conftest import PORTS, Assistant, expected, post, say

pytestmark = pytest.mark.e2e


def test_french_microloan_question_is_answered_in_french(assistant: Assistant) -> None:
    replies = say("fr-user", "Bonjour, je veux un microcrédit")
    assert replies == [
        expected("utter_microloan", "fr"),
        expected("utter_ask_place", "fr"),
    ]


def test_dutch_training_question_is_answered_in_dutch(assistant: Assistant) -> None:
    replies = say("nl-user", "Hoi, ik zoek een cursus ondernemen")
    assert replies[0] == expected("utter_business_training", "nl")


def test_language_survives_short_messages_and_metadata_wins(
    assistant: Assistant,
) -> None:
    say("switcher", "Bonjour, je veux un microcrédit")
    assert say("switcher", "merci") == [expected("utter_you_are_welcome", "fr")]
    assert say("switcher", "hello", language="nl") == [expected("utter_greet", "nl")]


def test_switching_from_arabic_to_french_and_back(assistant: Assistant) -> None:
    assert say("switch", "السلام عليكم، أريد قرضا صغيرا لمشروعي") == [
        expected("utter_microloan", "ar"),
        expected("utter_ask_place", "ar"),
    ]
    assert say("switch", "Et comment faire reconnaître mon diplôme ?") == [
        expected("utter_qualification_recognition", "fr")
    ]
    # Still no place, and the last reply did not ask: "where do you live?" again.
    assert say("switch", "كم تكلفة معادلة الشهادة؟") == [
        expected("utter_recognition_cost", "ar"),
        expected("utter_ask_place", "ar"),
    ]


def test_latin_script_arabic_is_answered_in_arabic(assistant: Assistant) -> None:
    reply = say("arabizi", "salam, bghit nakhod credit bach nftah mashrou3 dyali")[0]
    assert reply == expected("utter_microloan", "ar")


@pytest.mark.parametrize("message", ["", "   \n\t ", "🙂🙂🙂", "\x00\x01\ufffd\x7f"])
def test_unreadable_messages_get_a_polite_answer(
    assistant: Assistant, message: str
) -> None:
    assert say("bad-input", message) == [expected("utter_not_understood", "en")]


def test_a_message_at_the_limit_is_read_and_one_past_it_refused(
    assistant: Assistant,
) -> None:
    at_limit = "j'ai besoin d'un microcrédit pour ma boutique. "
    at_limit = (at_limit * MAX_MESSAGE_CHARS)[:MAX_MESSAGE_CHARS]
    assert say("long-fr", at_limit)  # read and answered like any message
    status, body = post({"sender": "long-fr", "message": at_limit + "x"})
    assert status == 413
    assert str(MAX_MESSAGE_CHARS) in json.dumps(body)


def test_unsupported_language_gets_the_list_of_ours(assistant: Assistant) -> None:
    [reply] = say("de-user", "Guten Tag, ich brauche einen Kredit für mein Geschäft")
    assert all(name in reply for name in NATIVE_NAMES.values())


def test_amharic_gets_the_list_of_ours_in_its_script(assistant: Assistant) -> None:
    # Amharic is written in Ge'ez script like Tigrinya, which we speak: the list
    # of our languages comes in Tigrinya, the language of ours an Amharic reader
    # reads best, not as a Tigrinya answer to the question.
    [reply] = say("am-user", "ሰላም፣ ለንግዴ የሚሆን ትንሽ ብድር እፈልጋለሁ እባካችሁ እርዱኝ")
    text = domain_responses()["utter_unsupported_language"][0]["text"]
    assert reply == render(text, "ti", {"language_list": language_list()})


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b"\xff\xfe random bytes \x00",
        b'{"sender": "x"}',
        b'["a list"]',
        b'{"message": 42, "sender": "x"}',
        json.dumps({"sender": "x", "message": "x" * 10_000}).encode(),
    ],
)
def test_malformed_payloads_get_a_client_error(
    assistant: Assistant, payload: bytes
) -> None:
    status, _ = post(payload)
    assert 400 <= status < 500
    assert say("after-bad-payload", "hello") == [expected("utter_greet", "en")]


def test_conversations_survive_a_restart(assistant: Assistant) -> None:
    say("keeper", "Bonjour, je veux un microcrédit")
    assistant.stop()
    assistant.start()
    tracker_url = (
        f"http://127.0.0.1:{PORTS['RASA_PORT']}/conversations/keeper/tracker"
        f"?token={assistant.api_token}"
    )
    with urllib.request.urlopen(tracker_url, timeout=30) as response:
        tracker = json.loads(response.read())
    texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert "Bonjour, je veux un microcrédit" in texts
    assert tracker["slots"]["language"] == "fr"
    assert say("keeper", "merci") == [expected("utter_you_are_welcome", "fr")]


def test_repayment_estimate_in_french_with_french_money(assistant: Assistant) -> None:
    [reply] = say(
        "estimate",
        "combien je paierais par mois si j'emprunte 10 000 € sur 3 ans ? "
        "J'habite à Bruxelles",
    )
    assert "microStart" in reply
    assert "328\xa0€" in reply and "10\u202f000\xa0€" in reply
    assert "11,13" in reply and "https://www.vlaio.be" in reply


def test_an_estimate_asks_for_the_place_once_then_answers(assistant: Assistant) -> None:
    first = say("estimate-2", "how much per month if I borrow 8000 over 2 years?")
    assert first == [expected("utter_repayment_needs_place", "en")]
    [reply] = say("estimate-2", "I live in Ghent")
    assert "microStart" in reply and "€8,000" in reply and "24" in reply


def test_the_eligibility_check_in_french_ends_with_what_fits(
    assistant: Assistant,
) -> None:
    first = say("check-fr", "est-ce que je peux emprunter si j'ai des dettes ?")
    assert first[-1] == expected("utter_offer_eligibility_check", "fr")
    assert say("check-fr", "oui") == [expected("utter_ask_eligibility_place", "fr")]
    assert say("check-fr", "J'habite à Liège") == [
        expected("utter_ask_business_stage", "fr")
    ]
    assert say("check-fr", "pas encore") == [expected("utter_ask_loan_amount", "fr")]
    assert say("check-fr", "beaucoup") == [
        expected("utter_eligibility_retry", "fr"),
        expected("utter_ask_loan_amount", "fr"),
    ]
    assert say("check-fr", "dix mille euros") == [expected("utter_ask_has_debts", "fr")]
    result = "\n".join(say("check-fr", "/dont_know"))
    assert "microStart" in result and "12,13\xa0%" in result  # "Jump", for starters
    assert "10\u202f000\xa0€" in result and "25\u202f000\xa0€" in result
    assert "https://www.vlaio.be" in result and "2025" in result


def test_the_eligibility_check_can_be_left_with_another_question(
    assistant: Assistant,
) -> None:
    say("check-leave", "/check_eligibility")
    say("check-leave", "I live in Rotterdam")
    replies = say("check-leave", "how much does it cost to get my diploma recognised?")
    assert replies[0] == expected("utter_eligibility_stopped", "en")
    assert "IDW" in replies[1] and "€148.83" in replies[1]
