"""The project's own tables: routes, referrals, staff, handoff links, erasure, audit.

They live in the same database as Rasa's conversations (``DATABASE_URL``) and are
created and changed only by Alembic migrations (``bot/db/migrations``), which every
process runs at start (``migrate``): a second replica finds them up to date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, declarative_base

from bot import settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Where Alembic records which migration our tables are at (not Rasa's tables).
VERSION_TABLE = "project_schema_version"
Base = declarative_base()
# Rasa's SQL tracker store: one row per event of every conversation. Rasa creates and
# writes it; we read transcripts from it and delete a conversation's rows on erasure.
RASA_EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("intent_name", sa.String),
    sa.column("action_name", sa.String),
    sa.column("data", sa.Text),
)


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (as stored)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Referral(Base):
    """A person who agreed to be contacted by a partner, and how."""

    __tablename__ = "referrals"
    __table_args__ = (
        # Two quick submissions of the same request store one referral.
        sa.UniqueConstraint("conversation_id", "organisation_id", "topic"),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    organisation_id = sa.Column(sa.String(64), nullable=False, index=True)
    topic = sa.Column(sa.String(64), nullable=False)
    place_id = sa.Column(sa.String(64))
    name = sa.Column(sa.String(200), nullable=False)
    contact_kind = sa.Column(sa.String(8), nullable=False)  # "phone" or "email"
    contact = sa.Column(sa.String(320), nullable=False)
    language = sa.Column(sa.String(8), nullable=False)
    preferred_time = sa.Column(sa.String(200))
    status = sa.Column(sa.String(16), nullable=False, default="new")
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)


class ReferralChange(Base):
    """Who changed a referral's status, or wrote a note about it, and when."""

    __tablename__ = "referral_changes"
    id = sa.Column(sa.Integer, primary_key=True)
    referral_id = sa.Column(
        sa.ForeignKey("referrals.id", ondelete="CASCADE"), nullable=False, index=True
    )
    staff_id = sa.Column(sa.ForeignKey("staff_accounts.id"), nullable=False)
    changed_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    old_status = sa.Column(sa.String(16), nullable=False)
    new_status = sa.Column(sa.String(16), nullable=False)
    note = sa.Column(sa.Text)


class RoutedConversation(Base):
    """A conversation the assistant routed to at least one partner (no text in it).

    The transcript stays in Rasa's ``events`` table; this row and its routes say
    when the conversation was first routed and in which language it was answered.
    """

    __tablename__ = "routed_conversations"
    __table_args__ = (
        # The admin's list and every chart: by date, language read from the index.
        sa.Index("ix_routed_conversations_started", "started_at", "language"),
    )
    conversation_id = sa.Column(sa.String(255), primary_key=True)
    started_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    language = sa.Column(sa.String(8), nullable=False)


class Route(Base):
    """The assistant named this organisation for this topic in this conversation."""

    __tablename__ = "routes"
    __table_args__ = (
        sa.UniqueConstraint("conversation_id", "organisation_id", "topic"),
        # A partner's conversations in a period, read from the index alone.
        sa.Index(
            "ix_routes_organisation_routed",
            "organisation_id",
            "routed_at",
            "conversation_id",
        ),
        # Conversations per topic in a period (every partner).
        sa.Index("ix_routes_topic", "topic", "routed_at", "conversation_id"),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(
        sa.ForeignKey("routed_conversations.conversation_id", ondelete="CASCADE"),
        nullable=False,
    )
    organisation_id = sa.Column(sa.String(64), nullable=False)
    topic = sa.Column(sa.String(64), nullable=False)
    routed_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class StaffAccount(Base):
    """A staff member; the password is an Argon2 hash.

    Roles: ``desk`` (front desk of an organisation: visitor links), ``reviewer`` (a
    partner's conversations and referrals) and ``admin`` (every partner; no
    organisation). Ten wrong passwords in a row lock the account for a while.
    """

    __tablename__ = "staff_accounts"
    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(320), nullable=False, unique=True)
    role = sa.Column(sa.String(16), nullable=False, default="desk")
    organisation_id = sa.Column(sa.String(64))
    desk = sa.Column(sa.String(200))
    password_hash = sa.Column(sa.String(255), nullable=False)
    disabled = sa.Column(sa.Boolean, nullable=False, default=False)
    failed_logins = sa.Column(sa.Integer, nullable=False, default=0)
    locked_until = sa.Column(sa.DateTime)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class LoginAttempt(Base):
    """A failed login from a client address (rate limiting, kept for an hour)."""

    __tablename__ = "login_attempts"
    id = sa.Column(sa.Integer, primary_key=True)
    client = sa.Column(sa.String(64), nullable=False)
    attempted_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    __table_args__ = (sa.Index("ix_login_attempts_client", "client", "attempted_at"),)


