"""Reads and checks the knowledge files of ``data/knowledge``.

A file that breaks a rule stops the start with a message naming the file and line:
a fact without a known source, a partner without a country, a place or topic that
does not exist. The assistant must never state a figure it cannot source.
"""

from __future__ import annotations

import datetime
import logging
import re
import string
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.i18n import placeholders
from bot.settings import ROOT
from bot.topics import COMPUTED, KNOWLEDGE, topic_names

logger = logging.getLogger(__name__)

KNOWLEDGE_DIR = ROOT / "data" / "knowledge"
COUNTRIES = ("BE", "NL", "FI", "IT")
# Topics partners answer (with sentences) or the estimate computes.
TOPICS = topic_names(KNOWLEDGE, COMPUTED)
COMPUTED_TOPICS = topic_names(COMPUTED)
# The detail a question may ask within a subject ("what is the most I can borrow?"),
# and the topic that holds it there. A sentence names the details it answers in its
# ``about``; data/cues/<lang>.yml says how people ask them.
DETAIL_TOPIC = {
    "money": {
        "maximum": "loan_terms",
        "minimum": "loan_terms",
        "interest": "loan_terms",
        "cost": "loan_terms",
        "term": "loan_terms",
        "documents": "loan_documents",
        "business_plan": "loan_eligibility",
        "debts": "loan_eligibility",
        "who": "loan_eligibility",
        "time": "loan_eligibility",
        "refugees": "loan_eligibility",
        "grant_timing": "start_business",
    },
    "training": {"cost": "business_training", "business_plan": "business_training"},
    "recognition": {
        "cost": "recognition_cost",
        "refugees": "recognition_cost",
        "time": "recognition_duration",
        "documents": "recognition_documents",
        "who": "qualification_recognition",
        "professions": "qualification_recognition",
    },
}
# Most specific first: a question that asks two ("can I still get the start-up
# grant?" is also "can I get") is answered for the first.
DETAILS = (
    "grant_timing professions business_plan debts refugees documents maximum "
    "minimum interest term cost time who"
).split()
# Units of facts whose value is a day ("2026-07-31": 31 July 2026) or a month
# ("2024-12-01": December 2024) rather than a number.
DATE_UNITS = ("date", "month")
# A source not checked for this long is listed for re-checking (loader, portal).
RECHECK_AFTER_DAYS = 365
# Facts that stop holding within this many days are listed for re-checking.
ENDING_WITHIN_DAYS = 60
_DIGIT = re.compile(r"\d")


class KnowledgeError(ValueError):
    """A knowledge file breaks a rule; the message says which file and line."""


