"""Benchmark: what reading a message for the user's place and details costs.

Builds each language's place index (the first message in a language pays it, or
the action server's start), then reads every user message of the conversation set
for where the user lives, where they come from, their status and stage and the
details asked, three times; prints the median and p95 per message. Figures, not
pass/fail.
"""

from __future__ import annotations

import statistics
import sys
import time

from actions.cues import shipped_cues
from actions.memory import asked_details, read_message
from bot.knowledge.loading import load_knowledge
from bot.knowledge.places import PlaceResolver
from bot.languages import SUPPORTED_LANGUAGES
from tests.conversation_set import load_set

RUNS = 3


def main() -> int:
    start = time.perf_counter()
    knowledge = load_knowledge()
    loading = time.perf_counter() - start
    places = PlaceResolver(knowledge)
    aliases = sum(
        len(p.aliases)
        for p in (*knowledge.places.values(), *knowledge.elsewhere.values())
    )
    print(
        f"knowledge loaded in {loading:.2f} s: {len(knowledge.places)} served places, "
        f"{len(knowledge.elsewhere)} elsewhere, {aliases} names"
    )
    builds = {}
    for language in SUPPORTED_LANGUAGES:
        start = time.perf_counter()
        places.prepare((language,))
        builds[language] = time.perf_counter() - start
    print(
        "place index per language: "
        + ", ".join(f"{code} {seconds:.2f} s" for code, seconds in builds.items())
        + f"; all {sum(builds.values()):.1f} s"
    )
    cues = shipped_cues()
    messages = [
        (conversation.language, turn.user)
        for conversation in load_set()
        for turn in conversation.turns
    ]
    runs = []
    for _ in range(RUNS):
        measured = []
        for language, text in messages:
            start = time.perf_counter()
            read_message(text, [language], places, cues)
            asked_details(text, [language], cues)
            measured.append((time.perf_counter() - start) * 1000)
        runs.append(measured)
    medians = [statistics.median(run) for run in runs]
    p95s = [sorted(run)[int(0.95 * len(run))] for run in runs]
    print(
        f"reading a message ({len(messages)} messages of the conversation set, "
        f"{RUNS} runs): median {statistics.median(medians):.2f} ms, "
        f"p95 {statistics.median(p95s):.2f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
