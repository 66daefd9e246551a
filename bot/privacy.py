"""Erasing conversations: on request ("delete my data") and after the retention period.

Conversations are Rasa's ``events`` rows (its SQL tracker store); referrals, routes and
erasure requests are ours (bot/records.py). Retention:

    python -m bot.privacy --older-than-days 180

deletes every conversation whose last message is older than that, and every referral
created before then.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from datetime import timedelta

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.orm import Session

from bot import settings
from bot.records import (
    RASA_EVENTS,
    ErasureRequest,
    Referral,
    delete_referrals,
    engine_for,
    forget_conversation,
    utcnow,
)

logger = logging.getLogger(__name__)
# Rasa saves a turn's events right after its actions ran: wait this long before erasing.
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
    """Erases the conversations whose erasure was asked (and whose turn is saved)."""
    settled = utcnow() - timedelta(seconds=SETTLE_SECONDS)
    with Session(engine) as session, session.begin():
        requests = session.scalars(
            sa.select(ErasureRequest).where(ErasureRequest.requested_at <= settled)
        ).all()
        for request in requests:
            erase_conversation(session, request.conversation_id)
            session.delete(request)
    return len(requests)


def apply_retention(engine: sa.engine.Engine, days: int) -> tuple[int, int]:
    """Deletes conversations last active, and referrals made, over ``days`` ago.

    Returns the numbers of conversations and referrals deleted.
    """
    cutoff = utcnow() - timedelta(days=days)
    with Session(engine) as session, session.begin():
        referrals = delete_referrals(session, Referral.created_at < cutoff)
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
    """Retention: ``python -m bot.privacy --older-than-days N``."""
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
