"""Where a message's CPU time goes: py-spy samples every process under load.

Starts the assistant (``python -m bot.run``, its own ports and database), sends the
benchmark's conversations from 20 users, and meanwhile samples Rasa, the action
server and the web app with py-spy (``--nonblocking``: the processes are not
paused; ``--gil``: only samples of a thread running Python, so idle waiting does not
count). Each sample's stack is put in the first category whose marker it contains;
the shares per process are printed (``make profile``; figures, not pass/fail).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import PORTS, children, command_name, load  # noqa: E402

from bot.launcher import AssistantProcess  # noqa: E402

# (category, markers): the first category with a marker in a sample's stack counts it.
CATEGORIES = (
    ("action response schema check", ("jsonschema",)),
    ("slot validation (action_validate_slot_mappings)", ("execute_validation_action",)),
    ("tracker store: read", ("_retrieve", "retrieve_full_tracker", "from_dict")),
    ("tracker store: write", ("tracker_store.py", "stream_events")),
    ("action server call (send, receive)", ("RemoteAction", "current_state")),
    ("NLG (replies, translation)", ("nlg.py", "bot/i18n.py")),
    ("NLU", ("rasa/nlu/", "bot/nlu/", "parse_message")),
    ("policies", ("rasa/core/policies", "rasa/core/featurizers")),
    ("message handling (processor, channels)", ("rasa/core/", "bot/channels/")),
    ("decoding the tracker (action server)", ("json/decoder", "ujson", "loads")),
    ("actions: conversation memory", ("actions/memory.py", "actions/cues.py")),
    ("actions: places", ("bot/knowledge/places.py",)),
    ("actions: answers and the database", ("actions/", "bot/knowledge/")),
    ("rasa_sdk", ("rasa_sdk",)),
    ("server and event loop", ("sanic", "asyncio", "uvloop", "aiohttp")),
)


def category(stack: str) -> str:
    """The category of one sampled stack."""
    return next(
        (name for name, markers in CATEGORIES if any(m in stack for m in markers)),
        "other",
    )


def sample(pid: int, seconds: int, out: Path) -> None:
    """py-spy's raw (collapsed) stacks of one process."""
    subprocess.run(
        ["py-spy", "record", "--pid", str(pid), "--duration", str(seconds)]
        + ["--rate", "100", "--nonblocking", "--gil", "--format", "raw"]
        + ["-o", str(out)],
        check=True,
        capture_output=True,
    )


def shares(path: Path) -> tuple[int, Counter]:
    """Samples per category in a raw py-spy file."""
    counts: Counter = Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if number.isdigit():
            counts[category(stack)] += int(number)
    return sum(counts.values()), counts


def main() -> int:
    """Runs the load, samples the processes, prints the breakdown."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=25)
    parser.add_argument(
        "--raw", type=Path, help="keep py-spy's raw stacks here (one file a process)"
    )
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        AssistantProcess(PORTS, Path(tmp) / "profile.db") as running,
    ):
        pids = {command_name(pid): pid for pid in children(running.process.pid)}
        asyncio.run(load(1, 1))  # warm: models and indexes loaded
        stop = threading.Event()

        def keep_loading() -> None:
            while not stop.is_set():
                asyncio.run(load(20, 1))

        loader = threading.Thread(target=keep_loading, daemon=True)
        loader.start()
        raw = args.raw or Path(tmp)
        raw.mkdir(parents=True, exist_ok=True)
        files = {name: raw / f"{name}.txt" for name in pids}
        samplers = [
            threading.Thread(target=sample, args=(pid, args.seconds, files[name]))
            for name, pid in pids.items()
        ]
        for thread in samplers:
            thread.start()
        for thread in samplers:
            thread.join()
        stop.set()
        loader.join(timeout=120)
        print(f"CPU samples under load (20 users, {args.seconds} s, 100 Hz, GIL held):")
        for name, path in files.items():
            total, counts = shares(path)
            print(f"\n{name} ({total} samples)")
            for label, count in counts.most_common():
                print(f"  {label:40} {count / max(total, 1):6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
