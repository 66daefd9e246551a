"""Erasure holds whatever the timing.

Our tracker store (bot.db.tracker_store) with Rasa's own trackers on a real database
(SQLite, and PostgreSQL where it is installed); then the real assistant, whose save of
the "yes, delete" turn is held back until the web app's worker has erased the
conversation.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.privacy import ActionDeleteMyData
from bot.db import erasure
from bot.db.tables import (
    RASA_EVENTS,
    ErasedConversation,
    ErasureRequest,
    Referral,
    engine_for,
    erase_events_before,
    new_conversation_start,
    record_erasure,
    utcnow,
)
from bot.db.tracker_store import ErasureAwareTrackerStore
from tests.conftest import PORTS, Assistant, expected, make_tracker, say
from tests.databases import DOMAIN

NAME = "Amina Testperson"
PHONE = "+358401234567"
PERSONAL = ("Amina", "1234567")  # the name, and the phone number however written
SENDER = "erasing-user"


# --- The databases -----------------------------------------------------------------


def stored(url: str, sender: str = SENDER) -> list[str]:
    """The conversation's events as stored (JSON), in order."""
    with engine_for(url).connect() as connection:
        return list(
            connection.scalars(
                sa.select(RASA_EVENTS.c.data)
                .where(RASA_EVENTS.c.sender_id == sender)
                .order_by(RASA_EVENTS.c.id)
            )
        )


def personal_data_left(url: str) -> list[str]:
    """Every stored event, of anyone, that holds the name or the phone number."""
    with engine_for(url).connect() as connection:
        rows = connection.scalars(sa.select(RASA_EVENTS.c.data))
        return [row for row in rows if any(word in row for word in PERSONAL)]


def requests(url: str) -> list[str]:
    with Session(engine_for(url)) as session:
        return list(session.scalars(sa.select(ErasureRequest.conversation_id)))


# --- Conversations, as Rasa logs them ------------------------------------------------


def session_start(moment: float, metadata: dict | None = None) -> list[Event]:
    """What Rasa logs when it starts a session (in its order)."""
    events: list[Event] = []
    if metadata:
        events.append(SlotSet("session_started_metadata", metadata, timestamp=moment))
    return [
        *events,
        ActionExecuted("action_session_start", timestamp=moment + 0.002),
        SessionStarted(timestamp=moment + 0.001),
        ActionExecuted("action_listen", timestamp=moment + 0.003),
    ]


def turn(moment: float, text: str, replies: list[str], *slots: SlotSet) -> list[Event]:
    intent = {"name": "inform", "confidence": 0.9}
    events: list[Event] = [
        UserUttered(text, intent=intent, timestamp=moment),
        *slots,
    ]
    for number, reply in enumerate(replies, start=1):
        events.append(ActionExecuted("utter_x", timestamp=moment + number / 10))
        events.append(BotUttered(reply, timestamp=moment + number / 10))
    events.append(ActionExecuted("action_listen", timestamp=moment + 0.9))
    return events


def referral_conversation(start: float) -> list[Event]:
    """A referral with a name and a phone number, then "delete my data"."""
    return [
        *session_start(start, {"language": "en"}),
        *turn(start + 5, "I want to talk to a person", ["Do you agree?"]),
        *turn(start + 10, "/affirm", ["What is your name?"]),
        *turn(
            start + 15,
            NAME,
            ["What phone number?"],
            SlotSet("referral_name", NAME, timestamp=start + 15.01),
        ),
        *turn(
            start + 20,
            "040 1234567",
            [f"Thank you, {NAME}: they will call you at {PHONE}."],
            SlotSet("referral_contact", PHONE, timestamp=start + 20.01),
        ),
        *turn(start + 25, "delete my data", ["Do you want me to delete it?"]),
    ]


def tracker_of(events: list[Event], sender: str = SENDER) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, events, slots=DOMAIN.slots)


async def yes_delete(
    store: ErasureAwareTrackerStore, moment: float, sender: str = SENDER
) -> DialogueStateTracker:
    """Rasa handles "yes, delete": the action runs; returns the turn, not saved."""
    tracker = await store.retrieve(sender)
    tracker.update(UserUttered("/affirm", {"name": "affirm"}, timestamp=moment))
    asked = make_tracker(events=[{"event": "user", "timestamp": moment}])
    asked.sender_id = sender
    dispatcher = CollectingDispatcher()
    await ActionDeleteMyData().run(dispatcher, asked, {})
    assert dispatcher.messages[0]["response"] == "utter_data_deleted"
    tracker.update(ActionExecuted("action_delete_my_data"))
    tracker.update(BotUttered("Done: your conversation is being deleted now."))
    tracker.update(ActionExecuted("action_listen"))
    return tracker


