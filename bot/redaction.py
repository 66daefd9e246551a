"""Masking personal data in what partners read: transcripts, exports, insight.

Phone numbers (libphonenumber's matcher for Belgium, the Netherlands, Finland, Italy and
international numbers, then any long run of digits), e-mail addresses, IBANs, ID
numbers (Finnish henkilötunnus, Italian codice fiscale, passport-like codes, Belgian
and Dutch national numbers as digit runs) and names (those the user gave in a referral,
and what follows "my name is" in the launch languages) are replaced by a label. When in
doubt, mask: a reviewer loses a detail, a user does not lose their privacy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

from bot.auth import S_

LABELS = {
    "phone": S_("[phone]"),
    "email": S_("[e-mail]"),
    "iban": S_("[IBAN]"),
    "id": S_("[ID number]"),
    "name": S_("[name]"),
}
PHONE_REGIONS = ("BE", "NL", "FI", "IT")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Country, check digits, then groups of four; an account number ends in a digit.
IBAN = re.compile(
    r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?<=\d)\b", re.I
)
ID_NUMBERS = re.compile(
    r"\b\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]\b"  # Finnish personal identity code
    r"|\b[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]\b"  # Italian codice fiscale
    r"|\b[A-Z]{1,2}\d{6,9}\b",  # passports, identity cards
    re.I,
)
# Seven digits or more, single separators allowed: phones, national numbers, BSN.
DIGIT_RUN = re.compile(r"(?<!\w)\+?\d(?:[ \-./]?\d){6,}(?!\w)")
WORD = r"[^\W\d_][\w'’-]*"
NAME_INTRODUCTION = re.compile(
    r"(?i:my name is|i'm called|je m'appelle|mon nom est|ik heet|mijn naam is"
    r"|nimeni on|jag heter|mitt namn är|mi chiamo|il mio nome è|меня зовут|моё имя"
    r"|мое имя|мене звати|моє ім'я|benim adım|adım|ismim|اسمي|انا اسمي)"
    rf"\s*:?\s+(?P<name>{WORD}(?:\s+(?=[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ]){WORD})?)"
)


@dataclass(frozen=True)
class Segment:
    """A piece of a message: text to show, or the kind of data masked there."""

    text: str
    masked: str | None = None  # a key of LABELS


def _phone_spans(text: str) -> Iterable[tuple[int, int, str]]:
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.VALID
        ):
            yield match.start, match.end, "phone"


def _name_spans(text: str, names: Iterable[str]) -> Iterable[tuple[int, int, str]]:
    for match in NAME_INTRODUCTION.finditer(text):
        yield match.start("name"), match.end("name"), "name"
    for name in names:
        for part in {name.strip(), *name.split()}:
            if len(part) >= 3:
                pattern = rf"(?<!\w){re.escape(part)}(?!\w)"
                for match in re.finditer(pattern, text, re.I):
                    yield match.start(), match.end(), "name"


def personal_data_spans(
    text: str, names: Iterable[str] = ()
) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, kind) of the personal data found in ``text``."""
    found: list[tuple[int, int, str]] = [
        *((m.start(), m.end(), "email") for m in EMAIL.finditer(text)),
        *((m.start(), m.end(), "iban") for m in IBAN.finditer(text)),
        *((m.start(), m.end(), "id") for m in ID_NUMBERS.finditer(text)),
        *_phone_spans(text),
        *(
            (m.start(), m.end(), "phone" if m.group()[0] in "+0" else "id")
            for m in DIGIT_RUN.finditer(text)
        ),
        *_name_spans(text, names),
    ]
    # The longest match wins where two overlap (an e-mail over the name inside it).
    found.sort(key=lambda span: (span[0], -(span[1] - span[0])))
    chosen: list[tuple[int, int, str]] = []
    for start, end, kind in found:
        if chosen and start < chosen[-1][1]:
            if end > chosen[-1][1]:
                previous = chosen.pop()
                chosen.append((previous[0], end, previous[2]))
            continue
        chosen.append((start, end, kind))
    return chosen


def redact(text: str, names: Iterable[str] = ()) -> list[Segment]:
    """``text`` as segments, its personal data masked."""
    segments: list[Segment] = []
    position = 0
    for start, end, kind in personal_data_spans(text, names):
        if start > position:
            segments.append(Segment(text[position:start]))
        segments.append(Segment("", kind))
        position = end
    if position < len(text) or not segments:
        segments.append(Segment(text[position:]))
    return segments


def redacted_text(text: str, labels: dict[str, str], names: Iterable[str] = ()) -> str:
    """``text`` with each piece of personal data replaced by its (translated) label."""
    return "".join(
        labels[segment.masked] if segment.masked else segment.text
        for segment in redact(text, names)
    )
