"""Front-desk handoffs: staff make a one-time link and QR code for a visitor.

Staff accounts (per organisation and desk, Argon2-hashed passwords) are made with
``python -m bot.staff create --email desk@vantaa.fi --organisation city-of-vantaa
--desk "Myyrmäki service point"`` (the password is asked for, or STAFF_PASSWORD)
and disabled with ``python -m bot.staff disable --email ...``. A link carries a random
token that expires (HANDOFF_HOURS, default 24) and works once; it holds no personal
data. Opening it starts the widget in the visitor's language, city and topic. Staff
see how many links they made and how many were opened, never the conversations.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from datetime import datetime, timedelta
from functools import cache

import segno
import sqlalchemy as sa
from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from babel.dates import format_datetime
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from bot import settings
from bot.i18n import N_, render
from bot.knowledge.loading import load_knowledge
from bot.languages import (
    DEFAULT_LANGUAGE,
    NATIVE_NAMES,
    RIGHT_TO_LEFT,
    SUPPORTED_LANGUAGES,
    normalise_language,
)
from bot.records import Handoff, StaffAccount, StaffSession, engine_for, utcnow
from bot.widget import TOPIC_PAYLOADS

COOKIE = "staff_session"
SESSION_HOURS = 8
HASHER = PasswordHasher()
TEMPLATES = Environment(
    loader=FileSystemLoader(settings.ROOT / "bot" / "web" / "templates"),
    autoescape=select_autoescape(["html"]),
)
# The printable card and the landing page speak the visitor's language.
CARD_TITLE = N_("Chat with the assistant in your language")
CARD_TEXT = N_(
    "Scan the code with your phone's camera, or type the address below. "
    "The link works once, until {expires}."
)
LINK_EXPIRED = N_(
    "This link has expired or was already used. You can still ask the assistant "
    "your questions here."
)
TOPIC_NAMES = {
    "job_coaching": "Job coaching",
    "family_support": "Family support",
    "microloan": "Microloan",
    "business_training": "Business training",
    "start_business": "Starting a business",
    "qualification_recognition": "Diploma recognition",
    "bank_account": "Bank account",
}


def engine() -> sa.engine.Engine:
    """The database of the running app (migrated)."""
    return engine_for(settings.DATABASE_URL)


@cache
def city_choices() -> list[tuple[str, str]]:
    """(id, English name) of every city we route, for the staff form."""
    places = load_knowledge().places.values()
    return sorted(
        (place.id, place.aliases[0]) for place in places if place.kind == "city"
    )


def create_account(
    session: Session, email: str, organisation: str, desk: str, password: str
) -> StaffAccount:
    """A new staff account (the password is stored only as an Argon2 hash)."""
    if len(password) < 10:
        raise ValueError("The password must have at least 10 characters.")
    known = load_knowledge().organisations
    if organisation not in known:
        raise ValueError(f"Unknown organisation {organisation!r}: {sorted(known)}")
    account = StaffAccount(
        email=email.strip().lower(),
        organisation_id=organisation,
        desk=desk,
        password_hash=HASHER.hash(password),
    )
    session.add(account)
    return account


def check_password(session: Session, email: str, password: str) -> StaffAccount | None:
    """The active account with this e-mail and password, else None."""
    account = session.scalar(
        sa.select(StaffAccount).where(StaffAccount.email == email.strip().lower())
    )
    if account is None or account.disabled:
        HASHER.hash(password)  # as slow as a real check: no hint that the e-mail exists
        return None
    try:
        HASHER.verify(account.password_hash, password)
    except VerificationError:
        return None
    return account


def current_session(request: web.Request, session: Session) -> StaffSession | None:
    """The logged-in staff session of the request's cookie, if still valid."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    found = session.get(StaffSession, token)
    if found is None or found.expires_at < utcnow():
        return None
    return found


def visitor_link(request: web.Request, token: str) -> str:
    """The short link to hand over (the address the staff browser used)."""
    return f"{request.scheme}://{request.host}/h/{token}"


def page(name: str, **values: object) -> web.Response:
    """A rendered template (every value escaped)."""
    html = TEMPLATES.get_template(name).render(**values)
    return web.Response(text=html, content_type="text/html")


async def login_form(request: web.Request) -> web.Response:
    """GET /staff/login."""
    return page("staff_login.html", error=None)


async def login(request: web.Request) -> web.Response:
    """POST /staff/login: a session cookie (HttpOnly, SameSite) for 8 hours."""
    form = await request.post()
    with Session(engine()) as session, session.begin():
        account = check_password(
            session, str(form.get("email", "")), str(form.get("password", ""))
        )
        if account is None:
            response = page("staff_login.html", error="Wrong e-mail or password.")
            response.set_status(401)
            return response
        staff_session = StaffSession(
            token=secrets.token_urlsafe(32),
            staff_id=account.id,
            csrf=secrets.token_urlsafe(32),
            expires_at=utcnow() + timedelta(hours=SESSION_HOURS),
        )
        session.add(staff_session)
        token = staff_session.token
    response = web.HTTPSeeOther("/staff")
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/staff",
    )
    raise response


async def logout(request: web.Request) -> web.Response:
    """POST /staff/logout."""
    with Session(engine()) as session, session.begin():
        found = current_session(request, session)
        if found is not None:
            session.delete(found)
    response = web.HTTPSeeOther("/staff/login")
    response.del_cookie(COOKIE, path="/staff")
    raise response


