"""Finds where a user lives in what they write, in any launch language or script.

A blank spaCy pipeline per language tokenises the text the way that language is
written; a ``Matcher`` built from the alias table of ``data/knowledge/places.yml``
then finds the places. An alias may carry a case ending (Vantaa-lla, Brüksel'de,
Брюссел-і) or, in Arabic, attached prepositions (ب-هولندا): the endings are listed
per script below, so "italiano" never matches Italia and "vandaag" never Vanda.
"""

from __future__ import annotations

import re

import spacy
from spacy.language import Language
from spacy.matcher import Matcher

from bot.knowledge.loading import Knowledge, Place
from bot.languages import SUPPORTED_LANGUAGES, normalise_text

# Case endings that may follow a place name (Finnish, Turkish with or without the
# apostrophe, Swedish/Dutch/English genitive); single letters only after an apostrophe.
_LATIN_ENDINGS = (
    "n ssa ssä sta stä lla llä lta ltä lle na nä ksi an en in on un aan een iin seen "
    "issa issä ista istä ille illa illä ilta iltä iin da de ta te dan den tan ten ya ye"
).split()
_APOSTROPHE_ENDINGS = (
    "da de ta te dan den tan ten a e ı i u ü ya ye yı yi yu yü ın in un ün nın nin s"
).split()
_CYRILLIC_ENDINGS = "ь е і у ю а я и ї ы ом ем ой ей ах ях ії ии ов ю".split()
_ARABIC_PREFIX = "(?:و|ف)?(?:ب|ل|ك)?(?:ال)?"
MIN_INFLECTED_ALIAS = 4


def _ending_pattern(alias: str) -> str:
    """A regular expression for one alias word with the endings its script allows."""
    word = re.escape(alias)
    if len(alias) < MIN_INFLECTED_ALIAS:
        return f"^{word}$"
    if re.search("[\u0600-\u06ff]", alias):
        return f"^{_ARABIC_PREFIX}{word}$"
    if re.search("[\u0400-\u04ff]", alias):
        return f"^{word}(?:{'|'.join(_CYRILLIC_ENDINGS)})?$"
    latin = "|".join(_LATIN_ENDINGS)
    apostrophe = "|".join(_APOSTROPHE_ENDINGS)
    return f"^{word}(?:{latin}|['’](?:{apostrophe}))?$"


class PlaceResolver:
    """Resolves places in text with one spaCy pipeline and matcher per language."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.places = knowledge.places
        self._pipelines: dict[str, tuple[Language, Matcher]] = {}

    def _pipeline(self, language: str) -> tuple[Language, Matcher]:
        language = language if language in SUPPORTED_LANGUAGES else "xx"
        if language not in self._pipelines:
            self._pipelines[language] = self._build(language)
        return self._pipelines[language]

    def _build(self, language: str) -> tuple[Language, Matcher]:
        nlp = spacy.blank(language)
        matcher = Matcher(nlp.vocab)
        for place in self.places.values():
            patterns = []
            for alias in place.aliases:
                words = [token.text for token in nlp.make_doc(normalise_text(alias))]
                pattern = [{"LOWER": word} for word in words[:-1]]
                pattern.append({"LOWER": {"REGEX": _ending_pattern(words[-1])}})
                patterns.append(pattern)
            matcher.add(place.id, patterns)
        return nlp, matcher

    def find(self, text: str, language: str) -> list[Place]:
        """Every place named in ``text``, most specific (cities) first."""
        nlp, matcher = self._pipeline(language)
        doc = nlp.make_doc(normalise_text(text))
        found = {nlp.vocab.strings[match_id] for match_id, _, _ in matcher(doc)}
        order = {"city": 0, "region": 1, "country": 2}
        return sorted((self.places[i] for i in found), key=lambda p: order[p.kind])

    def resolve(self, text: str, language: str) -> Place | None:
        """The most specific place named in ``text``, if any."""
        places = self.find(text, language)
        return places[0] if places else None