class AuditEntry(Base):
    """A staff member read a transcript or exported a list."""

    __tablename__ = "audit_log"
    id = sa.Column(sa.Integer, primary_key=True)
    staff_id = sa.Column(sa.ForeignKey("staff_accounts.id"), nullable=False)
    at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    action = sa.Column(sa.String(32), nullable=False)  # "transcript", "export", ...
    target = sa.Column(sa.String(500), nullable=False)  # conversation id or filters


class ReviewLabel(Base):
    """A reviewer's label on a message the assistant misunderstood (masked text).

    ``kind`` says what it is: ``intent`` (what it should have understood, to train
    on), ``not_for_us``, ``new_topic``, or ``wrong_answer`` (a content report for the
    administrator: ``note`` says what was wrong). Erased with its conversation.
    """

    __tablename__ = "review_labels"
    __table_args__ = (sa.Index("ix_review_labels_text", "text", "organisation_id"),)
    id = sa.Column(sa.Integer, primary_key=True)
    text = sa.Column(sa.String(500), nullable=False)  # masked, in small letters
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    language = sa.Column(sa.String(8), nullable=False)
    kind = sa.Column(sa.String(16), nullable=False)
    intent = sa.Column(sa.String(64))
    note = sa.Column(sa.String(1000), nullable=False, default="")
    # For ``wrong_answer``: what the assistant replied (masked), for the administrator.
    answer = sa.Column(sa.Text)
    # The reviewer's organisation (None: the administrator), who and when.
    organisation_id = sa.Column(sa.String(64))
    staff_id = sa.Column(sa.ForeignKey("staff_accounts.id"), nullable=False)
    labelled_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class Handoff(Base):
    """A one-time link that opens the assistant in a visitor's language, city, topic."""

    __tablename__ = "handoffs"
    token = sa.Column(sa.String(64), primary_key=True)
    staff_id = sa.Column(sa.ForeignKey("staff_accounts.id"), nullable=False, index=True)
    language = sa.Column(sa.String(8), nullable=False)
    city = sa.Column(sa.String(64))
    topic = sa.Column(sa.String(64))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(sa.DateTime, nullable=False)
    opened_at = sa.Column(sa.DateTime)


class StaffSession(Base):
    """A logged-in staff member's session (cookie = token), with its CSRF secret."""

    __tablename__ = "staff_sessions"
    token = sa.Column(sa.String(64), primary_key=True)
    staff_id = sa.Column(sa.ForeignKey("staff_accounts.id"), nullable=False, index=True)
    csrf = sa.Column(sa.String(64), nullable=False)
    expires_at = sa.Column(sa.DateTime, nullable=False)


class ErasureRequest(Base):
    """A user asked to delete their conversation: work for the erasure worker.

    The web app's worker (bot.db.erasure) erases what is stored of the conversation and
    deletes this row, unless Rasa's next save of it did both (bot.db.tracker_store).
    """

    __tablename__ = "erasure_requests"
    conversation_id = sa.Column(sa.String(255), primary_key=True)
    requested_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class ErasedConversation(Base):
    """A conversation erased at the user's request, kept for the retention period.

    Nothing of what came up to ``asked_at`` is ever stored again, whenever Rasa saves
    it (bot.db.tracker_store); later messages with the same id are a new conversation.
    Holds nothing personal: the id and two times.
    """

    __tablename__ = "erased_conversations"
    conversation_id = sa.Column(sa.String(255), primary_key=True)
    # When the user's "yes, delete" was said, in seconds as Rasa's events.timestamp.
    asked_at = sa.Column(sa.Float, nullable=False)
    recorded_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)


# Held on PostgreSQL while migrating: replicas starting at once migrate one by one.
MIGRATION_LOCK = 7_264_001


