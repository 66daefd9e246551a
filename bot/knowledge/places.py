"""Finds where a user lives in what they write, in any launch language or script.

A blank spaCy pipeline per language tokenises the text the way that language is
written; a ``Matcher`` built from the alias table of ``data/knowledge/places.yml``
then finds the places. An alias may carry a case ending (Vantaa-lla, Brüksel'de,
Брюссел-і) or, in Arabic, attached prepositions (ب-هولندا): the endings are listed
per script below, so "italiano" never matches Italia and "vandaag" never Vanda.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import spacy
from spacy.language import Language
from spacy.matcher import Matcher

from bot.knowledge.loading import Knowledge, Place
from bot.languages import SUPPORTED_LANGUAGES, normalise_text

# Case endings that may follow a place name (Finnish, Turkish with or without the
# apostrophe, Swedish/Dutch/English genitive); single letters only after an apostrophe.
_LATIN_ENDINGS = (
    "n ssa ssä sta stä lla llä lta ltä lle na nä ksi an en in on un aan een iin seen "
    "issa issä ista istä ille illa illä ilta iltä iin da de ta te dan den tan ten ya "
    "ye dayım deyim tayım teyim dayim dayız deyiz dayiz"
).split()
_APOSTROPHE_ENDINGS = (
    "da de ta te dan den tan ten a e ı i u ü ya ye yı yi yu yü ın in un ün nın nin s "
    "dayım deyim tayım teyim dayim dayız deyiz dayiz daydım deydim"
).split()
_CYRILLIC_ENDINGS = "ь е і у ю а я и ї ы ом ем ой ей ах ях ії ии ов ю".split()
_ARABIC_PREFIX = "(?:و|ف)?(?:ب|ل|ك)?(?:ال)?"
MIN_INFLECTED_ALIAS = 4
# A word this long may be a city's name with one letter wrong ("Brusels",
# "Amsterdan"), when the name has at least MIN_FUZZY_ALIAS letters and both begin
# alike ("serving" is not Seraing, "jongeren" not Tongeren).
MIN_FUZZY_WORD = 7
MIN_FUZZY_ALIAS = 8
SAME_BEGINNING = 3


# Latin letters that look like Cyrillic ones, typed by mistake inside Cyrillic
# words on a phone ("гентi" with a Latin i).
_TO_CYRILLIC = str.maketrans("aceiopxy", "асеіорху")
_MIXED_WORD = re.compile(r"\w*[\u0400-\u04ff]\w*")


def _unmix(text: str) -> str:
    """Cyrillic words with Latin look-alike letters, written all in Cyrillic."""
    return _MIXED_WORD.sub(lambda word: word.group().translate(_TO_CYRILLIC), text)


def _stems(word: str) -> list[str]:
    """The word, and for a Cyrillic name ending in a vowel its stem.

    Болонья is Болонье and Болоньи in a sentence, Москва is Москве.
    """
    cyrillic = re.search("[\u0400-\u04ff]", word)
    if cyrillic and len(word) > MIN_INFLECTED_ALIAS + 1 and word[-1] in "аяьйоеиыіу":
        return [word, word[:-1]]
    return [word]


def _deletions(word: str) -> set[str]:
    """The word with each one letter left out: two words one edit apart share one."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _ending_pattern(alias: str) -> str:
    """A regular expression for one alias word with the endings its script allows."""
    word = re.escape(alias)
    if re.search("[\u0600-\u06ff]", alias):  # غنت is بغنت "in Ghent" too
        return f"^{_ARABIC_PREFIX}{word}$"
    if len(alias) < MIN_INFLECTED_ALIAS:
        return f"^{word}$"
    if re.search("[\u0400-\u04ff]", alias):
        return f"^{word}(?:{'|'.join(_CYRILLIC_ENDINGS)})?$"
    latin = "|".join(_LATIN_ENDINGS)
    apostrophe = "|".join(_APOSTROPHE_ENDINGS)
    return f"^{word}(?:{latin}|['’](?:{apostrophe}))?$"


