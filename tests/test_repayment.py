"""The repayment estimate: hand-checked arithmetic, parsing, and the action."""

from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.parsing import parse_amount, parse_duration_months, without_durations
from actions.repayment import ActionEstimateRepayment, monthly_payment
from bot import settings
from tests.conftest import after_slot_mappings, make_tracker


def test_monthly_payment_matches_a_hand_calculation() -> None:
    # 10,000 over 36 months at 12.13 % a year: r = 0.1213 / 12 = 0.0101083...
    # 10000 * r / (1 - (1 + r) ** -36) = 332.76
    assert round(monthly_payment(10_000, 12.13, 36), 2) == 332.76
    assert monthly_payment(1_200, 0, 12) == 100


@pytest.mark.parametrize(
    "text, language, amount",
    [
        ("10k", "en", 10_000),
        ("10.000", "nl", 10_000),
        ("10 000 €", "fr", 10_000),
        ("dix mille euros", "fr", 10_000),
        ("tienduizend euro", "nl", 10_000),
        ("€2,500", "en", 2_500),
        ("١٠٠٠٠ يورو", "ar", 10_000),
        ("۱۰ هزار یورو", "fa", 10_000),  # Persian digits and "thousand"
        ("۲۵٬۰۰۰ یورو", "fa", 25_000),  # Persian thousands separator
        ("5 mil euros", "es", 5_000),
        ("cinco mil euros", "es", 5_000),
        ("dez mil euros", "pt", 10_000),
        ("5 mii de euro", "ro", 5_000),
        ("10 tys. zł", "pl", 10_000),
        ("10 mijë euro", "sq", 10_000),
        ("10 kun oo euro ah", "so", 10_000),
        ("10 ሽሕ ዩሮ", "ti", 10_000),
        ("-500", "en", -500),
        ("nothing here", "en", None),
    ],
)
def test_amounts_as_people_write_them(text: str, language: str, amount: Any) -> None:
    assert parse_amount(text, language) == amount


@pytest.mark.parametrize(
    "text, language, months",
    [
        ("36 months", "en", 36),
        ("3 ans", "fr", 36),
        ("trois ans", "fr", 36),
        ("2 yıl", "tr", 24),
        ("18 kk", "fi", 18),
        ("5 років", "uk", 60),
        ("3 سنوات", "ar", 36),
        ("1,5 år", "sv", 18),
        ("two years", "en", 24),
        ("en dos años", "es", 24),
        ("em dois anos", "pt", 24),
        ("24 meses", "pt", 24),
        ("pe 3 ani", "ro", 36),
        ("na 5 lat", "pl", 60),
        ("18 miesięcy", "pl", 18),
        ("për 2 vjet", "sq", 24),
        ("laba sano", "so", 24),
        ("۳ سال", "fa", 36),
        ("سه سال", "fa", 36),
        ("۳۶ ماه", "fa", 36),
        ("ክልተ ዓመት", "ti", 24),
        ("10000 ዩሮ ንሰለስተ ዓመት", "ti", 36),  # a prefix glued to the number
        ("soon", "en", None),
    ],
)
def test_durations_in_months_or_years(text: str, language: str, months: Any) -> None:
    assert parse_duration_months(text, language) == months


@pytest.fixture(autouse=True)
def knowledge_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "DATABASE_URL", f"sqlite:///{tmp_path / 'kb.db'}")


def amount(value: str) -> dict[str, Any]:
    return {"entity": "amount", "value": value}


def duration(value: str) -> dict[str, Any]:
    return {"entity": "duration", "value": value}


async def run(**tracker: Any) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    told = await after_slot_mappings(make_tracker(**tracker))
    await ActionEstimateRepayment().run(dispatcher, told, {})
    return dispatcher.messages


async def test_estimate_at_microstarts_published_rate() -> None:
    [message] = await run(
        text="how much per month if I borrow 10000 for 3 years? I live in Brussels",
        intent="estimate_repayment",
        entities=[amount("10000"), duration("3 years")],
    )
    assert message["response"] == "utter_repayment_estimate"
    assert message["partner"] == "microStart"
    # The lowest rate microStart publishes ("Boost", from 11.13 %):
    # r = 0.1113 / 12; 10000 * r / (1 - (1 + r) ** -36) = 328.00
    assert (message["loan_amount"], message["months"]) == (10000, 36)
    assert (message["rate"], message["monthly_amount"]) == (11.13, 328.0)
    assert message["source_url"].startswith("https://www.vlaio.be/nl/subsidies")
    assert message["checked"] == "2024-06-05"  # the page's own date


async def test_amount_outside_the_limits_gets_the_real_limits() -> None:
    [message] = await run(
        text="50000 over 5 years",
        slots={"city": "Antwerpen"},
        entities=[amount("50000"), duration("5 years")],
    )
    assert message["response"] == "utter_repayment_outside_limits"
    assert (message["min_amount"], message["max_amount"]) == (500, 25000)


