"""Amounts and durations as people write them, in every language we speak."""

from __future__ import annotations

import re

from text_to_num import alpha2digit

# "thousand" in our languages (and "k"): 10k, dix mille, 10 duizend, 10 bin, 10 ألف.
_THOUSAND = (
    r"k|K|thousand|mille|mila|duizend|tuhat(?:ta)?|tusen|bin|ألف|الف|آلاف|"
    r"тыс\w*|тис\w*|mil|mii|tys\w*|mij\w*|kun|هزار|ሽሕ|ሺሕ|ሺ"
)
_NUMBER = re.compile(
    r"(?P<sign>-)?\s*(?P<number>\d{1,3}(?:[ .,\u00a0\u202f']\d{3})+|\d+(?:[.,]\d+)?)"
    rf"\s*(?P<thousand>{_THOUSAND})?(?![\w])",
)
_MONTH_WORDS = (
    r"month|mois|maand|kuukau|kk|månad|mån|mes|mesi|شهر|أشهر|اشهر|شهور|"
    r"міс|мес|ay\b|aylık|luni|luna|mies|muaj|bil|ماه|ወር|ኣዋርሕ|werh"
)
_YEAR_WORDS = (
    r"year|yr|an\b|ans|année|jaar|jr|vuo|v\b|år|anno|anni|سنة|سنوات|سنين|عام|"
    r"рік|роки|років|год|лет|yıl|yil|sene|a[nñ]o|ani\b|lat\b|lata|rok|vit|vjet|"
    r"sano|sno|sanad|sannad|سال|ዓመ|amet"
)
# Arabic-Indic and Persian digits, and Persian's separators (۲۵٬۰۰۰٫۵).
_EASTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٬٫", "01234567890123456789,.")
# Languages whose number words text2num reads (of ours).
_NUMBER_WORD_LANGUAGES = {"en", "fr", "nl", "it", "es", "pt"}
# The small numbers of the others, as people write durations ("на два роки",
# "kahdeksi vuodeksi", "iki yıl", "tre år", "سنتين"); larger numbers come as digits.
_SMALL_NUMBERS = {
    "en": "one 1 two 2 three 3 four 4 five 5 six 6 seven 7 eight 8 nine 9 ten 10",
    "fr": "un une 1 deux 2 trois 3 quatre 4 cinq 5 six 6 sept 7 huit 8 neuf 9 dix 10",
    "nl": "een één 1 twee 2 drie 3 vier 4 vijf 5 zes 6 zeven 7 acht 8 negen 9 tien 10",
    "it": "un uno una 1 due 2 tre 3 quattro 4 cinque 5 sei 6 sette 7 otto 8 nove 9 "
    "dieci 10",
    "es": "un uno una 1 dos 2 tres 3 cuatro 4 cinco 5 seis 6 siete 7 ocho 8 nueve 9 "
    "diez 10",
    "pt": "um uma 1 dois duas 2 tres três 3 quatro 4 cinco 5 seis 6 sete 7 oito 8 "
    "nove 9 dez 10",
    "ro": "un unu o 1 doi doua două 2 trei 3 patru 4 cinci 5 sase șase 6 sapte "
    "șapte 7 opt 8 noua nouă 9 zece 10",
    "pl": "jeden jedna jednego 1 dwa dwie dwoch dwóch 2 trzy trzech 3 cztery "
    "czterech 4 piec pięć pieciu pięciu 5 szesc sześć 6 siedem 7 osiem 8 "
    "dziewiec dziewięć 9 dziesiec dziesięć 10",
    "sq": "nje një 1 dy 2 tre 3 kater katër 4 pese pesë 5 gjashte gjashtë 6 shtate "
    "shtatë 7 tete tetë 8 nente nëntë 9 dhjete dhjetë 10",
    "so": "hal 1 laba 2 saddex 3 afar 4 shan 5 lix 6 toddoba 7 siddeed 8 sagaal 9 "
    "toban 10",
    "fa": "یک يک 1 دو 2 سه 3 چهار 4 پنج 5 شش 6 هفت 7 هشت 8 نه 9 ده 10",
    "ti": "ሓደ 1 ክልተ 2 ሰለስተ 3 ኣርባዕተ ኣርባዕ 4 ሓሙሽተ 5 ሽዱሽተ 6 ሸውዓተ 7 ሸሞንተ 8 ትሽዓተ 9 ዓሰርተ 10",
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


# Prefixes glued to a number word: Tigrinya "ንሰለስተ ዓመት" (for three years).
_NUMBER_PREFIXES = {"ti": "(?:ን|ብ|ኣብ\\s)?"}


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


_DIGITS_MIL = re.compile(r"(?<=\d)\s*mil\b", re.IGNORECASE)


def words_to_digits(text: str, language: str) -> str:
    """Number words as digits ("dix mille": "10000") where text2num reads them."""
    text = text.translate(_EASTERN_DIGITS)
    if language in _NUMBER_WORD_LANGUAGES:
        # "5 mil": text2num would read "mil" alone as 1000 ("5 1000")
        text = _DIGITS_MIL.sub("k", text)
        text = alpha2digit(text, language)  # large numbers; not "two" (threshold)
    if language == "ar":
        text = _ARABIC_TWO_YEARS.sub("2 سنة", text)
    words = _number_words(language)
    if words:  # only before a month or year: Swedish "en", Turkish "bir" are "a"
        prefix = _NUMBER_PREFIXES.get(language, "")
        pattern = (
            rf"(?<!\w){prefix}(" + "|".join(map(re.escape, words)) + r")(?!\w)"
            rf"(?=\s*(?:{_MONTH_WORDS}|{_YEAR_WORDS}))"
        )
        text = re.sub(pattern, lambda m: words[m.group(1).lower()], text, flags=re.I)
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