async def dashboard(request: web.Request) -> web.Response:
    """GET /staff: the handoff form and this desk's figures."""
    with Session(engine()) as session:
        found = current_session(request, session)
        if found is None:
            raise web.HTTPSeeOther("/staff/login")
        account = session.get(StaffAccount, found.staff_id)
        made = session.scalar(
            sa.select(sa.func.count()).where(Handoff.staff_id == account.id)
        )
        opened = session.scalar(
            sa.select(sa.func.count()).where(
                Handoff.staff_id == account.id, Handoff.opened_at.is_not(None)
            )
        )
        return page(
            "staff.html",
            account=account,
            csrf=found.csrf,
            made=made,
            opened=opened,
            languages=[(code, NATIVE_NAMES[code]) for code in SUPPORTED_LANGUAGES],
            cities=city_choices(),
            topics=TOPIC_NAMES,
        )


async def create_handoff(request: web.Request) -> web.Response:
    """POST /staff/handoffs: a new one-time link for a visitor."""
    form = await request.post()
    language = normalise_language(form.get("language"))
    city = form.get("city") or None
    topic = form.get("topic") or None
    with Session(engine()) as session, session.begin():
        found = current_session(request, session)
        if found is None:
            raise web.HTTPSeeOther("/staff/login")
        if not secrets.compare_digest(str(form.get("csrf", "")), found.csrf):
            raise web.HTTPForbidden(text="The form has expired; reload the page.")
        if (
            language is None
            or (city is not None and city not in dict(city_choices()))
            or (topic is not None and topic not in TOPIC_PAYLOADS)
        ):
            raise web.HTTPBadRequest(
                text="Choose a language, and a known city and topic."
            )
        handoff = Handoff(
            token=secrets.token_urlsafe(16),
            staff_id=found.staff_id,
            language=language,
            city=city,
            topic=topic,
            expires_at=utcnow() + timedelta(hours=settings.HANDOFF_HOURS),
        )
        session.add(handoff)
        token = handoff.token
    raise web.HTTPSeeOther(f"/staff/handoffs/{token}")


async def show_handoff(request: web.Request) -> web.Response:
    """GET /staff/handoffs/{token}: the QR code, the link, a printable card."""
    with Session(engine()) as session:
        found = current_session(request, session)
        if found is None:
            raise web.HTTPSeeOther("/staff/login")
        handoff = session.get(Handoff, request.match_info["token"])
        if handoff is None or handoff.staff_id != found.staff_id:
            raise web.HTTPNotFound(text="No such link.")
        link = visitor_link(request, handoff.token)
        language = handoff.language
        expires = format_expiry(handoff.expires_at, language)
        return page(
            "handoff.html",
            link=link,
            qr=segno.make(link, error="m").svg_inline(scale=6, title=link),
            language=language,
            direction="rtl" if language in RIGHT_TO_LEFT else "ltr",
            title=render(CARD_TITLE, language, {}),
            text=render(CARD_TEXT, language, {"expires": expires}),
        )


def format_expiry(moment: datetime, language: str) -> str:
    """The expiry date and time (UTC) for the visitor's locale."""
    return format_datetime(moment, "short", tzinfo=None, locale=language) + " UTC"


def browser_language(request: web.Request) -> str:
    """The first supported language of the browser's Accept-Language."""
    for part in request.headers.get("Accept-Language", "").split(","):
        code = normalise_language(part.split(";")[0])
        if code:
            return code
    return DEFAULT_LANGUAGE


async def open_handoff(request: web.Request) -> web.Response:
    """GET /h/{token}: the visitor's phone opens the widget in their context.

    A forged, expired or used link gets a friendly page in the link's language (or
    the browser's) that still starts the assistant, without the context.
    """
    now = utcnow()
    with Session(engine()) as session, session.begin():
        handoff = session.get(Handoff, request.match_info["token"][:64])
        usable = (
            handoff is not None
            and handoff.opened_at is None
            and handoff.expires_at > now
        )
        if usable:
            handoff.opened_at = now
        language = handoff.language if handoff else browser_language(request)
        config = {"language": language, "open": True}
        if usable:
            config.update(city=handoff.city, topic=handoff.topic, newConversation=True)
    response = page(
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
    app.router.add_get("/staff/login", login_form)
    app.router.add_post("/staff/login", login)
    app.router.add_post("/staff/logout", logout)
    app.router.add_get("/staff", dashboard)
    app.router.add_post("/staff/handoffs", create_handoff)
    app.router.add_get("/staff/handoffs/{token}", show_handoff)
    app.router.add_get("/h/{token}", open_handoff)


def main() -> int:
    """``python -m bot.staff create|disable``: manage staff accounts."""
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="a new staff account")
    create.add_argument("--email", required=True)
    create.add_argument("--organisation", required=True)
    create.add_argument("--desk", required=True)
    disable = commands.add_parser("disable", help="an account that may not log in")
    disable.add_argument("--email", required=True)
    args = parser.parse_args()
    with Session(engine()) as session, session.begin():
        if args.command == "create":
            password = os.environ.get("STAFF_PASSWORD") or getpass.getpass("Password: ")
            try:
                create_account(
                    session, args.email, args.organisation, args.desk, password
                )
                session.flush()
            except (ValueError, sa.exc.IntegrityError) as error:
                print(f"Not created: {error}", file=sys.stderr)
                return 1
            print(f"Created {args.email} ({args.organisation}, {args.desk}).")
        else:
            account = session.scalar(
                sa.select(StaffAccount).where(StaffAccount.email == args.email.lower())
            )
            if account is None:
                print(f"No account {args.email}.", file=sys.stderr)
                return 1
            account.disabled = True
            session.execute(
                sa.delete(StaffSession).where(StaffSession.staff_id == account.id)
            )
            print(f"Disabled {args.email}; their sessions are closed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
