"""Every reply exists in every supported language, with intact placeholders."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, placeholders
from bot.languages import DEFAULT_LANGUAGE, STAFF_LANGUAGES, SUPPORTED_LANGUAGES
from bot.settings import ROOT

TRANSLATED = [lang for lang in SUPPORTED_LANGUAGES if lang != DEFAULT_LANGUAGE]


def read_catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def message_ids_in_code() -> set[str]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {
        message
        for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map)
        if isinstance(message, str)
    }


def test_template_has_every_message_of_the_code() -> None:
    template = {m.id for m in read_catalog(LOCALES_DIR / "messages.pot") if m.id}
    assert template == message_ids_in_code(), "run `make extract` and translate"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language: str) -> None:
    path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"no catalog for {language}"
    catalog = {m.id: m for m in read_catalog(path) if m.id}
    template = [m.id for m in read_catalog(LOCALES_DIR / "messages.pot") if m.id]
    missing = [i for i in template if i not in catalog or not catalog[i].string]
    fuzzy = [i for i in template if i in catalog and catalog[i].fuzzy]
    assert missing == [], f"{language}: untranslated {missing}"
    assert fuzzy == [], f"{language}: fuzzy (needs review) {fuzzy}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_their_placeholders(language: str) -> None:
    path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    broken = [
        (m.id, m.string)
        for m in read_catalog(path)
        if m.id and m.string and placeholders(m.id) != placeholders(m.string)
    ]
    assert broken == []


STAFF_TRANSLATED = [lang for lang in STAFF_LANGUAGES if lang != "en"]
STAFF_KEYWORDS = {"S_": None, "_": None, "gettext": None, "ngettext": (1, 2)}
PERCENT_FIELD = re.compile(r"%\((\w+)\)s|%%")


def staff_message_ids_in_code() -> set[str]:
    with (ROOT / "babel-portal.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=STAFF_KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return {message for message in found if isinstance(message, str)}


def test_staff_template_has_every_text_of_the_staff_pages() -> None:
    template = {m.id for m in read_catalog(LOCALES_DIR / "portal.pot") if m.id}
    singular = {i[0] if isinstance(i, tuple) else i for i in template}
    assert singular == staff_message_ids_in_code(), "run `make extract` and translate"


@pytest.mark.parametrize("language", STAFF_TRANSLATED)
def test_every_staff_text_is_translated_with_its_fields(language: str) -> None:
    path = LOCALES_DIR / language / "LC_MESSAGES" / "portal.po"
    catalog = {m.id: m for m in read_catalog(path) if m.id}
    template = [m.id for m in read_catalog(LOCALES_DIR / "portal.pot") if m.id]
    missing = [
        i
        for i in template
        if i not in catalog
        or not all(catalog[i].string if isinstance(catalog[i].string, tuple)
                   else [catalog[i].string])
    ]  # fmt: skip
    assert missing == [], f"{language}: untranslated {missing}"
    assert [i for i in template if catalog[i].fuzzy] == []
    for message_id, message in catalog.items():
        ids = message_id if isinstance(message_id, tuple) else (message_id,)
        strings = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        expected = sorted(PERCENT_FIELD.findall(ids[-1]))
        for string in strings:
            assert sorted(PERCENT_FIELD.findall(string)) == expected, (
                message_id,
                string,
            )


def test_the_catalogs_are_those_of_the_language_lists() -> None:
    """The Makefile compiles what is in locales/; bot/languages.py names the lists."""

    def with_catalog(name: str) -> set[str]:
        return {p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{name}")}

    assert with_catalog("messages.po") == set(TRANSLATED)
    assert with_catalog("portal.po") == set(STAFF_TRANSLATED)
