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
# Languages whose number words text2num reads (of ours).
_NUMBER_WORD_LANGUAGES = {"en", "fr", "nl", "it"}
# The small numbers of the others, as people write durations ("на два роки",
# "kahdeksi vuodeksi", "iki yıl", "tre år", "سنتين"); larger numbers come as digits.
_SMALL_NUMBERS = {
    "uk": "один одного одну 1 два двох дві 2 три трьох 3 чотири чотирьох 4 п'ять "
    "пять 5 шість 6 сім 7 вісім 8 дев'ять 9 десять 10",
    "ru": "один одного одну 1 два двух две 2 три трех трёх 3 четыре четырех "
    "четырёх 4 пять 5 шесть 6 семь 7 восемь 8 девять 9 десять 10",
    # spoken Finnish drops the final -i: "kolmeks vuodeks"
    "fi": "yksi yhden yhdeksi yhdeks 1 kaksi kahden kahdeksi kahdeks 2 kolme kolmen "
    "kolmeksi kolmeks 3 neljä neljän neljäksi neljäks 4 viisi viiden viideksi "
    "viideks 5 kuusi kuuden kuudeksi kuudeks 6 seitsemän seitsemäksi seitsemäks 7 "
    "kahdeksan kahdeksaksi kahdeksaks 8 yhdeksän 9 kymmenen 10",
    "sv": "ett en 1 två 2 tre 3 fyra 4 fem 5 sex 6 sju 7 åtta 8 nio 9 tio 10",
    "tr": "bir 1 iki 2 üç uç 3 dört dort 4 beş bes 5 altı alti 6 yedi 7 sekiz 8 "
    "dokuz 9 on 10",
    "ar": "واحد واحده 1 اثنين اثنتين 2 ثلاث ثلاثه 3 اربع اربعه 4 خمس خمسه 5 "
    "ست سته 6 سبع سبعه 7 ثماني ثمانيه 8 تسع تسعه 9 عشر عشره 10",
}


def _number_words(language: str) -> dict[str, str]:
    words: dict[str, str] = {}
    pending: list[str] = []
    for item in _SMALL_NUMBERS.get(language, "").split():
        if item.isdigit():
            words.update(dict.fromkeys(pending, item))
            pending = []
        else:
            pending.append(item)
    return words


# "two years" in Arabic is one word: the dual.
_ARABIC_TWO_YEARS = re.compile(r"\b(?:سنتين|سنتان|عامين|عامان)\b")


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
        return alpha2digit(text, language)
    if language == "ar":
        text = _ARABIC_TWO_YEARS.sub("2 سنة", text)
    words = _number_words(language)
    if words:  # only before a month or year: Swedish "en", Turkish "bir" are "a"
        pattern = (
            r"(?<!\w)(" + "|".join(map(re.escape, words)) + r")(?!\w)"
            rf"(?=\s*(?:{_MONTH_WORDS}|{_YEAR_WORDS}))"
        )
        text = re.sub(pattern, lambda m: words[m.group().lower()], text, flags=re.I)
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
