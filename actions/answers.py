"""Answers a question for where the user lives: the partner, the fact, the next step.

Where the user lives decides who answers; what they ask (a topic, and the details of
a specific question) decides what is said. When the place is unknown the assistant
gives the general answer and asks where, never twice in a row; the place the user
then names answers the question they asked (the ``topic`` and ``topic_details``
slots keep it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.conversation import latest_intent, message_languages, reply_language
from actions.cues import shipped_cues
from actions.knowledge import knowledge_base, named_a_place, user_place
from actions.memory import asked_details, business_stage, continues, named_subjects
from actions.parsing import mentions_number
from actions.referral import ActionOfferReferral
from actions.repayment import ActionEstimateRepayment
from bot import settings
from bot.db.tables import engine_for, record_routes
from bot.i18n import N_, render
from bot.knowledge.answers import compose_answer
from bot.knowledge.loading import COMPUTED_TOPICS, DETAIL_TOPIC
from bot.knowledge.storage import OrganisationRow, route_to_partners
from bot.nlu.detection import count_letters, language_part
from bot.topics import (
    BROADER_TOPIC,
    GENERAL_ANSWER,
    SUBJECT_OF_TOPIC,
    TOPIC_OF_INTENT,
    TOPICS,
)

# An intent this sure is the question, when the details asked belong elsewhere.
CONFIDENT_INTENT = 0.5
# Topics whose help is free: "free advice" asks for it, not for the cost of a loan.
FREE_HELP = tuple(topic.name for topic in TOPICS if topic.free_help)
# Topics after which "how much a month?" asks about them, not for a loan estimate.
NOT_LOANS = {topic.name for topic in TOPICS if not topic.loan}
# Intents whose message may still ask a topic's question, ranked next.
FALLBACK = "nlu_fallback"
QUESTION_MAY_FOLLOW = ("inform_location", "greet", FALLBACK)
# Fewer letters than this, besides addresses and numbers, ask nothing.
MIN_QUESTION_LETTERS = 4
# A message the model did not understand, this short, continues the last topic.
ELLIPTIC_FALLBACK_WORDS = 8
# A place and a question in one message: the question's intent, ranked second.
QUESTION_WITH_PLACE_WORDS = 6
SECOND_INTENT_CONFIDENCE = 0.2
# The replies that ask where the user lives (never twice in a row).
PLACE_QUESTIONS = ("utter_ask_place", "utter_repayment_needs_place")
OFFER_CONTACT = N_("Ask {partner} to contact me")
# Under the last answer to a topic: did it help? (buttons; stored as a user event)
HELPED = N_("This helped")
DID_NOT_HELP = N_("Not what I was looking for")


def feedback_buttons(language: str) -> list[dict]:
    """The buttons that say whether an answer helped (``/feedback`` payloads)."""
    return [
        {
            "title": render(title, language, {}),
            "payload": "/feedback" + json.dumps({"helpful": helpful}),
        }
        for title, helpful in ((HELPED, "yes"), (DID_NOT_HELP, "no"))
    ]


def contact_offer(organisation: OrganisationRow, language: str) -> list[dict]:
    """A button to be contacted by the partner that answered, if it takes referrals.

    The button names the partner: several may answer, and the user may click it
    after another question.
    """
    if not organisation.takes_referrals:
        return []
    title = render(OFFER_CONTACT, language, {"partner": organisation.name})
    payload = "/request_human" + json.dumps({"organisation": organisation.id})
    return [{"title": title, "payload": payload}]


@dataclass(frozen=True)
class Question:
    """What the user asks: a topic and, for a specific question, its details."""

    topic: str | None
    details: tuple[str, ...] = ()
    text: str = ""


def _names(text: str, organisation: str) -> bool:
    """Whether the text names the organisation ("Finnvera", "qredits")."""
    first_word = re.split(r"[\s(:]", organisation.strip())[0].casefold()
    generic = first_word in ("city", "service")  # "City of Vantaa"
    return len(first_word) > 3 and not generic and first_word in text.casefold()


def message_topic(tracker: Tracker) -> str | None:
    """The topic the latest message asks about, if its intent is a topic.

    "I live in Ghent. I'm looking for money to start my shop" may come out as
    ``inform_location`` or ``greet``, with the question second: a topic intent
    ranked next with some confidence is the question. A message the model did not
    understand is its first-ranked topic, or, short and guessed as another subject,
    the conversation's topic.
    """
    message = tracker.latest_message or {}
    intent = latest_intent(tracker)
    if intent in TOPIC_OF_INTENT or intent not in QUESTION_MAY_FOLLOW:
        return TOPIC_OF_INTENT.get(intent or "")
    # "I did not understand" may be two topics of a subject too close to call
    # (start a business, a microloan), or a slangy question its topic ranks first.
    text = message.get("text") or ""
    short = len(text.split()) < QUESTION_WITH_PLACE_WORDS
    if short and intent != FALLBACK:
        return None
    if count_letters(language_part(text)) < MIN_QUESTION_LETTERS:
        return None  # an e-mail address, a number: no question to guess
    ranking = [
        r for r in message.get("intent_ranking") or [] if r.get("name") != FALLBACK
    ]
    for ranked in ranking[:1] if intent == FALLBACK else ranking:
        topic = TOPIC_OF_INTENT.get(ranked.get("name") or "")
        if topic and (ranked.get("confidence") or 0) >= SECOND_INTENT_CONFIDENCE:
            last = tracker.get_slot("topic")
            if (
                intent == FALLBACK
                and last in SUBJECT_OF_TOPIC
                and last != "repayment"
                and len(text.split()) <= ELLIPTIC_FALLBACK_WORDS
                and _subject(topic) != _subject(last)
            ):
                # "and if the business is older than a year, does it go down?"
                # after the interest: a short question the model cannot place
                # continues the conversation's topic rather than a weak guess
                return last
            return topic
    # "I live in Amsterdam ... now I'd like to open a real salon!"
    if business_stage(text, message_languages(tracker), shipped_cues()) == "idea":
        return "start_business"
    return None


def _ranked_subject(tracker: Tracker, subjects: list[str]) -> str:
    """Of the subjects a detail may belong to, the one the intent model ranks first.

    "where can I get help writing a business plan?" with nothing asked before: a
    plan is for the lender and for the coach; the model's ranking decides.
    """
    intents = [latest_intent(tracker)] + [
        ranked.get("name")
        for ranked in (tracker.latest_message or {}).get("intent_ranking") or []
    ]
    for intent in intents:
        subject = _subject(TOPIC_OF_INTENT.get(intent or ""))
        if subject in subjects:
            return subject
    return subjects[0]


def _same_subject(topic: str, other: str) -> bool:
    answered = topic != other and other not in COMPUTED_TOPICS
    return answered and _subject(topic) == _subject(other) is not None


def _subject(topic: str | None) -> str | None:
    return SUBJECT_OF_TOPIC.get(topic or "")


def asked_question(tracker: Tracker) -> Question:
    """The question of the latest message, or the one still waiting for a place.

    A message that names no subject ("and how much does it cost?", "what papers do
    I need?") continues the subject of the last question; one that names it ("how
    much does recognition cost?") or asks something only one subject has ("what is
    the interest?") decides it. The details ("maximum") pick the topic that holds
    them; without details the intent's topic is answered, as an overview.
    """
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    intent_topic = message_topic(tracker)
    last_topic = tracker.get_slot("topic")
    languages = message_languages(tracker)
    cues = shipped_cues()
    if intent_topic == "repayment" and not text.startswith("/"):
        # "how much is the start-up grant a month?", or "and how much is it a
        # month?" after it: no loan to estimate
        estimating = last_topic == "repayment" or mentions_number(text, languages[0])
        if estimating:
            return Question(intent_topic)
        if "grant_timing" in asked_details(text, languages, cues):
            # "how much is the start-up grant a month?": the grant's answer
            return Question("start_business", ("grant_timing",), text)
        if last_topic in NOT_LOANS:
            return Question(last_topic, text=text)
        return Question(intent_topic)
    if text.startswith("/"):
        return Question(intent_topic or last_topic)
    estimating = last_topic == "repayment" and mentions_number(text, languages[0])
    if intent_topic is None and estimating:
        return Question("repayment")  # "and over 4 years?"
    details = asked_details(text, languages, cues)
    named = named_subjects(text, languages, cues)
    if intent_topic is None and not details and not named:
        # Nothing asked in this message ("I live in Ghent"): the waiting question.
        waiting = (tracker.get_slot("topic_details") or "").split()
        return Question(last_topic, tuple(waiting))
    # A mention of a profession ("my son's teacher") says nothing of the subject.
    deciding = set(details) - {"professions"}
    holding = [s for s, topics in DETAIL_TOPIC.items() if deciding & set(topics)]
    last_subject = _subject(last_topic)
    working = intent_topic == "job_coaching" or "job" in named
    if working and "professions" in details:
        # "I'm a nurse: what do I need to work as one here?" A regulated profession
        # needs its recognition (Valvira, the licence) before any job coaching.
        return Question("qualification_recognition", ("professions",), text)
    confident = (message.get("intent") or {}).get("confidence") or 0
    if (
        intent_topic is not None
        and not named
        and _subject(intent_topic) not in holding
        and confident >= CONFIDENT_INTENT
    ):
        # "can we get help with the children's school too?" ("can we get" reads
        # as who a loan is for): the details belong to no subject of the question
        return Question(intent_topic, (), text)
    if named:
        subject = (
            _subject(intent_topic) if _subject(intent_topic) in named else named[0]
        )
    elif len(holding) == 1:
        subject = holding[0]
    elif "business_plan" in deciding and _subject(intent_topic) in holding:
        # A plan is the lender's condition and the coach's work: "who can help me
        # write one?" (a training question) or "do they want one?" (a loan's).
        subject = _subject(intent_topic)
    elif deciding and last_subject in holding:
        # "what papers do I need?" after a loan answer, "what are the fees for the
        # same?" after a recognition one: naming no subject, it continues the last
        subject = last_subject
    elif deciding and last_subject is None and holding:
        subject = _ranked_subject(tracker, holding)
    elif intent_topic is None and continues(text, languages, cues):
        subject = last_subject
    else:
        subject = _subject(intent_topic) or last_subject
    if tracker.get_slot("status") and subject == "recognition" and "cost" in details:
        details.append("refugees")  # a refugee asking the cost: is it free for them?
    held = DETAIL_TOPIC.get(subject or "", {})
    details = [d for d in details if d in held]
    if (
        "cost" in details
        and set(details) <= {"cost", "who"}
        and intent_topic in FREE_HELP
    ):
        # "who can give me free advice on how to start?": not a loan's cost
        return Question(intent_topic, (), text)
    if details:
        topic = held[details[0]]
    elif _subject(intent_topic) == subject:
        topic = intent_topic
    elif _subject(last_topic) == subject:
        topic = last_topic
    else:
        topic = next((t for t, s in SUBJECT_OF_TOPIC.items() if s == subject), None)
    return Question(topic, tuple(details), text)


def asks_something(tracker: Tracker) -> bool:
    """Whether the latest message names a subject, or asks a detail of the last."""
    text = (tracker.latest_message or {}).get("text") or ""
    languages = message_languages(tracker)
    cues = shipped_cues()
    if named_subjects(text, languages, cues) or message_topic(tracker):
        return True
    topic = tracker.get_slot("topic")
    if topic == "repayment" and mentions_number(text, languages[0]):
        return True
    return bool(
        topic
        and (asked_details(text, languages, cues) or continues(text, languages, cues))
    )


def asked_place_last(tracker: Tracker) -> bool:
    """Whether the assistant's last message asked where the user lives."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            action = (event.get("metadata") or {}).get("utter_action")
            return action in PLACE_QUESTIONS
    return False


class ActionAnswerTopic(Action):
    """Answers the user's question for their place, or asks where they live."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_answer_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Routes the question to the organisations of the user's place."""
        question = asked_question(tracker)
        topic = question.topic
        if topic == "repayment":
            return await ActionEstimateRepayment().run(dispatcher, tracker, domain)
        if topic == "referral":  # "where do you live?" came from a request for a person
            return await ActionOfferReferral().run(dispatcher, tracker, domain)
        language = reply_language(tracker)
        base = knowledge_base(settings.DATABASE_URL)
        place = user_place(tracker, base.places, language)
        remember = [
            SlotSet("topic", topic),
            SlotSet("topic_details", " ".join(question.details) or None),
        ]
        if place is None:
            return self._without_place(dispatcher, tracker, topic) + remember
        if topic is None:  # a place, and nothing asked yet
            dispatcher.utter_message(response="utter_location_noted")
            return []
        with Session(base.engine) as session:
            named = self._answer(dispatcher, session, place.id, question, language)
        with Session(engine_for(settings.DATABASE_URL)) as session:
            record_routes(session, tracker.sender_id, language, topic, named)
        return remember

    @staticmethod
    def _answer(
        dispatcher: CollectingDispatcher,
        session: Session,
        place_id: str,
        question: Question,
        language: str,
    ) -> list[str]:
        """Says each organisation's answer; returns the organisations named.

        A detail an organisation states comes alone, and organisations that do not
        state it are left out; a detail none states is said to be unchecked (ask
        them), followed by each one's answer to the whole topic.
        """
        topic = question.topic or ""
        organisations = route_to_partners(session, place_id, topic)
        # "and Finnvera, how much?": the organisation named, for a topic it serves.
        others = [t for t in SUBJECT_OF_TOPIC if _same_subject(topic, t)]
        for other in [topic, *others]:
            serving = (
                organisations
                if other == topic
                else (route_to_partners(session, place_id, other))
            )
            named = [o for o in serving if _names(question.text, o.name)]
            if named:
                topic, organisations = other, named
                break
        answered = []
        answers = {
            o.id: compose_answer(o, topic, language, question.details)
            for o in organisations
        }
        if question.details and any(answers.values()):
            # The detail is answered here ("how much is the start-up grant a day?"):
            # the organisations that say nothing about it are not in the way.
            organisations = [o for o in organisations if answers[o.id]]
        for organisation in organisations:
            answer = answers[organisation.id]
            if question.details and not answer:
                dispatcher.utter_message(
                    response="utter_no_checked_fact",
                    partner=organisation.name,
                    url=organisation.url,
                )
                answer = compose_answer(organisation, topic, language)
                if not answer:
                    answered.append(organisation)
                    continue
            if answer:
                dispatcher.utter_message(
                    text=answer, buttons=contact_offer(organisation, language)
                )
                answered.append(organisation)
        if dispatcher.messages and dispatcher.messages[-1].get("text"):
            # The buttons show under the last message: the feedback goes there.
            dispatcher.messages[-1]["buttons"] += feedback_buttons(language)
        broader = []
        if not answered and topic in BROADER_TOPIC:
            broader = route_to_partners(session, place_id, BROADER_TOPIC[topic])
        for organisation in broader:
            dispatcher.utter_message(
                response="utter_no_checked_fact",
                partner=organisation.name,
                url=organisation.url,
            )
        if not answered and not broader:
            dispatcher.utter_message(response="utter_no_partner_for_topic")
            dispatcher.utter_message(response=GENERAL_ANSWER[topic])
        return [organisation.id for organisation in answered + broader]

    @staticmethod
    def _without_place(
        dispatcher: CollectingDispatcher, tracker: Tracker, topic: str | None
    ) -> list[EventType]:
        """A place we do not serve, or none yet: the general answer, and "where?".

        "Where do you live?" is asked whenever the answer depends on it, but not
        twice in a row.
        """
        if named_a_place(tracker):
            # What still applies there: how recognition works in general. Lenders
            # and coaches elsewhere do not.
            dispatcher.utter_message(response="utter_no_partner_there")
            if topic is not None and _subject(topic) == "recognition":
                dispatcher.utter_message(response=GENERAL_ANSWER[topic])
            return []
        if topic is None:
            dispatcher.utter_message(response="utter_ask_place")
            return []
        dispatcher.utter_message(response=GENERAL_ANSWER[topic])
        if not asked_place_last(tracker):
            dispatcher.utter_message(response="utter_ask_place")
        return []
