"""The learning loop: export reviewers' labels, retrain, and show what it changed.

1. The model as it is (trained first if missing).
2. ``export_reviewed``: the labelled messages to ``data/nlu/<lang>/reviewed.yml``, one
   in five kept aside in ``tests/nlu/reviewed/<lang>.yml``.
3. The kept-aside messages parsed by the model before, then by the model retrained on
   the export: the share understood (the labelled intent) per language, printed and
   written to ``var/results/learn.json``.

``make learn`` runs it on the database of ``DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from sqlalchemy.orm import Session

from bot import settings
from bot.db.tables import engine_for
from bot.nlu.check import REVIEWED_DIR, plain_text
from bot.nlu.model import ensure_model
from bot.settings import ROOT

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate_nlu import evaluate  # noqa: E402 (a script beside this one)
from export_reviewed import export  # noqa: E402

RESULTS = ROOT / "var" / "results" / "learn.json"


def kept_aside_examples(directory: Path = REVIEWED_DIR) -> list[tuple[str, str, str]]:
    """(language, intent, text) of every kept-aside labelled message."""
    import yaml

    examples = []
    for path in sorted(directory.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in document.get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                if line.strip().startswith("- "):
                    text = plain_text(line.strip()[2:].strip())
                    examples.append((path.stem, block["intent"], text))
    return examples


def understood(outcomes: list, language: str | None = None) -> tuple[int, int]:
    """How many of the outcomes (of a language) got the labelled intent, of how many."""
    chosen = [o for o in outcomes if language in (None, o.language)]
    right = sum(o.predicted == o.expected and not o.fell_back for o in chosen)
    return right, len(chosen)


def report(before: list, after: list) -> dict:
    """Prints the accuracy per language before and after; returns it."""
    figures = {}
    print(f"\n{'language':9} {'kept aside':>10} {'before':>8} {'after':>8}")
    for language in [*sorted({o.language for o in before}), None]:
        right_before, n = understood(before, language)
        right_after, _ = understood(after, language)
        name = language or "all"
        figures[name] = {
            "n": n,
            "before": right_before / n if n else 0.0,
            "after": right_after / n if n else 0.0,
        }
        print(
            f"{name:9} {n:10} {figures[name]['before']:8.1%}"
            f" {figures[name]['after']:8.1%}"
        )
    return figures


def main() -> int:
    """Export, retrain, compare."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default=settings.DATABASE_URL)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    model_before = ensure_model()
    with Session(engine_for(args.database)) as session:
        counts = export(session)
    for language, (trained, aside) in counts.items():
        print(
            f"{language}: {trained} labelled examples to train on, {aside} kept aside"
        )
    examples = kept_aside_examples()
    if not examples:
        print("No labelled message kept aside yet: label more on /staff/review.")
        return 0
    before = asyncio.run(evaluate(examples, model_before))
    model_after = ensure_model()  # the data changed: trained again
    after = asyncio.run(evaluate(examples, model_after))
    figures = report(before, after)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
