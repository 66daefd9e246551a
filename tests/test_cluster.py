"""Load and fault test of the replicated topology (``make cluster-test``).

Two replicas of Rasa, the action server and the web app behind HAProxy, on PostgreSQL
and Redis (all started by ``bot.cluster``). 50 conversations talk at once for two
minutes through the balancer while one Rasa replica and one action server are killed
(and restarted by supervisord): most through the REST channel, ten as the widget does,
through socket.io (half starting with long polling, where the balancer's sticky cookie
keeps a connection on one replica, half with a WebSocket), reconnecting after a kill
and asking for their session again. Afterwards: every acknowledged message is stored
exactly once in its conversation, every conversation still knows where the user lives,
and the only errors are messages in flight at a kill. The figures are printed.
"""

from __future__ import annotations

import contextlib
import json
import queue
import statistics
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import socketio
import sqlalchemy as sa

from bot.launcher import ClusterProcess

pytestmark = pytest.mark.cluster

PUBLIC_PORT = 18080
BASE_PORT = 16100
CONVERSATIONS = 50
WIDGET_CONVERSATIONS = 10  # of the 50, through socket.io
# A turn's replies come together; this long without one, the turn is over.
QUIET_SECONDS = 1.0
RUN_SECONDS = 120
KILLS = ((35.0, "rasa1"), (70.0, "actions1"))
# A request may fail if it was in flight at a kill (the balancer redispatches those
# refused by the dead replica; its health check takes it out within seconds).
KILL_WINDOW_SECONDS = 10.0
# After an error a person waits a moment before sending again.
PAUSE_AFTER_ERROR = 1.0
QUESTIONS = (
    "how much can I borrow?",
    "what documents do I need for the loan?",
    "how long does it take to repay",
    "can I get a loan if I have debts?",
    "is there a course on business plans?",
    "how do I get my diploma recognised",
    "i need help finding a job",
)


@dataclass
class Conversation:
    """One user's side: what was sent and what was acknowledged (HTTP 200)."""

    sender: str
    channel: str = "rest"  # or "polling", "websocket": socket.io's first transport
    sent: list[int] = field(default_factory=list)
    acknowledged: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    # What each reply said, for a message that went wrong: (seq, at, reply).
    replies: list[tuple[int, float, str]] = field(default_factory=list)
    # (sent at, failed at, why), in seconds since the run began.
    errors: list[tuple[float, float, str]] = field(default_factory=list)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterProcess]:
    log = tmp_path_factory.mktemp("cluster") / "cluster.log"
    process = ClusterProcess(PUBLIC_PORT, BASE_PORT, log)
    process.env["RASA_API_TOKEN"] = process.api_token
    with process:
        yield process


def send(conversation: Conversation, text: str, sequence: int, started: float) -> None:
    """One message through the balancer; notes whether it was acknowledged."""
    body = json.dumps(
        {"sender": conversation.sender, "message": text, "metadata": {"seq": sequence}}
    ).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{PUBLIC_PORT}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    conversation.sent.append(sequence)
    began = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            replies = json.loads(response.read())
        if replies:
            conversation.acknowledged.append(sequence)
            conversation.latencies.append(time.monotonic() - began)
        else:
            failed(conversation, began - started, time.monotonic() - started, "none")
    except (urllib.error.URLError, OSError, ValueError) as error:
        failed(conversation, began - started, time.monotonic() - started, str(error))


def failed(conversation: Conversation, sent: float, ended: float, why: str) -> None:
    """Notes an error; a person waits a moment before sending again."""
    conversation.errors.append((sent, ended, why[:80]))
    time.sleep(PAUSE_AFTER_ERROR)


def at_a_kill(sent: float, ended: float, kills: list[tuple[float, str, int]]) -> bool:
    """Whether a request was in flight at a kill, or sent just after one."""
    return any(
        sent <= killed + KILL_WINDOW_SECONDS and ended >= killed
        for killed, _, _ in kills
    )


