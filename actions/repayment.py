"""The monthly-payment estimate at a partner's published rate, within its conditions.

Only facts that hold today count; every sourced condition applies (the amount, the
most a starter can borrow, the repayment period); an unconfirmed fact is said to be
unconfirmed. The eligibility check uses the same conditions (``LoanTerms``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.conversation import reply_language
from actions.knowledge import knowledge_base, named_a_place, user_place
from actions.parsing import parse_amount, parse_duration_months, without_durations
from bot import settings
from bot.db.tables import engine_for, record_routes
from bot.knowledge.answers import today
from bot.knowledge.storage import FactRow, OrganisationRow, route_to_partners

MAX_MONTHS = 360
# The eligibility check's business stages, and the rate key a lender publishes for each.
STAGES_KNOWN = ("idea", "young", "established")
STAGE_RATES = {
    "idea": "interest_from_starters",
    "young": "interest_from_starters",
    "established": "interest_from_established",
}


def monthly_payment(amount: float, yearly_rate_percent: float, months: int) -> float:
    """The standard annuity: equal monthly payments repaying the loan with interest."""
    rate = yearly_rate_percent / 100 / 12
    if rate == 0:
        return amount / months
    return amount * rate / (1 - (1 + rate) ** -months)


def estimate_requests(tracker: Tracker) -> list[str]:
    """The user's messages that asked for an estimate, the latest first.

    The amount and the duration may come in different ones ("10000 over 3 years?",
    then "and over 4 years?"), or before "where do you live?".
    """
    return [
        event.get("text") or ""
        for event in reversed(tracker.events)
        if event.get("event") == "user"
        and ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        == "estimate_repayment"
    ]


def lowest_fact(facts: list[FactRow], prefix: str) -> FactRow | None:
    """The lowest figure among the facts whose key starts with ``prefix``."""
    numeric = [f for f in facts if f.key.startswith(prefix) and f.value is not None]
    return min(numeric, key=lambda f: f.value) if numeric else None


def fact_named(facts: list[FactRow], key: str) -> FactRow | None:
    """The fact with this key, if it has a value."""
    return next((f for f in facts if f.key == key and f.value is not None), None)


def current_facts(organisation: OrganisationRow) -> list[FactRow]:
    """The organisation's facts that hold today (an ended offer is not a condition)."""
    day = today()
    return [fact for fact in organisation.facts if fact.holds(day)]


STARTER_STAGES = ("idea", "young")


@dataclass(frozen=True)
class LoanTerms:
    """What a lender publishes that bounds a loan, as it holds today."""

    low: FactRow | None
    high: FactRow | None
    # The most a business under a year old may borrow (microStart: over it, only
    # businesses active for more than a year).
    starter_high: FactRow | None
    term_min: FactRow | None  # in years
    term_max: FactRow | None

    @classmethod
    def of(cls, facts: list[FactRow]) -> LoanTerms:
        """The terms among ``facts``."""
        return cls(
            low=lowest_fact(facts, "loan_min"),
            high=lowest_fact(facts, "loan_max"),
            starter_high=fact_named(facts, "starter_loan_max_amount"),
            term_min=fact_named(facts, "term_min_years"),
            term_max=fact_named(facts, "term_max_years"),
        )

    def over_starter_max(self, amount: float) -> bool:
        """Whether only a business over a year old may borrow ``amount``."""
        return self.starter_high is not None and amount > self.starter_high.value


def not_confirmed(
    dispatcher: CollectingDispatcher, partner: str, facts: list[FactRow | None]
) -> None:
    """Says once that a figure just given is not confirmed, if any of them is not."""
    if any(fact is not None and fact.uncertain for fact in facts):
        dispatcher.utter_message(response="utter_not_confirmed", name=partner)


def stage_rate(facts: list[FactRow], stage: str | None) -> tuple[FactRow | None, bool]:
    """The rate for the business's stage if the lender publishes one, else its lowest.

    Returns the rate and whether it is the one for the user's stage.
    """
    key = STAGE_RATES.get(stage or "")
    chosen = next((f for f in facts if f.key == key and f.value is not None), None)
    if chosen is not None:
        return chosen, True
    return lowest_fact(facts, "interest_from"), False


def lenders_at(session: Session, place_id: str) -> list[OrganisationRow]:
    """The organisations that lend at the place, most local first.

    The start-up grant and the advisors are routed for "microloan" too; they lend
    nothing, so they publish no loan limit.
    """
    return [
        organisation
        for organisation in route_to_partners(session, place_id, "microloan")
        if lowest_fact(organisation.facts, "loan_max")
        or lowest_fact(organisation.facts, "legal_cap")
    ]


