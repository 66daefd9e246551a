"""Front-desk handoffs: staff make a one-time link and QR code for a visitor.

Desk accounts are made with ``python -m bot.staff create`` (``bot.staff.accounts``). A
link carries a random token that expires (HANDOFF_HOURS, default 24) and works once;
it holds no personal data. Opening it starts the widget in the visitor's language,
city and topic. Desks see how many links they made and how many were opened, never
the conversations.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import segno
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.orm import Session

from bot import settings
from bot.db.tables import Handoff, utcnow
from bot.i18n import N_, render
from bot.knowledge.loading import shipped_knowledge
from bot.languages import (
    DEFAULT_LANGUAGE,
    NATIVE_NAMES,
    RIGHT_TO_LEFT,
    SUPPORTED_LANGUAGES,
    accepted_languages,
    normalise_language,
)
from bot.staff.pages import S_, format_moment, read_form, refusal, staff_page, templates
from bot.staff.queries import TOPIC_LABELS
from bot.staff.signin import add_auth_routes, check_csrf, in_database, signed_in
from bot.web.widget import TOPIC_PAYLOADS

# The visitor's pages (landing, printed card) speak the visitor's language.
CARD_TITLE = N_("Chat with the assistant in your language")
CARD_TEXT = N_(
    "Scan the code with your phone's camera, or type the address below. "
    "The link works once, until {expires}."
)
LINK_EXPIRED = N_(
    "This link has expired or was already used. You can still ask the assistant "
    "your questions here."
)
# What a desk can start a visitor on (the widget's topics).
HANDOFF_TOPICS = {topic: TOPIC_LABELS[topic] for topic in TOPIC_PAYLOADS}


def city_choices() -> list[tuple[str, str]]:
    """(id, English name) of every city we route, for the staff form."""
    places = shipped_knowledge().places.values()
    return sorted(
        (place.id, place.aliases[0])
        for place in places
        if place.kind == "city" and place.listed
    )


def visitor_link(request: web.Request, token: str) -> str:
    """The short link to hand over (the address the staff browser used)."""
    return f"{request.scheme}://{request.host}/h/{token}"


def visitor_page(name: str, **values: object) -> web.Response:
    """A page for the visitor (every value escaped)."""
    html = templates(DEFAULT_LANGUAGE).get_template(name).render(**values)
    return web.Response(text=html, content_type="text/html")


async def dashboard(request: web.Request) -> web.Response:
    """GET /staff: the handoff form and this account's figures."""
    staff = await signed_in(request)

    def counts(session: Session) -> tuple[int, int]:
        mine = Handoff.staff_id == staff.id
        made = session.scalar(sa.select(sa.func.count()).where(mine))
        opened = session.scalar(
            sa.select(sa.func.count()).where(mine, Handoff.opened_at.is_not(None))
        )
        return made, opened

    made, opened = await in_database(counts)
    return staff_page(
        request,
        "staff.html",
        staff=staff,
        made=made,
        opened=opened,
        languages=[(code, NATIVE_NAMES[code]) for code in SUPPORTED_LANGUAGES],
        cities=city_choices(),
        topics=HANDOFF_TOPICS,
    )


async def create_handoff(request: web.Request) -> web.Response:
    """POST /staff/handoffs: a new one-time link for a visitor."""
    form = await read_form(request)
    language = normalise_language(form.get("language"))
    city = form.get("city") or None
    topic = form.get("topic") or None
    staff = await signed_in(request)
    check_csrf(request, form, staff.csrf)
    if (
        language is None
        or (city is not None and city not in dict(city_choices()))
        or (topic is not None and topic not in TOPIC_PAYLOADS)
    ):
        raise refusal(
            request,
            web.HTTPBadRequest,
            S_("Choose a language, and a city and topic from the lists."),
        )
    handoff = Handoff(
        token=secrets.token_urlsafe(16),
        staff_id=staff.id,
        language=language,
        city=city,
        topic=topic,
        expires_at=utcnow() + timedelta(hours=settings.HANDOFF_HOURS),
    )
    token = handoff.token
    await in_database(lambda session: session.add(handoff))
    raise web.HTTPSeeOther(f"/staff/handoffs/{token}")


async def show_handoff(request: web.Request) -> web.Response:
    """GET /staff/handoffs/{token}: the QR code, the link, a printable card."""
    staff = await signed_in(request)
    token = request.match_info["token"]

    def find(session: Session) -> tuple[str, datetime] | None:
        handoff = session.get(Handoff, token)
        if handoff is None or handoff.staff_id != staff.id:
            return None
        return handoff.language, handoff.expires_at

    found = await in_database(find)
    if found is None:
        raise refusal(request, web.HTTPNotFound, S_("There is no such link."))
    language, expires_at = found
    link = visitor_link(request, token)
    expires = format_moment(expires_at, language)
    return staff_page(
        request,
        "handoff.html",
        staff=staff,
        link=link,
        qr=segno.make(link, error="m").svg_inline(scale=6, title=link),
        card_language=language,
        direction="rtl" if language in RIGHT_TO_LEFT else "ltr",
        title=render(CARD_TITLE, language, {}),
        text=render(CARD_TEXT, language, {"expires": expires}),
    )


def browser_language(request: web.Request) -> str:
    """The first supported language of the browser's Accept-Language."""
    accepted = accepted_languages(request.headers.get("Accept-Language", ""))
    return next(iter(accepted), DEFAULT_LANGUAGE)


async def open_handoff(request: web.Request) -> web.Response:
    """GET /h/{token}: the visitor's phone opens the widget in their context.

    A forged, expired or used link gets a friendly page in the link's language (or
    the browser's) that still starts the assistant, without the context.
    """
    token = request.match_info["token"][:64]
    fallback = browser_language(request)

    def use(session: Session) -> tuple[bool, str, dict[str, object]]:
        """Marks a usable link as used: (usable, language, the widget's context)."""
        now = utcnow()
        handoff = session.get(Handoff, token)
        usable = (
            handoff is not None
            and handoff.opened_at is None
            and handoff.expires_at > now
        )
        language = handoff.language if handoff else fallback
        config: dict[str, object] = {"language": language, "open": True}
        if usable:
            handoff.opened_at = now
            config.update(city=handoff.city, topic=handoff.topic, newConversation=True)
        return usable, language, config

    usable, language, config = await in_database(use)
    response = visitor_page(
        "landing.html",
        language=language,
        direction="rtl" if language in RIGHT_TO_LEFT else "ltr",
        config=config,
        notice=None if usable else render(LINK_EXPIRED, language, {}),
    )
    if not usable:
        response.set_status(410)  # gone, with a page that still helps
    return response


def add_staff_routes(app: web.Application) -> None:
    """The staff pages and the visitors' links."""
    add_auth_routes(app)
    app.router.add_get("/staff", dashboard)
    app.router.add_post("/staff/handoffs", create_handoff)
    app.router.add_get("/staff/handoffs/{token}", show_handoff)
    app.router.add_get("/h/{token}", open_handoff)
