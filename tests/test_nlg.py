"""Replies rendered by Rasa's NLG (``bot.web.nlg``), in Rasa's process."""

from __future__ import annotations

import pytest
from rasa.core.nlg import NaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from bot.i18n import translate
from bot.settings import ROOT, service_environment
from bot.web.nlg import TranslatingGenerator, domain_responses


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def generator(domain: Domain) -> NaturalLanguageGenerator:
    """Made from endpoints.yml as Rasa makes it."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in service_environment().items():
            patch.setenv(name, value)
        endpoint = read_endpoint_config(str(ROOT / "endpoints.yml"), "nlg")
    return NaturalLanguageGenerator.create(endpoint, domain)


def tracker_in(
    domain: Domain, language: str | None, turns: int = 1
) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events(
        "u1", [UserUttered(f"hello {n}") for n in range(turns)], slots=domain.slots
    )
    if language:
        tracker.update(SlotSet("language", language))
    return tracker


def test_endpoints_name_the_translating_generator(generator) -> None:
    assert isinstance(generator, TranslatingGenerator)


async def test_reply_comes_in_the_conversation_language(generator, domain) -> None:
    reply = await generator.generate("utter_greet", tracker_in(domain, "fr"), "rest")
    english = domain_responses()["utter_greet"][0]
    assert reply["text"] == translate(english["text"], "fr") != english["text"]
    assert [b["title"] for b in reply["buttons"]] == [
        translate(b["title"], "fr") for b in english["buttons"]
    ]
    assert [b["payload"] for b in reply["buttons"]] == [
        b["payload"] for b in english["buttons"]
    ]


async def test_reply_without_a_language_is_english(generator, domain) -> None:
    reply = await generator.generate("utter_goodbye", tracker_in(domain, None), "rest")
    assert reply["text"] == domain_responses()["utter_goodbye"][0]["text"]


async def test_arguments_fill_placeholders(generator, domain) -> None:
    reply = await generator.generate(
        "utter_unsupported_language",
        tracker_in(domain, "nl"),
        "rest",
        language_list="A, B",
    )
    assert "A, B" in reply["text"] and "{language_list}" not in reply["text"]


async def test_a_response_the_domain_lacks_is_none(generator, domain) -> None:
    assert (
        await generator.generate("utter_nope", tracker_in(domain, "fi"), "rest") is None
    )


async def test_a_long_conversation_still_gets_replies(generator, domain) -> None:
    reply = await generator.generate(
        "utter_goodbye", tracker_in(domain, "uk", 500), "rest"
    )
    assert reply["text"] == translate(
        domain_responses()["utter_goodbye"][0]["text"], "uk"
    )


def _texts_in_french(*responses: str) -> list[str]:
    return [translate(domain_responses()[r][0]["text"], "fr") for r in responses]


async def test_variations_channels_and_conditions_are_rasas() -> None:
    """Every variation is said (at random), each only on its channel or condition."""
    greet, bye, noted = (
        domain_responses()[r][0]["text"]
        for r in ("utter_greet", "utter_goodbye", "utter_location_noted")
    )
    condition = [{"type": "slot", "name": "business_stage", "value": "idea"}]
    domain = Domain.from_dict(
        {
            "slots": {
                "language": {"type": "text", "mappings": [{"type": "custom"}]},
                "business_stage": {"type": "text", "mappings": [{"type": "custom"}]},
            },
            "responses": {
                "utter_either": [{"text": greet}, {"text": bye}],
                "utter_by_channel": [{"text": greet}, {"text": bye, "channel": "rest"}],
                "utter_by_stage": [
                    {"text": greet},
                    {"text": noted, "condition": condition},
                ],
            },
        }
    )
    generator = TranslatingGenerator(None, domain)  # type: ignore[arg-type]
    tracker = tracker_in(domain, "fr")

    async def said(name: str, channel: str = "socketio") -> set[str]:
        replies = [await generator.generate(name, tracker, channel) for _ in range(40)]
        return {reply["text"] for reply in replies}

    assert await said("utter_either") == set(
        _texts_in_french("utter_greet", "utter_goodbye")
    )
    assert await said("utter_by_channel", "rest") == set(
        _texts_in_french("utter_goodbye")
    )
    assert await said("utter_by_channel") == set(_texts_in_french("utter_greet"))
    assert await said("utter_by_stage") == set(_texts_in_french("utter_greet"))
    tracker.update(SlotSet("business_stage", "idea"))
    assert await said("utter_by_stage") == set(_texts_in_french("utter_location_noted"))
