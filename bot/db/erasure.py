"""Erasing conversations: on request ("delete my data") and after the retention period.

Conversations are Rasa's ``events`` rows (its SQL tracker store); referrals, routes and
erasure requests are ours (bot/db/tables.py). On request, the action deletes the
referrals and routes at once and records the erasure; our tracker store
(bot.db.tracker_store) then never writes the erased conversation again and erases it at
Rasa's next save; the worker here erases conversations that Rasa does not save again.
Retention:

    python -m bot.db.erasure --older-than-days 180

deletes every conversation whose last message is older than that, every referral
created before then, and the records of erasures made before then.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from datetime import timedelta, timezone

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.orm import Session

from bot import settings
from bot.db.tables import (
    RASA_EVENTS,
    ErasedConversation,
    ErasureRequest,
    Referral,
    delete_referrals,
    engine_for,
    erase_events_before,
    forget_conversation,
    utcnow,
)

logger = logging.getLogger(__name__)
# Rasa saves a turn's events right after its actions ran, and its save then erases
# them itself: the worker waits this long so as to find nothing left, usually.
SETTLE_SECONDS = 3
POLL_SECONDS = 2
WORKER = web.AppKey("erasure_worker", asyncio.Task)


def rasa_events_exist(engine: sa.engine.Engine) -> bool:
    """Whether Rasa has created its events table in this database yet."""
    return sa.inspect(engine).has_table("events")


def erase_conversation(session: Session, conversation_id: str) -> None:
    """Deletes every event, referral and route of one conversation."""
    if rasa_events_exist(session.get_bind()):
        session.execute(
            sa.delete(RASA_EVENTS).where(RASA_EVENTS.c.sender_id == conversation_id)
        )
    forget_conversation(session, conversation_id)


def process_erasure_requests(engine: sa.engine.Engine) -> int:
    """Erases the stored events of the conversations whose erasure was asked.

    Whatever was saved up to the request goes; a conversation begun after it with
    the same id stays (the rule of bot.db.tables.new_conversation_start, which our
    tracker store follows too). Referrals and routes went at the request. Running it
    again changes nothing. Returns the number of requests done.
    """
    settled = utcnow() - timedelta(seconds=SETTLE_SECONDS)
    with Session(engine) as session, session.begin():
        requests = session.scalars(
            sa.select(ErasureRequest).where(ErasureRequest.requested_at <= settled)
        ).all()
        events = rasa_events_exist(session.get_bind()) if requests else False
        for request in requests:
            erased = session.get(ErasedConversation, request.conversation_id)
            if erased is None:  # asked before erasures were kept
                asked_at = request.requested_at.replace(tzinfo=timezone.utc)
                erased = ErasedConversation(
                    conversation_id=request.conversation_id,
                    asked_at=asked_at.timestamp(),
                )
                session.add(erased)
            if events:
                erase_events_before(session, request.conversation_id, erased.asked_at)
            session.delete(request)
    return len(requests)


def apply_retention(engine: sa.engine.Engine, days: int) -> tuple[int, int]:
    """Deletes what is older than ``days``: conversations, referrals, erasures.

    Conversations by their last message, referrals and erasure records by when they
    were made. Returns the numbers of conversations and referrals deleted.
    """
    cutoff = utcnow() - timedelta(days=days)
    with Session(engine) as session, session.begin():
        referrals = delete_referrals(session, Referral.created_at < cutoff)
        session.execute(
            sa.delete(ErasedConversation).where(ErasedConversation.recorded_at < cutoff)
        )
        conversations: list[str] = []
        if rasa_events_exist(engine):
            last = sa.func.max(RASA_EVENTS.c.timestamp)
            conversations = list(
                session.scalars(
                    sa.select(RASA_EVENTS.c.sender_id)
                    .group_by(RASA_EVENTS.c.sender_id)
                    .having(last < cutoff.timestamp())
                )
            )
            for conversation_id in conversations:
                erase_conversation(session, conversation_id)
    return len(conversations), referrals


async def erasure_worker(app: web.Application) -> None:
    """Runs in the web app: erases requested conversations every few seconds."""
    engine = engine_for(settings.DATABASE_URL)
    while True:
        try:
            done = await asyncio.to_thread(process_erasure_requests, engine)
            if done:
                logger.info("Erased %d conversation(s) on request.", done)
        except sa.exc.SQLAlchemyError:  # a busy database: try again next round
            logger.exception("Erasing conversations failed; retrying.")
        await asyncio.sleep(POLL_SECONDS)


async def start_erasure_worker(app: web.Application) -> None:
    """Aiohttp startup hook."""
    app[WORKER] = asyncio.create_task(erasure_worker(app))


async def stop_erasure_worker(app: web.Application) -> None:
    """Aiohttp cleanup hook."""
    app[WORKER].cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await app[WORKER]


def main() -> None:
    """Retention: ``python -m bot.db.erasure --older-than-days N``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--older-than-days",
        type=int,
        default=settings.RETENTION_DAYS,
        help=f"default {settings.RETENTION_DAYS} (RETENTION_DAYS)",
    )
    args = parser.parse_args()
    if args.older_than_days < 0:
        parser.error("--older-than-days must be 0 or more")
    conversations, referrals = apply_retention(
        engine_for(settings.DATABASE_URL), args.older_than_days
    )
    print(
        f"Deleted {conversations} conversation(s) and {referrals} referral(s) "
        f"older than {args.older_than_days} days."
    )


if __name__ == "__main__":
    main()
