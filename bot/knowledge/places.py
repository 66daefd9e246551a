"""Finds where a user lives in what they write, in any launch language or script.

A blank spaCy pipeline per language tokenises the text the way that language is
written; each word, and what it is without a case ending, is then looked up among
the aliases of ``data/knowledge/places.yml`` (a dictionary lookup per form, so
thousands of aliases cost no more than fifteen). An alias may carry a case ending
(Vantaa-lla, Brüksel'de, Брюссел-і) or, in Arabic, attached prepositions
(ب-هولندا): the endings are listed per script below, so "italiano" never matches
Italia.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from bot.knowledge.loading import Knowledge, Place
from bot.languages import SUPPORTED_LANGUAGES
from bot.nlu.text import normalise_text

# Case endings that may follow a place name (Finnish, Turkish with or without the
# apostrophe, Swedish/Dutch/English genitive); single letters only after an apostrophe.
_LATIN_ENDINGS = (
    "n ssa ssä sta stä lla llä lta ltä lle na nä ksi an en in on un aan een iin seen "
    # spoken Finnish drops the last vowel: Vantaal, Hesas, Brysselis, Tampereelt
    "l s is st lt ss ll "
    "issa issä ista istä ille illa illä ilta iltä iin da de ta te dan den tan ten ya "
    "ye dayım deyim tayım teyim dayim dayız deyiz dayiz"
).split()
_APOSTROPHE_ENDINGS = (
    "da de ta te dan den tan ten a e ı i u ü ya ye yı yi yu yü ın in un ün nın nin s "
    "dayım deyim tayım teyim dayim dayız deyiz dayiz daydım deydim"
).split()
_CYRILLIC_ENDINGS = "ь е і у ю а я и ї ы ом ем ой ей ах ях ії ии ов ю".split()
# Ukrainian (and Russian) locatives change the stem's last consonant: Тілбург ->
# у Тілбурзі, Гамбург -> в Гамбурзі, Цюрих -> в Цюрисі.
_SLAVIC_ALTERNATIONS = {"зі": "г", "ці": "к", "сі": "х", "зе": "г", "це": "к"}
_ARABIC_PREFIX = "(?:و|ف)?(?:ب|ل|ك)?(?:ال)?"
# Persian endings on a place's name: "I am (in)" (folded: ی is ي).
_PERSIAN_ENDINGS = ("م", "ام", "يم", "ايم")
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


# Russian and Ukrainian as typed on a Latin keyboard ("ya v Bryussele zhivu").
_TRANSLIT = {
    **dict(zip("абвгдезийклмнопрстуфыэіїєґ", "abvgdeziyklmnoprstufyeiiyeg")),
    "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ю": "yu",
    "я": "ya", "ё": "yo", "ь": "", "ъ": "", "'": "", "’": "",
}  # fmt: skip
# A transliterated name and its locatives this long cannot be a common word
# ("gente" is Italian for people, "Genti" is not Гент).
MIN_TRANSLITERATED = 6


def _with_transliterations(aliases: tuple[str, ...]) -> list[str]:
    """The aliases, and their Cyrillic ones in Latin letters, with the locatives.

    "Брюссель" is also "Bryussel", "Bryussele" (в Брюсселе) and "Bryusseli".
    """
    extra = []
    for alias in aliases:
        word = alias.lower()
        if not re.fullmatch(r"[\u0400-\u04ff]+", word):
            continue
        latin = "".join(_TRANSLIT.get(char, char) for char in word)
        stem = latin.rstrip("aeiouy")
        forms = {latin, stem + "e", stem + "i"} if len(stem) > 3 else {latin}
        extra.extend(f for f in forms if len(f) >= MIN_TRANSLITERATED)
    return [*aliases, *extra]


def _deletions(word: str) -> set[str]:
    """The word with each one letter left out: two words one edit apart share one."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


_ARABIC_PREFIXES = sorted(
    {
        a + b + c
        for a in ("", "و", "ف")
        for b in ("", "ب", "ل", "ك")
        for c in ("", "ال")
    },
    key=len,
)


