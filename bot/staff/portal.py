"""The partner portal: conversations, referrals, export, insight, audit, sources.

Reviewers see only what was routed to their organisation; an administrator sees every
partner. Personal data in transcripts, exports and insight is masked, except what the
user gave the reviewer's organisation in its referral (their name and contact as typed
there). Every transcript and referral opened and every export is written to the audit
log. Database work runs in a worker thread, so a long export never holds up the
widget's pages.
"""

from __future__ import annotations

import asyncio
import csv
import datetime
import io
from dataclasses import dataclass, replace
from typing import TypeVar

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.orm import Session

from bot.db.tables import AuditEntry, Referral, StaffAccount, utcnow
from bot.knowledge.answers import format_fact, today
from bot.knowledge.loading import (
    ENDING_WITHIN_DAYS,
    RECHECK_AFTER_DAYS,
    due_sources,
    ending_facts,
    shipped_knowledge,
)
from bot.languages import NATIVE_NAMES, SUPPORTED_LANGUAGES
from bot.staff.learning import content_reports, helpfulness, unanswered_per_week
from bot.staff.pages import (
    S_,
    STAFF_HEADERS,
    read_form,
    refusal,
    staff_language,
    staff_page,
    staff_text,
)
from bot.staff.queries import (
    DEFAULT_MASKING,
    INSIGHT_DAYS,
    PAGE_SIZE,
    REFERRAL_STATUSES,
    TOPIC_LABELS,
    ConversationRow,
    FilterError,
    Filters,
    InsightQuery,
    Turn,
    combine,
    conversation_row,
    count_conversations,
    list_conversations,
    maskings,
    parse_filters,
    prepare_events,
    transcript,
    user_messages,
    whole_number,
)
from bot.staff.redaction import LABELS, Segment, redacted_text, shown_text
from bot.staff.referrals import change_referral, find_referral, history, list_referrals
from bot.staff.signin import Staff, check_csrf, in_database, signed_in

REVIEWERS = ("reviewer", "admin")
EXPORT_BATCH = 500
Result = TypeVar("Result")


def audit(session: Session, staff: Staff, action: str, target: str) -> None:
    """Records that ``staff`` read or exported something."""
    session.add(
        AuditEntry(staff_id=staff.id, at=utcnow(), action=action, target=target[:500])
    )


def partner_names() -> dict[str, str]:
    """Organisation id → its name."""
    return {
        organisation_id: organisation.name
        for organisation_id, organisation in shipped_knowledge().organisations.items()
    }


def labels_in(language: str) -> dict[str, str]:
    """The masks ("[phone]", …) in the staff member's language."""
    return {kind: staff_text(language, label) for kind, label in LABELS.items()}


def filters_of(request: web.Request, default_days: int | None = None) -> Filters:
    """The request's filters, or a 400 page saying which value is unknown."""
    try:
        return parse_filters(request.query, default_days)
    except FilterError as error:
        raise refusal(
            request, web.HTTPBadRequest, error.message, value=error.value
        ) from None


async def portal_page(
    request: web.Request, template: str, staff: Staff, section: str, **values: object
) -> web.Response:
    """A portal page, with the names every portal template may show."""
    waiting = [Referral.status == "new"]  # for the menu: the inbox's new referrals
    if staff.organisation_id is not None:
        waiting.append(Referral.organisation_id == staff.organisation_id)
    new_referrals = await in_database(
        lambda session: session.scalar(
            sa.select(sa.func.count(Referral.id)).where(*waiting)
        )
    )
    return staff_page(
        request,
        template,
        staff=staff,
        page=section,
        new_referrals=new_referrals,
        languages=[(code, NATIVE_NAMES[code]) for code in SUPPORTED_LANGUAGES],
        native_names=NATIVE_NAMES,
        topics=TOPIC_LABELS,
        partners=partner_names(),
        statuses=REFERRAL_STATUSES,
        labels=LABELS,
        **values,
    )


