"""Learning from conversations: users' "did this help?", the review queue, labels.

The review queue holds the messages a reviewer's partner should look at: those the
assistant did not understand, those it understood with low confidence, the message
before a "Not what I was looking for" and the one after it (what the user was looking
for). Each is masked as everywhere in the portal, grouped in small letters, and
labelled once per organisation: the intent it should have been (to train on), "not for
us", "a new topic", or "the answer was wrong" (a content report for the administrator).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from bot.db.tables import ReviewLabel, StaffAccount
from bot.languages import SUPPORTED_LANGUAGES
from bot.staff.pages import S_
from bot.staff.queries import (
    DEFAULT_MASKING,
    Filters,
    _conditions,
    _day_start,
    _event_text,
    _in_small_letters,
    conversations,
    events,
    json_object,
    maskings,
    routes,
    unanswered_message,
)
from bot.staff.redaction import Segment, redact

# Below this intent confidence a message is worth a look, even if it was answered.
LOW_CONFIDENCE = 0.5
REVIEW_LIMIT = 100
REASONS = {
    "not_understood": S_("not understood"),
    "low_confidence": S_("understood with low confidence"),
    "not_helpful": S_("before a “not what I was looking for”"),
    "looking_for": S_("what the user was looking for"),
}
LABEL_KINDS = {
    "intent": S_("It means"),
    "not_for_us": S_("Not for us"),
    "new_topic": S_("A new topic"),
    "wrong_answer": S_("The answer was wrong"),
}
LONGEST_NOTE = 1000


class LabelError(ValueError):
    """A label the form cannot store; the message says why (a staff text)."""


@dataclass
class Candidate:
    """One message (in small letters, masked) in the review queue."""

    key: str  # the masked text in small letters: what a label names
    segments: list[Segment]
    language: str
    conversation_id: str  # its latest conversation
    latest: float  # its latest time (Rasa's timestamp)
    event_id: int = 0  # its latest event
    count: int = 0
    reasons: set[str] = field(default_factory=set)
    label: ReviewLabel | None = None
    labelled_by: str = ""


def _key(segments: list[Segment]) -> str:
    """The text of masked segments, masks shown as [kind], in small letters."""
    return "".join(
        f"[{masked}]" if masked else text
        for text, masked in _in_small_letters(segments)
    )[:500]


def _confidence(session: Session) -> sa.sql.ColumnElement:
    """The intent confidence in a user event's JSON, in this database's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        data = sa.cast(events.c.data, postgresql.JSON)
        value = data["parse_data"]["intent"]["confidence"].astext
        return sa.cast(value, sa.Float)
    return sa.case(
        (
            sa.func.json_valid(events.c.data),
            sa.func.json_extract(events.c.data, "$.parse_data.intent.confidence"),
        )
    )


def _helpful(data: object) -> str | None:
    """The answer of a feedback event's JSON ("yes", "no"), if any."""
    for entity in (json_object(data).get("parse_data") or {}).get("entities") or []:
        if isinstance(entity, dict) and entity.get("entity") == "helpful":
            return str(entity.get("value"))
    return None


def _scope(organisation_id: str | None, filters: Filters, has_events: bool):
    """The ids of the conversations in scope, and the period's event condition."""
    in_scope = sa.select(conversations.c.conversation_id).where(
        *_conditions(organisation_id, filters, has_events)
    )
    period = []
    if filters.since is not None:
        start = _day_start(filters.since).replace(tzinfo=timezone.utc)
        period.append(events.c.timestamp >= start.timestamp())
    return in_scope, period


