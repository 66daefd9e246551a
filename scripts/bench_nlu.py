"""Benchmark: NLU training time and parse latency, all languages vs en/fr/nl only.

Trains an NLU-only model on a subset of languages (cached in models/ by data hash),
then parses the same held-out messages with it and with the full model, and prints
training time and p50/p95/p99 parse latency for each. Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.nlu.check import HELDOUT_DIR, load_language, plain_text
from bot.nlu.model import MODELS_DIR, data_hash, ensure_model
from bot.settings import ROOT


def subset_model(languages: list[str]) -> tuple[Path, float | None]:
    """An NLU model of ``languages`` only, and its training time if trained now."""
    name = f"nlu-{'-'.join(languages)}-{data_hash(languages)}"
    path = MODELS_DIR / f"{name}.tar.gz"
    if path.exists():
        return path, None
    with tempfile.TemporaryDirectory() as tmp:
        for language in languages:
            (Path(tmp) / language).symlink_to(ROOT / "data" / "nlu" / language)
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "rasa",
                "train",
                "nlu",
                "--config",
                "config.yml",
                "--nlu",
                tmp,
                "--out",
                str(MODELS_DIR),
                "--fixed-model-name",
                name,
            ],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return path, time.perf_counter() - start


async def latencies(model: Path, texts: list[str]) -> list[float]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    for text in texts[:20]:
        await agent.parse_message(text)  # warm-up
    measured = []
    for text in texts:
        start = time.perf_counter()
        await agent.parse_message(text)
        measured.append((time.perf_counter() - start) * 1000)
    return measured


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subset", nargs="*", default=["en", "fr", "nl"])
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    texts = [
        plain_text(example)
        for path in sorted(HELDOUT_DIR.glob("*.yml"))
        for items in load_language(path.stem).heldout.values()
        for example in items
    ]
    full = ensure_model()
    small, small_training = subset_model(args.subset)
    print(f"Parsing {len(texts)} held-out messages of every language, one at a time\n")
    print(f"{'model':22} {'training s':>10} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    results = {}
    for label, model, trained in (
        (f"{'+'.join(args.subset)} only", small, small_training),
        ("all languages", full, None),
    ):
        measured = asyncio.run(latencies(model, texts))
        results[label] = statistics.median(measured)
        training = f"{trained:10.0f}" if trained else f"{'cached':>10}"
        print(
            f"{label:22} {training} {statistics.median(measured):7.1f} "
            f"{percentile(measured, 0.95):7.1f} {percentile(measured, 0.99):7.1f}"
        )
    small_p50, full_p50 = results.values()
    print(
        "\nmedian parse latency ratio, all languages / subset: "
        f"{full_p50 / small_p50:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
