"""The languages the assistant speaks: the one list, and what Babel knows of each.

Everything else (the widget's picker, the catalogs to compile, the staff pages'
languages, the language identifier's choices) reads these lists; each language's own
name and its text direction come from Babel's CLDR data.
"""

from __future__ import annotations

from functools import cache

from babel import Locale

# The languages we speak: every reply, widget text and NLU intent exists in each.
# The ten of the launch, then the eight the partners' other users write.
LAUNCH_LANGUAGES = ("en", "fr", "nl", "fi", "sv", "it", "ar", "uk", "ru", "tr")
SUPPORTED_LANGUAGES = (
    *LAUNCH_LANGUAGES,
    "es",
    "pt",
    "ro",
    "pl",
    "sq",
    "so",
    "fa",
    "ti",
)
DEFAULT_LANGUAGE = "en"
# The staff pages' languages (the ``portal`` catalogs).
STAFF_LANGUAGES = ("en", "fr", "nl", "fi", "it")
# Languages our users also write that we cannot answer in yet: Amharic (written in
# Ge'ez script like Tigrinya), Estonian and German. Detecting them lets us say so
# politely instead of guessing a supported language.
RECOGNISED_UNSUPPORTED = ("am", "et", "de")
# Names people use for a language besides those Babel gives in our languages.
OTHER_NAMES = {
    "fa": ("Farsi", "Dari", "Parsi", "دری", "پارسی", "фарси", "дари"),
    "ti": ("Tigrigna", "Tigrinia", "Tigrinja", "ትግሪኛ"),
    "so": ("Af-Soomaali", "Somaali"),
    "sq": ("Shqipe",),
}


# Persian is Farsi in Iran and Dari in Afghanistan: the picker names both.
OWN_NAMES = {"fa": "فارسی / دری"}


@cache
def native_name(code: str) -> str:
    """The language named in itself, as a user looks for it in a list ("Français")."""
    name = OWN_NAMES.get(code) or Locale.parse(code).get_display_name(code)
    return name[:1].upper() + name[1:]


@cache
def text_direction(code: str) -> str:
    """The text direction ("rtl" or "ltr"), as HTML's ``dir`` attribute takes it."""
    return Locale.parse(code).text_direction


NATIVE_NAMES = {code: native_name(code) for code in SUPPORTED_LANGUAGES}
RIGHT_TO_LEFT = frozenset(
    code
    for code in SUPPORTED_LANGUAGES + RECOGNISED_UNSUPPORTED
    if text_direction(code) == "rtl"
)


def normalise_language(value: object) -> str | None:
    """A supported language code from a code or locale ('fr', 'fr-BE', 'FR_be')."""
    if not isinstance(value, str):
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in SUPPORTED_LANGUAGES else None


def accepted_languages(header: str) -> list[str]:
    """The supported languages of an Accept-Language header, in its order."""
    codes = (normalise_language(part.split(";")[0]) for part in header.split(","))
    return list(dict.fromkeys(code for code in codes if code))
