"""Text as the intent classifier and the place finder compare it.

The stored intent model calls ``normalise_text``: the model's hash covers this file.
"""

from __future__ import annotations

import re
import unicodedata


def without_accents(text: str) -> str:
    """The text with its accents and diacritics removed ("Liège" -> "Liege")."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", plain)


# Arabic letters that people write interchangeably (hamza forms, ta marbuta, alif
# maqsura) and the tatweel, folded so that spelling variants share features; Persian
# keyboards' kaf and yeh and Arabic ones' are one letter each, and the zero-width
# non-joiner of "می‌خواهم" is written by some, not by others ("میخواهم").
ARABIC_VARIANTS = str.maketrans(
    {
        "ک": "ك",
        "ی": "ي",
        "ۀ": "ه",
        "\u200c": None,
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ؤ": "و",
        "ئ": "ي",
        "ـ": None,
    }
)


_ARABIC_DIACRITICS = re.compile("[\u064b-\u0652\u0670]")


_STRETCHED = re.compile(r"(.)\1{2,}")


def normalise_text(text: str) -> str:
    """Lowercases, folds Arabic spelling variants, shortens stretched letters."""
    text = _ARABIC_DIACRITICS.sub("", text.translate(ARABIC_VARIANTS)).casefold()
    return _STRETCHED.sub(r"\1\1", text)