def erasure_worker(url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(erasure, "SETTLE_SECONDS", 0)
    return erasure.process_erasure_requests(engine_for(url))


async def new_conversation(
    store: ErasureAwareTrackerStore, text: str, sender: str = SENDER
) -> DialogueStateTracker:
    """Rasa handles a message: fetches the tracker (or a new one), saves the turn."""
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    now = time.time()
    if not tracker.events:
        for event in session_start(now, {"language": "nl"}):
            tracker.update(event)
    for event in turn(now + 0.01, text, ["Hello!"]):
        tracker.update(event)
    await store.save(tracker)
    return tracker


# --- The store -----------------------------------------------------------------------


async def test_a_conversation_is_stored_and_read_back_as_rasa_does(
    store: ErasureAwareTrackerStore, database: str
) -> None:
    events = referral_conversation(time.time() - 3600)
    await store.save(tracker_of(events[:12]))
    tracker = await store.retrieve(SENDER)
    for event in events[12:]:
        tracker.update(event)
    await store.save(tracker)
    await store.save(tracker)  # nothing new: nothing stored twice
    assert len(stored(database)) == len(events)
    again = await store.retrieve_full_tracker(SENDER)
    assert [e.as_dict() for e in again.events] == [e.as_dict() for e in events]
    assert again.get_slot("referral_contact") == PHONE


async def test_a_late_save_after_the_worker_brings_nothing_back(
    store: ErasureAwareTrackerStore, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.save(tracker_of(referral_conversation(time.time() - 60)))
    await store.save(tracker_of(referral_conversation(time.time() - 60), "other"))
    late_turn = await yes_delete(store, time.time() - 1)
    assert erasure_worker(database, monkeypatch) == 1
    assert stored(database) == []

    await store.save(late_turn)  # Rasa was slow: it saves the turn now

    assert stored(database) == []
    assert len(personal_data_left(database)) == 5  # the other user's, untouched
    assert await store.retrieve(SENDER) is None
    assert await store.retrieve_full_tracker(SENDER) is None
    assert requests(database) == []
    with Session(engine_for(database)) as session:  # kept: no later save can undo it
        assert session.get(ErasedConversation, SENDER) is not None


async def test_a_save_before_the_worker_erases_the_conversation_itself(
    store: ErasureAwareTrackerStore, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.save(tracker_of(referral_conversation(time.time() - 60)))
    turn_now = await yes_delete(store, time.time() - 1)
    assert len(personal_data_left(database)) == 5  # name, phone: said, set, replied

    await store.save(turn_now)  # on time: before the worker

    assert stored(database) == []
    assert personal_data_left(database) == []
    assert requests(database) == []  # done: the worker has nothing left to do
    assert erasure_worker(database, monkeypatch) == 0
    await store.save(turn_now)  # the same turn saved once more: still nothing
    assert stored(database) == []


async def test_after_the_erasure_the_same_sender_starts_a_new_conversation(
    store: ErasureAwareTrackerStore, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.save(tracker_of(referral_conversation(time.time() - 60)))
    await store.save(await yes_delete(store, time.time() - 1))

    first = await new_conversation(store, "hallo")

    assert first.get_slot("referral_name") is None  # nothing carried over
    assert len(stored(database)) == len(first.events)
    assert personal_data_left(database) == []
    again = await store.retrieve(SENDER)
    # As Rasa's own store: the session from its start (the metadata slot before it
    # is stored, not read back).
    assert [e.as_dict() for e in again.events] == [
        e.as_dict() for e in list(first.events)[1:]
    ]
    await new_conversation(store, "ik woon in Utrecht")
    texts = [
        e.text for e in (await store.retrieve(SENDER)).events if e.type_name == "user"
    ]
    assert texts == ["hallo", "ik woon in Utrecht"]
    assert len(stored(database)) == len(first.events) + 4  # no event stored twice
    assert erasure_worker(database, monkeypatch) == 0
    assert len(stored(database)) == len(first.events) + 4


async def test_the_worker_erases_what_rasa_never_saves_and_keeps_what_came_after(
    store: ErasureAwareTrackerStore, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.save(tracker_of(referral_conversation(time.time() - 60)))
    await yes_delete(store, time.time() - 1)  # Rasa died before saving the turn
    assert await store.retrieve(SENDER) is None  # what is left is not read back

    fresh = await new_conversation(store, "hello again")  # it restarted; the user wrote
    assert len(personal_data_left(database)) == 5  # the worker has not run yet

    assert erasure_worker(database, monkeypatch) == 1
    assert personal_data_left(database) == []
    assert len(stored(database)) == len(fresh.events)
    with Session(engine_for(database)) as session, session.begin():  # idempotent
        erased = session.get(ErasedConversation, SENDER)
        assert erase_events_before(session, SENDER, erased.asked_at) == 0
    assert len(stored(database)) == len(fresh.events)


async def test_asked_again_later_erases_the_new_conversation_too(
    store: ErasureAwareTrackerStore, database: str
) -> None:
    await store.save(tracker_of(referral_conversation(time.time() - 60)))
    await store.save(await yes_delete(store, time.time() - 30))
    await new_conversation(store, f"my name is {NAME}")
    assert len(personal_data_left(database)) == 1

    await store.save(await yes_delete(store, time.time()))

    assert stored(database) == []
    assert await store.retrieve(SENDER) is None


async def test_delete_my_data_deletes_the_referrals_at_once(database: str) -> None:
    with Session(engine_for(database)) as session, session.begin():
        session.add(
            Referral(
                conversation_id="test-user",
                organisation_id="city-of-vantaa",
                topic="job_coaching",
                name=NAME,
                contact_kind="phone",
                contact=PHONE,
                language="en",
            )
        )
    await ActionDeleteMyData().run(CollectingDispatcher(), make_tracker(), {})
    with Session(engine_for(database)) as session:
        assert session.scalars(sa.select(Referral)).all() == []
        assert session.get(ErasedConversation, "test-user") is not None


def test_erasures_are_kept_for_the_retention_period(database: str) -> None:
    engine = engine_for(database)
    with Session(engine) as session, session.begin():
        record_erasure(session, "long-ago", time.time() - 200 * 86400)
        record_erasure(session, "lately", time.time() - 86400)
    with Session(engine) as session, session.begin():
        session.get(ErasedConversation, "long-ago").recorded_at = utcnow() - timedelta(
            days=200
        )
    erasure.apply_retention(engine, days=180)
    with Session(engine) as session:
        kept = session.scalars(sa.select(ErasedConversation.conversation_id)).all()
    assert kept == ["lately"]


ASKED = 1000.0


@pytest.mark.parametrize(
    "events, start",
    [
        ([], 0),
        ([("user", 990.0, None), ("action", 1001.0, "action_listen")], 2),
        # the old conversation's tail, then a session begun after the erasure
        (
            [
                ("user", 1000.0, None),
                ("action", 1001.0, "action_delete_my_data"),
                ("slot", 1002.0, None),
                ("action", 1004.0, "action_session_start"),
                ("session_started", 1003.0, None),
                ("user", 1005.0, None),
            ],
            2,
        ),
        # a session started before the erasure does not count
        ([("session_started", 999.0, None), ("user", 1005.0, None)], 2),
        ([("session_started", 1003.0, None), ("user", 1005.0, None)], 0),
        ([("session_started", None, None), ("user", None, None)], 2),
    ],
)
def test_the_new_conversation_starts_at_the_first_session_after_the_erasure(
    events: list, start: int
) -> None:
    assert new_conversation_start(events, ASKED) == start


# --- The real assistant ------------------------------------------------------------


def tcp_queues(port: int) -> tuple[int, int]:
    """Bytes waiting to be read by the server on ``port``, and by its clients."""
    server = client = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                local, remote, state = fields[1], fields[2], fields[3]
                received = int(fields[4].split(":")[1], 16)
                if state != "01":  # ESTABLISHED
                    continue
                if int(local.rsplit(":", 1)[1], 16) == port:
                    server += received
                elif int(remote.rsplit(":", 1)[1], 16) == port:
                    client += received
    return server, client


def descendants(pid: int) -> list[int]:
    """Every process started, directly or not, by ``pid``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def listening_on(assistant: Assistant, port: str) -> int:
    """The assistant's process started with ``--port port`` (Rasa, action server)."""
    for pid in descendants(assistant.process.pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(a == b"--port" and b == port.encode() for a, b in zip(argv, argv[1:])):
            return pid
    raise LookupError(f"no process of the assistant listens on {port}")


def answered(port: int) -> bool:
    """The server on ``port`` read its request, and its client has the answer."""
    server, client = tcp_queues(port)
    return server == 0 and client > 0


def wait_until(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.01)
    raise AssertionError(f"waited {seconds} s in vain: {what}")


def erasure_requested(url: str, sender: str) -> bool:
    with engine_for(url).connect() as connection:
        return bool(
            connection.scalar(
                sa.select(sa.func.count())
                .select_from(ErasureRequest.__table__)
                .where(ErasureRequest.conversation_id == sender)
            )
        )


def referrals(url: str, sender: str) -> list[str]:
    with Session(engine_for(url)) as session:
        return list(
            session.scalars(
                sa.select(Referral.contact).where(Referral.conversation_id == sender)
            )
        )


def referral_form(sender: str) -> None:
    """A person in Vantaa asks to be called and gives their name and phone number."""
    offer = say(sender, "I want to talk to a person, I live in Vantaa")
    assert "City of Vantaa" in "\n".join(offer)
    assert say(sender, "/affirm") == [expected("utter_ask_referral_name", "en")]
    assert say(sender, NAME) == [expected("utter_ask_referral_contact", "en")]
    say(sender, "040 1234567")  # the contact language is asked next
    say(sender, '/inform_contact_language{"contact_language": "en"}')
    assert PHONE in say(sender, "/dont_know")[-1]


@pytest.mark.e2e
def test_a_late_save_by_rasa_brings_nothing_back(assistant: Assistant) -> None:
    """Rasa is paused after the action ran, until the worker has erased: its save of
    the turn comes last, as in a slow save, and must store nothing of the user."""
    url = assistant.env["DATABASE_URL"]
    sender = f"late-save-{uuid.uuid4().hex[:8]}"
    referral_form(sender)
    assert any(PHONE in row for row in stored(url, sender))  # our store does store
    assert referrals(url, sender) == [PHONE]
    assert say(sender, "delete my data") == [expected("utter_confirm_delete", "en")]

    rasa = listening_on(assistant, PORTS["RASA_PORT"])
    actions = listening_on(assistant, PORTS["ACTIONS_PORT"])
    port = int(PORTS["ACTIONS_PORT"])
    replies: list[list[str]] = []
    os.kill(actions, signal.SIGSTOP)
    try:
        answering = threading.Thread(
            target=lambda: replies.append(say(sender, "/affirm")), daemon=True
        )
        answering.start()
        # Rasa calls the action server once or more in this turn; let one call
        # through at a time, with Rasa paused, until the erasure is recorded.
        for _ in range(10):
            wait_until(lambda: tcp_queues(port)[0], 60, "Rasa calls an action")
            os.kill(rasa, signal.SIGSTOP)
            os.kill(actions, signal.SIGCONT)
            wait_until(lambda: answered(port), 30, "the action answers")
            time.sleep(0.2)  # the whole answer
            if erasure_requested(url, sender):
                break
            os.kill(actions, signal.SIGSTOP)
            os.kill(rasa, signal.SIGCONT)
        else:
            raise AssertionError("action_delete_my_data was never called")
        # Rasa holds the answer of action_delete_my_data, unsaved; the worker erases.
        wait_until(
            lambda: not stored(url, sender) and not erasure_requested(url, sender),
            erasure.SETTLE_SECONDS + erasure.POLL_SECONDS + 20,
            "the web app's worker erases the conversation",
        )
    finally:
        os.kill(actions, signal.SIGCONT)
        os.kill(rasa, signal.SIGCONT)
    answering.join(timeout=60)
    assert replies == [[expected("utter_data_deleted", "en")]]  # Rasa saved its turn

    assert [row for row in stored(url, sender) if any(w in row for w in PERSONAL)] == []
    assert stored(url, sender) == []
    assert referrals(url, sender) == []
    # The widget keeps its session id: the user can start again, from nothing.
    assert say(sender, "hello") == [expected("utter_greet", "en")]
    assert stored(url, sender) and not any(
        w in row for row in stored(url, sender) for w in PERSONAL
    )
