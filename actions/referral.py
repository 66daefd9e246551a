"""A person asks to be contacted by a partner: consent first, then contact details.

Nothing is stored without a "yes" to a question that names the partner and what it
will receive. The user may stop at any question; nothing is stored then either.
"""

from __future__ import annotations

import json
from typing import Any

import phonenumbers
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from actions.conversation import latest_intent, reply_language
from actions.knowledge import knowledge_base, named_a_place, user_place
from bot import settings
from bot.db.tables import Referral, engine_for, record_routes
from bot.i18n import N_, render
from bot.knowledge.loading import Place
from bot.knowledge.storage import OrganisationRow, ServiceRow, route_to_partners
from bot.languages import NATIVE_NAMES, normalise_language
from bot.topics import GENERAL_REFERRAL, QUESTION_INTENTS

FORM_SLOTS = (
    "referral_consent",
    "referral_name",
    "referral_contact",
    "referral_language",
    "referral_time",
)
STOP_INTENTS = QUESTION_INTENTS | {
    "goodbye",
    "deny",
    "out_of_scope",
    "delete_my_data",
    "privacy_question",
}
# Answers are free text (names, numbers, times): only these, said clearly, mean "stop".
EXPLICIT_STOPS = {"deny", "goodbye", "delete_my_data", "privacy_question"}
STOP_CONFIDENCE = 0.8
# Topics tried, after the user's own, to find a partner that takes referrals.
FALLBACK_TOPICS = ("job_coaching", "business_training", "microloan", "start_business")
ASK_LANGUAGE = N_("In which language would you like to be contacted?")
MAX_NAME_CHARS = 100


def referral_partner(session: Session, place: Place, topic: str | None) -> Any:
    """The partner that takes referrals for the place, for the topic if possible."""
    for wanted in (topic, *FALLBACK_TOPICS):
        if wanted is None:
            continue
        for organisation in route_to_partners(session, place.id, wanted):
            if organisation.takes_referrals:
                return organisation
    return None


def chosen_partner(session: Session, tracker: Tracker, place: Place) -> Any:
    """The partner a button named ("Ask Qredits to contact me"), if it can be asked.

    It must take referrals and serve the place: a button from an earlier answer may
    name a partner of a place the user has since left.
    """
    chosen = next(tracker.get_latest_entity_values("organisation"), None)
    partner = session.get(OrganisationRow, chosen) if isinstance(chosen, str) else None
    if partner is None or not partner.takes_referrals:
        return None
    topics = session.scalars(
        sa.select(ServiceRow.topic).where(ServiceRow.organisation_id == partner.id)
    )
    serves = any(partner in route_to_partners(session, place.id, t) for t in topics)
    return partner if serves else None


def read_contact(text: str, country: str) -> tuple[str, str] | None:
    """("email", normalised address) or ("phone", E.164 number), if valid.

    Phone numbers are read for the user's country (0470 12 34 56 in Belgium), or in
    international form (+32 470 12 34 56) from anywhere.
    """
    text = text.strip()
    if "@" in text:
        try:
            address = validate_email(text, check_deliverability=False)
        except EmailNotValidError:
            return None
        return "email", address.normalized
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return "phone", phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.E164
    )


class ActionOfferReferral(Action):
    """Finds the partner for the user's place and asks for consent to share."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_offer_referral"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Asks the place if needed; names the partner and starts the consent form.

        The partner is the one the button named, else the one for the place and topic.
        """
        base = knowledge_base(settings.DATABASE_URL)
        place = user_place(tracker, base.places, reply_language(tracker))
        if place is None:
            if named_a_place(tracker):
                dispatcher.utter_message(response="utter_no_partner_there")
                return []
            dispatcher.utter_message(response="utter_referral_needs_place")
            return [SlotSet("topic", "referral")]
        topic = tracker.get_slot("topic")
        topic = None if topic == "referral" else topic
        with Session(base.engine) as session:
            partner = chosen_partner(session, tracker, place) or referral_partner(
                session, place, topic
            )
            if partner is None:
                dispatcher.utter_message(response="utter_no_referral_partner")
                return [SlotSet("topic", topic)]
            return [
                SlotSet("topic", topic),
                SlotSet("referral_partner", partner.id),
                SlotSet("referral_partner_name", partner.name),
                SlotSet("referral_place", place.id),
                FollowupAction("referral_form"),
            ]


