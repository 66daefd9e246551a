"""Benchmark: the running assistant through the REST channel at 1 and 20 users.

Starts the assistant with ``python -m bot.run`` on its own ports and database, sends
whole conversations (every launch language), and prints messages per second,
latency percentiles and each process's peak memory. Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bot.launcher import AssistantProcess

PORTS = {"RASA_PORT": "25005", "ACTIONS_PORT": "25055", "WEB_PORT": "28000"}
REST = f"http://127.0.0.1:{PORTS['RASA_PORT']}/webhooks/rest/webhook"

CONVERSATIONS = [
    ["Bonjour, je veux un microcrédit", "j'habite à Bruxelles", "merci"],
    ["Hoi, ik zoek een cursus ondernemen", "ik woon in Rotterdam", "bedankt"],
    ["hi", "how do I get my diploma recognised?", "how long does it take?", "bye"],
    ["مرحبا", "أريد قرضا صغيرا لمشروعي", "شكرا"],
    ["Привіт, мені потрібна робота", "я живу у Вантаа", "дякую"],
    ["merhaba", "Brükselde kredi almak istiyorum", "teşekkürler"],
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def peak_memory_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children(pid: int) -> list[int]:
    """The assistant's processes: the descendants of ``pid`` but supervisord."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (int(c) for c in (task / "children").read_text().split()):
            if "supervisord" in Path(f"/proc/{child}/cmdline").read_text():
                found += children(child)
            else:
                found.append(child)
    return found


def command_name(pid: int) -> str:
    args = Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    for marker, name in (
        ("bot.web.app", "web app"),
        ("bot.action_server", "action server"),
    ):
        if marker in args:
            return name
    return "Rasa" if "rasa" in args else Path(args[0]).name


async def user(
    session: aiohttp.ClientSession, name: str, index: int, rounds: int
) -> list[float]:
    latencies = []
    for round_number in range(rounds):
        # The same conversations in every run, so runs can be compared.
        conversation = CONVERSATIONS[(index + round_number) % len(CONVERSATIONS)]
        sender = f"{name}-{round_number}"
        for message in conversation:
            start = time.perf_counter()
            async with session.post(
                REST, json={"sender": sender, "message": message}
            ) as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(f"HTTP {r.status} for {message!r}")
            latencies.append(time.perf_counter() - start)
    return latencies


async def load(users: int, rounds: int) -> tuple[int, float, list[float]]:
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await user(session, "warmup", 0, 1)
        start = time.perf_counter()
        results = await asyncio.gather(
            *(user(session, f"u{users}-{i}", i, rounds) for i in range(users))
        )
        elapsed = time.perf_counter() - start
    latencies = [x for result in results for x in result]
    return len(latencies), elapsed, latencies


LONG_TURNS = 100


async def long_conversation(turns: int) -> tuple[float, float]:
    """Median latency of the first and of the last ten messages of one conversation.

    Rasa reads the whole tracker back for every message: how much that grows.
    """
    messages = [m for c in CONVERSATIONS for m in c]
    latencies = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as s:
        for turn in range(turns):
            start = time.perf_counter()
            message = messages[turn % len(messages)]
            async with s.post(REST, json={"sender": "long", "message": message}) as r:
                await r.read()
            latencies.append(time.perf_counter() - start)
    return statistics.median(latencies[:10]), statistics.median(latencies[-10:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="conversations per user")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with AssistantProcess(PORTS, Path(tmp) / "bench.db") as running:
            print(
                f"{'users':>5} {'messages':>8} {'msg/s':>7} {'p50 ms':>7} "
                f"{'p95 ms':>7} {'p99 ms':>7}"
            )
            for users in (1, 20):
                count, elapsed, latencies = asyncio.run(load(users, args.rounds))
                print(
                    f"{users:5} {count:8} {count / elapsed:7.1f} "
                    f"{statistics.median(latencies) * 1000:7.0f} "
                    f"{percentile(latencies, 0.95) * 1000:7.0f} "
                    f"{percentile(latencies, 0.99) * 1000:7.0f}"
                )
            first, last = asyncio.run(long_conversation(LONG_TURNS))
            print(
                f"\nOne conversation of {LONG_TURNS} messages: p50 of the first ten "
                f"{first * 1000:.0f} ms, of the last ten {last * 1000:.0f} ms "
                f"({last / first:.2f}x)"
            )
            print("\nPeak memory (VmHWM) per process:")
            for pid in children(running.process.pid):
                print(f"  {command_name(pid):14} {peak_memory_mb(pid):8.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
