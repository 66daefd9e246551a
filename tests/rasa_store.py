"""Conversations saved by Rasa's own SQL tracker store, as the assistant saves them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker


@dataclass
class Said:
    """A user message as the NLU pipeline parsed it."""

    text: str
    intent: str
    confidence: float = 0.95
    language: str = "en"
    entities: list[dict] = field(default_factory=list)


@dataclass
class Conversation:
    """User messages, each followed by the assistant's replies; slots set after."""

    sender_id: str
    turns: list[tuple[Said, list[str]]]
    slots: dict[str, str] = field(default_factory=dict)
    start: float = field(default_factory=lambda: time.time() - 3600)  # an hour ago


async def save_conversations(database: Path, conversations: list[Conversation]) -> None:
    """Saves the conversations through Rasa's SQLTrackerStore (its events table)."""
    store = SQLTrackerStore(dialect="sqlite", db=str(database))
    for conversation in conversations:
        events = []
        moment = conversation.start
        for said, replies in conversation.turns:
            moment += 5
            intent = {"name": said.intent, "confidence": said.confidence}
            events.append(
                UserUttered(
                    said.text,
                    intent=intent,
                    entities=said.entities,
                    parse_data={
                        "text": said.text,
                        "intent": intent,
                        "entities": said.entities,
                        "language": {"code": said.language, "confidence": 0.9},
                    },
                    timestamp=moment,
                )
            )
            for reply in replies:
                moment += 1
                events.append(ActionExecuted("action_answer_topic", timestamp=moment))
                events.append(BotUttered(reply, timestamp=moment))
            events.append(ActionExecuted("action_listen", timestamp=moment + 0.5))
        events.extend(
            SlotSet(name, value, timestamp=moment + 1)
            for name, value in conversation.slots.items()
        )
        tracker = DialogueStateTracker.from_events(
            conversation.sender_id,
            events,
            slots=[TextSlot(name, mappings=[]) for name in conversation.slots],
        )
        await store.save(tracker)
    store.engine.dispose()
