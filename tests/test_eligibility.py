"""The eligibility check: reading answers, skipping, leaving, and what fits."""

from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.eligibility import (
    ActionEligibilityResult,
    ValidateEligibilityForm,
    stage_from_answer,
)
from bot import settings
from tests.conftest import after_slot_mappings, make_tracker


@pytest.fixture(autouse=True)
def knowledge_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "DATABASE_URL", f"sqlite:///{tmp_path / 'kb.db'}")


@pytest.mark.parametrize(
    "text, intent, entity, language, stage",
    [
        ("/inform_business_stage", "inform_business_stage", "young", "en", "young"),
        ("pas encore", "deny", None, "fr", "idea"),
        ("sinds 2 jaar", "inform_location", None, "nl", "established"),
        ("6 kuukautta", "nlu_fallback", None, "fi", "young"),
        ("banana", "nlu_fallback", None, "en", None),
    ],
)
def test_business_stage_from_buttons_and_words(
    text: str, intent: str, entity: Any, language: str, stage: Any
) -> None:
    assert stage_from_answer(text, intent, entity, language) == stage


async def validate(slot: str, text: str, intent: str, **slots: Any) -> tuple:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text=text, intent=intent, slots={"requested_slot": slot, **slots}
    )
    method = getattr(ValidateEligibilityForm(), f"validate_{slot}")
    result = method(text, dispatcher, tracker, {})
    return result, [m.get("response") for m in dispatcher.messages]


@pytest.mark.parametrize(
    "slot, text, intent, language, value",
    [
        ("loan_amount", "10k", "nlu_fallback", "en", "10000.0"),
        ("loan_amount", "dix mille euros", "nlu_fallback", "fr", "10000.0"),
        ("loan_amount", "10.000", "nlu_fallback", "nl", "10000.0"),
        ("has_debts", "yes, some", "affirm", "en", "yes"),
        ("has_debts", "nee", "deny", "nl", "no"),
    ],
)
async def test_answers_are_read(
    slot: str, text: str, intent: str, language: str, value: str
) -> None:
    result, said = await validate(slot, text, intent, language=language)
    assert result == {slot: value} and said == []


@pytest.mark.parametrize(
    "slot", ["eligibility_place", "business_stage", "loan_amount", "has_debts"]
)
async def test_every_question_can_be_skipped(slot: str) -> None:
    result, said = await validate(slot, "no idea", "dont_know")
    assert result == {slot: "unknown"} and said == []


@pytest.mark.parametrize(
    "slot, text",
    [("loan_amount", "-5000"), ("loan_amount", "a lot"), ("has_debts", "hmm")],
)
async def test_unreadable_answers_get_a_hint_and_the_question_again(
    slot: str, text: str
) -> None:
    result, said = await validate(slot, text, "nlu_fallback")
    assert result == {slot: None} and said == ["utter_eligibility_retry"]


async def test_a_new_question_leaves_the_check() -> None:
    result, _ = await validate(
        "loan_amount",
        "how do I get my diploma recognised",
        "ask_qualification_recognition",
    )
    assert result == {"loan_amount": "unknown", "eligibility_stopped": True}


async def test_the_place_is_read_and_remembered_after_the_check() -> None:
    result, said = await validate(
        "eligibility_place", "Vantaalla", "inform_location", language="fi"
    )
    assert result == {"eligibility_place": "vantaa", "city": "Vantaalla"}
    assert said == []


DOMAIN = {
    "responses": {
        "utter_ask_business_stage": [
            {
                "buttons": [
                    {
                        "title": "Not yet",
                        "payload": '/inform_business_stage{"business_stage": "idea"}',
                    },
                    {"title": "I don't know", "payload": "/dont_know"},
                ]
            }
        ],
        "utter_ask_has_debts": [
            {
                "buttons": [
                    {"title": "Yes", "payload": "/affirm"},
                    {"title": "I'd rather not say", "payload": "/dont_know"},
                ]
            }
        ],
    }
}


@pytest.mark.parametrize(
    "slot, text, language, value",
    [
        ("business_stage", "Pas encore.", "fr", "idea"),
        ("business_stage", "not yet", "en", "idea"),
        ("has_debts", "Preferisco non dirlo", "it", "unknown"),
        ("has_debts", "Kyllä", "fi", "yes"),
    ],
)
def test_a_button_title_typed_instead_of_tapped_counts_as_the_button(
    slot: str, text: str, language: str, value: str
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text=text,
        intent="dont_know",  # "not yet" may well look like a skip to the classifier
        slots={"requested_slot": slot, "language": language},
    )
    method = getattr(ValidateEligibilityForm(), f"validate_{slot}")
    assert method(text, dispatcher, tracker, DOMAIN) == {slot: value}


async def test_a_place_we_do_not_serve_is_said_and_the_check_goes_on() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="I live in Madrid",
        intent="inform_location",
        entities=[{"entity": "city", "value": "Madrid"}],
        slots={"requested_slot": "eligibility_place"},
    )
    result = ValidateEligibilityForm().validate_eligibility_place(
        "I live in Madrid", dispatcher, tracker, {}
    )
    assert result == {"eligibility_place": "unknown"}
    assert [m["response"] for m in dispatcher.messages] == ["utter_no_partner_there"]