def review_queue(
    session: Session, organisation_id: str | None, filters: Filters, has_events: bool
) -> list[Candidate]:
    """The messages to review for this reader, newest first, then most frequent."""
    if not has_events:
        return []
    in_scope, period = _scope(organisation_id, filters, has_events)
    user = [events.c.type_name == "user", events.c.sender_id.in_(in_scope), *period]
    text = _event_text(session)
    found: list[tuple[str, int, float, str, str]] = []  # sender, id, time, text, why
    for sender, number, moment, said in session.execute(
        sa.select(events.c.sender_id, events.c.id, events.c.timestamp, text).where(
            *user, unanswered_message()
        )
    ):
        found.append((sender, number, moment, said, "not_understood"))
    for sender, number, moment, said in session.execute(
        sa.select(events.c.sender_id, events.c.id, events.c.timestamp, text).where(
            *user,
            events.c.intent_name.is_not(None),
            events.c.intent_name != "feedback",
            _confidence(session) < LOW_CONFIDENCE,
        )
    ):
        found.append((sender, number, moment, said, "low_confidence"))
    found += _around_not_helpful(session, user, text)
    languages = dict(
        session.execute(
            sa.select(conversations.c.conversation_id, conversations.c.language).where(
                conversations.c.conversation_id.in_({f[0] for f in found})
            )
        ).all()
    )
    masks = maskings(session, organisation_id, {f[0] for f in found}, has_events)
    queue: dict[str, Candidate] = {}
    seen: set[tuple[int, str]] = set()
    for sender, number, moment, said, why in sorted(found, key=lambda f: f[2]):
        said = (said or "").strip()
        if not said or said.startswith("/"):
            continue
        segments = masks.get(sender, DEFAULT_MASKING).segments(said)
        key = _key(segments)
        candidate = queue.setdefault(
            key,
            Candidate(key, segments, languages.get(sender, ""), sender, moment),
        )
        if (number, key) not in seen:  # one message counts once, whatever the reasons
            seen.add((number, key))
            candidate.count += 1
        candidate.reasons.add(why)
        candidate.latest, candidate.conversation_id = moment, sender
        candidate.event_id = number
        candidate.segments = segments
        candidate.language = languages.get(sender, candidate.language)
    _attach_labels(session, organisation_id, queue)
    ordered = sorted(queue.values(), key=lambda c: (-c.latest, -c.count, c.key))
    return ordered[:REVIEW_LIMIT]


def _around_not_helpful(
    session: Session, user: list[sa.sql.ColumnElement], text: sa.sql.ColumnElement
) -> list[tuple[str, int, float, str, str]]:
    """The user's message before each "not what I was looking for", and the next."""
    found = []
    for sender, number, data in session.execute(
        sa.select(events.c.sender_id, events.c.id, events.c.data).where(
            *user, events.c.intent_name == "feedback"
        )
    ):
        if _helpful(data) != "no":
            continue
        message = [
            events.c.sender_id == sender,
            events.c.type_name == "user",
            sa.or_(events.c.intent_name.is_(None), events.c.intent_name != "feedback"),
        ]
        before = session.execute(
            sa.select(events.c.id, events.c.timestamp, text)
            .where(*message, events.c.id < number)
            .order_by(events.c.id.desc())
            .limit(1)
        ).first()
        after = session.execute(
            sa.select(events.c.id, events.c.timestamp, text)
            .where(*message, events.c.id > number)
            .order_by(events.c.id)
            .limit(1)
        ).first()
        for row, why in ((before, "not_helpful"), (after, "looking_for")):
            if row is not None:
                found.append((sender, row[0], row[1], row[2], why))
    return found


def _attach_labels(
    session: Session, organisation_id: str | None, queue: dict[str, Candidate]
) -> None:
    """Each candidate's label by this reader's organisation (any, for the admin)."""
    if not queue:
        return
    chosen = (
        sa.select(ReviewLabel, StaffAccount.email)
        .join(StaffAccount, StaffAccount.id == ReviewLabel.staff_id)
        .where(ReviewLabel.text.in_(list(queue)))
        .order_by(ReviewLabel.labelled_at)
    )
    if organisation_id is not None:
        chosen = chosen.where(ReviewLabel.organisation_id == organisation_id)
    for label, email in session.execute(chosen):
        session.expunge(label)  # shown after the session ends
        queue[label.text].label, queue[label.text].labelled_by = label, email


def add_label(
    session: Session,
    organisation_id: str | None,
    staff_id: int,
    candidate: Candidate,
    form: dict[str, str],
    intents: tuple[str, ...],
) -> ReviewLabel:
    """Stores (or replaces) this organisation's label on ``candidate``.

    Raises:
        LabelError: an unknown kind, intent or language, or a missing note.

    """
    kind = form.get("kind", "")
    if kind not in LABEL_KINDS:
        raise LabelError(S_("Choose what the message is."))
    intent = form.get("intent") or None
    if kind == "intent" and intent not in intents:
        raise LabelError(S_("Choose the intent the assistant should have understood."))
    language = form.get("language") or candidate.language
    if language not in SUPPORTED_LANGUAGES:
        raise LabelError(S_("Choose the language of the message."))
    note = " ".join(form.get("note", "").split())[:LONGEST_NOTE]
    if kind == "wrong_answer" and not note:
        raise LabelError(S_("Say what was wrong in the answer."))
    session.execute(
        sa.delete(ReviewLabel).where(
            ReviewLabel.text == candidate.key,
            ReviewLabel.organisation_id.is_(None)
            if organisation_id is None
            else ReviewLabel.organisation_id == organisation_id,
        )
    )
    label = ReviewLabel(
        text=candidate.key,
        conversation_id=candidate.conversation_id,
        language=language,
        kind=kind,
        intent=intent if kind == "intent" else None,
        note=note,
        organisation_id=organisation_id,
        staff_id=staff_id,
    )
    if kind == "wrong_answer":
        label.answer = answer_to(session, candidate)
    session.add(label)
    return label


