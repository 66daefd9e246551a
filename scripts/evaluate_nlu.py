"""Evaluates the trained NLU model on the held-out examples of every language.

Prints intent precision/recall/F1 per language and per intent, how often the
fallback answers instead, how often the message's language is identified, and the
confusions that matter; fails (exit 1) if a language's macro-F1 is below ``--floor``.
Two held-out sets are never used for training: ``--set dev`` (tests/nlu/dev/, the
default) is the one read while improving the model; ``--set test`` (tests/nlu/test/,
written the same way by other writers) gives the README's figures and nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from sklearn.metrics import precision_recall_fscore_support

from bot.nlu.check import (
    HELDOUT_DIR,
    TEST_DIR,
    load_language,
    plain_text,
    typed_intents,
)
from bot.nlu.language_identifier import other_language_samples
from bot.nlu.model import ensure_model
from bot.settings import ROOT

RESULTS_DIR = ROOT / "var" / "results"
# Held-out messages of the languages we only recognise (Amharic), one a line.
OTHERS_DIR = ROOT / "tests" / "nlu" / "languages"
# Languages close enough to be taken for each other: each way, how often.
CLOSE_LANGUAGES = (
    ("es", "pt"),
    ("pt", "es"),
    ("ro", "it"),
    ("it", "ro"),
    ("fa", "ar"),
    ("ar", "fa"),
    ("ti", "am"),
    ("am", "ti"),
    ("uk", "ru"),
    ("ru", "uk"),
)


@dataclass
class Outcome:
    """What the model made of one held-out example."""

    language: str
    text: str
    expected: str
    predicted: str
    confidence: float
    fell_back: bool
    detected_language: str | None


def classified(parsed: dict) -> tuple[str, float]:
    """The classifier's intent and confidence, as Rasa's own evaluation counts them.

    ``rasa test nlu`` undoes the fallback to score the classifier; how often the
    fallback answers instead is reported on its own.
    """
    ranking = [
        r for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"
    ]
    best = ranking[0] if ranking else parsed["intent"]
    return best["name"], float(best.get("confidence") or 0.0)


async def evaluate(examples: list[tuple[str, str, str]], model: Path) -> list[Outcome]:
    """Parses every (language, intent, text) example with the model."""
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    outcomes = []
    for language, intent, text in examples:
        parsed = await agent.parse_message(text)
        predicted, confidence = classified(parsed)
        outcomes.append(
            Outcome(
                language=language,
                text=text,
                expected=intent,
                predicted=predicted,
                confidence=confidence,
                fell_back=parsed["intent"]["name"] == "nlu_fallback",
                detected_language=(parsed.get("language") or {}).get("code"),
            )
        )
    return outcomes


def macro_scores(outcomes: list[Outcome]) -> tuple[float, float, float]:
    """Macro precision, recall and F1 over the intents expected in ``outcomes``."""
    gold = [o.expected for o in outcomes]
    p, r, f, _ = precision_recall_fscore_support(
        gold,
        [o.predicted for o in outcomes],
        labels=sorted(set(gold)),
        average="macro",
        zero_division=0,
    )
    return p, r, f


def close_language_confusions(outcomes: list[Outcome]) -> dict[str, dict]:
    """How often a message of one of two close languages is taken for the other."""
    print("\nLanguage identification between close languages (held-out messages)")
    print(f"{'language':9} {'n':>5} {'identified':>10} {'taken for':>10}")
    figures = {}
    for language, other in CLOSE_LANGUAGES:
        rows = [o for o in outcomes if o.language == language]
        if not rows:
            continue
        right = sum(o.detected_language == language for o in rows) / len(rows)
        wrong = sum(o.detected_language == other for o in rows) / len(rows)
        figures[language] = {"n": len(rows), "identified": right, other: wrong}
        print(f"{language:9} {len(rows):5} {right:10.1%} {wrong:6.1%} {other}")
    return figures


def main() -> int:
    """Evaluates, prints the tables, writes var/results/nlu_eval.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--floor", type=float, default=0.0)
    parser.add_argument("--languages", nargs="*")
    parser.add_argument("--set", choices=("dev", "test"), default="dev")
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    directory = HELDOUT_DIR if args.set == "dev" else TEST_DIR
    languages = args.languages or sorted(p.stem for p in directory.glob("*.yml"))
    examples = [
        (language, intent, plain_text(item))
        for language in languages
        for intent, items in getattr(
            load_language(language), "heldout" if args.set == "dev" else "test"
        ).items()
        for item in items
    ]
    others = [  # languages we only recognise (Amharic): no intent to score
        (language, "", text) for text, language in other_language_samples(OTHERS_DIR)
    ]
    outcomes = asyncio.run(evaluate(examples + others, ensure_model()))
    recognised = [o for o in outcomes if not o.expected]
    outcomes = [o for o in outcomes if o.expected]
    report: dict = {"languages": {}, "intents": {}}

    print(
        f"\nIntent classification, held-out {args.set} set ({len(outcomes)} examples)\n"
    )
    print(
        f"{'language':9} {'n':>5} {'precision':>9} {'recall':>7} {'macro-F1':>8}"
        f" {'fallback':>8} {'language id':>11}"
    )
    failing = []
    for language in [*languages, "all"]:
        rows = [o for o in outcomes if language in (o.language, "all")]
        p, r, f = macro_scores(rows)
        fallback = sum(o.fell_back for o in rows) / len(rows)
        identified = sum(o.detected_language == o.language for o in rows) / len(rows)
        report["languages"][language] = {
            "n": len(rows),
            "precision": p,
            "recall": r,
            "f1": f,
            "fallback_rate": fallback,
            "language_id_accuracy": identified,
        }
        below = language != "all" and f < args.floor
        print(
            f"{language:9} {len(rows):5} {p:9.3f} {r:7.3f} {f:8.3f}"
            f" {fallback:8.1%} {identified:11.1%}{'  <-- below floor' if below else ''}"
        )
        if below:
            failing.append(language)

    report["close_languages"] = close_language_confusions(outcomes + recognised)

    print(f"\n{'intent':30} {'precision':>9} {'recall':>7} {'F1':>6} {'n':>4}")
    per_intent = precision_recall_fscore_support(
        [o.expected for o in outcomes],
        [o.predicted for o in outcomes],
        labels=list(typed_intents()),
        zero_division=0,
    )
    for i, intent in enumerate(typed_intents()):
        p, r, f, n = (float(per_intent[k][i]) for k in range(4))
        report["intents"][intent] = {"precision": p, "recall": r, "f1": f, "n": n}
        print(f"{intent:30} {p:9.3f} {r:7.3f} {f:6.3f} {int(n):4}")

    pairs = Counter(
        (o.expected, o.predicted) for o in outcomes if o.expected != o.predicted
    )
    print("\nMost frequent confusions (expected -> predicted: count)")
    for (expected, predicted), count in pairs.most_common(12):
        print(f"  {expected} -> {predicted}: {count}")
    report["confusions"] = [
        {"expected": e, "predicted": p, "count": c} for (e, p), c in pairs.most_common()
    ]
    report["outcomes"] = [asdict(o) for o in outcomes]
    results = RESULTS_DIR / f"nlu_eval_{args.set}.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(
        json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    print(f"\nEvery example and its outcome: {results.relative_to(ROOT)}")
    if failing:
        print(f"FAIL: macro-F1 below {args.floor} for {', '.join(failing)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
