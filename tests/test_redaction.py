"""Personal data is masked in what partners read, in the languages people write."""

from __future__ import annotations

import pytest

from bot.staff.redaction import LABELS, Shared, redact, redacted_text


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mijn naam is Jan de Vries", "Mijn naam is [name]"),
        ("My name is Jan van der Berg.", "My name is [name]."),
        ("my name is jan de vries and i need a loan",
         "my name is [name] and i need a loan"),
        ("My name is Anna I need a loan", "My name is [name] I need a loan"),
        ("my name is Ali bin Hamad Al Thani, from Doha",
         "my name is [name], from Doha"),
        ("Je m'appelle Marie-Claire Dubois, j'habite à Liège",
         "Je m'appelle [name], j'habite à Liège"),
        ("je m’appelle Jean-Pierre de la Fontaine et je cherche un prêt",
         "je m’appelle [name] et je cherche un prêt"),
        ("Ik heet Mohammed el Amrani en ik woon in Utrecht",
         "Ik heet [name] en ik woon in Utrecht"),
        ("Nimeni on Aino Maria Virtanen ja asun Vantaalla",
         "Nimeni on [name] ja asun Vantaalla"),
        ("Jag heter Anna Lindqvist och bor i Vanda",
         "Jag heter [name] och bor i Vanda"),
        ("Mi chiamo Giuseppe di Stefano, abito a Torino",
         "Mi chiamo [name], abito a Torino"),
        ("mi chiamo giuseppe di stefano e abito a torino",
         "mi chiamo [name] e abito a torino"),
        ("اسمي محمد بن علي وأريد قرضا", "اسمي [name] وأريد قرضا"),
        ("أنا اسمي فاطمة الزهراء، أعيش في بروكسل", "أنا اسمي [name]، أعيش في بروكسل"),
        ("Мене звати Олена Коваленко, я з Києва", "Мене звати [name], я з Києва"),
        ("мене звуть олена коваленко і мені потрібна позика",
         "мене звуть [name] і мені потрібна позика"),
        ("Меня зовут Иван Петрович Сидоров и мне нужен кредит",
         "Меня зовут [name] и мне нужен кредит"),
        ("Benim adım Ayşe Nur Yılmaz ve kredi istiyorum",
         "Benim adım [name] ve kredi istiyorum"),
        ("İsmim Mehmet Ali, Vantaa'da yaşıyorum", "İsmim [name], Vantaa'da yaşıyorum"),
    ],
)  # fmt: skip
def test_a_whole_introduced_name_is_masked(text: str, expected: str) -> None:
    assert redacted_text(text, LABELS) == expected


def test_what_the_user_gave_a_partner_is_shown_to_it_and_nothing_else() -> None:
    text = (
        "Sanne Bakker hier: bel 06 87654321, niet 06 12345678, "
        "of mail sanne@example.com"
    )
    qredits = Shared(
        names=frozenset({"Sanne Bakker"}), contacts=frozenset({"+31687654321"})
    )
    microstart = Shared(
        names=frozenset({"Sanne Bakker"}), contacts=frozenset({"Sanne@Example.com"})
    )
    names = {"Sanne Bakker"}
    assert redacted_text(text, LABELS, names, qredits) == (
        "Sanne Bakker hier: bel 06 87654321, niet [phone], of mail [e-mail]"
    )
    assert redacted_text(text, LABELS, names, microstart) == (
        "Sanne Bakker hier: bel [phone], niet [phone], of mail sanne@example.com"
    )
    assert redacted_text(text, LABELS, names) == (
        "[name] hier: bel [phone], niet [phone], of mail [e-mail]"
    )


def test_a_name_given_to_another_partner_stays_masked() -> None:
    shared = Shared(names=frozenset({"Sanne Bakker"}))
    assert (
        redacted_text(
            "Mijn naam is Sanne Bakker. Of bel Jan de Vries, mijn man!",
            LABELS,
            {"Sanne Bakker", "Jan de Vries"},
            shared,
        )
        == "Mijn naam is Sanne Bakker. Of bel [name], mijn man!"
    )
