"""The assistant, in both topologies, against Rasa's own starter bot (``rasa init``).

The starter bot is made and trained once (``var/starter``, reused while it exists).
It, the assistant as ``make run`` starts it (one process of each kind, SQLite) and the
replicated topology of ``make run-cluster`` (PostgreSQL, Redis, HAProxy, two replicas
of each process) run on this machine at once, answering through the REST channel; the
loads are interleaved (starter, single, replicated, starter, ...) with new
conversations each time, so that all meet the same machine. Printed: throughput at 20
concurrent users (20 messages each), p50/p95/p99, one user's p50, each process's peak
memory, and the ratios to the starter bot. Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import CONVERSATIONS, PORTS, children, command_name, peak_memory_mb  # noqa: E402

from bot.launcher import AssistantProcess, ClusterProcess  # noqa: E402
from bot.run import answers  # noqa: E402
from bot.settings import ROOT  # noqa: E402

STARTER_DIR = ROOT / "var" / "starter"
STARTER_PORT = 25105
# The replicated topology's balancer and first loopback port (none of the tests').
CLUSTER_PORT, CLUSTER_BASE_PORT = 28080, 26100
STARTER_CONVERSATIONS = [
    ["hi", "I am feeling sad", "yes", "great, thanks", "bye"],
    ["hello there", "are you a bot?", "I am happy", "goodbye"],
]
MESSAGES_PER_USER = 20
ROUNDS = 2


def starter_model() -> Path:
    """The starter bot's model, made by ``rasa init`` the first time."""
    models = sorted((STARTER_DIR / "models").glob("*.tar.gz"))
    if not models:
        STARTER_DIR.mkdir(parents=True, exist_ok=True)
        print("Training Rasa's starter bot once (rasa init)...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "rasa", "init", "--no-prompt"]
            + ["--init-dir", str(STARTER_DIR)],
            cwd=STARTER_DIR,
            check=True,
            capture_output=True,
        )
        models = sorted((STARTER_DIR / "models").glob("*.tar.gz"))
    return models[-1]


def start_starter(model: Path, log: Path) -> subprocess.Popen:
    """``rasa run`` of the starter bot (REST channel), once it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa", "run", "--model", str(model)]
        + ["--port", str(STARTER_PORT), "--interface", "127.0.0.1"]
        + ["--credentials", str(STARTER_DIR / "credentials.yml")],
        cwd=STARTER_DIR,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 300
    while not answers(f"http://127.0.0.1:{STARTER_PORT}/"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the starter bot did not start; see {log}")
        time.sleep(0.5)
    return process


async def user(
    session: aiohttp.ClientSession, url: str, conversations: list[list[str]], index: int
) -> list[float]:
    """MESSAGES_PER_USER messages in new conversations; each message's latency."""
    latencies: list[float] = []
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    messages = [m for c in conversations[index % len(conversations) :] for m in c]
    messages = (messages * MESSAGES_PER_USER)[:MESSAGES_PER_USER]
    for message in messages:
        began = time.perf_counter()
        async with session.post(url, json={"sender": sender, "message": message}) as r:
            await r.read()
            if r.status != 200:
                raise RuntimeError(f"HTTP {r.status} for {message!r}")
        latencies.append(time.perf_counter() - began)
    return latencies


async def measure(url: str, conversations: list[list[str]], users: int) -> dict:
    """Throughput and latency percentiles of ``users`` concurrent users."""
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        began = time.perf_counter()
        results = await asyncio.gather(
            *(user(session, url, conversations, i) for i in range(users))
        )
        elapsed = time.perf_counter() - began
    latencies = sorted(x for result in results for x in result)
    return {
        "throughput": len(latencies) / elapsed,
        **{
            f"p{p}": latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]
            for p in (50, 95, 99)
        },
    }


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def memory_of(processes: dict[str, int]) -> dict[str, float]:
    """Each process's peak memory, named by topology, kind and replica."""
    memory: dict[str, float] = {}
    for topology, pid in processes.items():
        for child in children(pid):
            name = f"{topology}: {command_name(child)}"
            number = sum(key.startswith(name) for key in memory)
            memory[f"{name} {number + 1}" if number else name] = peak_memory_mb(child)
    return memory


TOPOLOGIES = ("starter", "single", "replicated")


def main() -> int:
    """Runs the three, interleaved, and prints the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    model = starter_model()
    urls = {
        "starter": f"http://127.0.0.1:{STARTER_PORT}/webhooks/rest/webhook",
        "single": f"http://127.0.0.1:{PORTS['RASA_PORT']}/webhooks/rest/webhook",
        "replicated": f"http://127.0.0.1:{CLUSTER_PORT}/webhooks/rest/webhook",
    }
    said = {
        "starter": STARTER_CONVERSATIONS,
        "single": CONVERSATIONS,
        "replicated": CONVERSATIONS,
    }
    results = {name: {"one": [], "twenty": []} for name in TOPOLOGIES}
    with tempfile.TemporaryDirectory() as tmp:
        starter = start_starter(model, Path(tmp) / "starter.log")
        cluster = ClusterProcess(
            CLUSTER_PORT, CLUSTER_BASE_PORT, Path(tmp) / "cluster.log"
        )
        try:
            with (
                AssistantProcess(PORTS, Path(tmp) / "bench.db") as single,
                cluster,
            ):
                for name in TOPOLOGIES:
                    asyncio.run(measure(urls[name], said[name], 4))  # warm
                for _ in range(args.rounds):
                    for name in TOPOLOGIES:
                        one = asyncio.run(measure(urls[name], said[name], 1))
                        twenty = asyncio.run(measure(urls[name], said[name], 20))
                        results[name]["one"].append(one)
                        results[name]["twenty"].append(twenty)
                memory = memory_of(
                    {"single": single.process.pid, "replicated": cluster.process.pid}
                )
            memory["starter bot: Rasa"] = peak_memory_mb(starter.pid)
        finally:
            starter.terminate()
            starter.wait(timeout=60)
    print(
        f"\nREST, medians of {args.rounds} interleaved rounds "
        f"({MESSAGES_PER_USER} messages per user, new conversations each time; "
        "ratios to the starter bot):"
    )
    print(
        f"{'':22} {'starter':>8} {'single':>8} {'ratio':>6} "
        f"{'replicated':>10} {'ratio':>6}"
    )
    rows = [
        ("msg/s, 20 concurrent", "twenty", "throughput", 1),
        ("p50 ms, 20 concurrent", "twenty", "p50", 1000),
        ("p95 ms, 20 concurrent", "twenty", "p95", 1000),
        ("p99 ms, 20 concurrent", "twenty", "p99", 1000),
        ("p50 ms, one user", "one", "p50", 1000),
    ]
    for label, load, key, scale in rows:
        value = {
            name: median_of(results[name][load], key) * scale for name in TOPOLOGIES
        }
        base = value["starter"]
        print(
            f"{label:22} {base:8.1f} {value['single']:8.1f} "
            f"{value['single'] / base:6.2f} {value['replicated']:10.1f} "
            f"{value['replicated'] / base:6.2f}"
        )
    print("\nPeak memory (VmHWM):")
    for name, megabytes in memory.items():
        print(f"  {name:32} {megabytes:8.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
