"""The knowledge files load, every fact is sourced, broken files are refused."""

import datetime
import logging
import shutil
from pathlib import Path

import pytest

from bot.knowledge.loading import (
    KNOWLEDGE_DIR,
    KnowledgeError,
    due_sources,
    load_knowledge,
    warn_about_due_sources,
)
from bot.knowledge.places import PlaceResolver

KNOWLEDGE = load_knowledge()


def test_every_fact_has_a_source_with_an_address_and_a_date() -> None:
    for organisation in KNOWLEDGE.organisations.values():
        for fact in organisation.facts:
            source = KNOWLEDGE.sources[fact.source]
            assert source.url.startswith("https://") and source.checked


def test_every_source_is_a_page_checked_on_a_day() -> None:
    for source in KNOWLEDGE.sources.values():
        assert datetime.date.fromisoformat(source.checked) <= datetime.date.today()
    used = {
        source
        for organisation in KNOWLEDGE.organisations.values()
        for source in [f.source for f in organisation.facts]
        + [
            s
            for sentences in organisation.answers.values()
            for x in sentences
            for s in x.sources
        ]
    }
    assert used == set(KNOWLEDGE.sources)  # no source left unused


def test_sources_not_checked_for_a_year_are_logged_for_re_checking(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        warn_about_due_sources(KNOWLEDGE)
    due = due_sources(KNOWLEDGE, datetime.date.today())
    assert due and f"{len(due)} knowledge sources were not checked" in caplog.text
    assert due_sources(KNOWLEDGE, datetime.date(2025, 6, 1)) == [
        KNOWLEDGE.sources["permicro"]  # its page is from 2017; the others from 2024-25
    ]


def test_each_country_has_a_lender_and_a_recognition_body() -> None:
    for country in ("BE", "NL", "FI", "IT"):
        topics = {
            topic
            for organisation in KNOWLEDGE.organisations.values()
            if organisation.country == country
            for topic in organisation.topics
        }
        assert {"microloan", "qualification_recognition"} <= topics


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    return directory


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    "file, old, new, message",
    [
        (
            "partners/qredits.yml",
            "    source: qredits-faq\n",
            "",
            "partners/qredits.yml:13: 'source' is missing",
        ),
        (
            "partners/qredits.yml",
            "source: qredits-faq",
            "source: a-blog-somewhere",
            "partners/qredits.yml:13: unknown source 'a-blog-somewhere'",
        ),
        (
            "partners/microstart.yml",
            "country: BE\n",
            "",
            "partners/microstart.yml:4: 'country' is missing",
        ),
        (
            "partners/city-of-vantaa.yml",
            "cities: [vantaa]",
            "cities: [atlantis]",
            "unknown place 'atlantis' in serves.cities",
        ),
        (  # its words are claims: a sentence needs its source, facts or not
            "partners/microstart.yml",
            "      about: [interest]\n      source: vlaio-microstart\n",
            "      about: [interest]\n",
            "microstart.yml:59: a sentence needs a 'source'",
        ),
        (  # a figure typed into a sentence cannot be traced, flagged or expired
            "partners/permicro.yml",
            "based in Turin since {founded}",
            "based in Turin since 2007",
            "permicro.yml:44: the figure '2007' is typed into the sentence",
        ),
        (
            "partners/microstart.yml",
            "free courses that help",
            "14 free courses that help",
            "the figure '14' is typed into the sentence",
        ),
        (
            "sources.yml",
            "checked: 2025-01-01",
            "checked: 2025",
            "sources.yml:15: 'checked' must be a day, YYYY-MM-DD",
        ),
        (
            "partners/finnvera.yml",
            "    valid_until: 2025-03-31\n",
            "    valid_until: 2024-03-31\n",
            "finnvera.yml:30: 'valid_from' is after 'valid_until'",
        ),
        (  # a sentence is said in the past only after something it states ends
            "partners/microstart.yml",
            '    - say: "A credit committee decides every week."\n',
            '    - say: "A credit committee decides every week."\n'
            '      after: "A credit committee decided every week: see {url}."\n',
            "microstart.yml:66: 'after' needs a fact with 'valid_until'",
        ),
        (  # a figure in a sentence must be one of the organisation's facts
            "recognition/idw.yml",
            "costs {fee}.",
            "costs {fees}.",
            "idw.yml:30: {fees} is not a fact with a value",
        ),
        (
            "partners/finnvera.yml",
            "apply at {url}.",
            "apply online.",
            "finnvera.yml:2: next_step must give the link",
        ),
        (
            "partners/qredits.yml",
            "answers:\n",
            "answers:\n  family_support:\n    - say: Hi\n      source: qredits-faq\n",
            "qredits.yml:2: answer for 'family_support', not in its topics",
        ),
        (
            "places.yml",
            "    region: flanders\n",
            "    region: flandres\n",
            "places.yml:36: unknown region 'flandres'",
        ),
    ],
)
def test_broken_knowledge_is_refused_with_file_and_line(
    broken: Path, file: str, old: str, new: str, message: str
) -> None:
    edit(broken / file, old, new)
    with pytest.raises(KnowledgeError, match=message.replace("'", ".")):
        load_knowledge(broken)


