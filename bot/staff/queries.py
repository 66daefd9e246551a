"""Conversations routed to partners, as the partner portal reads them.

Lists and insight come from the routing records (``routed_conversations``, ``routes``)
and referrals; whether the assistant could not answer, the transcripts and the
unanswered questions come straight from Rasa's ``events`` table. Nothing is copied.
A reviewer's queries are always scoped to their organisation; an administrator's
(``organisation_id=None``) to every partner. Every text a reader sees is masked by
``Masking``: what the user gave the reader's organisation in a referral is shown,
nothing else.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from bot.db.tables import (
    RASA_EVENTS,
    Referral,
    Route,
    RoutedConversation,
    utcnow,
)
from bot.languages import SUPPORTED_LANGUAGES
from bot.staff.pages import S_
from bot.staff.redaction import NOTHING_SHARED, Segment, Shared, redact
from bot.topics import STAFF_LABELS

# What the user said when the assistant could not answer.
UNANSWERED_INTENTS = ("nlu_fallback", "out_of_scope")
# The assistant's own questions (the response it asked with, as a LIKE pattern, "/"
# escaping): a message that answers one is an answer, even one the NLU cannot place
# ("Sanne Bakker", "near Zwolle"). Open questions ("What would you like to know?")
# are not among them: what follows those may well be unanswered.
QUESTION_RESPONSES = (
    "utter/_ask/_%",  # a form's or an answer's question for a detail
    "%/_retry",  # the same question again
    "%/_needs/_place",  # where do you live?
    "utter/_confirm/_delete",
    "utter/_offer/_eligibility/_check",
    "utter/_unsupported/_language",
)
PAGE_SIZE = 25
INSIGHT_DAYS = 30
TOP_QUESTIONS = 10
TOPIC_LABELS = STAFF_LABELS
REFERRAL_STATUSES = {
    "new": S_("New"),
    "contacted": S_("Contacted"),
    "closed": S_("Closed"),
}
EVENT_INDEX = "ix_events_intent_time"
# A conversation's last event of a kind before a message (the question it answers).
SENDER_INDEX = "ix_events_sender_type"
_indexed_databases: set[str] = set()

conversations = RoutedConversation.__table__
routes = Route.__table__
referrals = Referral.__table__
events = RASA_EVENTS


class FilterError(ValueError):
    """A filter value the portal does not know (the message is a staff text id)."""

    def __init__(self, message: str, value: str) -> None:
        super().__init__(message)
        self.message = message
        self.value = value


@dataclass(frozen=True)
class Filters:
    """What a list, an export or the insight page is narrowed to."""

    since: date | None = None
    until: date | None = None
    language: str | None = None
    topic: str | None = None
    unanswered: bool = False
    with_referral: bool = False
    page: int = 1

    def query(self, **changes: object) -> str:
        """These filters (with ``changes``) as a URL query string."""
        chosen = replace(self, **changes)
        values = {
            "since": chosen.since.isoformat() if chosen.since else None,
            "until": chosen.until.isoformat() if chosen.until else None,
            "language": chosen.language,
            "topic": chosen.topic,
            "unanswered": "1" if chosen.unanswered else None,
            "with_referral": "1" if chosen.with_referral else None,
            "page": str(chosen.page) if chosen.page > 1 else None,
        }
        return urlencode({name: value for name, value in values.items() if value})


def _day(query: Mapping[str, str], name: str) -> date | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise FilterError(S_("This date is not a date: %(value)s"), value) from None
    if not 2000 <= day.year <= 2100:
        raise FilterError(S_("This date is not a date: %(value)s"), value)
    return day


def parse_filters(query: Mapping[str, str], default_days: int | None = None) -> Filters:
    """Filters from a query string; FilterError names a value we do not know.

    Only known languages, topics and real dates pass: nothing typed in a filter
    reaches the database as anything but a bound value.
    """
    language = query.get("language", "").strip() or None
    if language is not None and language not in SUPPORTED_LANGUAGES:
        raise FilterError(S_("Unknown language: %(value)s"), language)
    topic = query.get("topic", "").strip() or None
    if topic is not None and topic not in TOPIC_LABELS:
        raise FilterError(S_("Unknown topic: %(value)s"), topic)
    since, until = _day(query, "since"), _day(query, "until")
    if since is None and until is None and default_days and "since" not in query:
        since = utcnow().date() - timedelta(days=default_days - 1)
    page = query.get("page", "1").strip()
    number = whole_number(page, 100_000)
    if number is None or number < 1:
        raise FilterError(S_("Unknown page: %(value)s"), page)
    return Filters(
        since=since,
        until=until,
        language=language,
        topic=topic,
        unanswered=query.get("unanswered") == "1",
        with_referral=query.get("with_referral") == "1",
        page=number,
    )


def whole_number(text: str, highest: int) -> int | None:
    """``text`` as a number from 0 to ``highest`` if it is one in ASCII digits.

    ``str.isdigit`` also accepts "²" and "٣", which ``int`` refuses or reads.
    """
    if not re.fullmatch(r"[0-9]{1,12}", text):
        return None
    number = int(text)
    return number if number <= highest else None


def prepare_events(engine: sa.engine.Engine) -> bool:
    """Whether Rasa's events table exists; adds the portal's indexes to it once.

    The index (intent, time, conversation) finds the messages the assistant did not
    understand in a period, and their conversations, without reading the rest of the
    events; (conversation, type, id) finds the question such a message answered.
    """
    key = str(engine.url)
    if key in _indexed_databases:
        return True
    if not sa.inspect(engine).has_table("events"):
        return False
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                f"CREATE INDEX IF NOT EXISTS {EVENT_INDEX}"
                " ON events (intent_name, timestamp, sender_id)"
            )
        )
        connection.execute(
            sa.text(
                f"CREATE INDEX IF NOT EXISTS {SENDER_INDEX}"
                " ON events (sender_id, type_name, id)"
            )
        )
    _indexed_databases.add(key)
    return True


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def _latest_before(
    message: sa.sql.FromClause,
    before: sa.sql.FromClause,
    kind: str,
    column: sa.sql.ColumnElement,
) -> sa.sql.ColumnElement:
    """``column`` of the conversation's last event of ``kind`` before ``message``.

    ``before`` is an alias of ``events`` that ``column`` reads; ``message`` is
    ``events`` (or an alias) in the enclosing query.
    """
    return (
        sa.select(column)
        .where(
            before.c.sender_id == message.c.sender_id,
            before.c.type_name == kind,
            before.c.id < message.c.id,
        )
        .order_by(before.c.id.desc())
        .limit(1)
        .correlate(message)
        .scalar_subquery()
    )


def unanswered_message(message: sa.sql.FromClause = events) -> sa.sql.ColumnElement:
    """Whether ``message`` (a user event) is one the assistant could not answer.

    The NLU did not understand it, and it is not an answer to one of the assistant's
    own questions: no form was active (the last ``active_loop`` event names none:
    Rasa keeps the form's name in ``action_name``) and the assistant's last message
    did not ask for a detail (Rasa stores the response in the bot event's JSON,
    written by ``json.dumps``: ``"utter_action": "utter_ask_place"``).
    """
    loop = events.alias("loop")
    said = events.alias("said")
    asked = sa.or_(
        *(
            said.c.data.like(f'%"utter_action": "{pattern}"%', escape="/")
            for pattern in QUESTION_RESPONSES
        )
    )
    question = sa.case((asked, 1), else_=0)
    return sa.and_(
        message.c.intent_name.in_(UNANSWERED_INTENTS),
        _latest_before(message, loop, "active_loop", loop.c.action_name).is_(None),
        sa.func.coalesce(_latest_before(message, said, "bot", question), 0) == 0,
    )


# Conversations with a message the NLU did not understand: read from the intent
# index alone. Filters are IN (subquery) conditions: SQLite and PostgreSQL read each
# subquery once (from its index) instead of probing it for every conversation.
NOT_UNDERSTOOD = sa.select(events.c.sender_id).where(
    events.c.intent_name.in_(UNANSWERED_INTENTS)
)


def has_unanswered(conversation_id: sa.sql.ColumnElement) -> sa.sql.ColumnElement:
    """Whether the conversation has a message the assistant could not answer.

    The (few) conversations with a message the NLU did not understand first; only
    theirs are then read for the question each message answered.
    """
    message = events.alias("message")
    return sa.and_(
        conversation_id.in_(NOT_UNDERSTOOD),
        sa.exists().where(
            message.c.sender_id == conversation_id,
            message.c.type_name == "user",
            unanswered_message(message),
        ),
    )


def _conditions(
    organisation_id: str | None, filters: Filters, has_events: bool
) -> list[sa.sql.ColumnElement]:
    """The WHERE clauses over ``routed_conversations`` for a scope and filters."""
    chosen: list[sa.sql.ColumnElement] = []
    if organisation_id is not None or filters.topic is not None:
        route = routes.alias("route")  # not the outer query's routes (per topic)
        routed = sa.select(route.c.conversation_id)
        if organisation_id is not None:
            routed = routed.where(route.c.organisation_id == organisation_id)
        if filters.topic is not None:
            routed = routed.where(route.c.topic == filters.topic)
        if filters.since is not None:  # routed no earlier than the conversation began
            routed = routed.where(route.c.routed_at >= _day_start(filters.since))
        chosen.append(conversations.c.conversation_id.in_(routed))
    if filters.since is not None:
        chosen.append(conversations.c.started_at >= _day_start(filters.since))
    if filters.until is not None:
        end = _day_start(filters.until + timedelta(days=1))
        chosen.append(conversations.c.started_at < end)
    if filters.language is not None:
        chosen.append(conversations.c.language == filters.language)
    if filters.unanswered:
        chosen.append(
            has_unanswered(conversations.c.conversation_id)
            if has_events
            else sa.false()
        )
    if filters.with_referral:
        referred = sa.select(referrals.c.conversation_id)
        if organisation_id is not None:
            referred = referred.where(referrals.c.organisation_id == organisation_id)
        chosen.append(conversations.c.conversation_id.in_(referred))
    return chosen


@dataclass
class ConversationRow:
    """One line of the list."""

    conversation_id: str
    started_at: datetime
    language: str
    topics: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    unanswered: bool = False
    referral_status: str | None = None


def count_conversations(
    session: Session, organisation_id: str | None, filters: Filters, has_events: bool
) -> int:
    """How many conversations the filters leave (for paging)."""
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(conversations)
        .where(*_conditions(organisation_id, filters, has_events))
    )


def list_conversations(
    session: Session,
    organisation_id: str | None,
    filters: Filters,
    has_events: bool,
    limit: int = PAGE_SIZE,
) -> list[ConversationRow]:
    """One page of conversations, newest first, with topics, flags and referral."""
    found = session.execute(
        sa.select(
            conversations.c.conversation_id,
            conversations.c.started_at,
            conversations.c.language,
        )
        .where(*_conditions(organisation_id, filters, has_events))
        .order_by(conversations.c.started_at.desc(), conversations.c.conversation_id)
        .limit(limit)
        .offset((filters.page - 1) * limit)
    ).all()
    rows = {row.conversation_id: ConversationRow(*row) for row in found}
    describe(session, organisation_id, rows, has_events)
    return list(rows.values())


def describe(
    session: Session,
    organisation_id: str | None,
    rows: dict[str, ConversationRow],
    has_events: bool,
) -> None:
    """Fills the topics, partners, unanswered flag and referral of listed rows."""
    if not rows:
        return
    ids = list(rows)
    routed = sa.select(
        routes.c.conversation_id, routes.c.organisation_id, routes.c.topic
    ).where(routes.c.conversation_id.in_(ids))
    referred = sa.select(referrals.c.conversation_id, referrals.c.status).where(
        referrals.c.conversation_id.in_(ids)
    )
    if organisation_id is not None:
        routed = routed.where(routes.c.organisation_id == organisation_id)
        referred = referred.where(referrals.c.organisation_id == organisation_id)
    for conversation_id, organisation, topic in session.execute(
        routed.order_by(routes.c.routed_at)
    ):
        row = rows[conversation_id]
        if topic not in row.topics:
            row.topics.append(topic)
        if organisation not in row.organisations:
            row.organisations.append(organisation)
    for conversation_id, status in session.execute(referred):
        rows[conversation_id].referral_status = status
    if has_events:
        unanswered = session.scalars(
            sa.select(events.c.sender_id)
            .where(
                events.c.sender_id.in_(ids),
                events.c.type_name == "user",
                unanswered_message(),
            )
            .distinct()
        )
        for conversation_id in unanswered:
            rows[conversation_id].unanswered = True


def conversation_row(
    session: Session,
    organisation_id: str | None,
    conversation_id: str,
    has_events: bool,
) -> ConversationRow | None:
    """One conversation's line, or None if it was not routed to this partner."""
    found = session.get(RoutedConversation, conversation_id)
    if found is None:
        return None
    row = ConversationRow(conversation_id, found.started_at, found.language)
    describe(session, organisation_id, {conversation_id: row}, has_events)
    return row if row.organisations else None


@dataclass(frozen=True)
class Masking:
    """How one conversation's texts are masked for one reader.

    Every name the user gave in a referral form is masked, with the phone numbers,
    e-mail addresses and the rest; what the user gave the reader's organisation in
    its referral (``shared``) is shown. An administrator is never that partner.
    """

    names: frozenset[str] = frozenset()
    shared: Shared = NOTHING_SHARED

    def segments(self, text: str) -> list[Segment]:
        """``text`` masked for this reader."""
        return redact(text, self.names, self.shared)


DEFAULT_MASKING = Masking()
LOOKUP_BATCH = 500


def maskings(
    session: Session,
    organisation_id: str | None,
    conversation_ids: Iterable[str] | sa.sql.Select,
    has_events: bool,
) -> dict[str, Masking]:
    """The masking of each of the conversations, for a reader of ``organisation_id``.

    ``conversation_ids`` are ids, or a query of them. Conversations without referral
    details are left out: ``DEFAULT_MASKING`` masks them (no names known, nothing
    shared).
    """
    if isinstance(conversation_ids, sa.sql.Select):
        batches: list = [conversation_ids]
    else:
        ids = list(dict.fromkeys(conversation_ids))
        batches = [
            ids[number : number + LOOKUP_BATCH]
            for number in range(0, len(ids), LOOKUP_BATCH)
        ]
    names: dict[str, set[str]] = defaultdict(set)
    shared_names: dict[str, set[str]] = defaultdict(set)
    contacts: dict[str, set[str]] = defaultdict(set)
    for batch in batches:
        for conversation_id, organisation, name, contact in session.execute(
            sa.select(
                Referral.conversation_id,
                Referral.organisation_id,
                Referral.name,
                Referral.contact,
            ).where(Referral.conversation_id.in_(batch))
        ):
            names[conversation_id].add(name)
            if organisation_id is not None and organisation == organisation_id:
                shared_names[conversation_id].add(name)
                contacts[conversation_id].add(contact)
        if not has_events:
            continue
        # A name typed in the form is masked even if no referral was sent. Rasa keeps
        # a slot's name in action_name.
        for conversation_id, data in session.execute(
            sa.select(events.c.sender_id, events.c.data).where(
                events.c.type_name == "slot",
                events.c.action_name == "referral_name",
                events.c.sender_id.in_(batch),
            )
        ):
            value = json_object(data).get("value")
            if isinstance(value, str) and value.strip():
                names[conversation_id].add(value)
    return {
        conversation_id: Masking(
            frozenset(given),
            Shared(
                frozenset(shared_names[conversation_id]),
                frozenset(contacts[conversation_id]),
            ),
        )
        for conversation_id, given in names.items()
    }


def json_object(data: object) -> dict:
    """An event's stored JSON as a dict ({} for anything else: nothing to show)."""
    try:
        value = json.loads(data) if isinstance(data, (str, bytes)) else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def moment_of(timestamp: object) -> datetime | None:
    """An event's timestamp as a UTC time; None if it is not one (1e20, NaN, text)."""
    try:
        seconds = float(timestamp)  # type: ignore[arg-type]
        if not math.isfinite(seconds):
            return None
        return datetime(1970, 1, 1) + timedelta(seconds=seconds)
    except (TypeError, ValueError, OverflowError):
        return None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Turn:
    """A message of the transcript."""

    speaker: str  # "user" or "bot"
    at: datetime | None  # None: the stored time is not a time
    text: str
    intent: str | None = None
    confidence: float | None = None
    language: str | None = None


def transcript(session: Session, conversation_id: str) -> list[Turn]:
    """The user's and the assistant's messages, in order, from Rasa's events.

    Read defensively: a row no well-behaved Rasa writes (a time out of range, JSON
    that is not an event) is shown as well as it can be, never an error.
    """
    turns = []
    for type_name, timestamp, data in session.execute(
        sa.select(events.c.type_name, events.c.timestamp, events.c.data)
        .where(
            events.c.sender_id == conversation_id,
            events.c.type_name.in_(("user", "bot")),
        )
        .order_by(events.c.id)
    ):
        event = json_object(data)
        at = moment_of(timestamp)
        if type_name == "bot":
            if _text(event.get("text")):
                turns.append(Turn("bot", at, event["text"]))
            continue
        parsed = event.get("parse_data")
        parsed = parsed if isinstance(parsed, dict) else {}
        intent = parsed.get("intent")
        intent = intent if isinstance(intent, dict) else {}
        confidence = intent.get("confidence")
        guess = parsed.get("language")
        guess = guess if isinstance(guess, dict) else {}
        turns.append(
            Turn(
                "user",
                at,
                _text(event.get("text")),
                intent=_text(intent.get("name")) or None,
                confidence=confidence
                if isinstance(confidence, (int, float))
                and not isinstance(confidence, bool)
                else None,
                language=_text(guess.get("code")) or None,
            )
        )
    return turns


def user_messages(
    session: Session, conversation_ids: list[str]
) -> dict[str, list[str]]:
    """What the users wrote, per conversation, in order (for the export)."""
    messages: dict[str, list[str]] = {
        conversation_id: [] for conversation_id in conversation_ids
    }
    for conversation_id, data in session.execute(
        sa.select(events.c.sender_id, events.c.data)
        .where(events.c.type_name == "user", events.c.sender_id.in_(conversation_ids))
        .order_by(events.c.id)
    ):
        text = _text(json_object(data).get("text"))
        if text:
            messages[conversation_id].append(text)
    return messages


@dataclass
class Insight:
    """The figures of the insight page."""

    total: int
    unanswered: int
    per_day: list[tuple[str, int]]
    per_language: list[tuple[str, int]]
    per_topic: list[tuple[str, int]]
    questions: list[tuple[list[Segment], int]]  # masked, in small letters
    unanswered_per_day: dict[str, int] = field(default_factory=dict)

    @property
    def unanswered_share(self) -> float:
        """The share of conversations with a message the assistant could not answer."""
        return self.unanswered / self.total if self.total else 0.0


def _per_topic(
    organisation_id: str | None, filters: Filters, in_scope: sa.sql.Select
) -> sa.sql.Select:
    """Conversations per topic routed (to this partner) in the period.

    Read from the routes alone (by the time each topic was routed) unless a filter
    needs the conversation; a partner's routes are one per conversation and topic.
    """
    if organisation_id is None:
        number = sa.func.count(sa.distinct(routes.c.conversation_id))
    else:
        number = sa.func.count()
    chosen = sa.select(routes.c.topic, number)
    if organisation_id is not None:
        chosen = chosen.where(routes.c.organisation_id == organisation_id)
    if filters.since is not None:
        chosen = chosen.where(routes.c.routed_at >= _day_start(filters.since))
    if filters.until is not None:
        end = _day_start(filters.until + timedelta(days=1))
        chosen = chosen.where(routes.c.routed_at < end)
    if filters.language or filters.topic or filters.unanswered or filters.with_referral:
        chosen = chosen.where(routes.c.conversation_id.in_(in_scope))
    return chosen.group_by(routes.c.topic).order_by(number.desc())


@dataclass(frozen=True)
class InsightQuery:
    """The insight page's figures for one scope: three independent reads.

    Each takes its own session, so the page can run them at the same time (SQLite and
    PostgreSQL both answer concurrent readers; the work is in the database, outside
    Python's lock).
    """

    organisation_id: str | None
    filters: Filters
    has_events: bool

    @property
    def where(self) -> list[sa.sql.ColumnElement]:
        """The conversations in scope."""
        return _conditions(self.organisation_id, self.filters, self.has_events)

    def per_day_and_language(self, session: Session) -> dict[tuple[str, str], int]:
        """Conversations per (day, language)."""
        day = sa.func.date(conversations.c.started_at)
        return {
            (str(value)[:10], language): number
            for value, language, number in session.execute(
                sa.select(day, conversations.c.language, sa.func.count())
                .where(*self.where)
                .group_by(day, conversations.c.language)
            )
        }

    def per_topic(self, session: Session) -> list[tuple[str, int]]:
        """Conversations per topic."""
        in_scope = sa.select(conversations.c.conversation_id).where(*self.where)
        chosen = _per_topic(self.organisation_id, self.filters, in_scope)
        return [tuple(row) for row in session.execute(chosen)]

    def unanswered(
        self, session: Session
    ) -> tuple[int, list[tuple[list[Segment], int]], dict[str, int]]:
        """Conversations with an unanswered message; the most frequent such messages.

        The conversations are counted in all and per day of their start. The
        messages are masked for this reader as their transcripts are, then grouped
        (in small letters): masking the grouped, lowercased text would miss a name
        known by its capital.
        """
        if not self.has_events:
            return 0, [], {}
        day = sa.func.date(conversations.c.started_at)
        per_day = {
            str(value)[:10]: number
            for value, number in session.execute(
                sa.select(day, sa.func.count())
                .where(*self.where, has_unanswered(conversations.c.conversation_id))
                .group_by(day)
            )
        }
        conversations_with_one = sum(per_day.values())
        # From the (few) unanswered messages to their conversation, not the reverse.
        asked_in_scope = (
            sa.select(sa.literal(1))
            .select_from(conversations)
            .where(conversations.c.conversation_id == events.c.sender_id, *self.where)
            .exists()
        )
        period = []
        if self.filters.since is not None:  # not before the conversation began
            start = _day_start(self.filters.since).replace(tzinfo=timezone.utc)
            period.append(events.c.timestamp >= start.timestamp())
        said = session.execute(
            sa.select(events.c.sender_id, _event_text(session)).where(
                unanswered_message(),
                events.c.type_name == "user",
                asked_in_scope,
                *period,
            )
        ).all()
        # The names and referrals of the conversations with a message not understood
        # in the period (from the intent index: a few more than those that said one).
        masks = maskings(
            session,
            self.organisation_id,
            NOT_UNDERSTOOD.where(*period),
            self.has_events,
        )
        by_masking: Counter[tuple[str, Masking]] = Counter()
        for sender_id, text in said:
            text = _text(text).strip()
            if text:
                by_masking[text, masks.get(sender_id, DEFAULT_MASKING)] += 1
        questions: Counter[tuple[tuple[str, str], ...]] = Counter()
        for (text, masking), number in by_masking.items():
            questions[_in_small_letters(masking.segments(text))] += number
        most = sorted(questions.items(), key=lambda item: (-item[1], item[0]))
        return (
            conversations_with_one,
            [
                ([Segment(text, kind or None) for text, kind in question], number)
                for question, number in most[:TOP_QUESTIONS]
            ],
            per_day,
        )


def _event_text(session: Session) -> sa.sql.ColumnElement:
    """The ``text`` of an event's JSON, in this database's dialect.

    SQLite reads a row that is not JSON as NULL (no message) instead of failing.
    """
    if session.get_bind().dialect.name == "postgresql":
        return sa.cast(events.c.data, postgresql.JSON)["text"].astext
    return sa.case(
        (
            sa.func.json_valid(events.c.data),
            sa.func.json_extract(events.c.data, "$.text"),
        )
    )


def _in_small_letters(segments: list[Segment]) -> tuple[tuple[str, str], ...]:
    """Masked segments as a grouping key: the text in small letters, masks kept."""
    return tuple((segment.text.lower(), segment.masked or "") for segment in segments)


def combine(
    per_day_and_language: dict[tuple[str, str], int],
    per_topic: list[tuple[str, int]],
    unanswered: tuple[int, list[tuple[str, int]], dict[str, int]],
) -> Insight:
    """The insight page's figures from its three reads."""
    days: dict[str, int] = {}
    languages: dict[str, int] = {}
    for (day, language), number in per_day_and_language.items():
        days[day] = days.get(day, 0) + number
        languages[language] = languages.get(language, 0) + number
    return Insight(
        total=sum(days.values()),
        unanswered=unanswered[0],
        per_day=sorted(days.items()),
        per_language=sorted(languages.items(), key=lambda item: -item[1]),
        per_topic=per_topic,
        questions=unanswered[1],
        unanswered_per_day=unanswered[2],
    )


def insight(
    session: Session, organisation_id: str | None, filters: Filters, has_events: bool
) -> Insight:
    """Conversations per day, language and topic; what could not be answered."""
    query = InsightQuery(organisation_id, filters, has_events)
    return combine(
        query.per_day_and_language(session),
        query.per_topic(session),
        query.unanswered(session),
    )
