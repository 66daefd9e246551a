"""Checks the NLU training and held-out data: intents, entity markup, counts, overlap.

Run ``python -m bot.nlu.check [lang ...]`` to print a table per language.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from bot.languages import SUPPORTED_LANGUAGES
from bot.settings import ROOT

TRAINING_DIR = ROOT / "data" / "nlu"
# Two held-out sets, never trained on: ``dev`` is read while improving the model,
# ``test`` (written the same way, by other writers) only for the README's figures.
HELDOUT_DIR = ROOT / "tests" / "nlu" / "dev"
TEST_DIR = ROOT / "tests" / "nlu" / "test"
# Reviewers' labelled messages kept aside by the export (scripts/export_reviewed.py):
# never trained on, they show whether retraining on the others helped.
REVIEWED_DIR = ROOT / "tests" / "nlu" / "reviewed"
# The conversation test set: none of its messages may be trained on. One- and
# two-word messages ("merhaba", "ok thanks") are exempt: no data can avoid them.
CONVERSATION_DIR = ROOT / "tests" / "conversations"
SHORTEST_CHECKED_MESSAGE = 3


@cache
def domain_names(kind: str) -> tuple[str, ...]:
    """The domain's ``intents`` or ``entities``, in its order."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return tuple(
        next(iter(item)) if isinstance(item, dict) else str(item)
        for item in domain.get(kind, [])
    )


@cache
def typed_intents() -> tuple[str, ...]:
    """The domain's intents that people type: those with NLU training examples.

    The others are only sent by buttons (``/check_eligibility``); every typed intent
    needs examples in every language and in both held-out sets.
    """
    trained: set[str] = set()
    for path in TRAINING_DIR.rglob("*.yml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        trained |= {b["intent"] for b in document.get("nlu", []) if "intent" in b}
    return tuple(intent for intent in domain_names("intents") if intent in trained)


# The fewest examples of a typed intent per language: to train on, in each held-out set.
MIN_TRAINING_EXAMPLES = 25
MIN_HELDOUT_EXAMPLES = 8


def enough(training: int, dev: int, test: int) -> bool:
    """Whether an intent has enough examples in each split of a language."""
    return training >= MIN_TRAINING_EXAMPLES and min(dev, test) >= MIN_HELDOUT_EXAMPLES


_ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+)\](?:\((?P<name>[^)]+)\)|(?P<json>\{[^}]*\}))"
)


@dataclass
class LanguageData:
    """Examples of one language, by intent, for training and held-out evaluation."""

    training: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    heldout: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    test: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    reviewed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def splits(self) -> tuple[dict[str, list[str]], ...]:
        """Training, dev and test examples by intent."""
        return self.training, self.heldout, self.test

    problems: list[str] = field(default_factory=list)


def plain_text(example: str) -> str:
    """The example as the user typed it, without entity markup."""
    return _ANNOTATION.sub(lambda m: m.group("text"), example)


def _check_annotations(example: str, where: str) -> list[str]:
    problems = []
    for match in _ANNOTATION.finditer(example):
        if match.group("name"):
            name = match.group("name")
        else:
            try:
                spec = json.loads(match.group("json"))
            except json.JSONDecodeError:
                problems.append(f"{where}: bad JSON in {match.group(0)!r}")
                continue
            name = spec.get("entity")
            if name == "language" and spec.get("value") not in SUPPORTED_LANGUAGES:
                problems.append(f"{where}: language value must be a code: {example!r}")
        if name not in domain_names("entities"):
            problems.append(f"{where}: unknown entity {name!r} in {example!r}")
    leftover = _ANNOTATION.sub("", example)
    if re.search(r"\]\(|\]\{", leftover):
        problems.append(f"{where}: broken entity markup in {example!r}")
    return problems


def _read(path: Path, into: dict[str, list[str]], problems: list[str]) -> None:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        problems.append(f"{path}: not valid YAML: {error}")
        return
    for block in document.get("nlu", []):
        intent = block.get("intent")
        if intent is None:
            continue
        if intent not in domain_names("intents"):
            problems.append(f"{path}: unknown intent {intent!r}")
        language = (block.get("metadata") or {}).get("language")
        if path.parent.parent == TRAINING_DIR and language != path.parent.name:
            problems.append(
                f"{path}: intent {intent!r} needs 'metadata: language: "
                f"{path.parent.name}' (the language identifier learns from it)"
            )
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if not line:
                continue
            if not line.startswith("- "):
                problems.append(f"{path}: example line must start with '- ': {line!r}")
                continue
            example = line[2:].strip()
            problems.extend(_check_annotations(example, str(path)))
            into[intent].append(example)


