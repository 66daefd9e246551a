"""Evaluates the trained NLU model on the held-out examples of every language.

Prints intent precision/recall/F1 per language and per intent, and the confusions
that matter, then fails (exit 1) if a language's macro-F1 is below ``--floor``.
The held-out files (tests/nlu/<lang>.yml) are never used for training.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections import Counter
from pathlib import Path

from sklearn.metrics import precision_recall_fscore_support

from bot.model import ensure_model
from bot.nlu_check import CORE_INTENTS, HELDOUT_DIR, load_language, plain_text
from bot.settings import ROOT

RESULTS = ROOT / "var" / "results" / "nlu_eval.json"


async def predict(texts: list[str], model: Path) -> list[str]:
    """The intent the model predicts for each text."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [(await agent.parse_message(text))["intent"]["name"] for text in texts]


def scores(gold: list[str], predicted: list[str]) -> tuple[float, float, float]:
    """Macro precision, recall and F1 over the intents present in ``gold``."""
    labels = sorted(set(gold))
    p, r, f, _ = precision_recall_fscore_support(
        gold, predicted, labels=labels, average="macro", zero_division=0
    )
    return p, r, f


def main() -> int:
    """Evaluates, prints the tables, writes var/results/nlu_eval.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--floor", type=float, default=0.0)
    parser.add_argument("--languages", nargs="*")
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    languages = args.languages or sorted(p.stem for p in HELDOUT_DIR.glob("*.yml"))
    examples = []  # (language, intent, text)
    for language in languages:
        for intent, items in load_language(language).heldout.items():
            examples.extend((language, intent, plain_text(item)) for item in items)
    predicted = asyncio.run(predict([text for _, _, text in examples], ensure_model()))

    report: dict[str, dict] = {"languages": {}, "intents": {}}
    print(f"\nIntent classification on held-out data ({len(examples)} examples)\n")
    print(f"{'language':10} {'n':>5} {'precision':>10} {'recall':>8} {'macro-F1':>9}")
    failing = []
    for language in languages:
        rows = [
            (g, p) for (lang, g, _), p in zip(examples, predicted) if lang == language
        ]
        p, r, f = scores([g for g, _ in rows], [p for _, p in rows])
        report["languages"][language] = {
            "n": len(rows),
            "precision": p,
            "recall": r,
            "f1": f,
        }
        flag = "  <-- below floor" if f < args.floor else ""
        print(f"{language:10} {len(rows):5} {p:10.3f} {r:8.3f} {f:9.3f}{flag}")
        if f < args.floor:
            failing.append(language)
    gold_all = [g for _, g, _ in examples]
    p, r, f = scores(gold_all, predicted)
    print(f"{'all':10} {len(examples):5} {p:10.3f} {r:8.3f} {f:9.3f}")

    print(f"\n{'intent':32} {'precision':>10} {'recall':>8} {'F1':>6} {'n':>5}")
    per_intent = precision_recall_fscore_support(
        gold_all, predicted, labels=list(CORE_INTENTS), zero_division=0
    )
    for i, intent in enumerate(CORE_INTENTS):
        p, r, f, n = (float(per_intent[k][i]) for k in range(4))
        report["intents"][intent] = {"precision": p, "recall": r, "f1": f, "n": n}
        print(f"{intent:32} {p:10.3f} {r:8.3f} {f:6.3f} {int(n):5}")

    confusions = Counter(
        (gold, pred, lang)
        for (lang, gold, _), pred in zip(examples, predicted)
        if gold != pred
    )
    pairs = Counter()
    for (gold, pred, _), count in confusions.items():
        pairs[(gold, pred)] += count
    print("\nMost frequent confusions (expected -> predicted: count)")
    for (gold, pred), count in pairs.most_common(15):
        print(f"  {gold} -> {pred}: {count}")
    report["confusions"] = [
        {"expected": g, "predicted": p, "count": c} for (g, p), c in pairs.most_common()
    ]
    report["errors"] = [
        {"language": lang, "text": text, "expected": gold, "predicted": pred}
        for (lang, gold, text), pred in zip(examples, predicted)
        if gold != pred
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    print(f"\nDetails and every error: {RESULTS.relative_to(ROOT)}")
    if failing:
        print(f"FAIL: macro-F1 below {args.floor} for {', '.join(failing)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