async def test_a_known_place_is_not_asked_again() -> None:
    tracker = make_tracker(
        text="/check_eligibility",
        intent="check_eligibility",
        slots={"city": "Gent", "requested_slot": None},
    )
    extracted = await ValidateEligibilityForm().extract_eligibility_place(
        CollectingDispatcher(), tracker, {}
    )
    assert extracted == {"eligibility_place": "ghent"}


async def result(**slots: Any) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="no", intent="deny", slots=slots)
    await ActionEligibilityResult().run(dispatcher, tracker, {})
    return dispatcher.messages


async def test_a_starter_in_brussels_gets_microstart_jump_and_why() -> None:
    messages = await result(
        eligibility_place="brussels",
        business_stage="idea",
        loan_amount="12000.0",
        has_debts="yes",
    )
    responses = [m.get("response") for m in messages]
    assert messages[0]["partner"] == "microStart"
    within = messages[responses.index("utter_fit_amount_within")]
    assert (within["min_amount"], within["max_amount"]) == (500, 25000)
    rate = messages[responses.index("utter_fit_rate_for_stage")]
    assert rate["rate"] == 12.13  # "Jump", for starters
    sources = [m.get("source_url") or "" for m in messages]
    assert any(url.startswith("https://www.vlaio.be/nl/") for url in sources)
    conditions = next(m["text"] for m in messages if m.get("text"))
    assert "collective debt settlement" in conditions
    assert responses[-1] == "utter_fit_not_a_promise"


@pytest.mark.parametrize(
    "stage, said",
    [
        ("idea", ["utter_fit_amount_needs_established", "utter_not_confirmed"]),
        ("young", ["utter_fit_amount_needs_established", "utter_not_confirmed"]),
        (
            "unknown",
            [
                "utter_fit_amount_within",
                "utter_repayment_over_starter_max",
                "utter_not_confirmed",
            ],
        ),
        ("established", ["utter_fit_amount_within"]),
    ],
)
async def test_over_the_starters_limit_only_an_established_business_fits(
    stage: str, said: list[str]
) -> None:
    """microStart: over 15,000 only for a business over a year old (unconfirmed)."""
    messages = await result(
        eligibility_place="brussels", business_stage=stage, loan_amount="20000"
    )
    responses = [m.get("response") for m in messages]
    start = next(
        i for i, r in enumerate(responses) if r and r.startswith("utter_fit_amount")
    )
    assert responses[start : start + len(said)] == said
    if stage in ("idea", "young"):
        assert messages[start]["max_amount"] == 15000


async def test_a_starter_in_vantaa_hears_about_the_grant_before_starting() -> None:
    messages = await result(
        eligibility_place="vantaa",
        business_stage="idea",
        loan_amount="30000",
        has_debts="unknown",
    )
    assert messages[0]["partner"] == "Finnvera"
    assert "utter_fit_amount_within" in [m.get("response") for m in messages]
    texts = " ".join(m.get("text") or "" for m in messages)
    assert "BEFORE" in texts and "€37.21" in texts


@pytest.mark.parametrize(
    "place, amount, response, limit",
    [
        ("turin", "45000", "utter_fit_amount_over_legal_cap", 40000),
        ("rotterdam", "300000", "utter_fit_amount_over_max", 250000),
        ("liege", "100", "utter_fit_amount_outside", 25000),
    ],
)
async def test_amounts_beyond_the_limits_get_the_real_limits(
    place: str, amount: str, response: str, limit: int
) -> None:
    messages = await result(
        eligibility_place=place, business_stage="unknown", loan_amount=amount
    )
    [said] = [m for m in messages if m.get("response") == response]
    assert said["max_amount"] == limit


async def test_without_a_place_no_lender_is_guessed() -> None:
    messages = await result(eligibility_place="unknown", business_stage="young")
    assert [m["response"] for m in messages] == ["utter_fit_no_place"]


async def test_leaving_the_check_for_a_question_answers_it() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="how much does recognition cost in Ghent",
        intent="ask_recognition_cost",
        slots={"eligibility_stopped": True},
    )
    tracker = await after_slot_mappings(tracker)
    events = await ActionEligibilityResult().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "utter_eligibility_stopped"
    assert "NARIC-Vlaanderen" in dispatcher.messages[1]["text"]
    assert {
        "event": "slot",
        "name": "eligibility_stopped",
        "value": None,
        "timestamp": None,
    } in events


async def test_delete_my_data_during_the_check_asks_to_erase() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="supprimez mes données",
        intent="delete_my_data",
        slots={"eligibility_stopped": True, "language": "fr"},
    )
    events = await ActionEligibilityResult().run(dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_eligibility_stopped"]
    assert {"event": "followup", "name": "utter_confirm_delete", "timestamp": None} in (
        events
    )


async def test_an_amount_counts_even_when_it_looks_like_another_question() -> None:
    result, said = await validate("loan_amount", "10000 euros", "estimate_repayment")
    assert result == {"loan_amount": "10000.0"} and said == []
