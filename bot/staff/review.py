"""The review queue (``/staff/review``): a misunderstood message to a label.

From "the assistant did not understand this" to a labelled example in a few clicks.
A reviewer sees and labels only their partner's conversations; the administrator
every partner's.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.orm import Session

from bot.nlu.check import typed_intents
from bot.staff.learning import (
    LABEL_KINDS,
    REASONS,
    Candidate,
    LabelError,
    add_label,
    review_queue,
)
from bot.staff.pages import S_, read_form, refusal, staff_language, staff_text
from bot.staff.portal import REVIEWERS, audit, filters_of, labels_in, portal_page
from bot.staff.queries import INSIGHT_DAYS, prepare_events
from bot.staff.redaction import shown_text
from bot.staff.signin import Staff, check_csrf, in_database, signed_in


async def _queue(request: web.Request, staff: Staff) -> list[Candidate]:
    filters = filters_of(request, default_days=INSIGHT_DAYS)
    has_events = await in_database(lambda session: prepare_events(session.get_bind()))
    return await in_database(
        lambda session: review_queue(
            session, staff.organisation_id, filters, has_events
        )
    )


async def review_page(request: web.Request, error: str = "") -> web.Response:
    """GET /staff/review: the messages to label, newest first."""
    staff = await signed_in(request, *REVIEWERS)
    queue = await _queue(request, staff)
    labels = labels_in(staff_language(request))
    return await portal_page(
        request,
        "portal_review.html",
        staff,
        "review",
        status=400 if error else 200,
        queue=[(c, shown_text(c.segments, labels)) for c in queue],
        reasons=REASONS,
        kinds=LABEL_KINDS,
        intents=typed_intents(),
        filters=filters_of(request, default_days=INSIGHT_DAYS),
        error=error,
    )


async def label_message(request: web.Request) -> web.Response:
    """POST /staff/review: a label on one message of the reviewer's queue."""
    staff = await signed_in(request, *REVIEWERS)
    form = await read_form(request)
    check_csrf(request, form, staff.csrf)
    key = str(form.get("text", ""))
    candidate = next((c for c in await _queue(request, staff) if c.key == key), None)
    if candidate is None:  # not theirs, or no longer in the queue's dates
        raise refusal(request, web.HTTPNotFound, S_("There is no such message."))
    fields = {
        name: str(form.get(name, "")) for name in ("kind", "intent", "language", "note")
    }

    def store(session: Session) -> None:
        add_label(
            session, staff.organisation_id, staff.id, candidate, fields, typed_intents()
        )
        audit(session, staff, "label", candidate.conversation_id)

    try:
        await in_database(store)
    except LabelError as error:
        return await review_page(
            request, staff_text(staff_language(request), str(error))
        )
    raise web.HTTPSeeOther(f"/staff/review?{request.query_string}#done")


def add_review_routes(app: web.Application) -> None:
    """The review queue's page and its labels."""
    app.router.add_get("/staff/review", review_page)
    app.router.add_post("/staff/review", label_message)
