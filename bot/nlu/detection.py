"""Which language a message is written in, or names, and which one to answer in.

lingua's opinion and our own classifier's (``bot.nlu.language_identifier``) are
combined here; the thresholds are the language identifier's settings in ``config.yml``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from bot.languages import (
    DEFAULT_LANGUAGE,
    NATIVE_NAMES,
    OTHER_NAMES,
    RECOGNISED_UNSUPPORTED,
    SUPPORTED_LANGUAGES,
)
from bot.nlu.text import normalise_text, without_accents


@dataclass(frozen=True)
class Thresholds:
    """When a guess is trusted: the language identifier's settings in config.yml.

    The defaults are those of config.yml; the actions use them for their own checks
    of short messages.
    """

    # Below this many letters a message is too short to tell ("ok", "hi").
    min_letters: int = 12
    min_confidence: float = 0.5
    # Our own classifier is trusted over lingua from here (it knows Arabizi, translit).
    domain_confident: float = 0.8
    # lingua must be this sure before we tell a user we do not speak their language.
    foreign_confident: float = 0.7
    # Below this lingua confidence, our classifier's language is taken as ruled out.
    ruled_out: float = 0.05


DEFAULT_THRESHOLDS = Thresholds()
MIN_LETTERS_FOR_DETECTION = DEFAULT_THRESHOLDS.min_letters


@dataclass(frozen=True)
class LanguageGuess:
    """What a message's text says about its language."""

    code: str | None
    confidence: float
    reliable: bool
    # lingua's confidence for every language it knows (empty for other guesses).
    scores: Mapping[str, float] = field(default_factory=dict, compare=False)

    @property
    def supported(self) -> bool:
        """Whether we can answer in the guessed language."""
        return self.code in SUPPORTED_LANGUAGES

    def as_dict(self) -> dict[str, object]:
        """The guess as stored in the parsed message."""
        return {
            "code": self.code,
            "confidence": round(self.confidence, 3),
            "reliable": self.reliable,
            "supported": self.supported,
        }


@lru_cache(maxsize=1)
def _language_names() -> frozenset[tuple[str, str]]:
    """(name, code) of every language, named in each of ours (folded), from Babel."""
    from babel import Locale

    names = set()
    for locale in SUPPORTED_LANGUAGES:
        in_locale = Locale.parse(locale).languages
        for code in SUPPORTED_LANGUAGES + RECOGNISED_UNSUPPORTED:
            others = OTHER_NAMES.get(code, ()) if locale == DEFAULT_LANGUAGE else ()
            for name in (in_locale.get(code), NATIVE_NAMES.get(code), *others):
                if name:
                    names.add((_fold_name(name), code))
    return frozenset(names)


@lru_cache(maxsize=1)
def _language_name_stems() -> list[tuple[str, str]]:
    """(stem, code) of every language's name in every language of ours.

    "fransızca", "französisch", "по-французски", "بالفرنسية" all begin with (or,
    in Arabic, contain) the stem of a name Babel knows.
    """
    stems = {(name[: max(4, len(name) - 2)], code) for name, code in _language_names()}
    return sorted(stems, key=lambda item: -len(item[0]))


# Scripts whose words take prefixes ("بالعربية", "በትግርኛ"): a language's name is
# looked for inside a word, not only at its start.
_PREFIXING_SCRIPTS = re.compile("[\u0600-\u06ff\u1200-\u139f]")


def _fold_name(text: str) -> str:
    return without_accents(normalise_text(text).replace("ı", "i"))


def named_language(text: str) -> str | None:
    """The language a message names first ("in het Frans", "по-русски").

    A message naming a language we do not speak first ("in Spanish") gives None.
    """
    code = mentioned_language(text)
    return code if code in SUPPORTED_LANGUAGES else None


