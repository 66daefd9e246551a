"""Masking personal data in what partners read: transcripts, exports, insight.

Phone numbers (libphonenumber's matcher for Belgium, the Netherlands, Finland, Italy and
international numbers, then any long run of digits), e-mail addresses, IBANs, ID
numbers (Finnish henkilötunnus, Italian codice fiscale, passport-like codes, Belgian
and Dutch national numbers as digit runs) and names (those the user gave in a referral,
and the whole name after "my name is" in the launch languages) are replaced by a label.
What the user gave one partner in a referral (its name and contact as typed there,
``Shared``) stays readable to that partner only. When in doubt, mask: a reviewer loses
a detail, a user does not lose their privacy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

from bot.staff.pages import S_

LABELS = {
    "phone": S_("[phone]"),
    "email": S_("[e-mail]"),
    "iban": S_("[IBAN]"),
    "id": S_("[ID number]"),
    "name": S_("[name]"),
}
PHONE_REGIONS = ("BE", "NL", "FI", "IT")
PHONE_DIGITS = 5  # the shortest number of these regions, with its trunk prefix, has 6
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
    r"(?<!\w)(?i:my name is|my name's|i'm called|i am called|je m['’]appelle"
    r"|mon nom est|mon prénom est|ik heet|mijn naam is|nimeni on|mun nimi on"
    r"|jag heter|mitt namn är|mi chiamo|il mio nome è|меня зовут|моё имя|мое имя"
    r"|мене звати|мене звуть|моє ім['’]я|benim adım|adım|ismim|اسمي|إسمي)"
    rf"\s*:?\s+(?P<name>{WORD})"
)
# The next word of a name: on the same line, after spaces only (punctuation ends it).
NEXT_WORD = re.compile(rf"[^\S\n]+({WORD})")
NAME_WORDS = 4  # a name's words after "my name is", particles not counted
NAME_PARTICLES = frozenset(
    "de van der den het ter ten te 't d' la le les du des del della delle dei degli "
    "di da dal dalla do dos das los las von vom zu zum bin ben ibn bint binti al el "
    "ul abu abou abd abdel abdul ould st. san santa "
    "де ван дер фон аль ибн бен бин абу ульд "
    "بن ابن بنت أبو ابو عبد آل".split()
)
# Ordinary words that end a name (a name written in small letters, or in a script
# without capitals, ends only there): and, I, from, live, want, need... per language.
ORDINARY_WORDS = frozenset(
    # en
    "and i i'm im am is are was from live living lived want wanted need needed "
    "would like have has had but or so also too here there looking searching "
    "work working come came moved please thanks thank hello hi my me we you in at "
    "to for with of the a an this that who how what can could do does not age "
    "years old "
    # fr
    "et je j'habite j'ai j'aimerais je suis suis ai habite vis viens cherche veux "
    "voudrais besoin mais ou aussi merci bonjour à au aux en pour avec dans qui "
    "que est c'est moi mon ma mes vous nous svp ans "
    # nl
    "en ik ben woon wil wilde zou graag heb kom kwam uit maar of ook hier daar "
    "bedankt dank hallo op met voor naar mijn me is zoek werk jaar oud "
    # fi
    "ja olen asun haluan haluaisin tarvitsen minä mä mutta tai myös kiitos hei "
    "moi on tulen etsin teen täällä minulla mulla kotoisin vuotta "
    # sv
    "och jag är bor vill skulle behöver har kommer från men eller också tack hej "
    "på med för söker arbetar min mitt år "
    # it
    "e ed io sono abito vivo vorrei voglio ho bisogno vengo ma o anche grazie "
    "ciao per con cerco lavoro mi il anni "
    # ar
    "و أنا انا من في عمري أريد اريد أحتاج احتاج أعيش اعيش أسكن اسكن لدي عندي هل "
    "كيف ماذا أبحث ابحث أعمل اعمل مع إلى الى على عن شكرا مرحبا أود اود لكن أو او "
    "هذا "
    # uk, ru
    "і й та я з із мені маю живу хочу хотів хотіла потрібно потрібен потрібна "
    "шукаю працюю але або теж також дякую привіт в у на для мене мій моя "
    "и из мне хотел хотела нужно нужен нужна ищу работаю но или тоже также "
    "спасибо привет меня мой а лет років "
    # tr
    "ve ben benim yaşıyorum oturuyorum istiyorum lazım ihtiyacım arıyorum "
    "çalışıyorum ama veya ya teşekkürler merhaba için ile bir bu yaşındayım".split()
)


def _ordinary(word: str) -> bool:
    """A common word, not a name (Arabic's "and" is written onto the next word)."""
    word = word.lower()
    return word in ORDINARY_WORDS or (
        word.startswith("و") and word[1:] in ORDINARY_WORDS
    )


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _introduced_names(text: str) -> Iterable[tuple[int, int, str]]:
    """The whole name after each "my name is": up to NAME_WORDS words and particles.

    The first word is always the name. Then a name goes on over particles (de, van,
    bin, al...) and words that could be names; it ends at punctuation, at an ordinary
    word, and, when the user writes names with a capital, at a word in small letters.
    A particle counts only when a name word follows it.
    """
    for match in NAME_INTRODUCTION.finditer(text):
        start, end = match.span("name")
        capitals = _capitalised(match.group("name"))
        words, position = 1, end
        while words < NAME_WORDS and (found := NEXT_WORD.match(text, position)):
            word = found.group(1)
            position = found.end()
            if word.lower() in NAME_PARTICLES:
                continue
            if _ordinary(word) or (capitals and word[:1].islower()):
                break
            end = position
            words += 1
        yield start, end, "name"


@dataclass(frozen=True)
class Segment:
    """A piece of a message: text to show, or the kind of data masked there."""

    text: str
    masked: str | None = None  # a key of LABELS


def _same_number(text: str, contact: str) -> bool:
    """Whether ``text`` is the phone number ``contact`` (E.164), as people write it."""
    try:
        number = phonenumbers.parse(contact)
        written = phonenumbers.parse(text, phonenumbers.region_code_for_number(number))
    except phonenumbers.NumberParseException:
        return False
    e164 = phonenumbers.PhoneNumberFormat.E164
    return phonenumbers.format_number(written, e164) == phonenumbers.format_number(
        number, e164
    )


@dataclass(frozen=True)
class Shared:
    """What a user gave one partner in its referrals: shown to that partner only.

    ``names`` as typed in the referral form, ``contacts`` as stored (a phone number
    in E.164, an e-mail address). Everything else in the conversation stays masked.
    """

    names: frozenset[str] = frozenset()
    contacts: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.names or self.contacts)

    def shows(self, kind: str, text: str) -> bool:
        """Whether the personal data ``text`` (of ``kind``) is what was given."""
        if kind == "name":
            words = {word.lower() for word in text.split()}
            return any(
                words <= {word.lower() for word in name.split()} for name in self.names
            )
        if kind == "email":
            return text.lower() in {contact.lower() for contact in self.contacts}
        if kind in ("phone", "id"):  # a run of digits may be the number given
            return any(
                _same_number(text, contact)
                for contact in self.contacts
                if contact.startswith("+")
            )
        return False


