"""The NLU data covers every intent in every language, and its markup is usable."""

import pytest
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.loading import load_data

from bot.languages import SUPPORTED_LANGUAGES
from bot.nlu_check import (
    CORE_INTENTS,
    TRAINING_DIR,
    cross_language_conflicts,
    load_language,
)

MIN_TRAINING_EXAMPLES = 25
MIN_HELDOUT_EXAMPLES = 8


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_intent_has_enough_examples(language: str) -> None:
    data = load_language(language)
    thin = {
        intent: (len(data.training[intent]), len(data.heldout[intent]))
        for intent in CORE_INTENTS
        if len(data.training[intent]) < MIN_TRAINING_EXAMPLES
        or len(data.heldout[intent]) < MIN_HELDOUT_EXAMPLES
    }
    assert thin == {}


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
