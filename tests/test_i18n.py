import pytest

from bot.i18n import format_argument, placeholders, render


@pytest.mark.parametrize(
    "language, value, expected",
    [
        ("fr", 25000, "25\u202f000\xa0€"),
        ("nl", 25000, "€\xa025.000"),
        ("en", 25000, "€25,000"),
        ("fr", 148.83, "148,83\xa0€"),
        ("nl", 332.7, "€\xa0332,70"),
    ],
)
def test_money_is_formatted_for_the_locale(
    language: str, value: float, expected: str
) -> None:
    # Whole euros without cents, as people write them ("25 000 €", "€ 25.000").
    assert format_argument("loan_amount", value, language) == expected


@pytest.mark.parametrize(
    "language, expected", [("en", "11.13%"), ("fr", "11,13\xa0%"), ("tr", "%11,13")]
)
def test_interest_rates_are_percentages_for_the_locale(language: str, expected: str):
    assert format_argument("rate", 11.13, language) == expected


def test_persian_writes_its_own_digits_arabic_keeps_western_ones() -> None:
    assert format_argument("loan_amount", 25000, "fa") == "\u200e€\xa0۲۵٬۰۰۰"
    assert format_argument("rate", 12.13, "fa") == "۱۲٫۱۳٪"
    assert format_argument("checked", "2026-07-31", "fa").endswith("۲۰۲۶")
    assert "25,000" in format_argument("loan_amount", 25000, "ar")


def test_plain_numbers_are_formatted_for_the_locale() -> None:
    assert format_argument("months", 1234.5, "fr") == "1\u202f234,5"


def test_placeholders_are_filled_and_missing_ones_stay_visible() -> None:
    assert render("{a} and {b}", "en", {"a": "x"}) == "x and {b}"
    assert placeholders("Hello {name}, you owe {amount}") == {"name", "amount"}


ISOLATES = ("\u2066", "\u2068", "\u2069")


def test_arabic_keeps_latin_names_and_amounts_in_their_own_direction() -> None:
    text = render(
        "Contact {partner} about {loan_amount} on microstart.be",
        "ar",
        {
            "partner": "microStart",
            "loan_amount": 25000,
        },
    )
    assert "\u2068microStart\u2069" in text
    assert "\u2068\u200f25,000\xa0€\u2069" in text
    assert "microstart.be\u2069" in text
    assert text.count("\u2069") == text.count("\u2066") + text.count("\u2068")


def test_left_to_right_languages_get_no_bidi_marks() -> None:
    text = render("Contact {partner} on microstart.be", "fr", {"partner": "microStart"})
    assert not any(mark in text for mark in ISOLATES)
