"""Amounts and durations as people write them, in every launch language."""

from __future__ import annotations

import re

from text_to_num import alpha2digit

# "thousand" in our languages (and "k"): 10k, dix mille, 10 duizend, 10 bin, 10 ألف.
_THOUSAND = (
    r"k|K|thousand|mille|mila|duizend|tuhat(?:ta)?|tusen|bin|ألف|الف|آلاف|"
    r"тыс\w*|тис\w*"
)
_NUMBER = re.compile(
    r"(?P<sign>-)?\s*(?P<number>\d{1,3}(?:[ .,\u00a0\u202f']\d{3})+|\d+(?:[.,]\d+)?)"
    rf"\s*(?P<thousand>{_THOUSAND})?(?![\w])",
)
_MONTH_WORDS = (
    r"month|mois|maand|kuukau|kk|månad|mån|mes|mesi|شهر|أشهر|اشهر|شهور|"
    r"міс|мес|ay\b|aylık"
)
_YEAR_WORDS = (
    r"year|yr|an\b|ans|année|jaar|jr|vuo|v\b|år|anno|anni|سنة|سنوات|سنين|عام|"
    r"рік|роки|років|год|лет|yıl|yil|sene"
)
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
# Languages whose number words text2num reads (of ours); the others type digits.
_NUMBER_WORD_LANGUAGES = {"en", "fr", "nl", "it"}


def _to_number(match: re.Match[str]) -> float:
    digits = match.group("number")
    groups = re.split(r"[ .,\u00a0\u202f']", digits)
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]):
        value = float("".join(groups))  # 10.000, 10 000, 10,000: thousands
    else:
        value = float(digits.replace(",", "."))  # 2,5 or 2.5: a decimal
    if match.group("thousand"):
        value *= 1000
    return -value if match.group("sign") else value


def words_to_digits(text: str, language: str) -> str:
    """Number words as digits ("dix mille": "10000") where text2num reads them."""
    text = text.translate(_ARABIC_DIGITS)
    if language in _NUMBER_WORD_LANGUAGES:
        text = alpha2digit(text, language)
    return text


def parse_amount(text: str, language: str = "en") -> float | None:
    """The first money amount in ``text`` ("10k", "10.000 €", "dix mille"), if any.

    Negative amounts come back negative, for the caller to refuse.
    """
    match = _NUMBER.search(words_to_digits(text, language))
    return _to_number(match) if match else None


_DURATION = re.compile(
    rf"(?P<n>\d+(?:[.,]5)?)\s*(?:(?P<months>{_MONTH_WORDS})|(?P<years>{_YEAR_WORDS}))",
    re.IGNORECASE,
)


def without_durations(text: str, language: str = "en") -> str:
    """The text with its durations removed: "3 years" is not an amount."""
    return _DURATION.sub(" ", words_to_digits(text, language))


def mentions_number(text: str, language: str = "en") -> bool:
    """Whether the text has a number, in digits or words ("dix mille")."""
    return bool(re.search(r"\d", words_to_digits(text, language)))


def parse_duration_months(text: str, language: str = "en") -> int | None:
    """A duration in months from "36 months", "3 ans", "2 yıl", "18 kk", if any."""
    match = _DURATION.search(words_to_digits(text, language))
    if not match:
        return None
    count = float(match.group("n").replace(",", "."))
    return round(count if match.group("months") else count * 12)
