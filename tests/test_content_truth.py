"""Every figure said is a fact that holds: answers, estimates and the eligibility check
agree with each other and with data/knowledge, on any day (a fixed clock).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.eligibility import STAGES, ActionEligibilityResult
from actions.repayment import ActionEstimateRepayment
from bot import settings
from bot.i18n import format_day
from bot.knowledge.answers import compose_answer, format_fact
from bot.knowledge.loading import KNOWLEDGE_DIR, load_knowledge
from bot.knowledge.storage import OrganisationRow, store_knowledge
from tests.conftest import make_tracker

KNOWLEDGE = load_knowledge()
# Days on which different facts hold: Finnvera's 2024-2025 Euribor value, the 2024
# start-up grant, Finnvera's 2026 window open, and after it closed.
DAYS = ("2024-11-20", "2025-02-01", "2026-03-01", "2026-12-05")
LANGUAGES = ("en", "fr", "fi", "ar")
DIGITS = re.compile(r"\d")
# A place each lender serves, to ask it there.
LENDER_PLACES = {
    "microstart": "Brussels",
    "qredits": "Rotterdam",
    "finnvera": "Vantaa",
    "permicro": "Turin",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> sa.engine.Engine:
    engine = sa.create_engine(f"sqlite:///{tmp_path_factory.mktemp('kb')}/kb.db")
    store_knowledge(engine, KNOWLEDGE)
    return engine


def without_facts(text: str, organisation: OrganisationRow, language: str) -> str:
    """The text without its links, its sources (title, day) and the facts' figures."""
    text = text.translate(dict.fromkeys(map(ord, "\u2066\u2068\u2069")))
    for answer in organisation.answers:
        for source in answer.sources:
            text = text.replace(source.url, " ").replace(source.title, " ")
            text = text.replace(format_day(source.checked, language), " ")
    text = text.replace(organisation.url, " ")
    shown = sorted((format_fact(f, language) for f in organisation.facts), key=len)
    for figure in reversed(shown):  # "€25,000" before "5"; never inside a number
        text = re.sub(rf"(?<!\d){re.escape(figure)}(?!\d)", " ", text)
    return text


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_answer_states_only_the_figures_of_its_facts(
    engine: sa.engine.Engine, day: str, language: str
) -> None:
    """Every topic of every partner, in four languages, on four days."""
    with Session(engine) as session:
        for organisation in session.scalars(sa.select(OrganisationRow)):
            for topic in {answer.topic for answer in organisation.answers}:
                text = compose_answer(organisation, topic, language, on=day)
                left = without_facts(text, organisation, language)
                where = f"{organisation.id}/{topic}/{language}/{day}"
                assert not DIGITS.search(left), f"{where}: a figure of no fact: {left}"


def said_on(organisation_id: str, topic: str, day: str) -> str:
    with Session(sa.create_engine(settings.DATABASE_URL)) as session:
        organisation = session.get(OrganisationRow, organisation_id)
        return compose_answer(organisation, topic, "en", on=day)


@pytest.fixture
def knowledge_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    monkeypatch.setattr(settings, "DATABASE_URL", url)
    store_knowledge(sa.create_engine(url), KNOWLEDGE)


@pytest.mark.usefixtures("knowledge_database")
def test_an_application_window_is_said_while_open_and_in_the_past_after() -> None:
    open_ = said_on("finnvera", "loan_terms", "2026-03-01")
    assert "You can apply from February 1, 2026 to July 31, 2026" in open_
    closed = said_on("finnvera", "loan_terms", "2026-08-01")
    assert "You can apply" not in closed
    assert "Applications were open from February 1, 2026 to July 31, 2026" in closed
    assert "whether you can apply now" in closed


@pytest.mark.usefixtures("knowledge_database")
def test_a_yearly_amount_is_said_as_current_only_in_its_year() -> None:
    current = said_on("job-market-finland", "start_business", "2024-06-01")
    assert "In 2024, the start-up grant is €37.21 a day" in current
    later = said_on("job-market-finland", "start_business", "2026-12-05")
    assert "In 2024, the start-up grant was €37.21 a day" in later
    assert "check today's amount" in later


@pytest.mark.usefixtures("knowledge_database")
def test_an_ended_guarantee_scheme_reads_as_ended() -> None:
    said = said_on("permicro", "microloan", "2026-12-05")
    assert "lets you ask" not in said and "apply by" not in said
    assert "until June 15, 2022; that call is closed" in said