@lru_cache(maxsize=1)
def _place_words() -> frozenset[str]:
    """One-word names of places that begin like a language's name ("Roma", "Italia").

    A language's full name stays a language ("Suomi" is Finland and Finnish).
    """
    import yaml

    from bot.settings import ROOT

    document = yaml.safe_load((ROOT / "data/knowledge/places.yml").read_text("utf-8"))
    names = {
        _fold_name(alias)
        for section in ("countries", "cities", "elsewhere")
        for entry in document.get(section) or []
        for alias in entry.get("aliases") or []
    }
    full_names = {name for name, _ in _language_names()}
    return frozenset(name for name in names if name.isalpha()) - full_names


def mentioned_language(text: str) -> str | None:
    """The code of the first language a message names, spoken by us or not."""
    words = re.findall(r"\w+", _fold_name(text))
    for word in words:  # the first language named is the one asked for
        if word in _place_words():
            continue
        for stem, code in _language_name_stems():
            inside = _PREFIXING_SCRIPTS.search(stem)
            if (stem in word) if inside else word.startswith(stem):
                return code
    return None


def count_letters(text: str) -> int:
    """Letters in any script; digits, emoji and punctuation do not count."""
    return sum(1 for char in text if unicodedata.category(char).startswith("L"))


# What is written in no language: e-mail and web addresses, numbers (phones,
# amounts). The letters of an address are names and abbreviations: read as words,
# "info@mybusiness.com" is English and "amina.khalil@gmail.com" Turkish.
_NO_LANGUAGE = re.compile(
    r"\S+@\S+"
    r"|(?:https?://|www\.)\S+"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|eu|info|be|nl|fi|se|it|fr|uk"
    r"|ru|ua|tr|de)\b(?:/\S*)?"
    r"|\+?\d[\d\s().-]*\d|\d"
)
# A name alone ("Giuseppe Esposito", "Олександр Шевченко"): a few capitalised words
# of letters. It says where a name comes from, not what language the user writes.
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’.-][^\W\d_]+)*\.?")
MAX_NAME_WORDS = 4


def language_part(text: str) -> str:
    """The text without its addresses and numbers: the part written in a language."""
    return _NO_LANGUAGE.sub(" ", text)


def is_name_alone(text: str) -> bool:
    """Whether the text is only a person's name (capitalised words, no sentence)."""
    words = text.split()
    return 2 <= len(words) <= MAX_NAME_WORDS and all(
        _NAME_WORD.fullmatch(word) and word[0].isupper() for word in words
    )


def tells_its_language(text: str, limits: Thresholds = DEFAULT_THRESHOLDS) -> bool:
    """Whether the text is long enough, and more than a name, to tell its language."""
    return count_letters(text) >= limits.min_letters and not is_name_alone(text)


# Text in Ge'ez script: lingua knows no language written in it, so it is ours to
# tell: Tigrinya, unless our own classifier is sure it is Amharic.
_ETHIOPIC = re.compile("[\u1200-\u139f\u2d80-\u2ddf\uab00-\uab2f]")
ETHIOPIC_LANGUAGE = "ti"
# Which language of ours to answer in when the user writes one we do not speak,
# by the script they wrote in, so that the list of our languages is readable to
# them: (the script's letters, the letters only one of its languages has, the
# language with them, the others').
# Letters only one of two close languages has: a message with them is not the
# other, however many of its words it borrows (surzhyk), or whichever keyboard it
# was typed on (Persian on an Arabic keyboard: ي ك, but still گ).
OWN_LETTERS = {
    "uk": set("іїєґ"),
    "ru": set("ыэъё"),
    "fa": set("پچژگ"),
    "ar": set("ة"),
}
CLOSE_PAIRS = ({"uk", "ru"}, {"fa", "ar"})


_SCRIPTS = (
    (_ETHIOPIC, None, "ti", "ti"),
    # Persian's letters, and the keyboard's kaf and yeh (Urdu and Pashto share them)
    (
        re.compile("[\u0600-\u06ff]"),
        re.compile(f"[{''.join(OWN_LETTERS['fa'])}کی]"),
        "fa",
        "ar",
    ),
    (
        re.compile("[\u0400-\u04ff]"),
        re.compile(f"[{''.join(OWN_LETTERS['uk'])}]", re.I),
        "uk",
        "ru",
    ),
)


