"""The eligibility check: a few questions, then which lender fits and why.

Each question (place, business stage, amount, debts) can be skipped with "I don't
know" (stored as ``unknown``); a new question from the user stops the check.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.answers import ActionAnswerTopic
from actions.conversation import latest_intent, reply_language
from actions.knowledge import knowledge_base, user_place
from actions.parsing import parse_amount, parse_duration_months
from actions.repayment import (
    STAGE_RATES,
    STARTER_STAGES,
    LoanTerms,
    current_facts,
    lenders_at,
    lowest_fact,
    not_confirmed,
    source_arguments,
)
from bot import settings
from bot.db.tables import engine_for, record_routes
from bot.i18n import translate
from bot.knowledge.answers import compose_answer
from bot.knowledge.storage import FactRow, OrganisationRow, route_to_partners
from bot.topics import QUESTION_INTENTS, TOPIC_OF_INTENT

UNKNOWN = "unknown"
STAGES = ("idea", "young", "established")
MONTHS_ESTABLISHED = 12
# Messages that leave the check: the user asked something else.
LEAVING_INTENTS = QUESTION_INTENTS | {
    "goodbye",
    "help",
    "out_of_scope",
    "request_human",
    "privacy_question",
    "delete_my_data",
}


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def typed_button(
    text: str, question: str, domain: DomainDict, language: str
) -> str | None:
    """The payload of the question's button whose title the user typed ("pas encore").

    People often type the answer a button offers instead of tapping it; the title
    is matched in the user's language (and in English).
    """
    variations = (domain.get("responses") or {}).get(question) or [{}]
    for button in variations[0].get("buttons", []):
        titles = {_plain(button["title"]), _plain(translate(button["title"], language))}
        if _plain(text) in titles:
            return button["payload"]
    return None


def payload_value(payload: str, entity: str) -> str | None:
    """``idea`` from ``/inform_business_stage{"business_stage": "idea"}``."""
    intent, _, entities = payload.partition("{")
    if entities:
        return json.loads("{" + entities).get(entity)
    return {"/dont_know": UNKNOWN, "/affirm": "yes", "/deny": "no"}.get(intent)


def stage_from_answer(
    text: str, intent: str | None, entity: str | None, language: str
) -> str | None:
    """The business stage in an answer: a button, "not yet", or an age ("2 years")."""
    if entity in STAGES:
        return entity
    if intent == "deny":
        return "idea"
    months = parse_duration_months(text, language)
    if months is not None:
        return "established" if months >= MONTHS_ESTABLISHED else "young"
    return None


class ValidateEligibilityForm(FormValidationAction):
    """Reads the answers of the eligibility check; skips what is already known."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "validate_eligibility_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Every question, until the user leaves the check."""
        return [] if tracker.get_slot("eligibility_stopped") else domain_slots

    async def extract_eligibility_place(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The place the user already gave, so the check does not ask it again."""
        if tracker.get_slot("eligibility_place") or tracker.get_slot("requested_slot"):
            return {}
        base = knowledge_base(settings.DATABASE_URL)
        place = user_place(tracker, base.places, reply_language(tracker))
        return {"eligibility_place": place.id} if place else {}

    @staticmethod
    def _read(
        tracker: Tracker, dispatcher: CollectingDispatcher, slot: str, value: Any
    ) -> dict[str, Any]:
        """What the user answered to the question about ``slot``.

        ``value`` is the answer read from the message (None if unreadable). A readable
        answer counts whatever the intent ("10000 euros" may look like an estimate
        question); "I don't know" skips; another question leaves the check; a
        language change asks again in the new language; anything else gets a hint.
        """
        intent = latest_intent(tracker)
        if intent == "dont_know":
            return {slot: UNKNOWN}
        if value is not None:
            return {slot: value}
        if intent in LEAVING_INTENTS:
            return {slot: UNKNOWN, "eligibility_stopped": True}
        if intent != "choose_language":
            dispatcher.utter_message(response="utter_eligibility_retry")
        return {slot: None}

    def validate_eligibility_place(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """A place we know; "unknown" when skipped or where we serve nobody."""
        if tracker.get_slot("requested_slot") != "eligibility_place":
            return {"eligibility_place": value}  # known before the check began
        base = knowledge_base(settings.DATABASE_URL)
        place = base.places.resolve(str(value), reply_language(tracker))
        entities = {e.get("entity") for e in tracker.latest_message.get("entities", [])}
        if place is None and entities & {"city", "country"}:
            dispatcher.utter_message(response="utter_no_partner_there")
            return {"eligibility_place": UNKNOWN}
        if place is not None:  # remembered after the check, as if said in passing
            return {"eligibility_place": place.id, "city": str(value)}
        return self._read(tracker, dispatcher, "eligibility_place", None)

    def validate_business_stage(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Not started, under a year, over a year, or "unknown"."""
        button = typed_button(
            str(value), "utter_ask_business_stage", domain, reply_language(tracker)
        )
        if button is not None:
            return {"business_stage": payload_value(button, "business_stage")}
        stage = stage_from_answer(
            str(value),
            latest_intent(tracker),
            next(tracker.get_latest_entity_values("business_stage"), None),
            reply_language(tracker),
        )
        return self._read(tracker, dispatcher, "business_stage", stage)

    def validate_loan_amount(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """A positive amount in euros ("10k", "10.000", "dix mille"), or "unknown"."""
        amount = parse_amount(str(value), reply_language(tracker))
        valid = amount is not None and amount > 0
        return self._read(
            tracker, dispatcher, "loan_amount", str(amount) if valid else None
        )

    def validate_has_debts(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Yes, no, or "unknown" (the user may keep it to themselves)."""
        language = reply_language(tracker)
        button = typed_button(str(value), "utter_ask_has_debts", domain, language)
        if button is not None:
            return {"has_debts": payload_value(button, "has_debts")}
        debts = {"affirm": "yes", "deny": "no"}.get(latest_intent(tracker) or "")
        return self._read(tracker, dispatcher, "has_debts", debts)


class ActionEligibilityResult(Action):
    """Says which lender and product fit the answers, and why, with sources."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_eligibility_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The lender for the place, the amount and rate checks, its conditions."""
        reset = [
            SlotSet(slot, None)
            for slot in (
                "eligibility_place",
                "business_stage",
                "loan_amount",
                "has_debts",
                "eligibility_stopped",
            )
        ]
        stage = tracker.get_slot("business_stage")
        keep_stage = [SlotSet("business_stage", stage)] if stage in STAGES else []
        if tracker.get_slot("eligibility_stopped"):
            dispatcher.utter_message(response="utter_eligibility_stopped")
            if latest_intent(tracker) in TOPIC_OF_INTENT:
                events = await ActionAnswerTopic().run(dispatcher, tracker, domain)
                return reset + keep_stage + events
            if latest_intent(tracker) == "delete_my_data":
                # Erase as anywhere else: the same question, then the erasure on yes.
                return [*reset, *keep_stage, FollowupAction("utter_confirm_delete")]
            dispatcher.utter_message(
                response="utter_goodbye"
                if latest_intent(tracker) == "goodbye"
                else "utter_affirm_ack"
            )
            return reset + keep_stage
        language = reply_language(tracker)
        base = knowledge_base(settings.DATABASE_URL)
        place_id = tracker.get_slot("eligibility_place")
        if place_id in (None, UNKNOWN):
            place = user_place(tracker, base.places, language)
            place_id = place.id if place else None
        with Session(base.engine) as session:
            lender = (
                next(iter(lenders_at(session, place_id)), None) if place_id else None
            )
            if lender is None:
                dispatcher.utter_message(response="utter_fit_no_place")
                return reset + keep_stage
            self._explain(dispatcher, tracker, session, lender, place_id, language)
            lender_id = lender.id
        with Session(engine_for(settings.DATABASE_URL)) as session:
            record_routes(
                session, tracker.sender_id, language, "loan_eligibility", [lender_id]
            )
        return reset + keep_stage

    def _explain(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        session: Session,
        lender: OrganisationRow,
        place_id: str,
        language: str,
    ) -> None:
        stage = tracker.get_slot("business_stage")
        dispatcher.utter_message(
            response="utter_fit_lender", partner=lender.name, url=lender.url
        )
        used: list[FactRow] = []
        facts = current_facts(lender)
        amount_text = tracker.get_slot("loan_amount")
        if amount_text not in (None, UNKNOWN):
            used += self._amount(dispatcher, lender, facts, stage, float(amount_text))
        rate = next((f for f in facts if f.key == STAGE_RATES.get(stage or "")), None)
        if rate is not None:
            dispatcher.utter_message(
                response="utter_fit_rate_for_stage",
                partner=lender.name,
                rate=rate.value,
            )
            used.append(rate)
        for fact in {fact.source.id: fact for fact in used}.values():
            dispatcher.utter_message(
                response="utter_fit_source", **source_arguments(fact)
            )
        conditions = compose_answer(lender, "loan_eligibility", language)
        if conditions:
            dispatcher.utter_message(text=conditions)
        if stage == "idea":  # money before starting, e.g. Finland's start-up grant
            for other in route_to_partners(session, place_id, "start_business"):
                if other.id != lender.id:
                    dispatcher.utter_message(
                        text=compose_answer(other, "start_business", language)
                    )
        dispatcher.utter_message(
            response="utter_fit_not_a_promise", partner=lender.name
        )

    @staticmethod
    def _amount(
        dispatcher: CollectingDispatcher,
        lender: OrganisationRow,
        facts: list[FactRow],
        stage: str | None,
        amount: float,
    ) -> list[FactRow]:
        """Says whether the amount is within the lender's (or the law's) limits.

        Every sourced limit applies: over the most a starter may borrow, a business
        at the idea stage or under a year is told so (unconfirmed where the fact is).
        """
        terms = LoanTerms.of(facts)
        low, high = terms.low, terms.high
        cap = lowest_fact(facts, "legal_cap")
        if high is None and cap is not None:
            response = (
                "utter_fit_amount_over_legal_cap"
                if amount > cap.value
                else "utter_fit_amount_within_legal_cap"
            )
            dispatcher.utter_message(
                response=response, loan_amount=amount, max_amount=cap.value
            )
            return [cap]
        if high is None:
            return []
        within = amount <= high.value and (low is None or amount >= low.value)
        if low is not None:
            response = (
                "utter_fit_amount_within" if within else "utter_fit_amount_outside"
            )
        else:
            response = (
                "utter_fit_amount_within_max" if within else "utter_fit_amount_over_max"
            )
        # Over the starters' limit, only a business over a year old fits.
        starter = None
        if within and terms.over_starter_max(amount) and stage != "established":
            starter = terms.starter_high
        if starter is not None and stage in STARTER_STAGES:
            dispatcher.utter_message(
                response="utter_fit_amount_needs_established",
                partner=lender.name,
                loan_amount=amount,
                max_amount=starter.value,
            )
        else:
            dispatcher.utter_message(
                response=response,
                partner=lender.name,
                loan_amount=amount,
                min_amount=low.value if low else None,
                max_amount=high.value,
            )
        if starter is not None and stage not in STARTER_STAGES:  # stage unknown
            dispatcher.utter_message(
                response="utter_repayment_over_starter_max",
                partner=lender.name,
                max_amount=starter.value,
            )
        not_confirmed(dispatcher, lender.name, [starter])
        return [f for f in (low, high, starter) if f is not None]
