"""The NLU data covers every intent in every language, and its markup is usable."""

import pytest
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.loading import load_data

from bot.languages import SUPPORTED_LANGUAGES
from bot.nlu.check import (
    TRAINING_DIR,
    cross_language_conflicts,
    domain_names,
    enough,
    load_language,
    typed_intents,
)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_intent_has_enough_examples(language: str) -> None:
    data = load_language(language)
    counts = {
        intent: tuple(len(split[intent]) for split in data.splits())
        for intent in typed_intents()
    }
    assert {intent: n for intent, n in counts.items() if not enough(*n)} == {}


def test_people_type_the_intents_the_design_names() -> None:
    """Button-only intents aside, the domain's intents are trained and evaluated."""
    core = {"greet", "choose_language", "inform_location", "estimate_repayment"}
    core |= {"ask_bank_account", "request_human", "privacy_question", "delete_my_data"}
    assert core <= set(typed_intents()) <= set(domain_names("intents"))
    assert "check_eligibility" not in typed_intents()  # sent by a button only


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_data_has_no_markup_problems_or_leaks(language: str) -> None:
    assert load_language(language).problems == []


def test_no_text_means_different_intents_in_different_languages() -> None:
    data = {language: load_language(language) for language in SUPPORTED_LANGUAGES}
    assert cross_language_conflicts(data) == []


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_entities_start_and_end_on_token_boundaries(language: str) -> None:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    misaligned = []
    for message in load_data(str(TRAINING_DIR / language)).training_examples:
        tokens = tokenizer.tokenize(message, "text")
        starts, ends = {t.start for t in tokens}, {t.end for t in tokens}
        for entity in message.get("entities") or []:
            if entity["start"] not in starts or entity["end"] not in ends:
                misaligned.append(message.get("text")[entity["start"] : entity["end"]])
    assert misaligned == []