def source_arguments(fact: FactRow) -> dict[str, Any]:
    """A fact's source, as the placeholders of a reply's source line.

    The day it was checked stays YYYY-MM-DD: the reply formats it for the locale.
    """
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
        language = reply_language(tracker)
        base = knowledge_base(settings.DATABASE_URL)
        place = user_place(tracker, base.places, language)
        remember = [SlotSet("topic", "repayment")]
        if place is None:
            response = (
                "utter_no_partner_there"
                if named_a_place(tracker)
                else "utter_repayment_needs_place"
            )
            dispatcher.utter_message(response=response)
            return remember
        with Session(base.engine) as session:
            lenders = lenders_at(session, place.id)
            if not lenders:
                dispatcher.utter_message(response="utter_no_partner_there")
                return remember
            self._estimate(dispatcher, tracker, language, lenders[0])
            lender_id = lenders[0].id
        with Session(engine_for(settings.DATABASE_URL)) as session:
            record_routes(
                session, tracker.sender_id, language, "repayment", [lender_id]
            )
        return remember

    def _estimate(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        language: str,
        lender: Any,
    ) -> None:
        # What this message says first ("and over 4 years?"), then the requests.
        latest = (tracker.latest_message or {}).get("text") or ""
        requests = estimate_requests(tracker)
        amount_text = next(tracker.get_latest_entity_values("amount"), None)
        duration_text = next(tracker.get_latest_entity_values("duration"), None)
        said_duration = (duration_text, latest, tracker.get_slot("duration"), *requests)
        months = next(
            (
                m
                for t in said_duration
                if t and (m := parse_duration_months(t, language)) is not None
            ),
            None,
        )
        said_amount = (amount_text, latest, tracker.get_slot("amount"), *requests)
        amount = next(
            (
                a
                for t in said_amount
                if t
                and (a := parse_amount(without_durations(t, language), language))
                is not None
            ),
            None,
        )
        stage = tracker.get_slot("business_stage")
        facts = current_facts(lender)
        rate, for_stage = stage_rate(facts, stage)
        margin = fact_named(facts, "interest_margin_over_euribor")
        if rate is None and margin is None:
            dispatcher.utter_message(
                response="utter_repayment_no_rate", partner=lender.name, url=lender.url
            )
        elif amount is None or months is None:
            dispatcher.utter_message(response="utter_repayment_needs_numbers")
        elif amount <= 0 or not 0 < months <= MAX_MONTHS:
            dispatcher.utter_message(response="utter_repayment_invalid_amount")
        elif self._within_terms(dispatcher, lender, facts, stage, amount, months):
            if rate is not None:
                self._at_rate(dispatcher, lender, amount, months, rate, for_stage)
            else:
                self._over_euribor(dispatcher, lender, facts, amount, months, margin)
            terms = LoanTerms.of(facts)
            starter = (
                terms.starter_high
                if terms.over_starter_max(amount) and stage != "established"
                else None
            )
            if starter is not None and stage not in STAGES_KNOWN:
                dispatcher.utter_message(
                    response="utter_repayment_over_starter_max",
                    partner=lender.name,
                    max_amount=starter.value,
                )
            # The estimate rests on these: the rate, the starters' limit it came
            # near, the repayment period it is within.
            not_confirmed(
                dispatcher, lender.name, [rate, starter, terms.term_min, terms.term_max]
            )

    @staticmethod
    def _within_terms(
        dispatcher: CollectingDispatcher,
        lender: Any,
        facts: list[FactRow],
        stage: str | None,
        amount: float,
        months: int,
    ) -> bool:
        """Whether the lender lends this amount over this time; else says why not."""
        terms = LoanTerms.of(facts)
        low, high = terms.low, terms.high
        if (low and amount < low.value) or (high and amount > high.value):
            limit = high if high and amount > high.value else low
            response = "utter_repayment_outside_limits"
            if not (low and high):  # a lender that publishes only one limit
                response = (
                    "utter_repayment_over_max" if high else "utter_repayment_under_min"
                )
            dispatcher.utter_message(
                response=response,
                partner=lender.name,
                min_amount=low.value if low else None,
                max_amount=high.value if high else None,
                loan_amount=amount,
                **source_arguments(limit),
            )
            return False
        if stage in STARTER_STAGES and terms.over_starter_max(amount):
            dispatcher.utter_message(
                response="utter_repayment_starter_max",
                partner=lender.name,
                max_amount=terms.starter_high.value,
                loan_amount=amount,
                **source_arguments(terms.starter_high),
            )
            not_confirmed(dispatcher, lender.name, [terms.starter_high])
            return False
        shortest, longest = terms.term_min, terms.term_max
        if (shortest and months < shortest.value * 12) or (
            longest and months > longest.value * 12
        ):
            dispatcher.utter_message(
                response="utter_repayment_outside_term"
                if shortest
                else "utter_repayment_over_term",
                partner=lender.name,
                months=months,
                min_years=shortest.value if shortest else None,
                max_years=longest.value if longest else None,
                **source_arguments(longest or shortest),
            )
            not_confirmed(dispatcher, lender.name, [shortest, longest])
            return False
        return True

    @staticmethod
    def _at_rate(
        dispatcher: CollectingDispatcher,
        lender: Any,
        amount: float,
        months: int,
        rate: FactRow,
        for_stage: bool,
    ) -> None:
        """The payment at the lowest rate the lender publishes ("from"): at least."""
        dispatcher.utter_message(
            response="utter_repayment_estimate_for_stage"
            if for_stage
            else "utter_repayment_estimate",
            partner=lender.name,
            loan_amount=amount,
            months=months,
            rate=rate.value,
            monthly_amount=round(monthly_payment(amount, rate.value, months), 2),
            **source_arguments(rate),
        )

    @staticmethod
    def _over_euribor(
        dispatcher: CollectingDispatcher,
        lender: Any,
        facts: list[FactRow],
        amount: float,
        months: int,
        margin: FactRow,
    ) -> None:
        """A margin over the Euribor: estimated only with a sourced Euribor value."""
        euribor = fact_named(facts, "euribor_assumed")
        if euribor is None:
            dispatcher.utter_message(
                response="utter_repayment_margin_only",
                partner=lender.name,
                margin_rate=margin.value,
                url=lender.url,
                **source_arguments(margin),
            )
            return
        rate = euribor.value + margin.value
        dispatcher.utter_message(
            response="utter_repayment_estimate_euribor",
            partner=lender.name,
            margin_rate=margin.value,
            euribor_rate=euribor.value,
            euribor_until_day=euribor.valid_until,
            loan_amount=amount,
            months=months,
            rate=round(rate, 2),
            monthly_amount=round(monthly_payment(amount, rate, months), 2),
            **source_arguments(euribor),
        )
        not_confirmed(dispatcher, lender.name, [euribor])