class _LineLoader(yaml.SafeLoader):
    """Remembers the line of every mapping, for error messages."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


@dataclass(frozen=True)
class Source:
    """Where a fact comes from (the page itself), and the day it was last checked."""

    id: str
    title: str
    url: str
    checked: str  # YYYY-MM-DD

    def due(self, today: datetime.date) -> bool:
        """Whether it was last checked more than a year before ``today``."""
        age = today - datetime.date.fromisoformat(self.checked)
        return age.days > RECHECK_AFTER_DAYS


@dataclass(frozen=True)
class Fact:
    """One thing the assistant may state, with its source."""

    key: str
    source: str
    value: float | None = None
    unit: str | None = None
    text: str | None = None
    note: str | None = None
    uncertain: bool = False
    day: str | None = None  # YYYY-MM-DD, for the units of DATE_UNITS
    # When it holds (YYYY-MM-DD, both days included); outside, it is not said.
    valid_from: str | None = None
    valid_until: str | None = None


@dataclass(frozen=True)
class Sentence:
    """One sentence of an answer: an English gettext id and the sources it rests on.

    Its ``{placeholders}`` are the organisation's ``{name}``, ``{url}`` and the keys
    of its facts, filled and formatted for the user's locale when it is said. It
    holds while all its facts hold; after that, ``after`` (the same said in the
    past, pointing to the current conditions) is said instead, if there is one.
    """

    text: str
    sources: tuple[str, ...]
    facts: tuple[str, ...] = ()
    uncertain: bool = False
    # The details of a question it answers ("maximum", "interest"; see DETAILS).
    about: tuple[str, ...] = ()
    valid_from: str | None = None
    valid_until: str | None = None
    after: str | None = None


@dataclass(frozen=True)
class Place:
    """A city, region or country users live in (or come from)."""

    id: str
    kind: str  # "city", "region", "country", or "elsewhere" (not served)
    country: str
    region: str | None = None
    aliases: tuple[str, ...] = ()
    # False for the towns of towns.yml: understood, not offered in lists.
    listed: bool = True


@dataclass(frozen=True)
class Organisation:
    """A partner or recognition body, where it serves and what it says."""

    id: str
    name: str
    country: str
    url: str
    topics: tuple[str, ...]
    serves: dict[str, tuple[str, ...]]
    facts: tuple[Fact, ...]
    next_step: str = ""
    answers: dict[str, tuple[Sentence, ...]] = field(default_factory=dict)
    languages: tuple[str, ...] = ()
    takes_referrals: bool = False


@dataclass
class Knowledge:
    """Everything in data/knowledge, checked."""

    sources: dict[str, Source] = field(default_factory=dict)
    places: dict[str, Place] = field(default_factory=dict)
    # Places outside the countries we serve: where users come from, or live
    # without a partner (kind "elsewhere"; never routed).
    elsewhere: dict[str, Place] = field(default_factory=dict)
    # Ordinary words that look like a place with an ending ("vandaan", "Italian").
    not_places: tuple[str, ...] = ()
    organisations: dict[str, Organisation] = field(default_factory=dict)


def _read(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader) or {}
    except yaml.YAMLError as error:
        raise KnowledgeError(f"{path}: not valid YAML: {error}") from None


def _require(entry: dict, key: str, where: str) -> Any:
    value = entry.get(key)
    if value in (None, "", []):
        raise KnowledgeError(f"{where}: '{key}' is missing")
    return value


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT) if ROOT in path.parents else path)


def _where(path: Path, entry: dict) -> str:
    return f"{_shown(path)}:{entry.get('__line__', '?')}"


def _load_sources(path: Path) -> dict[str, Source]:
    sources = {}
    for entry in _read(path).get("sources", []):
        where = _where(path, entry)
        source = Source(
            id=_require(entry, "id", where),
            title=_require(entry, "title", where),
            url=_require(entry, "url", where),
            checked=_day(_require(entry, "checked", where), "checked", where),
        )
        if not source.url.startswith("https://"):
            raise KnowledgeError(f"{where}: source url must start with https://")
        if source.checked > datetime.date.today().isoformat():
            raise KnowledgeError(f"{where}: 'checked' is a day still to come")
        sources[source.id] = source
    return sources


def _day(value: Any, key: str, where: str) -> str:
    """A day written YYYY-MM-DD (YAML reads it as a date), as that text."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    raise KnowledgeError(f"{where}: '{key}' must be a day, YYYY-MM-DD, not {value!r}")


def _no_figures(text: str, where: str) -> None:
    """Refuses a figure typed into a sentence: it must be a fact, to be traced."""
    literal = "".join(part for part, _, _, _ in string.Formatter().parse(text))
    if _DIGIT.search(literal):
        figure = re.search(r"\d(?:[\d.,]*\d)?", literal).group(0)
        raise KnowledgeError(
            f"{where}: the figure {figure!r} is typed into the sentence: make it a "
            "fact with its source and write its {key}"
        )


def _load_fact(where: str, fact: dict, sources: dict[str, Source]) -> Fact:
    source = _require(fact, "source", where)
    if source not in sources:
        raise KnowledgeError(f"{where}: unknown source {source!r}")
    value, unit, day = fact.get("value"), fact.get("unit"), None
    if unit in DATE_UNITS:
        day, value = _day(value, "value", where), None
    elif value is not None and not isinstance(value, (int, float)):
        raise KnowledgeError(f"{where}: 'value' must be a number (or unit: date)")
    if value is None and day is None and not fact.get("text"):
        raise KnowledgeError(f"{where}: a fact needs a 'value' or a 'text'")
    valid = {
        key: _day(fact[key], key, where) if fact.get(key) is not None else None
        for key in ("valid_from", "valid_until")
    }
    if None not in valid.values() and valid["valid_from"] > valid["valid_until"]:
        raise KnowledgeError(f"{where}: 'valid_from' is after 'valid_until'")
    return Fact(
        key=_require(fact, "key", where),
        source=source,
        value=value,
        unit=unit,
        text=fact.get("text"),
        note=fact.get("note"),
        uncertain=bool(fact.get("uncertain", False)),
        day=day,
        **valid,
    )


