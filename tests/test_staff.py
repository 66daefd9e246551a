"""Front-desk handoffs: accounts, login, one-time links, QR codes (real database)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import Session

from bot import settings
from bot.db.tables import Handoff, StaffAccount, engine_for, utcnow
from bot.settings import ROOT
from bot.staff.accounts import create_account
from bot.web.app import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
async def client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'assistant.db'}"
    monkeypatch.setattr(settings, "DATABASE_URL", url)
    with Session(engine_for(url)) as session, session.begin():
        create_account(
            session, "desk@vantaa.fi", "city-of-vantaa", "Myyrmäki", PASSWORD
        )
        create_account(session, "desk@qredits.nl", "qredits", "Utrecht", PASSWORD)
    async with TestClient(TestServer(create_app())) as test_client:
        yield test_client


async def login_token(client: TestClient) -> str:
    """The CSRF token of the login form (kept in a cookie until login)."""
    page = await (await client.get("/staff/login")).text()
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


async def try_login(client: TestClient, email: str, password: str) -> ClientResponse:
    return await client.post(
        "/staff/login",
        data={"email": email, "password": password, "csrf": await login_token(client)},
        allow_redirects=False,
    )


async def log_in(client: TestClient, email: str = "desk@vantaa.fi") -> str:
    """Logs in; returns the session's CSRF token for forms."""
    response = await try_login(client, email, PASSWORD)
    assert response.status == 303
    cookie = response.cookies["staff_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    page = await (await client.get("/staff")).text()
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


async def make_link(client: TestClient, csrf: str, **fields: str) -> str:
    response = await client.post(
        "/staff/handoffs",
        data={"csrf": csrf, "language": "ar", "city": "vantaa", "topic": "job_coaching"}
        | fields,
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
    return response.headers["Location"].rsplit("/", 1)[1]


def test_passwords_are_stored_only_as_argon2_hashes(tmp_path: Path) -> None:
    engine = engine_for(f"sqlite:///{tmp_path / 'a.db'}")
    with Session(engine) as session, session.begin():
        create_account(session, "A@b.org", "microstart", "Anderlecht", PASSWORD)
    with Session(engine) as session:
        account = session.scalar(sa.select(StaffAccount))
    assert account.email == "a@b.org"
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash


async def test_a_wrong_password_is_refused(client: TestClient) -> None:
    response = await try_login(client, "desk@vantaa.fi", "nope")
    assert response.status == 401
    assert "staff_session" not in response.cookies
    assert "Wrong e-mail or password." in await response.text()


async def test_anonymous_staff_pages_send_to_login(client: TestClient) -> None:
    response = await client.get("/staff", allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (303, "/staff/login")


async def test_a_link_without_the_form_token_is_refused(client: TestClient) -> None:
    await log_in(client)
    response = await client.post(
        "/staff/handoffs", data={"csrf": "forged", "language": "ar"}
    )
    assert response.status == 403


async def test_a_link_opens_once_in_the_visitors_context(client: TestClient) -> None:
    csrf = await log_in(client)
    token = await make_link(client, csrf)
    card = await (await client.get(f"/staff/handoffs/{token}")).text()
    assert "<svg" in card and f"/h/{token}" in card
    assert 'lang="ar" dir="rtl"' in card  # the printable card, in Arabic

    first = await client.get(f"/h/{token}")
    assert first.status == 200
    config = json.loads(
        re.search(r"assistantConfig = (\{.*?\});", await first.text()).group(1)
    )
    assert config == {
        "language": "ar",
        "open": True,
        "city": "vantaa",
        "topic": "job_coaching",
        "newConversation": True,
    }
    again = await client.get(f"/h/{token}")
    assert again.status == 410
    page = await again.text()
    assert 'lang="ar"' in page and "/widget.js" in page  # friendly, still starts

    dashboard = await (await client.get("/staff")).text()
    assert re.search(r"Links made: <strong>1</strong>", dashboard)
    assert re.search(r"Opened by visitors: <strong>1</strong>", dashboard)


@pytest.mark.parametrize(
    "language, direction", [("fa", "rtl"), ("ti", "ltr"), ("so", "ltr"), ("es", "ltr")]
)
async def test_a_front_desk_hands_over_in_the_new_languages(
    client: TestClient, language: str, direction: str
) -> None:
    csrf = await log_in(client)
    token = await make_link(client, csrf, language=language)
    card = await (await client.get(f"/staff/handoffs/{token}")).text()
    assert f'lang="{language}" dir="{direction}"' in card
    opened = await (await client.get(f"/h/{token}")).text()
    config = json.loads(re.search(r"assistantConfig = (\{.*?\});", opened).group(1))
    assert config["language"] == language


async def test_forged_and_expired_links_get_the_friendly_page(
    client: TestClient,
) -> None:
    forged = await client.get("/h/not-a-token", headers={"Accept-Language": "fi-FI"})
    assert forged.status == 410 and 'lang="fi"' in await forged.text()
    csrf = await log_in(client)
    token = await make_link(client, csrf, language="tr")
    with Session(engine_for(settings.DATABASE_URL)) as session, session.begin():
        session.get(Handoff, token).expires_at = utcnow() - timedelta(minutes=1)
    expired = await client.get(f"/h/{token}")
    assert expired.status == 410 and 'lang="tr"' in await expired.text()


async def test_staff_of_another_organisation_cannot_see_a_link(
    client: TestClient,
) -> None:
    token = await make_link(client, await log_in(client))
    client.session.cookie_jar.clear()
    await log_in(client, "desk@qredits.nl")
    assert (await client.get(f"/staff/handoffs/{token}")).status == 404


async def test_unknown_cities_and_topics_are_refused(client: TestClient) -> None:
    csrf = await log_in(client)
    response = await client.post(
        "/staff/handoffs", data={"csrf": csrf, "language": "ar", "city": "atlantis"}
    )
    assert response.status == 400


def staff_command(database: str, password: str, *arguments: str) -> tuple[int, str]:
    """``python -m bot.staff ...``: its exit status and everything it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "bot.staff", *arguments],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database, "STAFF_PASSWORD": password},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def test_an_existing_email_is_refused_in_one_line_without_sql_or_hash(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'assistant.db'}"
    arguments = ("create", "--email", "desk@vantaa.fi", "--organisation",
                 "city-of-vantaa", "--desk", "Myyrmäki")  # fmt: skip
    assert staff_command(url, PASSWORD, *arguments) == (
        0,
        "Created desk@vantaa.fi (desk, city-of-vantaa).\n",
    )
    again = ("create", "--email", "Desk@Vantaa.fi ", "--role", "reviewer",
             "--organisation", "city-of-vantaa")  # fmt: skip
    status, printed = staff_command(url, "another good password", *again)
    assert (status, printed) == (
        1,
        "Not created: there is already an account desk@vantaa.fi.\n",
    )
    with Session(engine_for(url)) as session:
        account = session.scalar(sa.select(StaffAccount))
    assert account.role == "desk"  # unchanged


# Forms no browser sends: aiohttp could not read them and answered 500 (the fuzz).
UNREADABLE_FORMS = [
    ("multipart/form-data", b"email=a"),  # no boundary
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nbroken"),  # a broken part header
    ("multipart/form-data; boundary=xyz", b"--abc\r\n\r\nx\r\n--abc--\r\n"),
    (  # a part without a name
        "multipart/form-data; boundary=xyz",
        b"--xyz\r\nContent-Disposition: form-data\r\n\r\na\r\n--xyz--\r\n",
    ),
    ("application/x-www-form-urlencoded; charset=no-such-charset", b"email=a"),
    ("application/x-www-form-urlencoded; charset=utf-16", b"email=a"),
    ("application/x-www-form-urlencoded", b"email=\xff\xfe"),
]


@pytest.mark.parametrize("content_type, body", UNREADABLE_FORMS)
async def test_a_form_that_cannot_be_read_gets_a_400_page(
    client: TestClient, content_type: str, body: bytes
) -> None:
    await log_in(client)
    for path in ("/staff/login", "/staff/handoffs", "/staff/logout"):
        response = await client.post(
            path,
            data=body,
            headers={"Content-Type": content_type},
            allow_redirects=False,
        )
        assert response.status == 400, path
        assert "This form has expired" in await response.text()
    assert (await client.get("/staff", allow_redirects=False)).status == 200
