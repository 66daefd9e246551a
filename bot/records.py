"""The project's own tables: referrals, staff accounts, handoff links, erasure requests.

They live in the same database as Rasa's conversations (``DATABASE_URL``) and are
created and changed only by Alembic migrations (``bot/migrations``), which every
process runs at start (``migrate``): a second replica finds them up to date.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.orm import declarative_base

from bot import settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
Base = declarative_base()


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


class StaffAccount(Base):
    """A front-desk person of an organisation; the password is an Argon2 hash."""

    __tablename__ = "staff_accounts"
    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(320), nullable=False, unique=True)
    organisation_id = sa.Column(sa.String(64), nullable=False)
    desk = sa.Column(sa.String(200), nullable=False)
    password_hash = sa.Column(sa.String(255), nullable=False)
    disabled = sa.Column(sa.Boolean, nullable=False, default=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


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
    """A user asked to delete their conversation; done once Rasa has saved the turn."""

    __tablename__ = "erasure_requests"
    conversation_id = sa.Column(sa.String(255), primary_key=True)
    requested_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


def migrate(database_url: str) -> None:
    """Brings the project's tables to the newest migration (alembic upgrade head)."""
    settings.ensure_database_directory(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url)
    command.upgrade(config, "head")


@lru_cache(maxsize=4)
def engine_for(database_url: str) -> sa.engine.Engine:
    """The database, migrated (once per process and database)."""
    migrate(database_url)
    return sa.create_engine(database_url, future=True)