def talk(conversation: Conversation, started: float) -> None:
    """Where the user lives, then questions until the run's time is up."""
    send(conversation, "Hello, I live in Tilburg", 0, started)
    sequence = 1
    while time.monotonic() - started < RUN_SECONDS:
        send(conversation, QUESTIONS[sequence % len(QUESTIONS)], sequence, started)
        sequence += 1


class Widget:
    """A socket.io client as the widget is: it asks for its session on every connect."""

    def __init__(self, conversation: Conversation, started: float) -> None:
        self.conversation = conversation
        self.started = started
        self.replies: queue.Queue = queue.Queue()
        self.confirmed = threading.Event()
        origin = f"http://127.0.0.1:{PUBLIC_PORT}"  # the page it is on
        self.client = socketio.Client(
            request_timeout=30,  # a busy replica answers a poll late
            reconnection_delay=0.5,
            reconnection_delay_max=2,
            websocket_extra_options={"origin": origin},
        )
        self.client.on("connect", self._connected)
        self.client.on("disconnect", self.confirmed.clear)
        self.client.on("session_confirm", lambda _: self.confirmed.set())
        self.client.on("bot_uttered", self.replies.put)

    def _connected(self) -> None:
        self.client.emit("session_request", {"session_id": self.conversation.sender})

    def open(self) -> None:
        """Connects through the balancer (polling first, or a WebSocket)."""
        transports = ["websocket"] if self.conversation.channel == "websocket" else None
        self.client.connect(
            f"http://127.0.0.1:{PUBLIC_PORT}",
            transports=transports,
            wait_timeout=30,
            retry=True,  # as the browser's client: it tries again
        )

    def send(self, text: str, sequence: int) -> None:
        """One message; acknowledged when the bot's reply comes back."""
        conversation, started = self.conversation, self.started
        conversation.sent.append(sequence)
        began = time.monotonic()
        if not self.confirmed.wait(30):  # reconnecting after a kill
            failed(conversation, began - started, time.monotonic() - started, "down")
            return
        while not self.replies.empty():  # late replies to an unacknowledged message
            self.replies.get_nowait()
        self.client.emit(
            "user_uttered",
            {
                "message": text,
                "session_id": conversation.sender,
                "customData": {"seq": sequence, "language": "en"},
            },
        )
        try:
            reply = self.replies.get(timeout=60)
        except queue.Empty:
            failed(conversation, began - started, time.monotonic() - started, "none")
            return
        conversation.acknowledged.append(sequence)
        conversation.latencies.append(time.monotonic() - began)
        conversation.replies.append(
            (sequence, round(time.monotonic() - started, 1), str(reply)[:80])
        )
        with contextlib.suppress(queue.Empty):  # the rest of the turn's replies
            while True:
                self.replies.get(timeout=QUIET_SECONDS)


def talk_as_widget(conversation: Conversation, started: float) -> None:
    """``talk``, through socket.io."""
    widget = Widget(conversation, started)
    widget.open()
    try:
        widget.send("Hello, I live in Tilburg", 0)
        sequence = 1
        while time.monotonic() - started < RUN_SECONDS:
            widget.send(QUESTIONS[sequence % len(QUESTIONS)], sequence)
            sequence += 1
    finally:
        widget.client.disconnect()


def kill_on_schedule(cluster: ClusterProcess, started: float, done: list) -> None:
    """Kills each program at its time (supervisord restarts it)."""
    for at, program in KILLS:
        time.sleep(max(0.0, at - (time.monotonic() - started)))
        pid = cluster.pid(program)
        cluster.supervisorctl("signal", "KILL", program)
        done.append((time.monotonic() - started, program, pid))


