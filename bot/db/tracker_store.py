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

Rasa reads a conversation back for every message and rebuilds it from all its events,
so a long conversation answers ever more slowly. This store keeps, per process, the
trackers it saved last (``Checkpoint``, a bounded cache): the next read asks the
database only for the events stored after the checkpoint (another replica may have
handled a message) and applies those. The database stays the only truth: a checkpoint
is dropped when the conversation was erased or its last event is gone, when a new
session begins, after ``TRACKER_CACHE_SECONDS``, and whenever a turn fails before it
is saved (a read takes the checkpoint out; only a save puts one back).

``endpoints.yml``::

    tracker_store:
      type: bot.db.tracker_store.ErasureAwareTrackerStore
      url: ${DATABASE_URL}
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted, deserialise_events
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

# How many conversations' trackers a process keeps, and for how long (seconds).
TRACKER_CACHE_SIZE = int(os.environ.get("TRACKER_CACHE_SIZE", "1000"))
TRACKER_CACHE_SECONDS = float(os.environ.get("TRACKER_CACHE_SECONDS", "900"))


@dataclass
class Checkpoint:
    """A tracker as stored: its last stored event (id, time) and how many it holds.

    SQLite may give a deleted row's id to a new row: the time tells them apart.
    """

    tracker: DialogueStateTracker
    last_id: int
    last_time: float | None
    stored: int
    domain: Domain | None
    at: float


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
        # Trackers as saved last, and those handed out by a read and not saved yet.
        self._saved: OrderedDict[str, Checkpoint] = OrderedDict()
        self._handed: OrderedDict[str, Checkpoint] = OrderedDict()

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """The tracker as stored, less anything from up to an erasure."""
        checkpoint = self._saved.pop(sender_id, None)
        with self.session_scope() as session:
            erased = session.get(ErasedConversation, sender_id)
            asked_at = erased.asked_at if erased is not None else None
            if checkpoint is not None and asked_at is None:
                if not fetch_events_from_all_sessions and self._catch_up(
                    session, checkpoint
                ):
                    return self._hand_out(sender_id, checkpoint)
            rows = self._event_query(
                session,
                sender_id,
                fetch_events_from_all_sessions=fetch_events_from_all_sessions,
            ).all()
            events = [json.loads(row.data) for row in rows]
        if asked_at is not None:
            keys = [event_key(event) for event in events]
            events = events[new_conversation_start(keys, asked_at) :]
        if not (self.domain and events):
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        if asked_at is None and not fetch_events_from_all_sessions:
            last = rows[-1]
            self._hand_out(
                sender_id,
                self._checkpoint(tracker, (last.id, last.timestamp), len(events)),
            )
        return tracker

    def _checkpoint(
        self, tracker: DialogueStateTracker, last: tuple[int, float | None], stored: int
    ) -> Checkpoint:
        return Checkpoint(tracker, *last, stored, self.domain, time.monotonic())

    def _catch_up(self, session: Session, checkpoint: Checkpoint) -> bool:
        """Applies the events stored after a checkpoint; False if it cannot be used.

        Its last event must still be stored (nothing was erased), no new session may
        have begun (a read returns only the latest one), and the model's domain must
        be the one its slots were made with.
        """
        if (
            checkpoint.domain is not self.domain
            or time.monotonic() - checkpoint.at > TRACKER_CACHE_SECONDS
        ):
            return False
        event = self.SQLEvent
        rows = session.execute(
            sa.select(event.id, event.timestamp, event.type_name, event.data)
            .where(
                event.sender_id == checkpoint.tracker.sender_id,
                event.id >= checkpoint.last_id,
            )
            .order_by(event.id)
        ).all()
        if not rows or (rows[0].id, rows[0].timestamp) != (
            checkpoint.last_id,
            checkpoint.last_time,
        ):
            return False
        later = rows[1:]
        if any(row.type_name == SessionStarted.type_name for row in later):
            return False
        if later:
            new_events = deserialise_events([json.loads(row.data) for row in later])
            checkpoint.tracker.update_with_events(
                new_events, self.domain, override_timestamp=False
            )
            checkpoint.last_id, checkpoint.last_time = later[-1].id, later[-1].timestamp
            checkpoint.stored += len(new_events)
        return True

    def _hand_out(self, sender_id: str, checkpoint: Checkpoint) -> DialogueStateTracker:
        """Remembers what a read handed out, so that its save needs no count."""
        self._handed[sender_id] = checkpoint
        self._handed.move_to_end(sender_id)
        while len(self._handed) > TRACKER_CACHE_SIZE:
            self._handed.popitem(last=False)
        return checkpoint.tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the tracker's new events, unless they belong to an erased past."""
        await self.stream_events(tracker)
        handed = self._handed.pop(tracker.sender_id, None)
        if handed is not None and handed.tracker is not tracker:
            handed = None
        self._saved.pop(tracker.sender_id, None)
        with self.session_scope() as session:
            erased = session.get(ErasedConversation, tracker.sender_id)
            if erased is None and handed is not None:
                events: Iterable[Event] = list(tracker.events)[handed.stored :]
            elif erased is None:
                events = self._additional_events(session, tracker)
            elif any(
                event.timestamp is None or event.timestamp <= erased.asked_at
                for event in tracker.events
            ):
                self._complete_erasure(session, tracker.sender_id, erased.asked_at)
                events = []
            else:
                events = self._events_after_erasure(session, tracker, erased.asked_at)
            rows = [self._row(tracker.sender_id, event) for event in events]
            session.add_all(rows)
            session.flush()
            stored = [(row.id, row.timestamp, row.type_name) for row in rows]
            session.commit()
        if erased is None:
            self._remember(tracker, handed, stored)

    def _remember(
        self,
        tracker: DialogueStateTracker,
        handed: Checkpoint | None,
        stored: list[tuple[int, float | None, str]],
    ) -> None:
        """Keeps the tracker as saved, unless a new session began in this turn."""
        if any(type_name == SessionStarted.type_name for *_, type_name in stored):
            return
        if stored:
            last = stored[-1][:2]
        elif handed is not None:
            last = handed.last_id, handed.last_time
        else:
            return
        self._saved[tracker.sender_id] = self._checkpoint(
            tracker, last, len(tracker.events)
        )
        while len(self._saved) > TRACKER_CACHE_SIZE:
            self._saved.popitem(last=False)

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
