"""What the user tells about themselves, read from every message they write.

Whatever the message's intent (a greeting, an answer to another question), it is read
for where the user lives (kept apart from where they come from: "from Syria, now in
Tilburg"), their status when they volunteer it and their business's stage. The
results are slots (``action_validate_slot_mappings`` sets them after every message),
so every action sees them; a later message that names another place replaces them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from actions.cues import Cues, fold, greeting_key
from bot.knowledge.loading import DETAILS, Place
from bot.knowledge.places import Mention, PlaceResolver
from bot.nlu.text import normalise_text

# How much of the text before a place name its cue may take ("originally from").
_CUE_WINDOW = 48
# The first word of an alias this short is a preposition ("à Lille", "te Vorst").
MAX_PREPOSITION = 3
# A message this short that names a place is an answer about where one lives.
SHORT_MESSAGE_WORDS = 6


@dataclass(frozen=True)
class Told:
    """What one message says about the user (None: it says nothing about it)."""

    residence: Mention | None = None
    # Whether the message says outright that the user lives there ("I live in"),
    # or only that they are "from" one of our cities.
    residence_said: bool = False
    residence_weak: bool = False
    origin: Mention | None = None
    status: str | None = None
    stage: str | None = None


def _chosen(languages: Iterable[str], cues: dict[str, Cues]) -> list[Cues]:
    """The cues of each language a message is read in, once each."""
    return [cues[code] for code in dict.fromkeys(languages) if code in cues]


def _any(patterns: Iterable, text: str) -> bool:
    return any(pattern.search(text) for pattern in patterns)


def _role(text: str, mention: Mention, cues: list[Cues]) -> str:
    """Whether a place is where the user lives ("now"), lived, or comes from."""
    name = fold(text[mention.start : mention.end])
    before = text[max(0, mention.start - _CUE_WINDOW) : mention.start]
    arabic = any(c.language == "ar" for c in cues)  # not Persian: "بروکسل"
    if arabic and re.match("[وف]?[بل]", name) and re.search("[\u0600-\u06ff]", name):
        before += name[: name.index(name.lstrip("وف")[0]) + 1] + " "  # بـ، لـ: "in"
    words = name.split()
    if len(words) > 1 and len(words[0].strip("'’")) <= MAX_PREPOSITION:
        before += words[0] + " "  # an alias that begins with "à", "in", "te"
    before = fold(before)
    after = fold(text[mention.end : mention.end + _CUE_WINDOW])
    now_ending = any(name.endswith(e) for c in cues for e in c.now_endings)
    if any(_any(c.now_before, before) for c in cues):
        return "now"
    if any(_any(c.past_after, after) for c in cues):  # before "lives" after it
        return "past"
    if any(_any(c.origin_after, after) for c in cues):
        return "origin"
    if now_ending or any(_any(c.now_after, after) for c in cues):
        return "now"
    origin_ending = any(
        name.endswith(ending) and len(name) > len(ending) + 2
        for c in cues
        for ending in c.origin_endings
    )
    if origin_ending or any(
        _any(c.origin_before, before) or _any(c.origin_after, after) for c in cues
    ):
        return "origin"
    if any(_any(c.past_before, before) for c in cues):
        return "past"
    return "lives"


def _current(mentions: list[Mention]) -> Mention | None:
    """Of the places the user lives in, the one they name last, as a city if they can.

    "Tilburg, Netherlands" is Tilburg; "not Espoo, Vantaa" is Vantaa.
    """
    if not mentions:
        return None
    last = mentions[-1]
    if last.place.kind in ("country", "region"):
        inside = [
            m
            for m in mentions
            if m.place.kind == "city"
            and last.place.id in (m.place.country, m.place.region)
        ]
        if inside:
            return inside[-1]
    return last


def replaces(
    told: Told,
    known: Place | None,
    intent: str | None,
    text: str,
    answering: bool,
    abroad: bool = False,
) -> bool:
    """Whether the place a message names is where the user lives from now on.

    A place said outright ("I live in", "now in") or given as an answer (to "where
    do you live?", in a short message, or one about where they live) replaces what
    we knew. A place named in passing does not ("can my degree count in
    Belgium?", "my diploma from Kinshasa"), nor the country of the city we know.
    ``abroad``: the user told us they live in a place we do not serve.
    """
    if told.residence is None:
        return False
    place = told.residence.place
    if known is not None and place.kind == "country" and known.country == place.id:
        return False
    answer = (
        told.residence_said
        or answering
        or intent == "inform_location"
        or len(text.split()) <= SHORT_MESSAGE_WORDS
    )
    if place.kind == "elsewhere":  # abroad is where people come from, unless said
        # or unless the user already lives abroad: "so in Spain you have nobody?"
        return answer or abroad
    # "sorry my mistake, we shifted to Vantaa last month": the model did not
    # understand the rest; one of our places is what the message tells.
    answer = answer or intent == "nlu_fallback"
    if told.residence_weak:
        return known is None
    return known is None or answer


def _first_named(patterns: dict, text: str) -> str | None:
    return next((name for name, found in patterns.items() if _any(found, text)), None)


def read_message(
    text: str, languages: Iterable[str], places: PlaceResolver, cues: dict[str, Cues]
) -> Told:
    """What ``text`` tells about the user, read with the cues of ``languages``."""
    chosen = _chosen(languages, cues)
    language = chosen[0].language if chosen else "xx"
    normalised = normalise_text(text)
    roles = [(m, _role(normalised, m, chosen)) for m in places.mentions(text, language)]
    now = [m for m, role in roles if role == "now"]
    lives = [m for m, role in roles if role == "lives"]
    served = [m for m in lives if m.place.kind != "elsewhere"]
    # Without a word saying so, a place abroad next to one of ours is where the
    # user comes from ("abito a Roma ... diploma di Bangladesh").
    origins = [m for m, role in roles if role == "origin"] + (
        [m for m in lives if m not in served] if served else []
    )
    lives = now or served or lives
    # "я з Брюсселя", "I'm from Amsterdam": with nothing else said, one of our
    # cities is where the user is (a country stays where they come from).
    weak = not lives and [
        m for m, role in roles if role == "origin" and m.place.kind == "city"
    ]
    folded = fold(text)
    return Told(
        residence=_current(lives or weak or []),
        residence_said=bool(now),
        residence_weak=bool(weak),
        origin=origins[0] if origins else None,
        status=next((s for c in chosen if (s := _first_named(c.status, folded))), None),
        stage=next((s for c in chosen if (s := _first_named(c.stage, folded))), None),
    )


def business_stage(
    text: str, languages: Iterable[str], cues: dict[str, Cues]
) -> str | None:
    """The stage a message tells of the user's business ("I want to open": idea)."""
    folded = fold(text)
    return next(
        (s for c in _chosen(languages, cues) if (s := _first_named(c.stage, folded))),
        None,
    )


def greeting_language(text: str, cues: dict[str, Cues]) -> str | None:
    """The language of a message that is only a greeting of one language."""
    key = greeting_key(text)
    languages = [code for code, c in cues.items() if key in c.greetings]
    return languages[0] if len(languages) == 1 else None


def asked_details(
    text: str, languages: Iterable[str], cues: dict[str, Cues]
) -> list[str]:
    """The details a question asks ("maximum", "interest"), most specific first."""
    folded = fold(text)
    chosen = _chosen(languages, cues)
    found = {
        detail
        for language_cues in chosen
        for detail, patterns in language_cues.details.items()
        if _any(patterns, folded)
    }
    return [detail for detail in DETAILS if detail in found]


def named_subjects(
    text: str, languages: Iterable[str], cues: dict[str, Cues]
) -> list[str]:
    """The subjects a message names outright ("loan", "diploma")."""
    folded = fold(text)
    chosen = _chosen(languages, cues)
    return list(
        dict.fromkeys(
            subject
            for language_cues in chosen
            for subject, patterns in language_cues.subjects.items()
            if _any(patterns, folded)
        )
    )


def continues(text: str, languages: Iterable[str], cues: dict[str, Cues]) -> bool:
    """Whether a message continues the last question ("and the cost?")."""
    folded = fold(text)
    return any(_any(c.follow_up, folded) for c in _chosen(languages, cues))