@dataclass(frozen=True)
class Mention:
    """A place named in a text, and where: ``text[start:end]`` is the name."""

    place: Place
    start: int
    end: int


class PlaceResolver:
    """Resolves places in text with one spaCy pipeline and matcher per language."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.places = knowledge.places
        self.elsewhere = knowledge.elsewhere
        self._misspelt: dict[str, str] = {}  # a name or its deletion -> city id
        for place in self.places.values():
            if place.kind != "city":
                continue
            for alias in place.aliases:
                name = normalise_text(alias)
                if len(name) >= MIN_FUZZY_ALIAS and name.isalpha():
                    for variant in {name} | _deletions(name):
                        self._misspelt.setdefault(variant, place.id)
        self._not_places = {normalise_text(word) for word in knowledge.not_places}
        self._pipelines: dict[str, tuple[Language, Matcher]] = {}

    def _pipeline(self, language: str) -> tuple[Language, Matcher]:
        language = language if language in SUPPORTED_LANGUAGES else "xx"
        if language not in self._pipelines:
            self._pipelines[language] = self._build(language)
        return self._pipelines[language]

    def _build(self, language: str) -> tuple[Language, Matcher]:
        nlp = spacy.blank(language)
        matcher = Matcher(nlp.vocab)
        for place in (*self.places.values(), *self.elsewhere.values()):
            patterns = []
            for alias in place.aliases:
                words = [token.text for token in nlp.make_doc(normalise_text(alias))]
                for last in _stems(words[-1]):
                    pattern = [{"LOWER": word} for word in words[:-1]]
                    pattern.append({"LOWER": {"REGEX": _ending_pattern(last)}})
                    patterns.append(pattern)
            matcher.add(place.id, patterns)
        return nlp, matcher

    def mentions(self, text: str, language: str) -> list[Mention]:
        """Every place named in ``text``, in reading order, served or not.

        Where names overlap ("Reggio Emilia" and "Emilia"), the longest wins.
        """
        nlp, matcher = self._pipeline(language)
        doc = nlp.make_doc(_unmix(normalise_text(text)))
        spans = sorted(
            (
                (start, end, nlp.vocab.strings[match_id])
                for match_id, start, end in matcher(doc)
            ),
            key=lambda m: (m[0], -(m[1] - m[0])),
        )
        covered = set()
        found: list[Mention] = []
        for start, end, place_id in spans:
            if start in covered or doc[start:end].text in self._not_places:
                continue
            covered.update(range(start, end))
            place = self.places.get(place_id) or self.elsewhere[place_id]
            found.append(
                Mention(place, doc[start].idx, doc[end - 1].idx + len(doc[end - 1]))
            )
        for token in doc:
            if token.i in covered or len(token.text) < MIN_FUZZY_WORD:
                continue
            variants = [token.text, *sorted(_deletions(token.text))]
            city = next(
                (
                    self._misspelt[v]
                    for v in variants
                    if v in self._misspelt
                    and v[:SAME_BEGINNING] == token.text[:SAME_BEGINNING]
                ),
                None,
            )
            if city is not None:
                found.append(
                    Mention(self.places[city], token.idx, token.idx + len(token))
                )
        return sorted(found, key=lambda mention: mention.start)

    def find(self, text: str, language: str) -> list[Place]:
        """Every served place named in ``text``, most specific (cities) first."""
        found = {m.place.id: m.place for m in self.mentions(text, language)}
        order = {"city": 0, "region": 1, "country": 2}
        served = (p for p in found.values() if p.kind in order)
        return sorted(served, key=lambda p: order[p.kind])

    def resolve(self, text: str, language: str) -> Place | None:
        """The most specific served place named in ``text``, if any."""
        places = self.find(text, language)
        return places[0] if places else None