class ActionAskReferralLanguage(Action):
    """Asks the contact language, offering the chat's language and the partner's."""

    def name(self) -> str:
        """Rasa calls it to ask for the form's ``referral_language`` slot."""
        return "action_ask_referral_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """One button per language, each named in its own language."""
        language = reply_language(tracker)
        base = knowledge_base(settings.DATABASE_URL)
        with Session(base.engine) as session:
            partner = session.get(OrganisationRow, tracker.get_slot("referral_partner"))
            theirs = partner.languages.split() if partner else []
        codes = list(dict.fromkeys([language, *theirs]))
        dispatcher.utter_message(
            text=render(ASK_LANGUAGE, language, {}),
            buttons=[
                {
                    "title": NATIVE_NAMES[code],
                    "payload": "/inform_contact_language"
                    + json.dumps({"contact_language": code}),
                }
                for code in codes
                if code in NATIVE_NAMES
            ],
        )
        return []


class ValidateReferralForm(FormValidationAction):
    """Reads consent and contact details; a clear "no" or "stop" ends the form."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "validate_referral_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """No more questions once the user said no or stopped."""
        if tracker.get_slot("referral_consent") in ("no", "stopped"):
            return []
        return domain_slots

    @staticmethod
    def _stopped(tracker: Tracker, slot: str) -> dict[str, Any] | None:
        """Stops the form when the user clearly says so ("no, stop", "bye").

        Only a confident stop counts: a name or a number typed as an answer may look
        like anything to the classifier ("Amina", "040 123").
        """
        intent = (tracker.latest_message or {}).get("intent") or {}
        if (
            intent.get("name") in EXPLICIT_STOPS
            and float(intent.get("confidence") or 0) >= STOP_CONFIDENCE
        ):
            return {slot: None, "referral_consent": "stopped"}
        return None

    def validate_referral_consent(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Only a clear yes is consent; a no (or another question) stores nothing."""
        intent = latest_intent(tracker)
        if intent == "affirm":
            return {"referral_consent": "yes"}
        if intent in STOP_INTENTS or intent == "dont_know":
            return {"referral_consent": "no"}
        dispatcher.utter_message(response="utter_referral_consent_retry")
        return {"referral_consent": None}

    def validate_referral_name(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """A name with letters, not too long."""
        stopped = self._stopped(tracker, "referral_name")
        if stopped:
            return stopped
        name = " ".join(str(value).split())
        if not any(c.isalpha() for c in name) or len(name) > MAX_NAME_CHARS:
            dispatcher.utter_message(response="utter_referral_name_retry")
            return {"referral_name": None}
        return {"referral_name": name}

    def validate_referral_contact(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """A valid e-mail address, or a phone number valid in the user's country.

        A number is read before the intent is looked at: "040 123" may look like
        a question about amounts to the classifier.
        """
        base = knowledge_base(settings.DATABASE_URL)
        place = base.places.places.get(tracker.get_slot("referral_place") or "")
        contact = read_contact(str(value), place.country if place else "BE")
        if contact is not None:
            return {"referral_contact": f"{contact[0]}:{contact[1]}"}
        stopped = self._stopped(tracker, "referral_contact")
        if stopped:
            return stopped
        dispatcher.utter_message(response="utter_referral_contact_retry")
        return {"referral_contact": None}

    def validate_referral_language(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """A button, a language named in its own language, or the chat's language."""
        stopped = self._stopped(tracker, "referral_language")
        if stopped:
            return stopped
        chosen = normalise_language(
            next(tracker.get_latest_entity_values("contact_language"), None)
        )
        typed = str(value).strip().casefold()
        named = [
            code for code, name in NATIVE_NAMES.items() if name.casefold() == typed
        ]
        if chosen or named:
            return {"referral_language": chosen or named[0]}
        if latest_intent(tracker) == "dont_know":
            return {"referral_language": reply_language(tracker)}
        dispatcher.utter_message(response="utter_eligibility_retry")
        return {"referral_language": None}

    def validate_referral_time(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Free text ("mornings", "after 17:00"); "I don't know" means any time."""
        stopped = self._stopped(tracker, "referral_time")
        if stopped:
            return stopped
        if latest_intent(tracker) == "dont_know":
            return {"referral_time": "-"}
        return {"referral_time": " ".join(str(value).split())[:200]}


class ActionSubmitReferral(Action):
    """Stores the referral (once), or says what happens without consent."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_submit_referral"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Stores and confirms, or gives the partner's public contact."""
        clear = [SlotSet(slot, None) for slot in FORM_SLOTS]
        consent = tracker.get_slot("referral_consent")
        partner_name = tracker.get_slot("referral_partner_name")
        base = knowledge_base(settings.DATABASE_URL)
        with Session(base.engine) as session:
            partner = session.get(OrganisationRow, tracker.get_slot("referral_partner"))
            url = partner.url if partner else ""
        if consent != "yes" and latest_intent(tracker) == "delete_my_data":
            # "Delete my data" ended the form: erase as anywhere else, after a yes.
            clear.append(FollowupAction("utter_confirm_delete"))
        if consent == "stopped":
            dispatcher.utter_message(response="utter_referral_stopped")
            return clear
        if consent != "yes":
            dispatcher.utter_message(
                response="utter_referral_no_consent", partner=partner_name, url=url
            )
            return clear
        kind, contact = tracker.get_slot("referral_contact").split(":", 1)
        referral = Referral(
            conversation_id=tracker.sender_id,
            organisation_id=tracker.get_slot("referral_partner"),
            topic=tracker.get_slot("topic") or GENERAL_REFERRAL,  # what was asked
            place_id=tracker.get_slot("referral_place"),
            name=tracker.get_slot("referral_name"),
            contact_kind=kind,
            contact=contact,
            language=tracker.get_slot("referral_language"),
            preferred_time=tracker.get_slot("referral_time"),
        )
        with Session(engine_for(settings.DATABASE_URL)) as session:
            session.add(referral)
            try:
                session.commit()
            except IntegrityError:  # the same request again: already stored
                session.rollback()
            record_routes(
                session,
                tracker.sender_id,
                reply_language(tracker),
                referral.topic,
                [referral.organisation_id],
            )
        dispatcher.utter_message(
            response="utter_referral_done",
            partner=partner_name,
            contact=contact,
            contact_language=NATIVE_NAMES.get(
                tracker.get_slot("referral_language"), ""
            ),
        )
        return clear
