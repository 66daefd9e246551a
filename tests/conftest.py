"""Fixtures shared by the tests: trackers for actions, and the running assistant."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


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
