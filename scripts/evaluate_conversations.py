"""Talks the conversation test set through the real assistant and prints how it did.

Starts the assistant on its own ports and database, sends every conversation of
tests/conversations/<lang>.yml through the REST channel (a new user each), and
prints the pass rate per language and per flow type, then every failed conversation
with its messages and replies. The results go to var/results/conversations.json;
with ``--floor``, a language under it fails the run (exit 1).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import urllib.error
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.languages import SUPPORTED_LANGUAGES
from bot.launcher import AssistantProcess
from bot.settings import ROOT
from tests.conversation_set import (
    FLOOR,
    SET_DIR,
    Result,
    describe,
    load_set,
    rest_client,
    run_conversation,
)

PORTS = {"RASA_PORT": "27005", "ACTIONS_PORT": "27055", "WEB_PORT": "27800"}
REST = f"http://127.0.0.1:{PORTS['RASA_PORT']}/webhooks/rest/webhook"
RESULTS = ROOT / "var" / "results" / "conversations.json"
# Conversations talked at once: each is one user, so order within it is kept.
USERS = 4


def run_set(url: str, languages: list[str], directory: Path = SET_DIR) -> list[Result]:
    """Every conversation of ``languages``, talked through the assistant at ``url``."""
    say = rest_client(url)
    conversations = load_set(languages, directory)
    with ThreadPoolExecutor(USERS) as pool:
        return list(pool.map(lambda c: run_conversation(c, say), conversations))


def rates(results: list[Result], key: str) -> dict[str, tuple[int, int]]:
    """(passed, total) per language or per flow type."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for result in results:
        group = getattr(result.conversation, key)
        counts[group][0] += result.passed
        counts[group][1] += 1
    return {group: (p, t) for group, (p, t) in sorted(counts.items())}


def report(results: list[Result]) -> str:
    """The pass-rate tables and every failure."""
    lines = []
    for key, title in (("language", "language"), ("flow", "flow type")):
        lines.append(f"\n{title:<22} passed   total   rate")
        for group, (passed, total) in rates(results, key).items():
            lines.append(f"{group:<22} {passed:>6} {total:>7} {passed / total:>6.0%}")
    passed = sum(r.passed for r in results)
    lines.append(
        f"{'all':<22} {passed:>6} {len(results):>7} {passed / len(results):>6.0%}"
    )
    failed = [r for r in results if not r.passed]
    if failed:
        lines.append(f"\nFailures ({len(failed)}):")
        lines.extend(describe(r) for r in failed)
    return "\n".join(lines)


def main() -> int:
    """Runs the set; exit 1 if a language passes less than ``--floor``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("languages", nargs="*", default=list(SUPPORTED_LANGUAGES))
    parser.add_argument("--floor", type=float, default=FLOOR)
    parser.add_argument("--url", help="a running assistant's REST webhook instead")
    parser.add_argument(
        "--dir", type=Path, default=SET_DIR, help="another set (same file format)"
    )
    arguments = parser.parse_args()
    if arguments.url:
        try:
            results = run_set(arguments.url, arguments.languages, arguments.dir)
        except urllib.error.URLError as error:
            print(f"No assistant answers at {arguments.url}: {error.reason}")
            return 2
    else:
        with tempfile.TemporaryDirectory() as tmp:
            with AssistantProcess(PORTS, Path(tmp) / "conversations.db"):
                results = run_set(REST, arguments.languages, arguments.dir)
    print(report(results))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            [
                {
                    "id": r.conversation.id,
                    "flow": r.conversation.flow,
                    "passed": r.passed,
                    "failures": r.failures,
                    "turns": [
                        {"user": t.user, "replies": replies}
                        for t, replies in zip(r.conversation.turns, r.replies)
                    ],
                }
                for r in results
            ],
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    low = [
        language
        for language, (passed, total) in rates(results, "language").items()
        if passed / total < arguments.floor
    ]
    if low:
        print(f"\nUnder {arguments.floor:.0%}: {', '.join(low)}", file=sys.stderr)
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
