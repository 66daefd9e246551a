"""The knowledge base the actions answer from, and where the user lives."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa
from rasa_sdk import Tracker

from bot.knowledge.loading import Place, load_knowledge
from bot.knowledge.places import PlaceResolver
from bot.knowledge.storage import store_knowledge


@dataclass(frozen=True)
class KnowledgeBase:
    """The knowledge files, stored in the database, and the place resolver."""

    engine: sa.engine.Engine
    places: PlaceResolver


@lru_cache(maxsize=4)
def knowledge_base(database_url: str) -> KnowledgeBase:
    """Loads, checks and stores data/knowledge (once per process and database)."""
    knowledge = load_knowledge()
    engine = sa.create_engine(database_url)
    store_knowledge(engine, knowledge)
    return KnowledgeBase(engine=engine, places=PlaceResolver(knowledge))


def user_place(tracker: Tracker, places: PlaceResolver, language: str) -> Place | None:
    """Where the user lives.

    Named in this message, else given by the page or link that opened the chat
    (message metadata ``city``), else said earlier (the city and country slots).
    """
    message = tracker.latest_message or {}
    metadata = message.get("metadata") or {}
    for text in (
        message.get("text"),
        metadata.get("city") if isinstance(metadata.get("city"), str) else None,
        tracker.get_slot("city"),
        tracker.get_slot("country"),
    ):
        place = places.resolve(text, language) if text else None
        if place is not None:
            return place
    return None


def named_a_place(tracker: Tracker) -> bool:
    """Whether the user has named a city or country, known to us or not."""
    return bool(tracker.get_slot("city") or tracker.get_slot("country"))
