"""Replies in the user's language: gettext catalogs in ``locales/``, Babel formatting.

Message ids are the English texts of ``domain.yml``'s responses (extracted with
``extract_domain_responses``) and of ``_()`` calls in Python code.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import IO, Any

import yaml
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

from bot.languages import DEFAULT_LANGUAGE

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
CATALOG_DOMAIN = "messages"
CURRENCY = "EUR"


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalog of ``language`` (English needs none: ids are English)."""
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(LOCALES_DIR), [language], CATALOG_DOMAIN)


def translate(message_id: str, language: str) -> str:
    """``message_id`` in ``language``, or in English when it has no translation."""
    return translations(language).gettext(message_id)


def format_argument(name: str, value: Any, language: str) -> str:
    """A placeholder's value formatted for the locale: money by name, then numbers."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if name.endswith("amount"):
        return format_currency(value, CURRENCY, locale=language)
    return format_decimal(value, locale=language)


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a message."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def render(message_id: str, language: str, arguments: Mapping[str, Any]) -> str:
    """The message in ``language`` with its placeholders filled and formatted.

    A placeholder without a value stays visible as ``{name}`` rather than failing.
    """
    text = translate(message_id, language)
    values = {
        name: format_argument(name, arguments[name], language)
        for name in placeholders(text)
        if arguments.get(name) is not None
    }
    return text.format_map(_KeepMissing(values))


class _KeepMissing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


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
