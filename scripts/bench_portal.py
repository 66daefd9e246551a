"""Benchmark: the partner portal with 100,000 conversations in the database.

Generates the conversations in an SQLite database of its own (var/bench/portal.db,
reused while the generator is unchanged): Rasa's ``events`` rows as Rasa's SQL tracker
store writes them (its table, its events' JSON), ~1.3 routes per conversation to the
five partners, 5 % with a referral, 12 % with a question the assistant could not
answer, started over the last 180 days (the retention period). Then prints:

1. the time of each portal query in process, without and with the portal's indexes
   (what the indexes are worth);
2. the median and 95th percentile response time of the list and insight pages over
   HTTP, from the real web app (``python -m bot.web.app``), for a Qredits reviewer and
   the administrator.
Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from sqlalchemy.orm import Session

from bot.db.tables import engine_for, utcnow
from bot.settings import ROOT
from bot.staff import queries
from bot.staff.accounts import create_account
from bot.staff.queries import (
    EVENT_INDEX,
    SENDER_INDEX,
    count_conversations,
    insight,
    list_conversations,
    parse_filters,
)

GENERATOR_VERSION = "5"
PARTNERS = ["qredits", "microstart", "city-of-vantaa", "microlab", "permicro"]
TOPICS = ["microloan", "loan_eligibility", "loan_terms", "business_training",
          "start_business", "job_coaching", "qualification_recognition"]  # fmt: skip
LANGUAGES = ["en", "fr", "nl", "fi", "sv", "it", "ar", "uk", "ru", "tr"]
QUESTIONS = [f"unanswered question number {n}" for n in range(300)]
PORTAL_INDEXES = {
    "ix_routed_conversations_started": ("routed_conversations", "started_at, language"),
    "ix_routes_organisation_routed": (
        "routes",
        "organisation_id, routed_at, conversation_id",
    ),
    "ix_routes_topic": ("routes", "topic, routed_at, conversation_id"),
    EVENT_INDEX: ("events", "intent_name, timestamp, sender_id"),
    SENDER_INDEX: ("events", "sender_id, type_name, id"),
}
PASSWORD = "benchmark password"
PORT = 27000
WEB = f"http://127.0.0.1:{PORT}"


def event_rows(sender: str, start: float, unanswered: bool, rng: random.Random) -> list:
    """One conversation's events, in Rasa's JSON: a question, an answer, maybe more."""
    rows = []
    moment = start
    turns = [("ask_microloan", f"how do I get a microloan {rng.randrange(10**6)}")]
    if unanswered:
        turns.append(("nlu_fallback", rng.choice(QUESTIONS)))
    for intent, text in turns:
        parsed = {"name": intent, "confidence": round(rng.uniform(0.3, 1), 3)}
        user = UserUttered(
            text,
            intent=parsed,
            parse_data={"text": text, "intent": parsed, "entities": [],
                        "language": {"code": "en", "confidence": 0.9}},
            timestamp=moment,
        )  # fmt: skip
        events = [
            user,
            ActionExecuted("action_answer_topic", timestamp=moment + 0.1),
            BotUttered("Qredits lends up to 250,000 euros.", timestamp=moment + 0.2),
            ActionExecuted("action_listen", timestamp=moment + 0.3),
        ]
        for event in events:
            data = event.as_dict()
            rows.append(
                (
                    sender,
                    data["event"],
                    data["timestamp"],
                    data.get("parse_data", {}).get("intent", {}).get("name"),
                    data.get("name") if data["event"] == "action" else None,
                    json.dumps(data),
                )
            )
        moment += 30
    return rows


def generate(path: Path, count: int) -> None:
    """Writes ``count`` conversations (events, routes, referrals) to a new database."""
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    engine_for(url)  # our tables, by the migrations
    SQLTrackerStore(dialect="sqlite", db=str(path)).engine.dispose()  # Rasa's table
    rng = random.Random(7)
    now = utcnow()
    database = sqlite3.connect(path)
    events, routed, routes, referrals = [], [], [], []
    started = time.perf_counter()
    for number in range(count):
        sender = f"conversation-{number:06d}"
        start = now - timedelta(seconds=rng.uniform(0, 180 * 24 * 3600))
        events += event_rows(sender, start.timestamp(), rng.random() < 0.12, rng)
        language = rng.choice(LANGUAGES)
        routed.append((sender, start.isoformat(sep=" "), language))
        partners = rng.sample(PARTNERS, 2 if rng.random() < 0.3 else 1)
        topic = rng.choice(TOPICS)
        for partner in partners:
            routes.append((sender, partner, topic, start.isoformat(sep=" ")))
        if rng.random() < 0.05:
            referrals.append(
                (sender, partners[0], topic, "Name", "phone", "+32470000000",
                 language, "new", start.isoformat(sep=" "))
            )  # fmt: skip
        if len(events) > 100_000 or number == count - 1:
            database.executemany(
                "INSERT INTO events (sender_id, type_name, timestamp, intent_name,"
                " action_name, data) VALUES (?, ?, ?, ?, ?, ?)",
                events,
            )
            events = []
            print(f"\r  {number + 1:,} conversations", end="", flush=True)
    database.executemany("INSERT INTO routed_conversations VALUES (?, ?, ?)", routed)
    database.executemany(
        "INSERT INTO routes (conversation_id, organisation_id, topic, routed_at)"
        " VALUES (?, ?, ?, ?)",
        routes,
    )
    database.executemany(
        "INSERT INTO referrals (conversation_id, organisation_id, topic, name,"
        " contact_kind, contact, language, status, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        referrals,
    )
    database.execute("CREATE TABLE bench_info (version TEXT, conversations INTEGER)")
    database.execute("INSERT INTO bench_info VALUES (?, ?)", (GENERATOR_VERSION, count))
    database.commit()
    database.execute("ANALYZE")
    database.close()
    print(f"\n  generated in {time.perf_counter() - started:.0f} s")
    with Session(engine_for(url)) as session, session.begin():
        create_account(
            session, "reviewer@qredits.example", "qredits", None, PASSWORD, "reviewer"
        )
        create_account(session, "admin@example.org", None, None, PASSWORD, "admin")


def ready(path: Path, count: int) -> bool:
    """Whether the database holds this generator's ``count`` conversations."""
    if not path.exists():
        return False
    try:
        with sqlite3.connect(path) as database:
            return database.execute("SELECT * FROM bench_info").fetchone() == (
                GENERATOR_VERSION,
                count,
            )
    except sqlite3.Error:
        return False


