"""Fixtures shared by the tests: trackers for actions, and the running assistant."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import settings
from bot.i18n import render
from bot.launcher import AssistantProcess
from bot.web.nlg import domain_responses

pytest_plugins = ["tests.databases"]

# TEST_PORT_OFFSET lets two test runs share a machine (each its own assistant).
_OFFSET = int(os.environ.get("TEST_PORT_OFFSET", "0"))
PORTS = {
    "RASA_PORT": str(15005 + _OFFSET),
    "ACTIONS_PORT": str(15055 + _OFFSET),
    "WEB_PORT": str(18000 + _OFFSET),
}
REST = f"http://127.0.0.1:{PORTS['RASA_PORT']}/webhooks/rest/webhook"


def make_tracker(
    text: str = "hello",
    intent: str = "greet",
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    language: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker whose latest message is ``text``, parsed as the arguments say."""
    latest_message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "entities": entities or [],
        "metadata": metadata or {},
    }
    if language is not None:
        latest_message["language"] = language
    return Tracker(
        sender_id="test-user",
        slots={"language": None, "city": None, "country": None, **(slots or {})},
        latest_message=latest_message,
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def after_slot_mappings(tracker: Tracker) -> Tracker:
    """The tracker as actions see it: Rasa has run action_validate_slot_mappings.

    What the message tells about the user (its place, ...) is in the slots, and
    the slot events follow the user's message.
    """
    from actions.language import ValidateSlotMappings

    domain = {"slots": {"language": {"type": "text", "mappings": [{"type": "custom"}]}}}
    events = await ValidateSlotMappings().run(CollectingDispatcher(), tracker, domain)
    for event in events:
        tracker.slots[event["name"]] = event["value"]
    tracker.events = [*tracker.events, {"event": "user"}, *events]
    return tracker


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch: pytest.MonkeyPatch) -> str:
    """Which facts still hold depends on the day: every test says which day it is."""
    day = "2026-12-05"
    monkeypatch.setenv("ASSISTANT_TODAY", day)
    return day


@pytest.fixture(autouse=True)
def own_database(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Every test gets its own database, never the developer's ``var/assistant.db``.

    The web app's erasure worker and the actions read ``settings.DATABASE_URL``; a
    test that needs a particular database sets it after this.
    """
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'assistant.db'}"
    monkeypatch.setattr(settings, "DATABASE_URL", url)
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def domain() -> dict[str, Any]:
    return {"slots": {"language": {"type": "text", "mappings": [{"type": "custom"}]}}}


Assistant = AssistantProcess


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    running = Assistant(
        PORTS, tmp_path_factory.mktemp("db") / "nested" / "assistant.db"
    )
    running.start()
    yield running
    running.stop()


def post(payload: bytes | dict, url: str = REST) -> tuple[int, object]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def say(sender: str, message: str, **metadata: str) -> list[str]:
    payload = {"sender": sender, "message": message}
    if metadata:
        payload["metadata"] = metadata
    status, replies = post(payload)
    assert status == 200, replies
    return [reply.get("text", "") for reply in replies]


def expected(response: str, language: str) -> str:
    return render(domain_responses()[response][0]["text"], language, {})


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}
# Chromium on a machine with no outside network: no background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser(assistant: Assistant) -> Iterator[Browser]:
    """Debian's chromium, driven by Playwright (no browser is downloaded)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()
