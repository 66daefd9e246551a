import pytest

from bot.languages import (
    LanguageGuess,
    conversation_language,
    guess_language,
    normalise_language,
)

FRENCH = LanguageGuess(code="fr", confidence=0.9, reliable=True)
SHORT_ITALIAN = LanguageGuess(code="it", confidence=0.2, reliable=False)
SPANISH = LanguageGuess(code="es", confidence=0.85, reliable=True)


@pytest.mark.parametrize(
    "case",
    [
        {"current": "nl", "explicit": "ar", "guess": FRENCH, "expected": "ar"},
        {"current": "nl", "explicit": None, "guess": FRENCH, "expected": "fr"},
        {"current": "nl", "explicit": None, "guess": SHORT_ITALIAN, "expected": "nl"},
        {"current": None, "explicit": None, "guess": SHORT_ITALIAN, "expected": "en"},
        {"current": "fr", "explicit": None, "guess": SPANISH, "expected": "fr"},
        {"current": None, "explicit": None, "guess": None, "expected": "en"},
        {"current": "fr", "explicit": "xx", "guess": None, "expected": "fr"},
    ],
)
def test_conversation_language_precedence(case: dict) -> None:
    language = conversation_language(case["current"], case["explicit"], case["guess"])
    assert language == case["expected"]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("fr", "fr"),
        ("fr-BE", "fr"),
        ("NL_be", "nl"),
        ("es", None),
        (None, None),
        (3, None),
    ],
)
def test_normalise_language(value: object, expected: str | None) -> None:
    assert normalise_language(value) == expected


@pytest.mark.parametrize(
    "text, code",
    [
        ("Bonjour, je veux un microcrédit", "fr"),
        ("Hoi, ik zoek een cursus ondernemen", "nl"),
        ("How do I get my diploma recognised?", "en"),
        ("Мені потрібен кредит для бізнесу", "uk"),
        ("أريد قرضا صغيرا لمشروعي", "ar"),
    ],
)
def test_sentences_are_recognised_reliably(text: str, code: str) -> None:
    guess = guess_language(text)
    assert (guess.code, guess.reliable, guess.supported) == (code, True, True)


@pytest.mark.parametrize("text", ["ok", "hi", "merci", "👍👍", "   ", ""])
def test_short_or_letterless_text_is_not_reliable(text: str) -> None:
    assert not guess_language(text).reliable


def test_unsupported_language_is_recognised_as_such() -> None:
    guess = guess_language("Hola, quiero un préstamo para abrir mi negocio")
    assert guess.code == "es"
    assert guess.reliable and not guess.supported