def same_script_language(text: str) -> str:
    """The language of ours written in the script of ``text`` (English for Latin)."""
    letters = count_letters(text)
    for script, own_letters, with_them, others in _SCRIPTS:
        if letters and len(script.findall(text)) * 2 > letters:
            marked = own_letters is not None and own_letters.search(text)
            return with_them if marked else others
    return DEFAULT_LANGUAGE


def _lingua_languages() -> list[Language]:
    """Ours and the ones we recognise, of those lingua knows (not Ge'ez script)."""
    languages = []
    for code in SUPPORTED_LANGUAGES + RECOGNISED_UNSUPPORTED:
        iso = getattr(IsoCode639_1, code.upper(), None)
        if iso is not None:
            languages.append(Language.from_iso_code_639_1(iso))
    return languages


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    languages = _lingua_languages()
    # Loaded up front (about 0.5 GB, 3 s) so no user waits for it on a first message.
    builder = LanguageDetectorBuilder.from_languages(*languages)
    return builder.with_preloaded_language_models().build()


def load_language_models() -> None:
    """Loads lingua's models now rather than on the first message."""
    _detector()


def guess_language(text: str, limits: Thresholds = DEFAULT_THRESHOLDS) -> LanguageGuess:
    """Guesses the language of ``text``; short or unclear text is unreliable."""
    letters = count_letters(text)
    if letters == 0:
        return LanguageGuess(code=None, confidence=0.0, reliable=False)
    if len(_ETHIOPIC.findall(text)) * 2 > letters:
        reliable = tells_its_language(text, limits)
        code = ETHIOPIC_LANGUAGE
        return LanguageGuess(code, 1.0, reliable, {code: 1.0})
    values = _detector().compute_language_confidence_values(text)
    if not values:
        return LanguageGuess(code=None, confidence=0.0, reliable=False)
    scores = {v.language.iso_code_639_1.name.lower(): v.value for v in values}
    code, confidence = next(iter(scores.items()))
    reliable = tells_its_language(text, limits) and confidence >= limits.min_confidence
    return LanguageGuess(code, confidence, reliable, scores)


def combine_guesses(
    text: str,
    general: LanguageGuess,
    domain: dict[str, float],
    limits: Thresholds = DEFAULT_THRESHOLDS,
) -> LanguageGuess:
    """One guess from lingua's and from our own classifier's (``domain``).

    Our classifier only knows our languages, so lingua decides whether text is in
    another language: when it is sure of one, and our classifier is not sure of
    one of ours or names one that lingua rules out (it calls Spanish "Italian").
    Among our languages, a confident domain guess wins.
    """
    if general.code is None:
        return general
    long_enough = tells_its_language(text, limits)
    code, probability = max(domain.items(), key=lambda item: item[1], default=(None, 0))
    ruled_out = general.scores.get(code, 1.0) < limits.ruled_out
    foreign = (
        not general.supported
        and general.confidence >= limits.foreign_confident
        and (probability < limits.domain_confident or ruled_out)
    )
    if code is not None and not foreign:
        if probability >= limits.domain_confident or not general.supported:
            reliable = long_enough and probability >= limits.min_confidence
            return LanguageGuess(code=code, confidence=probability, reliable=reliable)
    return general


def conversation_language(
    current: str | None,
    explicit: str | None,
    guess: LanguageGuess | None,
    text: str = "",
) -> str:
    """The language to answer in after a user message.

    An explicit choice (language picker, handoff link, "English please") wins; then a
    reliable guess from the text; a short or unclear message keeps the language the
    conversation already has, and only sets it when there is none yet.
    """
    if explicit in SUPPORTED_LANGUAGES:
        return explicit
    known = current if current in SUPPORTED_LANGUAGES else None
    if known is None and guess is not None and guess.reliable and not guess.supported:
        # a first message in a language we do not speak: list ours in its script
        return same_script_language(text)
    if guess is not None and guess.supported:
        if guess.reliable or (
            known is None and guess.confidence >= DEFAULT_THRESHOLDS.min_confidence
        ):
            return guess.code  # type: ignore[return-value]
    return known or DEFAULT_LANGUAGE
