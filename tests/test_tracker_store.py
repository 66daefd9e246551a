"""The tracker store's checkpoints: what a replica reads is always what is stored.

Each test runs on SQLite and on PostgreSQL, with two stores on one database: two Rasa
replicas that take turns in one conversation, as the load balancer may send them.
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from rasa.shared.core.events import SlotSet

from bot.db.tables import RASA_EVENTS, engine_for
from bot.db.tracker_store import ErasureAwareTrackerStore
from tests.databases import tracker_store
from tests.test_erasure import (
    SENDER,
    erasure_worker,
    referral_conversation,
    session_start,
    stored,
    tracker_of,
    turn,
    yes_delete,
)


def dumped(tracker) -> list[dict]:
    return [event.as_dict() for event in tracker.events]


async def read_fresh(database: str, sender: str = SENDER):
    """The conversation as a store that never saw it reads it."""
    fresh = tracker_store(database)
    try:
        return await fresh.retrieve(sender)
    finally:
        fresh.engine.dispose()


async def talk(
    store: ErasureAwareTrackerStore,
    moment: float,
    text: str,
    *slots: SlotSet,
):
    """One turn, as Rasa handles it: read, the turn's events, save."""
    tracker = await store.retrieve(SENDER)
    for event in turn(moment, text, [f"reply to {text}"], *slots):
        tracker.update(event)
    await store.save(tracker)
    return tracker


async def test_replicas_taking_turns_read_every_turn_the_other_stored(
    store: ErasureAwareTrackerStore,
    replica: ErasureAwareTrackerStore,
    database: str,
) -> None:
    start = time.time() - 600
    await store.save(tracker_of(session_start(start)))
    for number in range(8):
        handler = (store, replica)[number % 3 == 2]  # mostly one, sometimes the other
        place = ("Ghent", "Vantaa")[number % 2]
        await talk(
            handler,
            start + 10 * (number + 1),
            f"message {number}",
            SlotSet("referral_name", place, timestamp=start + 10 * (number + 1) + 0.05),
        )
    for reader in (store, replica):
        tracker = await reader.retrieve(SENDER)
        fresh = await read_fresh(database)
        assert dumped(tracker) == dumped(fresh)
        assert tracker.get_slot("referral_name") == "Vantaa"  # the last turn's
        assert tracker.latest_message.text == "message 7"
        await reader.save(tracker)  # nothing new: nothing stored twice
    one_turn = turn(0, "x", ["y"], SlotSet("referral_name", "x"))
    assert len(stored(database)) == len(session_start(start)) + 8 * len(one_turn)


async def test_a_turn_that_fails_before_its_save_leaves_nothing_behind(
    store: ErasureAwareTrackerStore,
    database: str,
) -> None:
    start = time.time() - 600
    await store.save(tracker_of(session_start(start)))
    await talk(store, start + 10, "I live in Ghent")
    await talk(store, start + 20, "a loan?")  # saved: the next read starts from it
    failed = await store.retrieve(SENDER)
    for event in turn(start + 30, "this turn crashes", ["never saved"]):
        failed.update(event)  # the processor raised before saving

    again = await store.retrieve(SENDER)

    assert again.latest_message.text == "a loan?"
    assert dumped(again) == dumped(await read_fresh(database))


async def test_a_new_session_begun_on_another_replica_is_read_alone(
    store: ErasureAwareTrackerStore,
    replica: ErasureAwareTrackerStore,
    database: str,
) -> None:
    start = time.time() - 7200
    await store.save(tracker_of(session_start(start)))
    await talk(store, start + 10, "old session")
    tracker = await replica.retrieve(SENDER)
    for event in session_start(start + 3600) + turn(start + 3610, "new one", ["hi"]):
        tracker.update(event)
    await replica.save(tracker)

    read = await store.retrieve(SENDER)

    assert [e.text for e in read.events if e.type_name == "user"] == ["new one"]
    assert dumped(read) == dumped(await read_fresh(database))


async def test_an_erased_conversation_is_not_read_back_from_a_checkpoint(
    store: ErasureAwareTrackerStore,
    database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = time.time() - 60
    await store.save(tracker_of(referral_conversation(start)))
    await talk(store, start + 30, "one more")  # the store now holds a checkpoint
    await store.save(await yes_delete(store, time.time() - 1))
    erasure_worker(database, monkeypatch)

    assert await store.retrieve(SENDER) is None
    assert stored(database) == []


@pytest.mark.parametrize("kept", [0, 3])
async def test_events_deleted_behind_its_back_are_not_read_from_memory(
    store: ErasureAwareTrackerStore,
    replica: ErasureAwareTrackerStore,
    database: str,
    kept: int,
) -> None:
    """Another process (the retention command, an administrator) deleted events;
    another replica may have stored a turn since."""
    start = time.time() - 600
    await store.save(tracker_of(session_start(start)))
    await talk(store, start + 10, "I live in Ghent")
    events = RASA_EVENTS.c
    with engine_for(database).begin() as connection:
        first_ids = sa.select(events.id).order_by(events.id).limit(kept)
        connection.execute(
            sa.delete(RASA_EVENTS).where(
                events.sender_id == SENDER, events.id.not_in(first_ids)
            )
        )

    if kept:
        await talk(replica, start + 20, "and now?")

    read = await store.retrieve(SENDER)

    if kept:
        assert dumped(read) == dumped(await read_fresh(database))
        assert read.latest_message.text != "I live in Ghent"
    else:
        assert read is None
