"""Staff sign-in for the desk and partner pages: sessions, CSRF, lockout.

Passwords are Argon2 hashes (argon2-cffi). Everything a second replica needs lives in
the database: sessions (cookie ``staff_session``: HttpOnly, SameSite=Strict, 8 hours),
failed logins per client address (more than ``CLIENT_LIMIT`` in ``LIMIT_MINUTES``
answer 429) and per account (``LOCK_AFTER`` wrong passwords in a row lock it for
``settings.LOCKOUT_MINUTES``). Every form carries a CSRF token: the session's, or
before login a random one that must match the ``staff_login`` cookie.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import sqlalchemy as sa
from aiohttp import web
from argon2.exceptions import VerificationError
from sqlalchemy.orm import Session

from bot import settings
from bot.db.tables import LoginAttempt, StaffAccount, StaffSession, engine_for, utcnow
from bot.staff.accounts import HASHER
from bot.staff.pages import (
    EXPIRED_FORM,
    S_,
    read_form,
    refusal,
    staff_headers,
    staff_language,
    staff_page,
    staff_text,
)

Result = TypeVar("Result")

COOKIE = "staff_session"
LOGIN_COOKIE = "staff_login"
SESSION_HOURS = 8
LOCK_AFTER = 10
CLIENT_LIMIT = 30
LIMIT_MINUTES = 15


@dataclass(frozen=True)
class Staff:
    """The signed-in staff member of a request."""

    id: int
    email: str
    role: str
    organisation_id: str | None
    desk: str | None
    csrf: str

    @property
    def sees_every_partner(self) -> bool:
        """Administrators see every partner's conversations (always redacted)."""
        return self.role == "admin"


def engine() -> sa.engine.Engine:
    """The database of the running app (migrated)."""
    return engine_for(settings.DATABASE_URL)


def cookie_is_secure(request: web.Request) -> bool:
    """Secure cookies over HTTPS (or behind a TLS proxy: SECURE_COOKIES=1)."""
    return request.secure or settings.SECURE_COOKIES


def in_database(work: Callable[[Session], Result]) -> asyncio.Future[Result]:
    """Runs ``work(session)`` in a worker thread, in one transaction.

    The web app's event loop keeps serving the widget and the visitors' links while
    the database answers.
    """

    def run() -> Result:
        with Session(engine()) as session, session.begin():
            return work(session)

    return asyncio.to_thread(run)


def session_staff(session: Session, token: str | None) -> Staff | None:
    """The staff member of a session cookie, if the session and account are valid."""
    found = session.get(StaffSession, token) if token else None
    account = session.get(StaffAccount, found.staff_id) if found else None
    if found is None or found.expires_at < utcnow() or not account or account.disabled:
        return None
    return Staff(
        id=account.id,
        email=account.email,
        role=account.role,
        organisation_id=account.organisation_id,
        desk=account.desk,
        csrf=found.csrf,
    )


async def signed_in(request: web.Request, *roles: str) -> Staff:
    """The request's staff member; anonymous → login page, other roles → 403."""
    token = request.cookies.get(COOKIE)
    staff = await in_database(lambda session: session_staff(session, token))
    if staff is None:
        raise web.HTTPSeeOther("/staff/login")
    if roles and staff.role not in roles:
        raise refusal(
            request, web.HTTPForbidden, S_("Your account cannot open this page.")
        )
    return staff


def check_csrf(
    request: web.Request, form: Mapping[str, object], expected: str | None
) -> None:
    """403 unless the form's ``csrf`` field is the expected token."""
    sent = str(form.get("csrf", ""))
    if not expected or not secrets.compare_digest(sent, expected):
        raise refusal(request, web.HTTPForbidden, EXPIRED_FORM)


def landing_page_for(role: str) -> str:
    """Where a staff member starts: desks make links, partners review."""
    return "/staff" if role == "desk" else "/staff/conversations"


async def login_form(request: web.Request) -> web.Response:
    """GET /staff/login, with a fresh login CSRF token in a cookie."""
    return login_page(request, error=None)


def login_page(
    request: web.Request, error: str | None, status: int = 200
) -> web.Response:
    """The login form (its token reused while the cookie lasts)."""
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    message = staff_text(staff_language(request), error) if error else None
    response = staff_page(
        request, "staff_login.html", status=status, error=message, csrf=token
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="Strict",
        secure=cookie_is_secure(request),
        path="/staff",
    )
    return response


def client_address(request: web.Request) -> str:
    """The address failed logins are counted against."""
    return (request.remote or "unknown")[:64]


def too_many_from(session: Session, client: str) -> bool:
    """Whether this address failed more than CLIENT_LIMIT times lately."""
    since = utcnow() - timedelta(minutes=LIMIT_MINUTES)
    failures = session.scalar(
        sa.select(sa.func.count()).where(
            LoginAttempt.client == client, LoginAttempt.attempted_at > since
        )
    )
    return failures >= CLIENT_LIMIT