def test_a_sentence_with_no_past_form_is_not_said_after_its_fact_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ended fact with no past form: not said, and the user is told to check."""
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    path = directory / "partners" / "microstart.yml"
    text = path.read_text(encoding="utf-8")
    ending = "    source: vlaio-microstart\n    valid_until: 2026-01-31\n"
    text = text.replace(
        '    note: "Jump: starters or businesses under one year"\n'
        "    source: vlaio-microstart\n",
        '    note: "Jump: starters or businesses under one year"\n' + ending,
    )
    path.write_text(text, encoding="utf-8")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'kb.db'}")
    store_knowledge(engine, load_knowledge(directory))
    with Session(engine) as session:
        microstart = session.get(OrganisationRow, "microstart")
        before = compose_answer(microstart, "microloan", "en", on="2026-01-31")
        after = compose_answer(microstart, "microloan", "en", on="2026-02-01")
    assert "12.13%" in before and "12.13%" not in after
    assert "lends from €500 to €25,000" in after  # what still holds is said
    assert (
        "Some of what my sources say about microStart was valid only until "
        "January 31, 2026: please check the current conditions at "
        "https://microstart.be." in after
    )


async def estimate(place: str, stage: str | None, text: str) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text=f"{text}, I live in {place}",
        intent="estimate_repayment",
        slots={"city": place, "business_stage": stage},
    )
    await ActionEstimateRepayment().run(dispatcher, tracker, {})
    return dispatcher.messages


async def eligibility(place: str, stage: str, amount: str) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="no",
        intent="deny",
        slots={
            "eligibility_place": place.casefold(),
            "business_stage": stage,
            "loan_amount": amount,
            "has_debts": "no",
        },
    )
    await ActionEligibilityResult().run(dispatcher, tracker, {})
    return dispatcher.messages


FIGURES = (
    "rate",
    "margin_rate",
    "euribor_rate",
    "min_amount",
    "max_amount",
    "min_years",
    "max_years",
)


def figures_of(messages: list[dict[str, Any]]) -> dict[str, float]:
    return {
        f"{message.get('response')}.{name}": message[name]
        for message in messages
        for name in FIGURES
        if message.get(name) is not None
    }


@pytest.mark.usefixtures("knowledge_database")
@pytest.mark.parametrize("day", DAYS)
async def test_estimates_and_the_check_state_the_facts_that_hold(
    day: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every lender, stage, amount and period: each figure is a fact holding that day
    (a rate may be the Euribor value plus the margin, both holding), and the answer
    about the loan's terms on that day states the same figures."""
    monkeypatch.setenv("ASSISTANT_TODAY", day)
    for lender_id, place in LENDER_PLACES.items():
        lender = KNOWLEDGE.organisations[lender_id]
        holding = {
            fact.key: fact.value
            for fact in lender.facts
            if fact.value is not None
            and (fact.valid_from or day) <= day <= (fact.valid_until or day)
        }
        # Which facts each figure may come from: a rate is a published rate, or the
        # Euribor value plus the margin when both hold, never the margin alone.
        allowed = {
            name: {holding[key] for key in keys if key in holding}
            for name, keys in {
                "rate": ("interest_from_starters", "interest_from_established"),
                "margin_rate": ("interest_margin_over_euribor",),
                "euribor_rate": ("euribor_assumed",),
                "min_amount": ("loan_min_amount",),
                "max_amount": (
                    "loan_max_amount",
                    "starter_loan_max_amount",
                    "legal_cap",
                ),
                "min_years": ("term_min_years",),
                "max_years": ("term_max_years",),
            }.items()
        }
        if {"euribor_assumed", "interest_margin_over_euribor"} <= holding.keys():
            allowed["rate"].add(
                round(
                    holding["euribor_assumed"]
                    + holding["interest_margin_over_euribor"],
                    2,
                )
            )
        said = {}
        for stage in (None, *STAGES):
            for text in (
                "10000 over 3 years",
                "20000 over 4 years",
                "40000 over 4 years",
                "300 over 1 year",
                "30000 over 8 years",
            ):
                said |= figures_of(await estimate(place, stage, text))
            for amount in ("300", "12000", "20000", "45000", "300000"):
                said |= figures_of(await eligibility(place, stage, amount))
        where = f"{lender_id} on {day}"
        assert said, where
        for name, value in said.items():
            kind = name.split(".")[1]
            assert value in allowed[kind], f"{where}: {name} = {value}, not its fact"
        terms = " ".join(
            said_on(lender_id, topic, day) for topic in ("loan_terms", "microloan")
        )
        for name, value in said.items():
            if name.endswith(("rate", "max_amount", "max_years")) and value in (
                holding.get("interest_from_starters"),
                holding.get("interest_from_established"),
                holding.get("interest_margin_over_euribor"),
                holding.get("loan_max_amount"),
                holding.get("term_max_years"),
            ):
                fact = next(
                    f for f in lender.facts if f.value == value and f.key in holding
                )
                shown = format_fact(fact, "en")
                assert shown in terms, f"{where}: {name} {shown} not in the answer"