def set_indexes(path: Path, present: bool) -> None:
    """Creates or drops the portal's indexes (the tables' own keys stay)."""
    with sqlite3.connect(path) as database:
        for name, (table, columns) in PORTAL_INDEXES.items():
            if present:
                database.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"
                )
            else:
                database.execute(f"DROP INDEX IF EXISTS {name}")
        database.execute("ANALYZE")


QUERIES = {
    "list, Qredits": ("qredits", "", "list"),
    "list, Qredits, nl + not answered": ("qredits", "language=nl&unanswered=1", "list"),
    "list, Qredits, page 100": ("qredits", "page=100", "list"),
    "list, admin": (None, "", "list"),
    "list, admin, microloan + referral": (
        None,
        "topic=microloan&with_referral=1",
        "list",
    ),
    "insight, Qredits (30 days)": ("qredits", "", "insight"),
    "insight, admin (30 days)": (None, "", "insight"),
    "insight, admin (180 days)": (None, "since=SINCE", "insight"),
}


def in_process(path: Path, runs: int) -> dict[str, float]:
    """Median milliseconds of each query, called directly."""
    engine = sa.create_engine(f"sqlite:///{path}", future=True)
    since = (utcnow() - timedelta(days=179)).date().isoformat()
    figures = {}
    for label, (organisation, query, kind) in QUERIES.items():
        arguments = dict(urllib.parse.parse_qsl(query.replace("SINCE", since)))
        filters = parse_filters(arguments, 30 if kind == "insight" else None)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            with Session(engine) as session:
                if kind == "list":
                    count_conversations(session, organisation, filters, True)
                    list_conversations(session, organisation, filters, True)
                else:
                    insight(session, organisation, filters, True)
            times.append((time.perf_counter() - started) * 1000)
        figures[label] = statistics.median(times)
    engine.dispose()
    return figures


def opener_for(email: str) -> urllib.request.OpenerDirector:
    """A browser-like client logged in as ``email``."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(CookieJar())
    )
    form = opener.open(f"{WEB}/staff/login").read().decode()
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    body = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf": token})
    opener.open(f"{WEB}/staff/login", data=body.encode()).read()
    return opener


def over_http(path: Path, runs: int) -> dict[str, tuple[float, float]]:
    """Median and p95 milliseconds of each page, from the real web app."""
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{path}",
                   "PYTHONPATH": str(ROOT)}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "bot.web.app", "--port", str(PORT)], env=environment
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{WEB}/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        clients = {
            "qredits": opener_for("reviewer@qredits.example"),
            None: opener_for("admin@example.org"),
        }
        since = (utcnow() - timedelta(days=179)).date().isoformat()
        figures = {}
        for label, (organisation, query, kind) in QUERIES.items():
            page = "/staff/conversations" if kind == "list" else "/staff/insight"
            url = f"{WEB}{page}?{query.replace('SINCE', since)}"
            client = clients[organisation]
            client.open(url).read()  # warm
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                client.open(url).read()
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            figures[label] = (
                statistics.median(times),
                times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
            )
        return figures
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    """Generates (once), then measures and prints."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    path = ROOT / "var" / "bench" / "portal.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not ready(path, args.conversations):
        print(f"Generating {args.conversations:,} conversations in {path} ...")
        generate(path, args.conversations)
    with sqlite3.connect(path) as database:
        sizes = {
            table: database.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("routed_conversations", "routes", "events", "referrals")
        }
    print("Rows: " + ", ".join(f"{table} {size:,}" for table, size in sizes.items()))
    queries._indexed_databases.add(f"sqlite:///{path}")  # keep them dropped
    set_indexes(path, present=False)
    without = in_process(path, max(3, args.runs // 7))
    set_indexes(path, present=True)
    with_indexes = in_process(path, args.runs)
    print("\nQueries in process, median ms: without the portal's indexes → with them")
    for label in QUERIES:
        ratio = without[label] / with_indexes[label]
        print(f"  {label:38} {without[label]:8.1f} → {with_indexes[label]:6.1f}"
              f"   ({ratio:.1f}×)")  # fmt: skip
    for name, (table, columns) in PORTAL_INDEXES.items():
        print(f"  index {name} on {table} ({columns})")
    print(
        f"\nPages over HTTP (real web app, {args.runs} requests each): median / p95 ms"
    )
    for label, (median, p95) in over_http(path, args.runs).items():
        verdict = "ok" if p95 < 300 else "OVER 300 ms"
        print(f"  {label:38} {median:6.1f} / {p95:6.1f}   {verdict}")


if __name__ == "__main__":
    main()