def record_failure(session: Session, client: str, account: StaffAccount | None) -> None:
    """Counts a wrong password; the LOCK_AFTER-th in a row locks the account."""
    now = utcnow()
    session.execute(
        sa.delete(LoginAttempt).where(
            LoginAttempt.attempted_at < now - timedelta(hours=1)
        )
    )
    session.add(LoginAttempt(client=client, attempted_at=now))
    if account is not None:
        account.failed_logins += 1
        if account.failed_logins >= LOCK_AFTER:
            account.locked_until = now + timedelta(minutes=settings.LOCKOUT_MINUTES)
            account.failed_logins = 0


async def login(request: web.Request) -> web.Response:
    """POST /staff/login: a session cookie, or why not (401, 403, 429).

    The database and the Argon2 hash (tens of milliseconds of CPU) run in a thread:
    the web app's event loop keeps serving the widget meanwhile.
    """
    form = await read_form(request)
    check_csrf(request, form, request.cookies.get(LOGIN_COOKIE))
    email = str(form.get("email", "")).strip().lower()[:320]
    password = str(form.get("password", ""))[:1024]
    outcome, token, role = await asyncio.to_thread(
        sign_in, client_address(request), email, password
    )
    if outcome == TOO_MANY:
        response = login_page(
            request,
            S_("Too many failed logins from your network. Wait 15 minutes."),
            status=429,
        )
        response.headers["Retry-After"] = str(LIMIT_MINUTES * 60)
        return response
    if outcome == LOCKED:
        response = login_page(
            request,
            S_(
                "This account is locked after too many wrong passwords. "
                "Try again later, or ask your administrator to unlock it."
            ),
            status=429,
        )
        response.headers["Retry-After"] = str(settings.LOCKOUT_MINUTES * 60)
        return response
    if outcome == WRONG:
        return login_page(request, S_("Wrong e-mail or password."), status=401)
    response = web.HTTPSeeOther(landing_page_for(role))
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="Strict",
        secure=cookie_is_secure(request),
        path="/staff",
    )
    response.del_cookie(LOGIN_COOKIE, path="/staff")
    raise response


TOO_MANY, LOCKED, WRONG, SIGNED_IN = "too many", "locked", "wrong", "signed in"


def sign_in(client: str, email: str, password: str) -> tuple[str, str, str]:
    """Checks a login and opens a session: (outcome, session token, role)."""
    with Session(engine()) as session, session.begin():
        if too_many_from(session, client):
            return TOO_MANY, "", ""
        account = session.scalar(
            sa.select(StaffAccount).where(StaffAccount.email == email)
        )
        if account is not None and account.disabled:
            account = None
        if account is not None and (account.locked_until or utcnow()) > utcnow():
            return LOCKED, "", ""
        if not password_matches(account, password):
            record_failure(session, client, account)
            return WRONG, "", ""
        account.failed_logins = 0
        account.locked_until = None
        if HASHER.check_needs_rehash(account.password_hash):
            account.password_hash = HASHER.hash(password)
        session.execute(  # tidy: sessions past their expiry are of no use
            sa.delete(StaffSession).where(StaffSession.expires_at < utcnow())
        )
        staff_session = StaffSession(
            token=secrets.token_urlsafe(32),
            staff_id=account.id,
            csrf=secrets.token_urlsafe(32),
            expires_at=utcnow() + timedelta(hours=SESSION_HOURS),
        )
        session.add(staff_session)
        return SIGNED_IN, staff_session.token, account.role


def password_matches(account: StaffAccount | None, password: str) -> bool:
    """Argon2 check; as slow for an unknown e-mail (no hint that it exists)."""
    if account is None:
        HASHER.hash(password)
        return False
    try:
        return HASHER.verify(account.password_hash, password)
    except VerificationError:
        return False


async def logout(request: web.Request) -> web.Response:
    """POST /staff/logout: ends the session."""
    form = await read_form(request)
    staff = await signed_in(request)
    check_csrf(request, form, staff.csrf)
    token = request.cookies.get(COOKIE)
    await in_database(
        lambda session: session.execute(
            sa.delete(StaffSession).where(StaffSession.token == token)
        )
    )
    response = web.HTTPSeeOther("/staff/login")
    response.del_cookie(COOKIE, path="/staff")
    raise response


def add_auth_routes(app: web.Application) -> None:
    """Login and logout, and the staff pages' response headers."""
    app.middlewares.append(staff_headers)
    app.router.add_get("/staff/login", login_form)
    app.router.add_post("/staff/login", login)
    app.router.add_post("/staff/logout", logout)