def load_language(lang: str) -> LanguageData:
    """Reads all training files of ``lang`` and its held-out file."""
    data = LanguageData()
    for path in sorted((TRAINING_DIR / lang).glob("*.yml")):
        _read(path, data.training, data.problems)
    for directory, into in (
        (HELDOUT_DIR, data.heldout),
        (TEST_DIR, data.test),
        (REVIEWED_DIR, data.reviewed),
    ):
        if (directory / f"{lang}.yml").exists():
            _read(directory / f"{lang}.yml", into, data.problems)
    seen: dict[str, str] = {}
    for split, examples in (
        ("training", data.training),
        ("dev", data.heldout),
        ("test", data.test),
        ("reviewed", data.reviewed),
    ):
        for intent, items in examples.items():
            for example in items:
                key = plain_text(example).casefold().strip(" ?!.")
                if key in seen and seen[key] != f"{split}/{intent}":
                    data.problems.append(
                        f"{lang}: {example!r} in {split}/{intent} repeats {seen[key]}"
                    )
                seen.setdefault(key, f"{split}/{intent}")
    return data


def conversation_messages() -> set[str]:
    """The conversation set's user messages of three words or more, normalised."""
    messages = set()
    for path in sorted(CONVERSATION_DIR.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for conversation in document.get("conversations", []):
            for turn in conversation.get("turns", []):
                key = str(turn.get("user", "")).casefold().strip(" ?!.")
                if len(key.split()) >= SHORTEST_CHECKED_MESSAGE:
                    messages.add(key)
    return messages


def trained_conversation_messages(data: dict[str, LanguageData]) -> list[str]:
    """Training examples that are messages of the conversation test set."""
    messages = conversation_messages()
    return [
        f"{lang}: {example!r} ({intent}) is in the conversation test set"
        for lang, language_data in data.items()
        for intent, items in language_data.training.items()
        for example in items
        if plain_text(example).casefold().strip(" ?!.") in messages
    ]


def cross_language_conflicts(data: dict[str, LanguageData]) -> list[str]:
    """Training texts labelled with different intents in different languages.

    One model learns all languages, so "tak" cannot be "yes" (Ukrainian) and "thanks"
    (a Swedish misspelling) at once.
    """
    intents: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for lang, language_data in data.items():
        for intent, items in language_data.training.items():
            for example in items:
                key = plain_text(example).casefold().strip(" ?!.")
                intents[key].add((intent, lang))
    return [
        f"{text!r} is {', '.join(f'{i} ({lang})' for i, lang in sorted(labels))}"
        for text, labels in sorted(intents.items())
        if len({intent for intent, _ in labels}) > 1
    ]


def main(argv: list[str]) -> int:
    """Prints per-intent counts and every problem; fails when there is a problem."""
    langs = argv or sorted(p.name for p in TRAINING_DIR.iterdir() if p.is_dir())
    failed = False
    every_language = {lang: load_language(lang) for lang in langs}
    for conflict in cross_language_conflicts(every_language):
        print(f"PROBLEM: {conflict}")
        failed = True
    for trained in trained_conversation_messages(every_language):
        print(f"PROBLEM: {trained}")
        failed = True
    for lang in langs:
        data = every_language[lang]
        print(f"== {lang}: intent  training  dev  test")
        for intent in typed_intents():
            counts = [len(split[intent]) for split in data.splits()]
            flag = "" if enough(*counts) else "   <-- too few"
            print(f"   {intent:32} {counts[0]:4} {counts[1]:4} {counts[2]:4}{flag}")
        entity_counts = Counter(
            m.group("name") or json.loads(m.group("json")).get("entity")
            for items in data.training.values()
            for example in items
            for m in _ANNOTATION.finditer(example)
            if m.group("name") or m.group("json")
        )
        print(f"   entities: {dict(entity_counts)}")
        for problem in data.problems:
            print(f"   PROBLEM {problem}")
        failed |= bool(data.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
