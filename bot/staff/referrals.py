"""The referral inbox: a partner follows up the people who asked to be contacted.

A referral's status goes new → contacted → closed (it may be set back, for a
mistake); every change and every note is a ``referral_changes`` row naming who did it
and when. Only the partner the user chose may change it or read the contact details.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.db.tables import Referral, ReferralChange, StaffAccount, utcnow
from bot.staff.queries import REFERRAL_STATUSES

NOTE_LIMIT = 2000


@dataclass(frozen=True)
class Change:
    """One line of a referral's history."""

    at: object
    email: str
    old_status: str
    new_status: str
    note: str | None


def find_referral(
    session: Session, organisation_id: str | None, referral_id: int
) -> Referral | None:
    """The referral if this partner (or an admin) may see it, else None."""
    referral = session.get(Referral, referral_id)
    if referral is None:
        return None
    if organisation_id is not None and referral.organisation_id != organisation_id:
        return None
    return referral


def list_referrals(
    session: Session,
    organisation_id: str | None,
    status: str | None,
    page: int,
    page_size: int,
) -> tuple[int, list[Referral]]:
    """How many referrals match, and one page of them, newest first."""
    where = []
    if organisation_id is not None:
        where.append(Referral.organisation_id == organisation_id)
    if status is not None:
        where.append(Referral.status == status)
    total = session.scalar(sa.select(sa.func.count(Referral.id)).where(*where))
    found = session.scalars(
        sa.select(Referral)
        .where(*where)
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return total, list(found)


def change_referral(
    session: Session, referral: Referral, staff_id: int, status: str, note: str
) -> bool:
    """Sets the status and/or adds a note; False when there was nothing to record."""
    if status not in REFERRAL_STATUSES:
        raise ValueError(status)
    note = note.strip()[:NOTE_LIMIT]
    if status == referral.status and not note:
        return False
    session.add(
        ReferralChange(
            referral_id=referral.id,
            staff_id=staff_id,
            changed_at=utcnow(),
            old_status=referral.status,
            new_status=status,
            note=note or None,
        )
    )
    referral.status = status
    return True


def history(session: Session, referral_id: int) -> list[Change]:
    """Who changed the referral and when, oldest first."""
    return [
        Change(*row)
        for row in session.execute(
            sa.select(
                ReferralChange.changed_at,
                StaffAccount.email,
                ReferralChange.old_status,
                ReferralChange.new_status,
                ReferralChange.note,
            )
            .join(StaffAccount, StaffAccount.id == ReferralChange.staff_id)
            .where(ReferralChange.referral_id == referral_id)
            .order_by(ReferralChange.changed_at, ReferralChange.id)
        )
    ]