def answer_to(session: Session, candidate: Candidate) -> str:
    """What the assistant replied to the message (masked), for a content report."""
    replies = session.execute(
        sa.select(_event_text(session))
        .where(
            events.c.sender_id == candidate.conversation_id,
            events.c.type_name == "bot",
            events.c.id > candidate.event_id,
            events.c.id
            < sa.func.coalesce(
                sa.select(sa.func.min(events.c.id))
                .where(
                    events.c.sender_id == candidate.conversation_id,
                    events.c.type_name == "user",
                    events.c.id > candidate.event_id,
                )
                .scalar_subquery(),
                2**62,
            ),
        )
        .order_by(events.c.id)
    ).scalars()
    said = "\n".join(reply.strip() for reply in replies if reply and reply.strip())
    return "".join(
        f"[{segment.masked}]" if segment.masked else segment.text
        for segment in redact(said)
    )[:4000]


def content_reports(session: Session) -> list[tuple[ReviewLabel, str]]:
    """Every "the answer was wrong" label, newest first, with who made it.

    Each holds the assistant's reply that was wrong (``answer``) and the note.
    """
    return list(
        session.execute(
            sa.select(ReviewLabel, StaffAccount.email)
            .join(StaffAccount, StaffAccount.id == ReviewLabel.staff_id)
            .where(ReviewLabel.kind == "wrong_answer")
            .order_by(ReviewLabel.labelled_at.desc())
            .limit(200)
        ).all()
    )


@dataclass
class Helpfulness:
    """What users said of the answers: yes and no per topic, language, partner, week."""

    per_topic: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    per_language: dict[str, Counter] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    per_partner: dict[str, Counter] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    per_week: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    @property
    def total(self) -> Counter:
        """Yes and no in all."""
        return sum(self.per_week.values(), Counter())


def week_of(moment: datetime | date) -> str:
    """The ISO week ("2026-W49")."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def helpfulness(
    session: Session, organisation_id: str | None, filters: Filters, has_events: bool
) -> Helpfulness:
    """Every "did this help?" answer in scope.

    Each counts for the topic and partners the conversation was last routed to
    before it.
    """
    figures = Helpfulness()
    if not has_events:
        return figures
    in_scope, period = _scope(organisation_id, filters, has_events)
    # The (few) choices of the period from the intent index, then those in scope.
    said = session.execute(
        sa.select(events.c.sender_id, events.c.timestamp, events.c.data).where(
            events.c.intent_name == "feedback", events.c.type_name == "user", *period
        )
    ).all()
    chosen = {sender for sender, _, _ in said}
    senders = set(
        session.scalars(in_scope.where(conversations.c.conversation_id.in_(chosen)))
    )
    said = [row for row in said if row[0] in senders]
    routed: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
    chosen = sa.select(
        routes.c.conversation_id,
        routes.c.routed_at,
        routes.c.organisation_id,
        routes.c.topic,
    ).where(routes.c.conversation_id.in_(senders))
    for conversation_id, moment, organisation, topic in session.execute(chosen):
        routed[conversation_id].append((moment, organisation, topic))
    languages = dict(
        session.execute(
            sa.select(conversations.c.conversation_id, conversations.c.language).where(
                conversations.c.conversation_id.in_(senders)
            )
        ).all()
    )
    for sender, moment, data in said:
        helpful = _helpful(data)
        if helpful not in ("yes", "no"):
            continue
        at = datetime.fromtimestamp(moment, timezone.utc).replace(tzinfo=None)
        earlier = [r for r in routed[sender] if r[0] <= at]
        latest = max((r[0] for r in earlier), default=None)
        answered = [r for r in earlier if r[0] == latest]
        figures.per_week[week_of(at)][helpful] += 1
        figures.per_language[languages.get(sender, "")][helpful] += 1
        for topic in {topic for _, _, topic in answered}:
            figures.per_topic[topic][helpful] += 1
        for _, organisation, _ in answered:
            if organisation_id in (None, organisation):
                figures.per_partner[organisation][helpful] += 1
    return figures


def unanswered_per_week(
    per_day: list[tuple[str, int]], unanswered_per_day: dict[str, int]
) -> list[tuple[str, int, int]]:
    """Per ISO week: conversations begun, and those with a message not answered.

    From the insight page's own per-day figures: no further read of the database.
    """
    weeks: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for day, number in per_day:
        weeks[week_of(date.fromisoformat(day))][0] += number
    for day, number in unanswered_per_day.items():
        weeks[week_of(date.fromisoformat(day))][1] += number
    return [(week, total, left) for week, (total, left) in sorted(weeks.items())]
