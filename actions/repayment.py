"""The monthly-payment estimate at a partner's published rate."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.parsing import parse_amount, parse_duration_months
from bot import settings
from bot.knowledge.loading import Place, load_knowledge
from bot.knowledge.places import PlaceResolver
from bot.knowledge.storage import FactRow, route_to_partners, store_knowledge
from bot.languages import DEFAULT_LANGUAGE

MAX_MONTHS = 360


def monthly_payment(amount: float, yearly_rate_percent: float, months: int) -> float:
    """The standard annuity: equal monthly payments repaying the loan with interest."""
    rate = yearly_rate_percent / 100 / 12
    if rate == 0:
        return amount / months
    return amount * rate / (1 - (1 + rate) ** -months)


@dataclass(frozen=True)
class KnowledgeBase:
    """The knowledge files, stored in the database, and the place resolver."""

    engine: sa.engine.Engine
    places: PlaceResolver


@lru_cache(maxsize=4)
def knowledge_base(database_url: str) -> KnowledgeBase:
    """Loads, checks and stores data/knowledge (once per process and database)."""
    knowledge = load_knowledge()
    engine = sa.create_engine(database_url)
    store_knowledge(engine, knowledge)
    return KnowledgeBase(engine=engine, places=PlaceResolver(knowledge))


def user_place(tracker: Tracker, places: PlaceResolver, language: str) -> Place | None:
    """Where the user lives: named in this message, else earlier (city, country)."""
    for text in (
        (tracker.latest_message or {}).get("text"),
        tracker.get_slot("city"),
        tracker.get_slot("country"),
    ):
        place = places.resolve(text, language) if text else None
        if place is not None:
            return place
    return None


def estimate_request(tracker: Tracker) -> str:
    """The user's latest message that asked for an estimate (maybe before "where?")."""
    for event in reversed(tracker.events):
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if event.get("event") == "user" and intent.get("name") == "estimate_repayment":
            return event.get("text") or ""
    return (tracker.latest_message or {}).get("text") or ""


def _fact(facts: list[FactRow], prefix: str) -> FactRow | None:
    numeric = [f for f in facts if f.key.startswith(prefix) and f.value is not None]
    return min(numeric, key=lambda f: f.value) if numeric else None


def _source(fact: FactRow) -> dict[str, Any]:
    return {
        "source": fact.source.title,
        "source_url": fact.source.url,
        "checked": fact.source.checked,
    }


class ActionEstimateRepayment(Action):
    """Estimates a monthly payment for an amount and a duration at the user's lender."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_estimate_repayment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Asks for what is missing, refuses what is impossible, else estimates."""
        language = tracker.get_slot("language") or DEFAULT_LANGUAGE
        base = knowledge_base(settings.DATABASE_URL)
        place = user_place(tracker, base.places, language)
        named_a_place = tracker.get_slot("city") or tracker.get_slot("country")
        if place is None:
            response = (
                "utter_no_partner_there"
                if named_a_place
                else "utter_repayment_needs_place"
            )
            dispatcher.utter_message(response=response)
            return []
        with Session(base.engine) as session:
            lenders = route_to_partners(session, place.id, "microloan")
            if not lenders:
                dispatcher.utter_message(response="utter_no_partner_there")
                return []
            lender = lenders[0]
            self._estimate(dispatcher, tracker, language, lender)
        return []

    def _estimate(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        language: str,
        lender: Any,
    ) -> None:
        text = estimate_request(tracker)
        amount_text = next(tracker.get_latest_entity_values("amount"), None)
        duration_text = next(tracker.get_latest_entity_values("duration"), None)
        months = parse_duration_months(
            duration_text or tracker.get_slot("duration") or text, language
        )
        if amount_text is None and duration_text:
            text = text.replace(duration_text, " ")  # "3 years" is not an amount
        amount = parse_amount(
            amount_text or tracker.get_slot("amount") or text, language
        )
        rate = _fact(lender.facts, "interest")
        if rate is None:
            dispatcher.utter_message(
                response="utter_repayment_no_rate", partner=lender.name, url=lender.url
            )
        elif amount is None or months is None:
            dispatcher.utter_message(response="utter_repayment_needs_numbers")
        elif amount <= 0 or not 0 < months <= MAX_MONTHS:
            dispatcher.utter_message(response="utter_repayment_invalid_amount")
        else:
            self._within_limits(dispatcher, lender, amount, months, rate)

    def _within_limits(
        self,
        dispatcher: CollectingDispatcher,
        lender: Any,
        amount: float,
        months: int,
        rate: FactRow,
    ) -> None:
        low, high = _fact(lender.facts, "loan_min"), _fact(lender.facts, "loan_max")
        if (low and amount < low.value) or (high and amount > high.value):
            limit = high if high and amount > high.value else low
            dispatcher.utter_message(
                response="utter_repayment_outside_limits",
                partner=lender.name,
                min_amount=low.value if low else 0,
                max_amount=high.value if high else amount,
                loan_amount=amount,
                **_source(limit),
            )
            return
        dispatcher.utter_message(
            response="utter_repayment_estimate",
            partner=lender.name,
            loan_amount=amount,
            months=months,
            rate=rate.value,
            monthly_amount=round(monthly_payment(amount, rate.value, months), 2),
            **_source(rate),
        )
