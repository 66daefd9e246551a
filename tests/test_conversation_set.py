"""The conversation test set on the real assistant: at least 90% per language.

The conversations (tests/conversations/<lang>.yml) were written from persona cards by
people who had not read the training data: place first, place later, follow-ups,
corrections, typos, language switches. A failure prints the whole conversation.
"""

from __future__ import annotations

import pytest

from bot.languages import SUPPORTED_LANGUAGES
from tests.conftest import REST, Assistant, expected
from tests.conversation_set import (
    FLOOR,
    check,
    describe,
    load_set,
    numbers_in,
    rest_client,
    run_conversation,
)


@pytest.mark.e2e
@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_conversations_pass_in_every_language(
    assistant: Assistant, language: str
) -> None:
    say = rest_client(REST)
    results = [run_conversation(c, say) for c in load_set([language])]
    passed = sum(result.passed for result in results)
    failures = "\n".join(describe(r) for r in results if not r.passed)
    print(f"{language}: {passed}/{len(results)} conversations passed\n{failures}")
    assert passed / len(results) >= FLOOR, failures


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("de 500 € à 25 000 €", [500, 25000]),
        ("€ 25.000 en € 148,83", [25000, 148.83]),
        ("12,13 % or 12.13%", [12.13]),
        ("250,000 EUR", [250000]),
        ("٢٥٠٠٠ يورو", [25000]),
    ],
)
def test_figures_are_read_in_every_locale_format(
    text: str, figures: list[float]
) -> None:
    assert all(figure in numbers_in(text) for figure in figures)


def test_a_missing_name_or_figure_fails_the_turn() -> None:
    replies = ["Qredits lends up to € 250.000."]
    assert check({"contains": ["Qredits"], "figures": [250000]}, replies, "en") == []
    assert check({"contains": ["microStart"]}, replies, "en")
    assert check({"figures": [25000]}, replies, "en")
    assert check({"not_contains": ["Qredits"]}, replies, "en")


def test_asking_the_place_again_fails_a_turn_that_forbids_it() -> None:
    asked = [expected("utter_ask_place", "en")]
    assert check({"says": ["not_asks_place"]}, asked, "en")
    assert check({"says": ["asks_place"]}, asked, "en") == []
