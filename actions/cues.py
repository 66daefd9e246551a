"""How people say what the assistant remembers, and which detail they ask.

The regular expressions of ``data/cues/<lang>.yml``, one file per language, read
and checked once per process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from bot.knowledge.loading import DETAILS
from bot.languages import SUPPORTED_LANGUAGES
from bot.nlu.text import ARABIC_VARIANTS, normalise_text, without_accents
from bot.settings import ROOT
from bot.topics import SUBJECT_OF_TOPIC

CUES_DIR = ROOT / "data" / "cues"
STATUSES = ("refugee", "temporary_protection", "asylum_seeker")
STAGES = ("idea", "young", "established")

Patterns = tuple[re.Pattern[str], ...]


class CuesError(ValueError):
    """A cue file breaks a rule; the message names the file and the entry."""


def fold(text: str) -> str:
    """Lowercase, Arabic variants folded, accents removed: what cues match against."""
    return without_accents(normalise_text(text))


def greeting_key(text: str) -> str:
    """A short message as compared with the greetings: folded, no punctuation."""
    return " ".join(re.sub(r"[^\w\s]", " ", fold(text)).split())


def _fold_pattern(pattern: str) -> str:
    # As the text is folded, but a pattern's repeated letters ("bbz") and the case
    # of its escapes (\W is not \w) stay: patterns match ignoring case.
    return without_accents(pattern.translate(ARABIC_VARIANTS))


@dataclass(frozen=True)
class Cues:
    """One language's cues, compiled."""

    language: str
    greetings: tuple[str, ...] = ()
    origin_before: Patterns = ()
    # Words right after a place that say the user comes from there (languages that
    # put the verb last: "Soomaaliya ayaan ka imid").
    origin_after: Patterns = ()
    origin_endings: tuple[str, ...] = ()
    past_before: Patterns = ()
    # Words right after a place that say the user lived there (languages that put
    # the verb last: "ኣብ ሊብያ ነይረ", "در آنتورپ زندگی می‌کردم").
    past_after: Patterns = ()
    now_before: Patterns = ()
    now_after: Patterns = ()
    now_endings: tuple[str, ...] = ()
    details: dict[str, Patterns] = field(default_factory=dict)
    subjects: dict[str, Patterns] = field(default_factory=dict)
    follow_up: Patterns = ()
    # Words without which a "privacy" or "language" guess is not believed: a
    # message about the user's data, a request to write in another language.
    privacy: Patterns = ()
    language_request: Patterns = ()
    status: dict[str, Patterns] = field(default_factory=dict)
    stage: dict[str, Patterns] = field(default_factory=dict)


def _compile(patterns: object, where: str) -> Patterns:
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise CuesError(f"{where}: a list of regular expressions is expected")
    try:
        return tuple(re.compile(_fold_pattern(p), re.IGNORECASE) for p in patterns)
    except re.error as error:
        raise CuesError(f"{where}: {error}") from error


def _compile_named(
    entries: object, allowed: tuple[str, ...] | set[str], where: str
) -> dict[str, Patterns]:
    if not isinstance(entries, dict):
        raise CuesError(f"{where}: a mapping of names to patterns is expected")
    unknown = set(entries) - set(allowed)
    if unknown:
        raise CuesError(f"{where}: unknown names {sorted(unknown)}")
    return {name: _compile(p, f"{where}.{name}") for name, p in entries.items()}


def load_language_cues(path: Path) -> Cues:
    """One cue file, checked: known details, subjects, statuses and stages only."""
    where = f"{path.parent.name}/{path.name}"
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    language = document.get("language")
    if language != path.stem:
        raise CuesError(f"{where}: 'language' must be {path.stem!r}")
    return Cues(
        language=language,
        greetings=tuple(greeting_key(g) for g in document.get("greetings") or ()),
        origin_before=_compile(document.get("origin_before", []), f"{where} origin"),
        origin_after=_compile(
            document.get("origin_after", []), f"{where} origin_after"
        ),
        origin_endings=tuple(fold(e) for e in document.get("origin_endings") or ()),
        past_before=_compile(document.get("past_before", []), f"{where} past_before"),
        past_after=_compile(document.get("past_after", []), f"{where} past_after"),
        now_before=_compile(document.get("now_before", []), f"{where} now_before"),
        now_after=_compile(document.get("now_after", []), f"{where} now_after"),
        now_endings=tuple(fold(e) for e in document.get("now_endings") or ()),
        details=_compile_named(
            document.get("details", {}), DETAILS, f"{where} details"
        ),
        subjects=_compile_named(
            document.get("subjects", {}),
            set(SUBJECT_OF_TOPIC.values()),
            f"{where} subjects",
        ),
        follow_up=_compile(document.get("follow_up", []), f"{where} follow_up"),
        privacy=_compile(document.get("privacy", []), f"{where} privacy"),
        language_request=_compile(
            document.get("language_request", []), f"{where} language_request"
        ),
        status=_compile_named(document.get("status", {}), STATUSES, f"{where} status"),
        stage=_compile_named(document.get("stage", {}), STAGES, f"{where} stage"),
    )


@cache
def shipped_cues() -> dict[str, Cues]:
    """The cues of every launch language that has a file, read once per process."""
    return {
        code: load_language_cues(CUES_DIR / f"{code}.yml")
        for code in SUPPORTED_LANGUAGES
        if (CUES_DIR / f"{code}.yml").exists()
    }
