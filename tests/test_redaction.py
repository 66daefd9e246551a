"""Personal data is masked in what partners read, in the languages people write."""

from __future__ import annotations

import pytest

from bot.redaction import LABELS, redact, redacted_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bel me op 06 12345678 of +31 6 1234 5678", "Bel me op [phone] of [phone]"),
        ("appelez-moi au 0470 12 34 56 demain", "appelez-moi au [phone] demain"),
        ("soita numeroon 040 1234567", "soita numeroon [phone]"),
        ("chiamami al 347 123 4567 grazie", "chiamami al [phone] grazie"),
        ("мой телефон +380 67 123 4567", "мой телефон [phone]"),
        ("mon email est ahmed.b@gmail.com merci", "mon email est [e-mail] merci"),
        ("IBAN BE71 0961 2345 6769 please", "IBAN [IBAN] please"),
        ("mijn iban is nl91abna0417164300", "mijn iban is [IBAN]"),
        ("hetu 131052-308T", "hetu [ID number]"),
        ("codice fiscale RSSMRA85T10A562S", "codice fiscale [ID number]"),
        ("passport AB1234567", "passport [ID number]"),
        ("BSN 123456782", "BSN [ID number]"),
        ("rijksregisternummer 85.07.30-033.28", "rijksregisternummer [ID number]"),
        ("my name is ahmed and I need a loan", "my name is [name] and I need a loan"),
        ("Je m'appelle Fatima Zahra, de Liège", "Je m'appelle [name], de Liège"),
        ("Меня зовут Олег", "Меня зовут [name]"),
        ("اسمي أحمد", "اسمي [name]"),
        ("Benim adım Ayşe", "Benim adım [name]"),
        ("I need 25 000 euros for a van", "I need 25 000 euros for a van"),
        ("how much is 5000 over 3 years?", "how much is 5000 over 3 years?"),
    ],
)  # fmt: skip
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert redacted_text(text, LABELS) == expected


def test_names_the_user_gave_are_masked_everywhere() -> None:
    text = "Thank you Sanne Bakker, Qredits will call Sanne tomorrow."
    assert redacted_text(text, LABELS, names={"Sanne Bakker"}) == (
        "Thank you [name], Qredits will call [name] tomorrow."
    )


def test_a_message_without_personal_data_is_one_plain_segment() -> None:
    segments = redact("<b>where is the office?</b>")
    assert [(s.text, s.masked) for s in segments] == [
        ("<b>where is the office?</b>", None)
    ]
