"""Answers a topic for where the user lives: the partner, the facts, the next step.

Where the user lives decides who answers. When the place is unknown the assistant
gives the general answer and asks once; the next place the user names answers the
question they asked (the ``topic`` slot remembers it).
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.conversation import latest_intent, reply_language
from actions.knowledge import knowledge_base, named_a_place, user_place
from actions.referral import ActionOfferReferral
from actions.repayment import ActionEstimateRepayment
from actions.topics import TOPIC_OF_INTENT
from bot import settings
from bot.i18n import N_, render
from bot.knowledge.answers import compose_answer
from bot.knowledge.storage import OrganisationRow, route_to_partners
from bot.records import engine_for, record_routes

# The answer when the place is unknown or has no partner: what holds everywhere.
GENERAL_ANSWER = {
    "start_business": "utter_start_business",
    "microloan": "utter_microloan",
    "loan_eligibility": "utter_loan_eligibility",
    "loan_documents": "utter_loan_documents",
    "loan_terms": "utter_loan_terms",
    "business_training": "utter_business_training",
    "qualification_recognition": "utter_qualification_recognition",
    "recognition_cost": "utter_recognition_cost",
    "recognition_documents": "utter_recognition_documents",
    "recognition_duration": "utter_recognition_duration",
    "job_coaching": "utter_job_coaching",
    "family_support": "utter_family_support",
}
OFFER_CONTACT = N_("Ask {partner} to contact me")
# A detail nobody answers at a place falls back to who handles the whole subject
# (for loans: the lenders, who publish terms; not the grant or the advisors).
BROADER_TOPIC = {
    "loan_eligibility": "loan_terms",
    "loan_documents": "loan_terms",
    "loan_terms": "microloan",
    "recognition_cost": "qualification_recognition",
    "recognition_documents": "qualification_recognition",
    "recognition_duration": "qualification_recognition",
}


def contact_offer(organisation: OrganisationRow, language: str) -> list[dict]:
    """A button to be contacted by the partner that answered, if it takes referrals."""
    if not organisation.takes_referrals:
        return []
    title = render(OFFER_CONTACT, language, {"partner": organisation.name})
    return [{"title": title, "payload": "/request_human"}]


def asked_topic(tracker: Tracker) -> str | None:
    """The topic of the latest message, or the one still waiting for a place."""
    return TOPIC_OF_INTENT.get(latest_intent(tracker)) or tracker.get_slot("topic")


class ActionAnswerTopic(Action):
    """Answers the user's topic for their place, or asks once where they live."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_answer_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Routes the topic to the organisations of the user's place."""
        topic = asked_topic(tracker)
        if topic == "repayment":
            return await ActionEstimateRepayment().run(dispatcher, tracker, domain)
        if topic == "referral":  # "where do you live?" came from a request for a person
            return await ActionOfferReferral().run(dispatcher, tracker, domain)
        language = reply_language(tracker)
        base = knowledge_base(settings.DATABASE_URL)
        place = user_place(tracker, base.places, language)
        if place is None:
            return self._without_place(dispatcher, tracker, topic)
        if topic is None:  # a place, and nothing asked yet
            dispatcher.utter_message(response="utter_location_noted")
            return []
        with Session(base.engine) as session:
            organisations = route_to_partners(session, place.id, topic)
            answered = [(o, compose_answer(o, topic, language)) for o in organisations]
            answered = [(o, answer) for o, answer in answered if answer]
            broader = []
            if not answered and topic in BROADER_TOPIC:
                broader = route_to_partners(session, place.id, BROADER_TOPIC[topic])
        for organisation, answer in answered:
            dispatcher.utter_message(
                text=answer, buttons=contact_offer(organisation, language)
            )
        for organisation in broader:
            dispatcher.utter_message(
                response="utter_no_checked_fact",
                partner=organisation.name,
                url=organisation.url,
            )
        if not answered and not broader:
            dispatcher.utter_message(response="utter_no_partner_for_topic")
            dispatcher.utter_message(response=GENERAL_ANSWER[topic])
        named = [organisation.id for organisation, _ in answered] + [
            organisation.id for organisation in broader
        ]
        with Session(engine_for(settings.DATABASE_URL)) as session:
            record_routes(session, tracker.sender_id, language, topic, named)
        return [SlotSet("topic", topic)]

    @staticmethod
    def _without_place(
        dispatcher: CollectingDispatcher, tracker: Tracker, topic: str | None
    ) -> list[EventType]:
        """A place we do not serve, or none yet: the general answer, asked once."""
        if named_a_place(tracker) or latest_intent(tracker) == "inform_location":
            dispatcher.utter_message(response="utter_no_partner_there")
            if topic is not None:
                dispatcher.utter_message(response=GENERAL_ANSWER[topic])
            return [SlotSet("topic", topic)]
        if topic is None:
            dispatcher.utter_message(response="utter_ask_place")
            return []
        dispatcher.utter_message(response=GENERAL_ANSWER[topic])
        if tracker.get_slot("place_asked"):
            return [SlotSet("topic", topic)]
        dispatcher.utter_message(response="utter_ask_place")
        return [SlotSet("topic", topic), SlotSet("place_asked", True)]
