"""Every reply exists in every supported language, with intact placeholders."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, placeholders
from bot.languages import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES
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
