"""The knowledge base the actions answer from, and where the user lives."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import sqlalchemy as sa
from rasa_sdk import Tracker

from bot.knowledge.loading import Place, shipped_knowledge, warn_about_due_sources
from bot.knowledge.places import PlaceResolver
from bot.knowledge.storage import store_knowledge


@dataclass(frozen=True)
class KnowledgeBase:
    """The knowledge files, stored in the database, and the place resolver."""

    engine: sa.engine.Engine
    places: PlaceResolver


@cache
def place_resolver() -> PlaceResolver:
    """The places of data/knowledge, found in text (once per process, no database)."""
    return PlaceResolver(shipped_knowledge())


@lru_cache(maxsize=4)
def knowledge_base(database_url: str) -> KnowledgeBase:
    """Loads, checks and stores data/knowledge (once per process and database)."""
    engine = sa.create_engine(database_url)
    store_knowledge(engine, shipped_knowledge())
    warn_about_due_sources(shipped_knowledge())
    return KnowledgeBase(engine=engine, places=place_resolver())


def user_place(tracker: Tracker, places: PlaceResolver, language: str) -> Place | None:
    """Where the user lives: what they said, else the page that opened the chat.

    What they said is in the city and country slots, which
    ``action_validate_slot_mappings`` keeps from every message; the page or link
    sends message metadata ``city``.

    A place we do not serve ("Madrid") is None: see ``named_a_place``.
    """
    said = [tracker.get_slot("city"), tracker.get_slot("country")]
    if any(said):
        return next(
            (p for text in said if text and (p := places.resolve(text, language))),
            None,
        )
    city = page_city(tracker)
    return places.resolve(city, language) if city else None


def page_city(tracker: Tracker) -> str | None:
    """The city of the page or link that opened the chat (message metadata ``city``).

    It counts for the whole conversation: a button's message, or one sent after the
    page was left, may come without it.
    """
    latest = [(tracker.latest_message or {}).get("metadata")]
    earlier = [
        event.get("metadata")
        for event in reversed(tracker.events)
        if event.get("event") == "user"
    ]
    for metadata in latest + earlier:
        city = (metadata or {}).get("city") if isinstance(metadata, dict) else None
        if isinstance(city, str) and city.strip():
            return city
    return None


def named_a_place(tracker: Tracker) -> bool:
    """Whether the user has named a city or country, known to us or not."""
    return bool(tracker.get_slot("city") or tracker.get_slot("country"))