NOTHING_SHARED = Shared()


def _phone_spans(text: str) -> Iterable[tuple[int, int, str]]:
    if sum(character.isdigit() for character in text) < PHONE_DIGITS:
        return  # no phone number (libphonenumber's matcher is the slow part)
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.VALID
        ):
            yield match.start, match.end, "phone"


def _name_spans(text: str, names: Iterable[str]) -> Iterable[tuple[int, int, str]]:
    yield from _introduced_names(text)
    for name in names:
        for part in {name.strip(), *name.split()}:
            if len(part) >= 3 and part.lower() not in NAME_PARTICLES:
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


def redact(
    text: str, names: Iterable[str] = (), shared: Shared = NOTHING_SHARED
) -> list[Segment]:
    """``text`` as segments, its personal data masked unless ``shared`` shows it."""
    segments: list[Segment] = []
    plain = ""
    position = 0
    for start, end, kind in personal_data_spans(text, names):
        plain += text[position:start]
        position = end
        if shared and shared.shows(kind, text[start:end]):
            plain += text[start:end]
            continue
        if plain:
            segments.append(Segment(plain))
            plain = ""
        segments.append(Segment("", kind))
    plain += text[position:]
    if plain or not segments:
        segments.append(Segment(plain))
    return segments


def shown_text(segments: Iterable[Segment], labels: dict[str, str]) -> str:
    """Segments as one text, each masked piece as its (translated) label."""
    return "".join(
        labels[segment.masked] if segment.masked else segment.text
        for segment in segments
    )


def redacted_text(
    text: str,
    labels: dict[str, str],
    names: Iterable[str] = (),
    shared: Shared = NOTHING_SHARED,
) -> str:
    """``text`` with each piece of personal data replaced by its (translated) label."""
    return shown_text(redact(text, names, shared), labels)
