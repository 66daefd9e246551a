"""Replies in the user's language: gettext catalogs in ``locales/``, Babel formatting.

Message ids are the English texts of ``domain.yml``'s responses (extracted with
``extract_domain_responses``) and of ``_()`` calls in Python code.
"""

from __future__ import annotations

import datetime
import re
import string
from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import cache
from typing import IO, Any

import yaml
from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations

from bot import settings
from bot.languages import DEFAULT_LANGUAGE, RIGHT_TO_LEFT

LOCALES_DIR = settings.ROOT / "locales"
CATALOG_DOMAIN = "messages"
CURRENCY = "EUR"

# Unicode bidi isolates: in a right-to-left reply, Latin names and web addresses
# (microStart, NARIC-Vlaanderen, qredits.nl) and formatted numbers keep their own
# order instead of being reordered with the Arabic text around them.
LEFT_TO_RIGHT_ISOLATE = "\u2066"
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"
_LATIN_RUN = re.compile(
    r"[A-Za-z0-9][\w.\-/@'’]*(?:[ \-][A-Za-z0-9][\w.\-/@'’]*)*", re.ASCII
)


def N_(message_id: str) -> str:  # noqa: N802 (gettext's conventional marker)
    """Marks a message id for extraction; it is translated later, by ``render``."""
    return message_id


def S_(message_id: str) -> str:  # noqa: N802 (a gettext marker, like N_)
    """Marks a staff page text for the ``portal`` catalogs; translated on render."""
    return message_id


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalog of ``language`` (English needs none: ids are English)."""
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(LOCALES_DIR), [language], CATALOG_DOMAIN)


def translate(message_id: str, language: str) -> str:
    """``message_id`` in ``language``, or in English when it has no translation."""
    return translations(language).gettext(message_id)


# Digits of the numbering systems some of our locales write by default (CLDR):
# Persian writes ۲۵٬۰۰۰. Arabic's default in CLDR is Western digits, as in the
# Maghreb and in most Arabic written in Europe.
NATIVE_DIGITS = {"arabext": "۰۱۲۳۴۵۶۷۸۹٪"}


@cache
def _numbering(language: str) -> tuple[str, dict[int, str] | None]:
    """The numbering system to format in, and the table to its own digits, if any."""
    system = Locale.parse(language).default_numbering_system
    if system not in NATIVE_DIGITS:
        return "latn", None
    return "default", str.maketrans("0123456789%", NATIVE_DIGITS[system])


def local_digits(text: str, language: str) -> str:
    """Digits as the locale writes them (Persian: "۲۰۲۶"); unchanged for the others."""
    table = _numbering(language)[1]
    return text.translate(table) if table else text


def format_number(value: float, language: str, pattern: str | None = None) -> str:
    """A plain number for the locale ("25 000", "۲۵٬۰۰۰"); ``pattern`` as Babel's."""
    system = _numbering(language)[0]
    text = format_decimal(
        value, format=pattern, locale=language, numbering_system=system
    )
    return local_digits(text, language)


def format_share(share: Decimal, language: str) -> str:
    """A share as a percentage for the locale (0.1213 → "12,13 %")."""
    system = _numbering(language)[0]
    text = format_percent(
        share, locale=language, decimal_quantization=False, numbering_system=system
    )
    return local_digits(text, language)


def format_argument(name: str, value: Any, language: str) -> str:
    """A placeholder's value formatted for the locale.

    By name: ``*amount`` is money in euros, ``*rate`` a percentage, ``checked`` and
    ``*_day`` a day (YYYY-MM-DD); other numbers are plain numbers.
    """
    if (name == "checked" or name.endswith("_day")) and isinstance(value, str):
        try:
            return format_day(value, language)
        except ValueError:
            return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if name.endswith("amount"):
        return format_money(value, language)
    if name.endswith("rate"):  # a yearly interest rate in percent: 12.13 → "12,13 %"
        # exact: 11.13 / 100 is 0.111300...01 in floats
        return format_share(Decimal(str(value)) / 100, language)
    return format_number(value, language)


def format_day(day: str, language: str, unit: str = "date") -> str:
    """A day ("31 July 2026") or, for unit ``month``, a month ("December 2024")."""
    value = datetime.date.fromisoformat(day)
    if unit == "month":
        return local_digits(format_skeleton("yMMMM", value, locale=language), language)
    return local_digits(format_date(value, format="long", locale=language), language)


def format_money(value: float, language: str) -> str:
    """Euros for the locale; whole amounts without cents ("25 000 €", "€ 25.000")."""
    system = _numbering(language)[0]
    if float(value).is_integer():
        pattern = Locale.parse(language).currency_formats["standard"].pattern
        text = format_currency(
            value,
            CURRENCY,
            format=pattern.replace(".00", ""),
            locale=language,
            currency_digits=False,
            numbering_system=system,
        )
    else:
        text = format_currency(
            value, CURRENCY, locale=language, numbering_system=system
        )
    return local_digits(text, language)


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a message."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def isolate_latin_runs(text: str) -> str:
    """Wraps each run of Latin-script words in a left-to-right isolate."""
    return _LATIN_RUN.sub(
        lambda m: f"{LEFT_TO_RIGHT_ISOLATE}{m.group(0)}{POP_DIRECTIONAL_ISOLATE}", text
    )


def render(message_id: str, language: str, arguments: Mapping[str, Any]) -> str:
    """The message in ``language`` with its placeholders filled and formatted.

    A placeholder without a value stays visible as ``{name}`` rather than failing.
    """
    right_to_left = language in RIGHT_TO_LEFT
    parts = []
    for literal, field, _, _ in string.Formatter().parse(
        translate(message_id, language)
    ):
        parts.append(isolate_latin_runs(literal) if right_to_left else literal)
        if field is None:
            continue
        if arguments.get(field) is None:
            parts.append("{" + field + "}")
            continue
        value = format_argument(field, arguments[field], language)
        if right_to_left:
            value = f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"
        parts.append(value)
    return "".join(parts)


def extract_domain_responses(
    fileobj: IO[bytes],
    keywords: Any,
    comment_tags: Any,
    options: Mapping[str, Any],
) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel extractor for the texts and button titles of ``domain.yml`` responses."""
    source = fileobj.read().decode("utf-8")
    lines = source.splitlines()
    responses = (yaml.safe_load(source) or {}).get("responses", {})

    def line_of(text: str) -> int:
        head = text[:40]
        return next((n for n, line in enumerate(lines, 1) if head in line), 0)

    for name, variations in responses.items():
        for variation in variations:
            if variation.get("text"):
                yield line_of(variation["text"]), None, variation["text"], [name]
            for button in variation.get("buttons", []):
                yield (
                    line_of(button["title"]),
                    None,
                    button["title"],
                    [f"{name} button"],
                )


def extract_knowledge_sentences(
    fileobj: IO[bytes],
    keywords: Any,
    comment_tags: Any,
    options: Mapping[str, Any],
) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel extractor for what an organisation says: ``say``, ``after``, next step."""
    document = yaml.safe_load(fileobj.read().decode("utf-8")) or {}
    if document.get("next_step"):
        yield 0, None, document["next_step"], [f"{document.get('id')} next step"]
    for topic, sentences in (document.get("answers") or {}).items():
        for sentence in sentences:
            for key in ("say", "after"):
                if sentence.get(key):
                    yield 0, None, sentence[key], [f"{document.get('id')} {topic}"]