RESOLVER = PlaceResolver(KNOWLEDGE)


@pytest.mark.parametrize(
    "language, text, place",
    [
        ("en", "I live in Brussels", "brussels"),
        ("en", "we moved to Den Haag last year", "the-hague"),
        ("fr", "j'habite à Bruxelles", "brussels"),
        ("fr", "je suis à Anvers", "antwerp"),
        ("nl", "ik woon in Brussel", "brussels"),
        ("nl", "ik woon in 's-Gravenhage", "the-hague"),
        ("fi", "asun Vantaalla", "vantaa"),
        ("fi", "asun Helsingissä", "helsinki"),
        ("sv", "jag bor i Vanda", "vantaa"),
        ("sv", "jag bor i Åbo", "turku"),
        ("it", "abito a Torino", "turin"),
        ("it", "vivo a l'Aia", "the-hague"),
        ("ar", "أسكن في بروكسل", "brussels"),
        ("ar", "ساكن بهولندا", "NL"),
        ("uk", "живу у Брюсселі", "brussels"),
        ("uk", "я в Нідерландах", "NL"),
        ("ru", "я живу в Брюсселе", "brussels"),
        ("ru", "мы в Турине", "turin"),
        ("tr", "Brükselde yaşıyorum", "brussels"),
        ("tr", "Hollanda'da oturuyorum", "NL"),
    ],
)
def test_places_resolve_in_every_language_and_script(
    language: str, text: str, place: str
) -> None:
    resolved = RESOLVER.resolve(text, language)
    assert resolved is not None and resolved.id == place


@pytest.mark.parametrize(
    "language, text",
    [
        ("it", "parlo italiano"),
        ("nl", "vandaag niet"),
        ("fr", "c'est gentil"),
        ("en", "I'm from Romania"),
        ("en", "I live in Madrid"),
        ("tr", "hollandaca biliyorum"),
    ],
)
def test_words_that_only_look_like_places_do_not_resolve(language: str, text: str):
    assert RESOLVER.resolve(text, language) is None


def test_a_city_wins_over_its_country() -> None:
    resolved = RESOLVER.resolve("I live in Belgium, in Ghent", "en")
    assert resolved is not None and resolved.id == "ghent"
    assert resolved.region == "flanders"


def test_towns_file_is_what_its_script_makes() -> None:
    """towns.yml is generated from GeoNames and places.yml: never edited by hand."""
    from scripts.build_towns import OUTPUT, build, render

    assert OUTPUT.read_text(encoding="utf-8") == render(build())


def test_towns_are_understood_but_not_offered_to_staff() -> None:
    from bot.staff.handoff import city_choices

    knowledge = load_knowledge()
    resolver = PlaceResolver(knowledge)
    [mechelen] = resolver.find("k ben naar Mechelen verhuisd", "nl")
    assert (mechelen.country, mechelen.region) == ("BE", "flanders")
    [aarschot] = resolver.find("ik woon in Aarschot", "nl")
    assert not aarschot.listed and aarschot.region == "flanders"
    assert aarschot.id not in dict(city_choices())
    [lugano] = resolver.mentions("abito a Lugano", "it")
    assert lugano.place.kind == "elsewhere"
    assert resolver.mentions("ho cento euro e una villa al mare", "it") == []


@pytest.mark.parametrize(
    ("text", "language", "place"),
    [
        ("zdravstvuyte, ya v Bryussele zhivu", "ru", "brussels"),
        ("pryvit, my zhyvemo v Antverpeni", "uk", "antwerp"),
        ("la gente dice che è facile", "it", None),  # Italian, not Гент
        ("il mio amico Namen", "it", None),  # a GeoNames name of Namur, and a word
    ],
)
def test_places_typed_on_a_latin_keyboard(
    text: str, language: str, place: str | None
) -> None:
    found = PlaceResolver(load_knowledge()).find(text, language)
    assert [p.id for p in found][:1] == ([place] if place else [])