def _bases(word: str) -> set[tuple[str, bool]]:
    """The names a written word may be, each with whether it took an ending.

    "vantaalla" may be "vantaa" with an ending, "brükselde" "brüksel", "брюсселі"
    "брюссел", "بهولندا" "هولندا" (an Arabic prefix is not an ending: short names
    take it too).
    """
    bases = {(word, False)}
    if re.search("[\u0600-\u06ff]", word):
        bases |= {
            (word[len(prefix) :], False)
            for prefix in _ARABIC_PREFIXES
            if prefix and word.startswith(prefix) and len(word) > len(prefix)
        }
        # Persian "I am (in)": میلانم, هلندم, آمستردامیم
        return bases | {
            (word[: -len(ending)], True)
            for ending in _PERSIAN_ENDINGS
            if word.endswith(ending) and len(word) > len(ending) + 2
        }
    cyrillic = re.search("[\u0400-\u04ff]", word)
    endings = _CYRILLIC_ENDINGS if cyrillic else _LATIN_ENDINGS
    for ending in endings:
        if word.endswith(ending):
            bases.add((word[: -len(ending)], True))
    if cyrillic and word[-2:] in _SLAVIC_ALTERNATIONS:  # у Тілбурзі: Тілбург
        bases.add((word[:-2] + _SLAVIC_ALTERNATIONS[word[-2:]], True))
    apostrophe = re.fullmatch(r"(.+)['’](\w+)", word)  # Brüksel'de
    if apostrophe and apostrophe.group(2) in _APOSTROPHE_ENDINGS:
        bases.add((apostrophe.group(1), True))
    return bases


@dataclass(frozen=True)
class _Entry:
    """A place whose alias ends in a word, with the words before it.

    ``inflects``: whether the word may take a case ending (four letters or more).
    """

    place_id: str
    before: tuple[str, ...]
    inflects: bool


@dataclass(frozen=True)
class Mention:
    """A place named in a text, and where: ``text[start:end]`` is the name."""

    place: Place
    start: int
    end: int


# The languages spaCy has a tokenizer of (all of ours but Somali).
SPACY_LANGUAGES = frozenset(
    code
    for code in SUPPORTED_LANGUAGES
    if importlib.util.find_spec(f"spacy.lang.{code}")
)


class PlaceResolver:
    """Resolves places in text with one spaCy pipeline and matcher per language."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.places = knowledge.places
        self.elsewhere = knowledge.elsewhere
        self._misspelt: dict[str, str] = {}  # a name or its deletion -> city id
        for place in self.places.values():
            if place.kind != "city" or not place.listed:  # towns.yml: exact names
                continue
            for alias in place.aliases:
                name = normalise_text(alias)
                if len(name) >= MIN_FUZZY_ALIAS and name.isalpha():
                    for variant in {name} | _deletions(name):
                        self._misspelt.setdefault(variant, place.id)
        self._not_places = {normalise_text(word) for word in knowledge.not_places}
        self._pipelines: dict[str, tuple[Language, dict[str, list[_Entry]]]] = {}

    def prepare(self, languages: tuple[str, ...] = SUPPORTED_LANGUAGES) -> None:
        """Builds each language's index now rather than at its first message."""
        for language in languages:
            self._pipeline(language)

    def _pipeline(self, language: str) -> tuple[Language, dict[str, list[_Entry]]]:
        language = language if language in SUPPORTED_LANGUAGES else "xx"
        if language not in SPACY_LANGUAGES:
            language = "xx"  # spaCy has no Somali: its multi-language tokenizer
        if language not in self._pipelines:
            self._pipelines[language] = self._build(language)
        return self._pipelines[language]

    def _build(self, language: str) -> tuple[Language, dict[str, list[_Entry]]]:
        """The language's tokenizer, and each alias's last word to its places."""
        nlp = spacy.blank(language)
        index: dict[str, list[_Entry]] = {}
        for place in (*self.places.values(), *self.elsewhere.values()):
            for alias in _with_transliterations(place.aliases):
                name = normalise_text(alias)
                simple = name.isalpha()  # most names: one word, nothing to split
                words = [name] if simple else [t.text for t in nlp.make_doc(name)]
                for last in _stems(words[-1]):
                    inflects = len(last) >= MIN_INFLECTED_ALIAS
                    entry = _Entry(place.id, tuple(words[:-1]), inflects)
                    index.setdefault(last, []).append(entry)
        return nlp, index

    def _matches(
        self, doc: Doc, index: dict[str, list[_Entry]]
    ) -> list[tuple[int, int, str]]:
        """(start, end, place id) of every alias in the text, endings included."""
        found = set()
        for token in doc:
            for base, inflected in _bases(token.text):
                for entry in index.get(base, ()):
                    start = token.i - len(entry.before)
                    if inflected and not entry.inflects or start < 0:
                        continue
                    if tuple(t.text for t in doc[start : token.i]) == entry.before:
                        found.add((start, token.i + 1, entry.place_id))
        return list(found)

    def mentions(self, text: str, language: str) -> list[Mention]:
        """Every place named in ``text``, in reading order, served or not.

        Where names overlap ("Reggio Emilia" and "Emilia"), the longest wins.
        """
        nlp, index = self._pipeline(language)
        doc = nlp.make_doc(_unmix(normalise_text(text)))
        spans = sorted(
            self._matches(doc, index), key=lambda m: (m[0], -(m[1] - m[0]), m[2])
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
            if token.text in self._not_places:  # "paciencia" is not "Piacenza"
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
