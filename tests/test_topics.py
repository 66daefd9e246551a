"""The topic registry (bot/topics.py) agrees with the domain, rules and pages."""

from __future__ import annotations

import pytest
import yaml
from babel.messages.pofile import read_po

from bot.knowledge.loading import shipped_knowledge
from bot.nlu.check import domain_names
from bot.settings import ROOT
from bot.topics import (
    COMPUTED,
    EVERYWHERE,
    GENERAL_ANSWER,
    KNOWLEDGE,
    TOPIC_OF_INTENT,
    TOPICS,
    Topic,
)
from bot.web.widget import TOPIC_PAYLOADS


def staff_catalog_ids() -> set[str]:
    """The message ids of the staff pages' catalog template (``make extract``)."""
    with (ROOT / "locales" / "portal.pot").open("rb") as template:
        return {message.id for message in read_po(template) if message.id}


def first_action_after(intent: str) -> str:
    """The action data/rules.yml runs first after ``intent`` (outside a form)."""
    rules = yaml.safe_load((ROOT / "data" / "rules.yml").read_text(encoding="utf-8"))
    for rule in rules["rules"]:
        steps = rule["steps"]
        if steps[0].get("intent") == intent and "condition" not in rule:
            return next(step["action"] for step in steps if "action" in step)
    raise LookupError(intent)


@pytest.mark.parametrize("topic", TOPICS, ids=lambda topic: topic.name)
def test_each_topic_is_asked_answered_and_named(topic: Topic) -> None:
    assert topic.intent in domain_names("intents")
    responses = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    if topic.answered_by == EVERYWHERE:
        assert first_action_after(topic.intent) == topic.general
    else:
        assert first_action_after(topic.intent) == "action_answer_topic"
        assert TOPIC_OF_INTENT[topic.intent] == topic.name
    if topic.general:
        assert topic.general in responses["responses"]
    assert topic.label in staff_catalog_ids()  # translated on the staff pages
    if topic.answered_by != COMPUTED:  # a handoff or a page may open on it
        assert TOPIC_PAYLOADS[topic.name] == f"/{topic.intent}"
    assert topic.broader is None or topic.broader in {t.name for t in TOPICS}


def test_partners_answer_every_knowledge_topic_somewhere() -> None:
    answered = {
        topic
        for organisation in shipped_knowledge().organisations.values()
        for topic, sentences in organisation.answers.items()
        if sentences
    }
    knowledge = {t.name for t in TOPICS if t.answered_by == KNOWLEDGE}
    assert knowledge <= answered
    assert set(GENERAL_ANSWER) == {t.name for t in TOPICS if t.general}