async def conversations_page(request: web.Request) -> web.Response:
    """GET /staff/conversations: the filtered, paged list."""
    staff = await signed_in(request, *REVIEWERS)
    filters = filters_of(request)

    def load(session: Session) -> tuple[int, list[ConversationRow]]:
        has_events = prepare_events(session.get_bind())
        organisation = staff.organisation_id
        total = count_conversations(session, organisation, filters, has_events)
        return total, list_conversations(session, organisation, filters, has_events)

    total, rows = await in_database(load)
    pages = max(1, -(-total // PAGE_SIZE))
    return await portal_page(
        request,
        "portal_conversations.html",
        staff,
        "conversations",
        filters=filters,
        total=total,
        pages=pages,
        rows=rows,
    )


@dataclass(frozen=True)
class ShownTurn:
    """A transcript line, its personal data masked but for what was given to you."""

    turn: Turn
    segments: list[Segment]


async def transcript_page(request: web.Request) -> web.Response:
    """GET /staff/conversations/{id}: the transcript (404 if not routed to you)."""
    staff = await signed_in(request, *REVIEWERS)
    conversation_id = request.match_info["conversation_id"]

    def load(session: Session) -> tuple[ConversationRow, list[ShownTurn], bool] | None:
        has_events = prepare_events(session.get_bind())
        row = conversation_row(
            session, staff.organisation_id, conversation_id, has_events
        )
        if row is None:
            return None
        turns = transcript(session, conversation_id) if has_events else []
        masking = maskings(
            session, staff.organisation_id, [conversation_id], has_events
        ).get(conversation_id, DEFAULT_MASKING)
        shown = [ShownTurn(turn, masking.segments(turn.text)) for turn in turns]
        audit(session, staff, "transcript", conversation_id)
        return row, shown, bool(masking.shared)

    found = await in_database(load)
    if found is None:
        raise refusal(request, web.HTTPNotFound, S_("There is no such conversation."))
    row, turns, shared = found
    return await portal_page(
        request,
        "portal_transcript.html",
        staff,
        "conversations",
        row=row,
        turns=turns,
        shared=shared,
    )


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text (no formula injection).

    Without NUL characters, which Python's csv writer cannot write (a user's message
    with one stopped every export that included it, half-way).
    """
    text = "" if value is None else str(value).replace("\0", "")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def export_csv(request: web.Request) -> web.StreamResponse:
    """GET /staff/conversations.csv: the filtered list, redacted, streamed."""
    staff = await signed_in(request, *REVIEWERS)
    filters = filters_of(request)
    language = staff_language(request)
    labels = labels_in(language)
    await in_database(
        lambda session: audit(session, staff, "export", filters.query() or "(all)")
    )
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="conversations.csv"',
            **STAFF_HEADERS,
        }
    )
    await response.prepare(request)
    header = [
        S_("Conversation"),
        S_("Started (UTC)"),
        S_("Language"),
        S_("Topics"),
        S_("Partners"),
        S_("Not answered"),
        S_("Referral"),
        S_("What the user wrote"),
    ]
    await response.write(
        "\ufeff".encode() + csv_line([staff_text(language, text) for text in header])
    )

    def batch(number: int) -> list[list[str]]:
        def load(session: Session) -> list[list[str]]:
            has_events = prepare_events(session.get_bind())
            rows = list_conversations(
                session,
                staff.organisation_id,
                replace(filters, page=number),
                has_events,
                limit=EXPORT_BATCH,
            )
            ids = [row.conversation_id for row in rows]
            said = user_messages(session, ids) if has_events else {}
            masks = maskings(session, staff.organisation_id, ids, has_events)
            lines = []
            for row in rows:
                masking = masks.get(row.conversation_id, DEFAULT_MASKING)
                texts = [
                    shown_text(masking.segments(text), labels)
                    for text in said.get(row.conversation_id, [])
                ]
                lines.append(
                    [
                        row.conversation_id,
                        row.started_at.isoformat(timespec="seconds"),
                        row.language,
                        " ".join(row.topics),
                        " ".join(row.organisations),
                        staff_text(language, S_("yes") if row.unanswered else S_("no")),
                        row.referral_status or "",
                        " | ".join(texts),
                    ]
                )
            return lines

        return in_database(load)

    number = 1
    while lines := await batch(number):
        await response.write(b"".join(csv_line(line) for line in lines))
        if len(lines) < EXPORT_BATCH:
            break
        number += 1
    await response.write_eof()
    return response


def csv_line(cells: list[str]) -> bytes:
    """One CSV record, UTF-8."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([csv_cell(cell) for cell in cells])
    return buffer.getvalue().encode()


async def insight_page(request: web.Request) -> web.Response:
    """GET /staff/insight: charts of the last 30 days (or the chosen dates)."""
    staff = await signed_in(request, *REVIEWERS)
    filters = filters_of(request, default_days=INSIGHT_DAYS)
    labels = labels_in(staff_language(request))

    has_events = await in_database(lambda session: prepare_events(session.get_bind()))
    query = InsightQuery(staff.organisation_id, filters, has_events)
    scope = (staff.organisation_id, filters, has_events)
    *reads, helped = await asyncio.gather(
        in_database(query.per_day_and_language),
        in_database(query.per_topic),
        in_database(query.unanswered),
        in_database(lambda session: helpfulness(session, *scope)),
    )
    figures = combine(*reads)
    weeks = unanswered_per_week(figures.per_day, figures.unanswered_per_day)
    questions = [
        (shown_text(segments, labels), count) for segments, count in figures.questions
    ]
    return await portal_page(
        request,
        "portal_insight.html",
        staff,
        "insight",
        filters=filters,
        figures=figures,
        questions=questions,
        most_per_day=max((count for _, count in figures.per_day), default=0),
        helped=helped,
        weeks=weeks,
    )


async def referrals_page(request: web.Request) -> web.Response:
    """GET /staff/referrals: the inbox, by status, newest first."""
    staff = await signed_in(request, *REVIEWERS)
    labels = labels_in(staff_language(request))
    status = request.query.get("status") or None
    if status is not None and status not in REFERRAL_STATUSES:
        raise refusal(
            request, web.HTTPBadRequest, S_("Unknown status: %(value)s"), value=status
        )
    page = request.query.get("page", "1")
    page_number = whole_number(page.strip(), 100_000)
    if page_number is None or page_number < 1:
        raise refusal(
            request, web.HTTPBadRequest, S_("Unknown page: %(value)s"), value=page
        )

    def load(session: Session) -> tuple[int, list[ShownReferral]]:
        total, found = list_referrals(
            session, staff.organisation_id, status, page_number, PAGE_SIZE
        )
        return total, [shown_referral(staff, referral, labels) for referral in found]

    total, referrals = await in_database(load)
    return await portal_page(
        request,
        "portal_referrals.html",
        staff,
        "referrals",
        chosen_status=status,
        referrals=referrals,
        total=total,
        page_number=page_number,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


@dataclass(frozen=True)
class ShownReferral:
    """A referral as this staff member may read it."""

    id: int
    conversation_id: str
    organisation_id: str
    topic: str
    language: str
    status: str
    created_at: object
    name: list[Segment]
    contact: list[Segment]
    preferred_time: str
    follows_up: bool  # the reviewer's own partner: may change it


def shown_referral(
    staff: Staff, referral: Referral, labels: dict[str, str]
) -> ShownReferral:
    """Contact details in clear for the partner the user chose, masked for others.

    The preferred time is typed by the user too ("mornings, or call 06 ..."): others
    read it masked.
    """
    own = referral.organisation_id == staff.organisation_id
    name = [Segment(referral.name)] if own else [Segment("", "name")]
    kind = "phone" if referral.contact_kind == "phone" else "email"
    contact = [Segment(referral.contact)] if own else [Segment("", kind)]
    time = referral.preferred_time or ""
    return ShownReferral(
        id=referral.id,
        conversation_id=referral.conversation_id,
        organisation_id=referral.organisation_id,
        topic=referral.topic,
        language=referral.language,
        status=referral.status,
        created_at=referral.created_at,
        name=name,
        contact=contact,
        preferred_time=time if own else redacted_text(time, labels, [referral.name]),
        follows_up=own,
    )


def referral_id_of(request: web.Request) -> int:
    """The referral id of the path (404 if it is not a number)."""
    number = whole_number(request.match_info["referral_id"], 2**31 - 1)
    if number is None:
        raise refusal(request, web.HTTPNotFound, S_("There is no such referral."))
    return number


async def referral_page(request: web.Request) -> web.Response:
    """GET /staff/referrals/{id}: details, status form, history (404 if not yours)."""
    staff = await signed_in(request, *REVIEWERS)
    referral_id = referral_id_of(request)
    labels = labels_in(staff_language(request))

    def load(session: Session) -> tuple[ShownReferral, list] | None:
        referral = find_referral(session, staff.organisation_id, referral_id)
        if referral is None:
            return None
        audit(session, staff, "referral", str(referral_id))
        changes = history(session, referral_id)
        if referral.organisation_id != staff.organisation_id:
            # The partner's notes may repeat the user's details: masked for others.
            changes = [
                replace(
                    change,
                    note=change.note
                    and redacted_text(change.note, labels, [referral.name]),
                )
                for change in changes
            ]
        return shown_referral(staff, referral, labels), changes

    found = await in_database(load)
    if found is None:
        raise refusal(request, web.HTTPNotFound, S_("There is no such referral."))
    referral, changes = found
    return await portal_page(
        request,
        "portal_referral.html",
        staff,
        "referrals",
        referral=referral,
        changes=changes,
    )


async def change_referral_status(request: web.Request) -> web.Response:
    """POST /staff/referrals/{id}: a new status and/or a note, by the partner."""
    staff = await signed_in(request, *REVIEWERS)
    referral_id = referral_id_of(request)
    form = await read_form(request)
    check_csrf(request, form, staff.csrf)
    status = str(form.get("status", ""))
    if status not in REFERRAL_STATUSES:
        raise refusal(
            request, web.HTTPBadRequest, S_("Unknown status: %(value)s"), value=status
        )

    def change(session: Session) -> bool:
        referral = find_referral(session, staff.organisation_id, referral_id)
        if referral is None or referral.organisation_id != staff.organisation_id:
            return False
        change_referral(session, referral, staff.id, status, str(form.get("note", "")))
        return True

    if not await in_database(change):
        raise refusal(request, web.HTTPNotFound, S_("There is no such referral."))
    raise web.HTTPSeeOther(f"/staff/referrals/{referral_id}")


async def audit_page(request: web.Request) -> web.Response:
    """GET /staff/audit: who read which transcript, who exported what (admin)."""
    staff = await signed_in(request, "admin")

    def load(session: Session) -> list:
        return session.execute(
            sa.select(
                AuditEntry.at, StaffAccount.email, AuditEntry.action, AuditEntry.target
            )
            .join(StaffAccount, StaffAccount.id == AuditEntry.staff_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(200)
        ).all()

    return await portal_page(
        request,
        "portal_audit.html",
        staff,
        "audit",
        entries=await in_database(load),
    )


async def sources_page(request: web.Request) -> web.Response:
    """GET /staff/sources: sources due for re-checking, facts ending soon (admin)."""
    staff = await signed_in(request, "admin")
    knowledge = shipped_knowledge()
    day = datetime.date.fromisoformat(today())
    soon, ended = ending_facts(knowledge, day)
    language = staff_language(request)
    reports = await in_database(
        lambda session: [
            (
                label.text,
                label.language,
                label.answer or "",
                label.note,
                email,
                label.labelled_at,
            )
            for label, email in content_reports(session)
        ]
    )
    return await portal_page(
        request,
        "portal_sources.html",
        staff,
        "sources",
        due=due_sources(knowledge, day),
        soon=soon,
        ended=ended,
        recheck_days=RECHECK_AFTER_DAYS,
        ending_days=ENDING_WITHIN_DAYS,
        source_count=len(knowledge.sources),
        age_in_days=lambda checked: (day - datetime.date.fromisoformat(checked)).days,
        fact_value=lambda fact: format_fact(fact, language),
        reports=reports,
    )


def add_portal_routes(app: web.Application) -> None:
    """The partner portal's pages."""
    app.router.add_get("/staff/conversations", conversations_page)
    app.router.add_get("/staff/conversations.csv", export_csv)
    # A sender id may hold "/" (the channel's own ids): the rest of the path is the id.
    app.router.add_get("/staff/conversations/{conversation_id:.+}", transcript_page)
    app.router.add_get("/staff/insight", insight_page)
    app.router.add_get("/staff/referrals", referrals_page)
    app.router.add_get("/staff/referrals/{referral_id}", referral_page)
    app.router.add_post("/staff/referrals/{referral_id}", change_referral_status)
    app.router.add_get("/staff/audit", audit_page)
    app.router.add_get("/staff/sources", sources_page)