async def test_a_lender_without_a_published_rate_is_named_not_guessed() -> None:
    [message] = await run(text="10000 over 3 years in Rotterdam")
    assert message["response"] == "utter_repayment_no_rate"
    assert (message["partner"], message["url"]) == ("Qredits", "https://www.qredits.nl")


@pytest.mark.parametrize(
    "tracker, response",
    [
        (
            {"text": "how much per month for 10000 over 3 years"},
            "utter_repayment_needs_place",
        ),
        (
            {"text": "10000 over 3 years", "slots": {"city": "Madrid"}},
            "utter_no_partner_there",
        ),
        (
            {"text": "how much per month, I live in Ghent"},
            "utter_repayment_needs_numbers",
        ),
        ({"text": "-5000 over 2 years in Ghent"}, "utter_repayment_invalid_amount"),
    ],
)
async def test_what_is_missing_or_impossible_is_said(
    tracker: dict, response: str
) -> None:
    [message] = await run(**tracker)
    assert message["response"] == response


async def test_the_amount_asked_before_the_place_question_is_used() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="I live in Ghent", intent="inform_location")
    tracker.events = [
        {
            "event": "user",
            "text": "how much a month for 8000 over 2 years",
            "parse_data": {"intent": {"name": "estimate_repayment"}},
        }
    ]
    tracker = await after_slot_mappings(tracker)
    await ActionEstimateRepayment().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["response"] == "utter_repayment_estimate"
    assert (message["loan_amount"], message["months"]) == (8000, 24)


@pytest.mark.parametrize(
    ("text", "language", "months", "amount"),
    [
        ("беру 8000 на два роки", "uk", 24, 8000),
        ("Jos otan 8000 euroa lainaa kahdeksi vuodeksi", "fi", 24, 8000),
        ("5000 på tre år", "sv", 36, 5000),
        ("bir dükkan için 5000, iki yıl", "tr", 24, 5000),
        ("I have a shop since 3 years, I need 15000 euro", "en", 36, 15000),
        ("en bok", "sv", None, None),
    ],
)
def test_durations_in_words_and_amounts_apart_from_them(
    text: str, language: str, months: int | None, amount: float | None
) -> None:
    assert parse_duration_months(text, language) == months
    assert parse_amount(without_durations(text, language), language) == amount


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [message["response"] for message in messages]


async def test_a_starter_is_not_given_an_estimate_above_the_starters_limit() -> None:
    """microStart lends over 15,000 only to businesses over a year old (unconfirmed)."""
    messages = await run(
        text="20000 over 4 years, I live in Liège",
        slots={"business_stage": "idea"},
    )
    assert responses(messages) == ["utter_repayment_starter_max", "utter_not_confirmed"]
    assert (messages[0]["max_amount"], messages[0]["loan_amount"]) == (15000, 20000)
    assert (
        messages[0]["source_url"]
        == "https://mes-aides-financieres.be/finance/microstart"
    )


async def test_above_the_starters_limit_an_unknown_stage_hears_the_condition() -> None:
    messages = await run(text="20000 over 4 years, I live in Liège")
    assert responses(messages) == [
        "utter_repayment_estimate",
        "utter_repayment_over_starter_max",
        "utter_not_confirmed",
    ]
    established = await run(
        text="20000 over 4 years, I live in Liège",
        slots={"business_stage": "established"},
    )
    assert responses(established) == ["utter_repayment_estimate_for_stage"]
    assert established[0]["rate"] == 11.13  # "Boost", from


async def test_finnvera_has_a_margin_over_euribor_not_a_rate_it_lacks() -> None:
    """Its knowledge says Euribor + 4.5 %; the estimate says the same, with no
    Euribor value after the one its source gave stopped holding."""
    [message] = await run(text="30000 over 4 years, I live in Vantaa")
    assert message["response"] == "utter_repayment_margin_only"
    assert message["margin_rate"] == 4.5 and message["partner"] == "Finnvera"


async def test_while_its_euribor_value_held_finnvera_is_estimated_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASSISTANT_TODAY", "2025-01-15")
    estimate, confirm = await run(text="30000 over 4 years, I live in Vantaa")
    assert estimate["response"] == "utter_repayment_estimate_euribor"
    # 3.1 % (six-month Euribor, the source's value) + 4.5 % margin = 7.6 %:
    # r = 0.076 / 12; 30000 * r / (1 - (1 + r) ** -48) = 726.77
    assert (estimate["rate"], estimate["monthly_amount"]) == (7.6, 726.77)
    assert estimate["euribor_until_day"] == "2025-03-31"
    assert confirm["response"] == "utter_not_confirmed"  # "approximately 3.1 %"


async def test_a_repayment_period_the_lender_does_not_offer_is_not_estimated() -> None:
    [message] = await run(text="30000 over 7 years, I live in Vantaa")
    assert message["response"] == "utter_repayment_over_term"
    assert (message["max_years"], message["months"]) == (5, 84)
