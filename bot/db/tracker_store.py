"""Rasa's SQL tracker store, which never writes back a conversation the user erased.

Rasa saves a turn after its actions ran, and finds the events to insert by counting
the stored ones: a turn saved after "delete my data" was carried out (a slow save)
would store the whole conversation again. This store looks up, with one primary-key
read per save, whether the conversation was erased (``ErasedConversation``):

- a tracker holding anything from up to the erasure (the erasure's own turn, saved
  late or not) is not written; the store erases what is stored of it instead, so
  the erasure is complete whenever Rasa saves;
- a tracker begun after the erasure (the same widget writing again: a new session)
  is saved as Rasa would;
- what is read back is only the conversation begun after the erasure.

``endpoints.yml``::

    tracker_store:
      type: bot.db.tracker_store.ErasureAwareTrackerStore
      url: ${DATABASE_URL}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import Session

from bot import rasa_patches, settings
from bot.db.tables import (
    ErasedConversation,
    ErasureRequest,
    EventKey,
    erase_events_before,
    migrate,
    new_conversation_start,
)

logger = logging.getLogger(__name__)


def event_key(event: dict[str, Any]) -> EventKey:
    """An event (as stored in JSON) as the erasure rule reads it."""
    return event.get("event"), event.get("timestamp"), event.get("name")


class ErasureAwareTrackerStore(SQLTrackerStore):
    """Rasa's ``SQLTrackerStore`` (the same ``events`` table) that keeps erasures."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        """Connects to the database URL given as ``url`` in endpoints.yml.

        Rasa passes that URL as ``host``: any SQLAlchemy URL (SQLite, PostgreSQL),
        or Rasa's ``dialect``, ``db``, ... settings without it. Our tables (the
        erasures) are migrated too: Rasa may start before the other processes.
        """
        rasa_patches.apply()  # we are in Rasa's process: make it faster first
        if host and "://" in host:
            settings.ensure_database_directory(host)
        super().__init__(domain=domain, host=host, event_broker=event_broker, **kwargs)
        migrate(self.engine.url.render_as_string(hide_password=False))

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """The tracker as stored, less anything from up to an erasure."""
        with self.session_scope() as session:
            erased = session.get(ErasedConversation, sender_id)
            asked_at = erased.asked_at if erased is not None else None
            rows = self._event_query(
                session,
                sender_id,
                fetch_events_from_all_sessions=fetch_events_from_all_sessions,
            ).all()
            events = [json.loads(row.data) for row in rows]
        if asked_at is not None:
            keys = [event_key(event) for event in events]
            events = events[new_conversation_start(keys, asked_at) :]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the tracker's new events, unless they belong to an erased past."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            erased = session.get(ErasedConversation, tracker.sender_id)
            if erased is None:
                events: Iterable[Event] = self._additional_events(session, tracker)
            elif any(
                event.timestamp is None or event.timestamp <= erased.asked_at
                for event in tracker.events
            ):
                self._complete_erasure(session, tracker.sender_id, erased.asked_at)
                events = []
            else:
                events = self._events_after_erasure(session, tracker, erased.asked_at)
            for event in events:
                session.add(self._row(tracker.sender_id, event))
            session.commit()

    def _complete_erasure(
        self, session: Session, sender_id: str, asked_at: float
    ) -> None:
        """A tracker from before the erasure: erases what is stored instead of it."""
        erased = erase_events_before(session, sender_id, asked_at)
        session.execute(
            sa.delete(ErasureRequest).where(ErasureRequest.conversation_id == sender_id)
        )
        logger.info(
            "Not saving erased conversation %s; %d stored event(s) erased.",
            sender_id,
            erased,
        )

    def _events_after_erasure(
        self, session: Session, tracker: DialogueStateTracker, asked_at: float
    ) -> list[Event]:
        """The tracker's events not stored yet, counted as Rasa does.

        Counted from the latest session begun after the erasure: anything older,
        should some be left for the web app's worker, does not count.
        """
        event = self.SQLEvent
        session_start = (
            sa.select(sa.func.max(event.timestamp))
            .where(
                event.sender_id == tracker.sender_id,
                event.type_name == SessionStarted.type_name,
                event.timestamp > asked_at,
            )
            .scalar_subquery()
        )
        stored = session.scalar(
            sa.select(sa.func.count()).where(
                event.sender_id == tracker.sender_id, event.timestamp >= session_start
            )
        )
        return list(tracker.events)[stored:]

    def _row(self, sender_id: str, event: Event) -> SQLTrackerStore.SQLEvent:
        """An ``events`` row, as Rasa's own save makes it."""
        data = event.as_dict()
        intent = data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY)
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=intent,
            action_name=data.get("name"),
            data=json.dumps(data),
        )