def stored_sequences(database_url: str, sender: str) -> list[int]:
    """The ``seq`` of every user message stored for ``sender``."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT data FROM events"
                " WHERE sender_id = :sender AND type_name = 'user'"
            ),
            {"sender": sender},
        ).scalars()
        return [(json.loads(row).get("metadata") or {}).get("seq", -1) for row in rows]


def tracker_city(cluster: ClusterProcess, sender: str) -> object:
    """The ``city`` slot as a Rasa replica rebuilds the tracker (its API, token)."""
    url = (
        f"http://127.0.0.1:{BASE_PORT + 2}/conversations/{sender}/tracker"
        f"?token={cluster.api_token}"
    )
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())["slots"].get("city")


def test_fifty_conversations_survive_a_killed_rasa_and_action_server(
    cluster: ClusterProcess,
) -> None:
    channels = ["polling", "websocket"] * (WIDGET_CONVERSATIONS // 2)
    channels += ["rest"] * (CONVERSATIONS - len(channels))
    conversations = [
        Conversation(f"load-{uuid.uuid4().hex[:10]}", channel) for channel in channels
    ]
    started = time.monotonic()
    kills: list[tuple[float, str, int]] = []
    killer = threading.Thread(target=kill_on_schedule, args=(cluster, started, kills))
    talkers = [
        threading.Thread(
            target=talk if c.channel == "rest" else talk_as_widget, args=(c, started)
        )
        for c in conversations
    ]
    killer.start()
    for thread in talkers:
        thread.start()
    for thread in talkers:
        thread.join(timeout=RUN_SECONDS + 120)
    killer.join(timeout=10)
    elapsed = time.monotonic() - started

    database_url = json.loads(
        (cluster.control_file().parent / "urls.json").read_text()
    )["database"]
    duplicated, lost, wrong_city = [], [], []
    for conversation in conversations:
        stored = Counter(stored_sequences(database_url, conversation.sender))
        duplicated += [s for s, n in stored.items() if n > 1]
        lost += [
            (conversation.sender, conversation.channel, s)
            for s in conversation.acknowledged
            if stored[s] != 1
        ]
        if tracker_city(cluster, conversation.sender) != "Tilburg":
            wrong_city.append((conversation.channel, conversation.sender))
    errors = [e for c in conversations for e in c.errors]
    outside = [error for error in errors if not at_a_kill(error[0], error[1], kills)]
    latencies = sorted(t for c in conversations for t in c.latencies)
    acknowledged = sum(len(c.acknowledged) for c in conversations)
    by_channel = {
        channel: (
            sum(len(c.acknowledged) for c in conversations if c.channel == channel),
            sum(len(c.errors) for c in conversations if c.channel == channel),
        )
        for channel in ("rest", "polling", "websocket")
    }
    print(
        f"\nReplicated topology, {CONVERSATIONS} conversations for {elapsed:.0f} s, "
        f"kills {[(round(at, 1), name) for at, name, _ in kills]}:\n"
        f"  sent {sum(len(c.sent) for c in conversations)}, acknowledged "
        f"{acknowledged} ({acknowledged / elapsed:.1f} msg/s), errors {len(errors)} "
        f"(outside kill windows {len(outside)})\n"
        f"  acknowledged and errors by channel: {by_channel}\n"
        f"  latency p50 {statistics.median(latencies) * 1000:.0f} ms, p95 "
        f"{latencies[int(0.95 * len(latencies))] * 1000:.0f} ms\n"
        f"  stored twice {len(duplicated)}, acknowledged but not stored once "
        f"{len(lost)}, conversations that lost their city {len(wrong_city)}"
    )
    assert len(kills) == len(KILLS)
    assert all(cluster.pid(name) not in (0, pid) for _, name, pid in kills)
    for conversation in conversations:  # what a failure looked like
        if conversation.sender in {sender for sender, _, _ in lost}:
            print(conversation.sender, conversation.channel, conversation.errors)
            print("  stored:", stored_sequences(database_url, conversation.sender))
            print(
                "  lost:",
                [seq for sender, _, seq in lost if sender == conversation.sender],
            )
            print("  replies:", conversation.replies[-30:])
    assert (duplicated, lost, wrong_city) == ([], [], [])
    assert outside == []
    assert acknowledged > CONVERSATIONS * 10
    assert all(done > 10 * WIDGET_CONVERSATIONS for done, _ in by_channel.values())