def _load_places(path: Path) -> dict[str, Place]:
    document = _read(path)
    places: dict[str, Place] = {}
    for entry in document.get("countries", []):
        where = _where(path, entry)
        country = _require(entry, "id", where)
        if country not in COUNTRIES:
            raise KnowledgeError(f"{where}: unknown country {country!r}")
        aliases = tuple(_require(entry, "aliases", where))
        places[country] = Place(country, "country", country, aliases=aliases)
    for entry in document.get("regions", []):
        where = _where(path, entry)
        region = _require(entry, "id", where)
        if region in places:
            raise KnowledgeError(f"{where}: id {region!r} is used twice")
        country = _require(entry, "country", where)
        places[region] = Place(region, "region", country)
    for entry in document.get("cities", []):
        where = _where(path, entry)
        country = _require(entry, "country", where)
        region = entry.get("region")
        if country not in places or places[country].kind != "country":
            raise KnowledgeError(f"{where}: unknown country {country!r}")
        if (
            region is not None
            and places.get(region, Place("", "", "")).kind != "region"
        ):
            raise KnowledgeError(f"{where}: unknown region {region!r}")
        if entry.get("id") in places:
            raise KnowledgeError(f"{where}: id {entry['id']!r} is used twice")
        places[entry["id"]] = Place(
            id=_require(entry, "id", where),
            kind="city",
            country=country,
            region=region,
            aliases=tuple(_require(entry, "aliases", where)),
        )
    return places


def _load_elsewhere(path: Path, served: dict[str, Place]) -> dict[str, Place]:
    places: dict[str, Place] = {}
    for entry in _read(path).get("elsewhere", []):
        where = _where(path, entry)
        place_id = _require(entry, "id", where)
        if place_id in served or place_id in places:
            raise KnowledgeError(f"{where}: id {place_id!r} is used twice")
        aliases = tuple(_require(entry, "aliases", where))
        places[place_id] = Place(place_id, "elsewhere", "", aliases=aliases)
    return places


def _add_place_names(path: Path, knowledge: Knowledge) -> None:
    """Adds how the languages added after the launch write places.

    Per language: ``countries`` and ``cities`` by the ids of ``places.yml``,
    ``elsewhere`` by its ids or new ones (a home country it did not list yet).
    """

    def entries(section: dict | None) -> list[tuple[str, list]]:
        return [(k, v) for k, v in (section or {}).items() if k != "__line__"]

    for language, sections in entries(_read(path)):
        where = f"{_shown(path)}: {language}"
        for section in ("countries", "cities"):
            for place_id, aliases in entries(sections.get(section)):
                if place_id not in knowledge.places:
                    raise KnowledgeError(f"{where}: unknown place {place_id!r}")
                known = knowledge.places[place_id]
                added = known.aliases + tuple(aliases or ())
                knowledge.places[place_id] = replace(known, aliases=added)
        for place_id, aliases in entries(sections.get("elsewhere")):
            if place_id in knowledge.places:
                raise KnowledgeError(f"{where}: {place_id!r} is a place we serve")
            known = knowledge.elsewhere.get(place_id)
            before = known.aliases if known else ()
            knowledge.elsewhere[place_id] = Place(
                place_id, "elsewhere", "", aliases=before + tuple(aliases or ())
            )


