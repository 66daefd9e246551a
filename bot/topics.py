"""The topics the assistant answers: one registry that every other part reads.

A topic is what a question is about. Its intent is what people type (or what the
widget, a handoff link or a button sends); its subject groups the topics a
follow-up stays within ("and the cost?"); partners answer it with sourced sentences
(``data/knowledge``), the estimate computes it, or one reply holds everywhere. The
staff pages name it with ``label``; when no partner serves the user's place, the
``general`` reply says what holds everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import S_

KNOWLEDGE = "knowledge"  # partners' sourced sentences, routed by place
COMPUTED = "computed"  # the repayment estimate
EVERYWHERE = "everywhere"  # one reply that holds in every place


@dataclass(frozen=True)
class Topic:
    """One topic and how it is answered."""

    name: str
    intent: str
    subject: str
    label: str
    answered_by: str = KNOWLEDGE
    general: str | None = None  # the reply without a place or partner
    broader: str | None = None  # who answers when nobody states this detail
    loan: bool = False  # "how much a month?" after it asks for an estimate
    free_help: bool = False  # "free advice" asks for it, not a loan's cost


TOPICS = (
    Topic("start_business", "start_business", "money", S_("Starting a business"),
          general="utter_start_business", free_help=True),
    Topic("microloan", "ask_microloan", "money", S_("Microloan"),
          general="utter_microloan", loan=True),
    Topic("loan_eligibility", "ask_loan_eligibility", "money", S_("Loan eligibility"),
          general="utter_loan_eligibility", broader="loan_terms", loan=True),
    Topic("loan_documents", "ask_loan_documents", "money", S_("Loan documents"),
          general="utter_loan_documents", broader="loan_terms", loan=True),
    Topic("loan_terms", "ask_loan_terms", "money", S_("Loan terms"),
          general="utter_loan_terms", broader="microloan", loan=True),
    Topic("repayment", "estimate_repayment", "money", S_("Repayment"),
          answered_by=COMPUTED, loan=True),
    Topic("business_training", "ask_business_training", "training",
          S_("Business training"), general="utter_business_training",
          free_help=True),
    Topic("qualification_recognition", "ask_qualification_recognition",
          "recognition", S_("Diploma recognition"),
          general="utter_qualification_recognition"),
    Topic("recognition_cost", "ask_recognition_cost", "recognition",
          S_("Recognition cost"), general="utter_recognition_cost",
          broader="qualification_recognition"),
    Topic("recognition_documents", "ask_recognition_documents", "recognition",
          S_("Recognition documents"), general="utter_recognition_documents",
          broader="qualification_recognition"),
    Topic("recognition_duration", "ask_recognition_duration", "recognition",
          S_("Recognition duration"), general="utter_recognition_duration",
          broader="qualification_recognition"),
    Topic("job_coaching", "ask_job_coaching", "job", S_("Job coaching"),
          general="utter_job_coaching"),
    Topic("family_support", "ask_family_support", "family", S_("Family support"),
          general="utter_family_support"),
    Topic("bank_account", "ask_bank_account", "bank", S_("Bank account"),
          answered_by=EVERYWHERE, general="utter_bank_account"),
)  # fmt: skip
BY_NAME = {topic.name: topic for topic in TOPICS}
# A referral made without a topic asked ("can someone call me?").
GENERAL_REFERRAL = "general"
GENERAL_REFERRAL_LABEL = S_("Talk to a person")


def topic_names(*answered_by: str) -> tuple[str, ...]:
    """The topics answered in one of these ways (all topics without one)."""
    return tuple(
        t.name for t in TOPICS if not answered_by or t.answered_by in answered_by
    )


# The intents that ask a topic whose answer depends on the place.
TOPIC_OF_INTENT = {
    t.intent: t.name for t in TOPICS if t.answered_by in (KNOWLEDGE, COMPUTED)
}
# Every intent that asks a topic (a new question ends a form).
QUESTION_INTENTS = frozenset(t.intent for t in TOPICS)
# Topics about one subject: a follow-up ("and the cost?") stays within it.
SUBJECT_OF_TOPIC = {
    t.name: t.subject for t in TOPICS if t.name in TOPIC_OF_INTENT.values()
}
GENERAL_ANSWER = {t.name: t.general for t in TOPICS if t.general}
BROADER_TOPIC = {t.name: t.broader for t in TOPICS if t.broader}
STAFF_LABELS = {t.name: t.label for t in TOPICS} | {
    GENERAL_REFERRAL: GENERAL_REFERRAL_LABEL
}