def migrate(database_url: str) -> None:
    """Brings the project's tables to the newest migration (alembic upgrade head).

    On PostgreSQL an advisory lock serialises replicas that start at once; SQLite
    serialises writers itself.
    """
    settings.ensure_database_directory(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url)
    if not database_url.startswith("postgresql"):
        command.upgrade(config, "head")
        return
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        connection.execute(sa.text(f"SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        try:
            command.upgrade(config, "head")
        finally:
            connection.execute(sa.text(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
    engine.dispose()


@lru_cache(maxsize=4)
def engine_for(database_url: str) -> sa.engine.Engine:
    """The database, migrated (once per process and database)."""
    migrate(database_url)
    return sa.create_engine(database_url, future=True)


def record_routes(
    session: Session,
    conversation_id: str,
    language: str,
    topic: str,
    organisation_ids: list[str],
) -> None:
    """Remembers that the assistant named these organisations for ``topic`` (once)."""
    if not organisation_ids:
        return
    if session.get(RoutedConversation, conversation_id) is None:
        session.add(
            RoutedConversation(conversation_id=conversation_id, language=language)
        )
    known = set(
        session.scalars(
            sa.select(Route.organisation_id).where(
                Route.conversation_id == conversation_id, Route.topic == topic
            )
        )
    )
    for organisation_id in dict.fromkeys(organisation_ids):
        if organisation_id not in known:
            session.add(
                Route(
                    conversation_id=conversation_id,
                    organisation_id=organisation_id,
                    topic=topic,
                )
            )
    try:
        session.commit()
    except IntegrityError:  # the same turn saved twice at once: already recorded
        session.rollback()


def delete_referrals(session: Session, condition: sa.sql.ColumnElement) -> int:
    """Deletes the referrals that match, with their history; returns how many."""
    chosen = sa.select(Referral.id).where(condition).scalar_subquery()
    session.execute(
        sa.delete(ReferralChange)
        .where(ReferralChange.referral_id.in_(chosen))
        .execution_options(synchronize_session=False)
    )
    return session.execute(sa.delete(Referral).where(condition)).rowcount


def forget_conversation(session: Session, conversation_id: str) -> None:
    """Deletes everything of ours about one conversation: referrals, routes, labels."""
    delete_referrals(session, Referral.conversation_id == conversation_id)
    session.execute(
        sa.delete(ReviewLabel).where(ReviewLabel.conversation_id == conversation_id)
    )
    session.execute(sa.delete(Route).where(Route.conversation_id == conversation_id))
    session.execute(
        sa.delete(RoutedConversation).where(
            RoutedConversation.conversation_id == conversation_id
        )
    )


def record_erasure(session: Session, conversation_id: str, asked_at: float) -> None:
    """Notes that the conversation up to ``asked_at`` is to be erased, and for good."""
    if session.get(ErasureRequest, conversation_id) is None:
        session.add(ErasureRequest(conversation_id=conversation_id))
    erased = session.get(ErasedConversation, conversation_id)
    if erased is None:
        session.add(
            ErasedConversation(conversation_id=conversation_id, asked_at=asked_at)
        )
    else:  # asked again, later
        erased.asked_at = max(erased.asked_at, asked_at)
        erased.recorded_at = utcnow()


# An event as the erasure rule reads it: its type ("user", "session_started", ...),
# timestamp and, for an action, its name.
EventKey = tuple[str | None, float | None, str | None]


def new_conversation_start(events: Sequence[EventKey], asked_at: float) -> int:
    """Where the conversation begun after an erasure starts in ``events`` (in order).

    Every conversation after an erasure begins with a session start (Rasa finds
    nothing stored and starts a new session): the first ``session_started`` later than
    ``asked_at``, with the ``action_session_start`` and the session's metadata logged
    just before it. Everything before it is erased. Returns ``len(events)`` when no such
    conversation has begun.
    """

    def later(index: int) -> bool:
        timestamp = events[index][1]
        return timestamp is not None and timestamp > asked_at

    for start, (kind, _, _) in enumerate(events):
        if kind == "session_started" and later(start):
            break
    else:
        return len(events)
    for kind, name in (("action", "action_session_start"), ("slot", None)):
        if start == 0 or not later(start - 1) or events[start - 1][0] != kind:
            break
        if name is not None and events[start - 1][2] != name:
            break
        start -= 1  # the action_session_start, then the session_started_metadata
    return start


def erase_events_before(session: Session, conversation_id: str, asked_at: float) -> int:
    """Deletes the stored events of a conversation up to one begun after the erasure.

    Runs in the caller's transaction; returns the number of events deleted.
    """
    rows = session.execute(
        sa.select(
            RASA_EVENTS.c.id,
            RASA_EVENTS.c.type_name,
            RASA_EVENTS.c.timestamp,
            RASA_EVENTS.c.action_name,
        )
        .where(RASA_EVENTS.c.sender_id == conversation_id)
        .order_by(RASA_EVENTS.c.id)
    ).all()
    start = new_conversation_start([tuple(row[1:]) for row in rows], asked_at)
    if start == 0:
        return 0
    # By id, not a list of ids: events stored meanwhile (a new conversation) stay.
    erased = (
        RASA_EVENTS.c.id < rows[start].id
        if start < len(rows)
        else RASA_EVENTS.c.id <= rows[-1].id
    )
    return session.execute(
        sa.delete(RASA_EVENTS).where(RASA_EVENTS.c.sender_id == conversation_id, erased)
    ).rowcount