def _add_towns(path: Path, knowledge: Knowledge) -> None:
    """Adds GeoNames' towns (scripts/build_towns.py) to ``knowledge``.

    More spellings of our places, the towns of the four countries, and cities
    elsewhere.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # 1 MB: libyaml's
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
    for place_id, aliases in (document.get("more") or {}).items():
        for places in (knowledge.places, knowledge.elsewhere):
            if place_id in places:
                known = places[place_id]
                places[place_id] = replace(known, aliases=known.aliases + (*aliases,))
    for entry in document.get("served") or []:
        country, region = entry["country"], entry.get("region")
        if country not in knowledge.places or (
            region is not None and region not in knowledge.places
        ):
            raise KnowledgeError(f"{_shown(path)}: {entry['id']}: unknown place")
        knowledge.places.setdefault(
            entry["id"],
            Place(entry["id"], "city", country, region, tuple(entry["aliases"]), False),
        )
    for entry in document.get("elsewhere") or []:
        knowledge.elsewhere.setdefault(
            entry["id"],
            Place(entry["id"], "elsewhere", "", None, tuple(entry["aliases"]), False),
        )


def _load_organisation(
    path: Path, sources: dict[str, Source], places: dict[str, Place]
) -> Organisation:
    entry = _read(path)
    where = _where(path, entry)
    country = _require(entry, "country", where)
    if country not in COUNTRIES:
        raise KnowledgeError(f"{where}: unknown country {country!r}")
    topics = tuple(_require(entry, "topics", where))
    for topic in topics:
        if topic not in TOPICS:
            raise KnowledgeError(f"{where}: unknown topic {topic!r}")
    serves = {
        kind: tuple(ids)
        for kind, ids in _require(entry, "serves", where).items()
        if kind != "__line__"
    }
    for kind, ids in serves.items():
        expected = {"countries": "country", "regions": "region", "cities": "city"}.get(
            kind
        )
        for place in ids:
            if (
                expected is None
                or places.get(place, Place("", "", "")).kind != expected
            ):
                raise KnowledgeError(
                    f"{where}: unknown place {place!r} in serves.{kind}"
                )
    facts = [
        _load_fact(_where(path, fact), fact, sources) for fact in entry.get("facts", [])
    ]
    next_step = _require(entry, "next_step", where)
    if "{url}" not in next_step:
        raise KnowledgeError(f"{where}: next_step must give the link, {{url}}")
    _no_figures(next_step, where)
    if not str(_require(entry, "url", where)).startswith("https://"):
        raise KnowledgeError(f"{where}: url must start with https://")
    answers = _load_answers(path, entry, topics, {f.key: f for f in facts}, sources)
    return Organisation(
        id=_require(entry, "id", where),
        name=_require(entry, "name", where),
        country=country,
        url=_require(entry, "url", where),
        topics=topics,
        serves=serves,
        facts=tuple(facts),
        next_step=next_step,
        answers=answers,
        languages=tuple(entry.get("languages", ())),
        takes_referrals=bool(entry.get("takes_referrals", False)),
    )


def _load_answers(
    path: Path,
    entry: dict,
    topics: tuple[str, ...],
    facts: dict[str, Fact],
    sources: dict[str, Source],
) -> dict[str, tuple[Sentence, ...]]:
    """The sentences an organisation says per topic, each traced to its sources."""
    where = _where(path, entry)
    answers = {
        topic: sentences
        for topic, sentences in (entry.get("answers") or {}).items()
        if topic != "__line__"
    }
    for topic in topics:
        if topic not in COMPUTED_TOPICS and not answers.get(topic):
            raise KnowledgeError(f"{where}: no answer for topic {topic!r}")
    loaded = {}
    for topic, sentences in answers.items():
        if topic not in topics:
            raise KnowledgeError(f"{where}: answer for {topic!r}, not in its topics")
        loaded[topic] = tuple(
            _load_sentence(_where(path, sentence), sentence, facts, sources)
            for sentence in sentences
        )
    return loaded


def _facts_of(text: str, where: str, facts: dict[str, Fact]) -> tuple[str, ...]:
    """The facts a sentence states: its placeholders, each a fact with a value."""
    used = tuple(sorted(placeholders(text) - {"name", "url"}))
    for key in used:
        fact = facts.get(key)
        if fact is None or (fact.value, fact.day, fact.text) == (None, None, None):
            raise KnowledgeError(f"{where}: {{{key}}} is not a fact with a value")
    _no_figures(text, where)
    return used


def _load_sentence(
    where: str, entry: dict, facts: dict[str, Fact], sources: dict[str, Source]
) -> Sentence:
    """A sentence, with its own source: its words are claims as much as its figures.

    It holds while every fact it states holds (and within its own validity); its
    ``after`` may state the same facts, said in the past.
    """
    text = _require(entry, "say", where)
    used = _facts_of(text, where, facts)
    own = entry.get("source")
    if not own:
        raise KnowledgeError(
            f"{where}: a sentence needs a 'source', the page its words come from"
        )
    if own not in sources:
        raise KnowledgeError(f"{where}: unknown source {own!r}")
    cited = tuple(dict.fromkeys([own] + [facts[key].source for key in used]))
    about = tuple(entry.get("about") or ())
    for detail in about:
        if detail not in DETAILS:
            raise KnowledgeError(f"{where}: unknown detail {detail!r} in 'about'")
    starts = [facts[key].valid_from for key in used if facts[key].valid_from]
    ends = [facts[key].valid_until for key in used if facts[key].valid_until]
    for key, days in (("valid_from", starts), ("valid_until", ends)):
        if entry.get(key) is not None:
            days.append(_day(entry[key], key, where))
    after = entry.get("after")
    if after is not None:
        if not ends:
            raise KnowledgeError(f"{where}: 'after' needs a fact with 'valid_until'")
        after_facts = _facts_of(after, where, facts)
        if "{url}" not in after:
            raise KnowledgeError(f"{where}: 'after' must point to {{url}}")
        used = tuple(dict.fromkeys(used + after_facts))
    return Sentence(
        text=text,
        sources=cited,
        facts=used,
        uncertain=bool(entry.get("uncertain"))
        or any(facts[key].uncertain for key in used),
        about=about,
        valid_from=max(starts) if starts else None,
        valid_until=min(ends) if ends else None,
        after=after,
    )


def load_knowledge(directory: Path = KNOWLEDGE_DIR) -> Knowledge:
    """Reads and checks every knowledge file.

    Raises:
        KnowledgeError: on the first broken rule, naming its file and line.

    """
    knowledge = Knowledge()
    knowledge.sources = _load_sources(directory / "sources.yml")
    knowledge.places = _load_places(directory / "places.yml")
    knowledge.elsewhere = _load_elsewhere(directory / "places.yml", knowledge.places)
    knowledge.not_places = tuple(_read(directory / "places.yml").get("not_places", []))
    if (directory / "place_names.yml").exists():
        _add_place_names(directory / "place_names.yml", knowledge)
    if (directory / "towns.yml").exists():
        _add_towns(directory / "towns.yml", knowledge)
    for path in sorted(directory.glob("*/*.yml")):
        organisation = _load_organisation(path, knowledge.sources, knowledge.places)
        if organisation.id in knowledge.organisations:
            where = _shown(path)
            raise KnowledgeError(f"{where}: id {organisation.id!r} is used twice")
        knowledge.organisations[organisation.id] = organisation
    return knowledge


def due_sources(knowledge: Knowledge, today: datetime.date) -> list[Source]:
    """The sources not checked for a year on ``today``, the oldest first."""
    due = [source for source in knowledge.sources.values() if source.due(today)]
    return sorted(due, key=lambda source: (source.checked, source.id))


@dataclass(frozen=True)
class EndingFact:
    """A fact that stops holding soon, or no longer holds, and whose it is."""

    organisation: Organisation
    fact: Fact
    source: Source


def ending_facts(
    knowledge: Knowledge, today: datetime.date, days: int = ENDING_WITHIN_DAYS
) -> tuple[list[EndingFact], list[EndingFact]]:
    """The facts that stop holding within ``days``, and those already ended."""
    soon, ended = [], []
    horizon = (today + datetime.timedelta(days=days)).isoformat()
    for organisation in knowledge.organisations.values():
        for fact in organisation.facts:
            if fact.valid_until is None:
                continue
            entry = EndingFact(organisation, fact, knowledge.sources[fact.source])
            if fact.valid_until < today.isoformat():
                ended.append(entry)
            elif fact.valid_until <= horizon:
                soon.append(entry)
    return (
        sorted(soon, key=lambda e: e.fact.valid_until),
        sorted(ended, key=lambda e: e.fact.valid_until, reverse=True),
    )


def warn_about_due_sources(knowledge: Knowledge) -> None:
    """Logs the sources not checked for a year, so whoever runs the assistant knows."""
    due = due_sources(knowledge, datetime.date.today())
    if due:
        logger.warning(
            "%d knowledge sources were not checked for over %d days (the oldest: "
            "%s, %s): re-check them and update 'checked' in data/knowledge/"
            "sources.yml; the administrator's portal lists them at /staff/sources",
            len(due),
            RECHECK_AFTER_DAYS,
            due[0].id,
            due[0].checked,
        )


@cache
def shipped_knowledge() -> Knowledge:
    """The knowledge files that ship with the code, read once per process."""
    return load_knowledge()
