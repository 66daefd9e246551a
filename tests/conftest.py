"""Fixtures shared by the tests: trackers for actions, and the running assistant."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.i18n import render
from bot.nlg import domain_responses
from bot.settings import ROOT

PORTS = {"RASA_PORT": "15005", "ACTIONS_PORT": "15055", "WEB_PORT": "18000"}
REST = f"http://127.0.0.1:{PORTS['RASA_PORT']}/webhooks/rest/webhook"


def make_tracker(
    text: str = "hello",
    intent: str = "greet",
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    language: dict[str, Any] | None = None,
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
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def domain() -> dict[str, Any]:
    return {"slots": {"language": {"type": "text", "mappings": [{"type": "custom"}]}}}


class Assistant:
    """Starts and stops ``python -m bot.run`` on test ports and a test database."""

    def __init__(self, database: Path) -> None:
        self.env = {**os.environ, **PORTS, "DATABASE_URL": f"sqlite:///{database}"}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.run"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for line in self.process.stdout:
            if "The assistant is running" in line:
                return
        raise RuntimeError("the assistant did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    running = Assistant(tmp_path_factory.mktemp("db") / "nested" / "assistant.db")
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
