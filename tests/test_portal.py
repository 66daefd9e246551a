"""The partner portal on a real SQLite database with conversations saved by Rasa.

Partners see only what was routed to them, personal data is masked unless the user
consented, and the security checks of the issue: anonymous → login, another
partner's conversation or referral → 404, HTML shown as text, forms without a CSRF
token → 403, SQL in filters changes nothing, ten wrong passwords lock the account,
session cookie flags.
"""

from __future__ import annotations

import csv
import html as html_text
import io
import itertools
import re
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.slots import AnySlot
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import Session

from bot import settings
from bot.db.tables import (
    AuditEntry,
    Referral,
    ReferralChange,
    StaffAccount,
    engine_for,
    record_routes,
    utcnow,
)
from bot.staff.accounts import create_account
from bot.web.app import create_app
from tests.rasa_store import Conversation, Said, save_conversations
from tests.test_staff import PASSWORD, log_in, try_login

QREDITS_PHONE = "qredits-phone"
QREDITS_REFERRAL = "qredits-referral"
MICROSTART_HTML = "microstart-html"
VANTAA = "vantaa-job"
CONVERSATIONS = [
    Conversation(
        QREDITS_PHONE,
        [
            (
                Said(
                    "Ik wil een microkrediet, bel me op 06 12345678",
                    "ask_microloan",
                    0.93,
                    "nl",
                ),
                ["Qredits leent tot 250.000 euro."],
            ),
            (
                Said("wat kost een kameel", "out_of_scope", 0.81, "nl"),
                ["Daar kan ik niet mee helpen."],
            ),
        ],
    ),
    Conversation(
        QREDITS_REFERRAL,
        [
            (
                Said("ik wil met iemand praten", "request_human", 0.9, "nl"),
                ["Mag Qredits u bellen?"],
            ),
            (Said("Sanne Bakker", "inform", 0.5, "nl"), ["Uw telefoonnummer?"]),
            (
                Said("+31 6 87654321", "inform", 0.5, "nl"),
                ["Qredits belt u op +31687654321."],
            ),
        ],
        slots={"referral_name": "Sanne Bakker"},
    ),
    Conversation(
        MICROSTART_HTML,
        [
            (
                Said(
                    "<script>alert(1)</script> <b>mon email est a.b@example.com</b>",
                    "nlu_fallback",
                    0.21,
                    "fr",
                ),
                ["Je n'ai pas compris."],
            ),
            (
                Said("un microcrédit à Bruxelles", "ask_microloan", 0.97, "fr"),
                ["microStart prête jusqu'à 25 000 €."],
            ),
        ],
    ),
    Conversation(
        VANTAA,
        [
            (
                Said("työvalmennus Vantaalla", "ask_job_coaching", 0.88, "fi"),
                ["Vantaan kaupunki auttaa."],
            )
        ],
    ),
]
ROUTES = {
    QREDITS_PHONE: ("nl", "microloan", ["qredits"]),
    QREDITS_REFERRAL: ("nl", "general", ["qredits"]),
    MICROSTART_HTML: ("fr", "microloan", ["microstart"]),
    VANTAA: ("fi", "job_coaching", ["city-of-vantaa"]),
}
ACCOUNTS = {
    "reviewer@qredits.nl": ("reviewer", "qredits"),
    "reviewer@microstart.be": ("reviewer", "microstart"),
    "admin@example.org": ("admin", None),
    "desk@vantaa.fi": ("desk", "city-of-vantaa"),
}


@pytest.fixture
async def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sa.engine.Engine:
    path = tmp_path / "assistant.db"
    url = f"sqlite:///{path}"
    monkeypatch.setattr(settings, "DATABASE_URL", url)
    engine = engine_for(url)
    await save_conversations(path, CONVERSATIONS)
    with Session(engine) as session:
        for conversation_id, (language, topic, partners) in ROUTES.items():
            record_routes(session, conversation_id, language, topic, partners)
    with Session(engine) as session, session.begin():
        for email, (role, organisation) in ACCOUNTS.items():
            create_account(session, email, organisation, "Desk", PASSWORD, role=role)
        session.add_all(
            [
                Referral(
                    conversation_id=QREDITS_REFERRAL,
                    organisation_id="qredits",
                    topic="general",
                    name="Sanne Bakker",
                    contact_kind="phone",
                    contact="+31687654321",
                    language="nl",
                ),
                Referral(
                    conversation_id=MICROSTART_HTML,
                    organisation_id="microstart",
                    topic="microloan",
                    name="Amina",
                    contact_kind="email",
                    contact="a.b@example.com",
                    language="fr",
                ),
            ]
        )
    return engine


@pytest.fixture
async def client(database: sa.engine.Engine) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app())) as test_client:
        yield test_client


async def page(client: TestClient, path: str, status: int = 200) -> str:
    response = await client.get(path, allow_redirects=False)
    assert response.status == status, await response.text()
    return await response.text()


def referral_id(engine: sa.engine.Engine, conversation_id: str) -> int:
    with Session(engine) as session:
        return session.scalar(
            sa.select(Referral.id).where(Referral.conversation_id == conversation_id)
        )


def listed(html: str) -> set[str]:
    return set(re.findall(r'href="/staff/conversations/([^"?]+)"', html))


@pytest.mark.parametrize(
    "path",
    [
        "/staff/conversations",
        f"/staff/conversations/{QREDITS_PHONE}",
        "/staff/conversations.csv",
        "/staff/referrals",
        "/staff/referrals/1",
        "/staff/insight",
        "/staff/audit",
    ],
)
async def test_anonymous_visitors_get_the_login_page(
    client: TestClient, path: str
) -> None:
    response = await client.get(path, allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (303, "/staff/login")


async def test_a_reviewer_sees_only_the_conversations_routed_to_their_partner(
    client: TestClient,
) -> None:
    await log_in(client, "reviewer@qredits.nl")
    html = await page(client, "/staff/conversations")
    assert listed(html) == {QREDITS_PHONE, QREDITS_REFERRAL}
    assert "2 conversations" in html


async def test_the_admin_sees_every_partner(client: TestClient) -> None:
    await log_in(client, "admin@example.org")
    html = await page(client, "/staff/conversations")
    assert listed(html) == set(ROUTES)
    for partner in ("Qredits", "microStart", "City of Vantaa"):
        assert partner in html


async def test_another_partners_conversation_or_referral_is_not_found(
    client: TestClient, database: sa.engine.Engine
) -> None:
    csrf = await log_in(client, "reviewer@qredits.nl")
    await page(client, f"/staff/conversations/{MICROSTART_HTML}", status=404)
    await page(client, "/staff/conversations/no-such-conversation", status=404)
    theirs = referral_id(database, MICROSTART_HTML)
    await page(client, f"/staff/referrals/{theirs}", status=404)
    response = await client.post(
        f"/staff/referrals/{theirs}",
        data={"csrf": csrf, "status": "closed"},
        allow_redirects=False,
    )
    assert response.status == 404
    with Session(database) as session:
        assert session.get(Referral, theirs).status == "new"


async def test_a_transcript_masks_phone_numbers_without_consent(
    client: TestClient, database: sa.engine.Engine
) -> None:
    await log_in(client, "reviewer@qredits.nl")
    html = await page(client, f"/staff/conversations/{QREDITS_PHONE}")
    assert "Ik wil een microkrediet, bel me op" in html
    assert "06 12345678" not in html and "[phone]" in html
    assert "ask_microloan (0.93)" in html and "out_of_scope (0.81)" in html
    assert "Qredits leent tot 250.000 euro." in html  # the assistant's turn
    with Session(database) as session:
        entry = session.scalars(sa.select(AuditEntry)).one()
    assert (entry.action, entry.target) == ("transcript", QREDITS_PHONE)


async def test_details_the_user_shared_with_a_partner_are_shown_only_to_it(
    client: TestClient,
) -> None:
    await log_in(client, "reviewer@qredits.nl")
    html = await page(client, f"/staff/conversations/{QREDITS_REFERRAL}")
    assert "Sanne Bakker" in html and "+31 6 87654321" in html
    await log_in(client, "admin@example.org")
    html = await page(client, f"/staff/conversations/{QREDITS_REFERRAL}")
    assert "Sanne" not in html and "Bakker" not in html
    assert "87654321" not in html and "[name]" in html and "[phone]" in html


async def test_a_users_html_is_shown_as_text(client: TestClient) -> None:
    await log_in(client, "reviewer@microstart.be")
    html = await page(client, f"/staff/conversations/{MICROSTART_HTML}")
    assert "<script>alert(1)</script>" not in html and "<b>mon" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;mon email est a.b@example.com&lt;/b&gt;" in html  # consented


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/staff/referrals/{referral}", {"status": "contacted"}),
        ("/staff/logout", {}),
        ("/staff/handoffs", {"language": "nl"}),
    ],
)
async def test_forms_without_the_csrf_token_are_refused(
    client: TestClient, database: sa.engine.Engine, path: str, data: dict
) -> None:
    await log_in(client, "reviewer@qredits.nl")
    target = path.format(referral=referral_id(database, QREDITS_REFERRAL))
    response = await client.post(target, data=data, allow_redirects=False)
    assert response.status == 403
    assert "This form has expired" in await response.text()
    with Session(database) as session:
        assert session.scalar(sa.select(Referral.status).where(
            Referral.conversation_id == QREDITS_REFERRAL)) == "new"  # fmt: skip
    await page(client, "/staff/conversations")  # still logged in


async def test_a_login_without_the_csrf_token_is_refused(client: TestClient) -> None:
    response = await client.post(
        "/staff/login",
        data={"email": "reviewer@qredits.nl", "password": PASSWORD},
        allow_redirects=False,
    )
    assert response.status == 403
    assert "staff_session" not in response.cookies


@pytest.mark.parametrize(
    "query",
    [
        "language=nl' OR '1'='1",
        "topic=microloan'; DROP TABLE routes; --",
        "since=2026-01-01' OR 1=1 --",
        "page=1 UNION SELECT password_hash FROM staff_accounts",
    ],
)
async def test_sql_in_filters_changes_nothing(
    client: TestClient, database: sa.engine.Engine, query: str
) -> None:
    await log_in(client, "reviewer@qredits.nl")
    before = table_sizes(database)
    for path in ("/staff/conversations", "/staff/insight", "/staff/conversations.csv"):
        html = await page(client, f"{path}?{query}", status=400)
        assert MICROSTART_HTML not in html and "$argon2" not in html
    assert table_sizes(database) == before
    assert listed(await page(client, "/staff/conversations")) == {
        QREDITS_PHONE,
        QREDITS_REFERRAL,
    }


def table_sizes(engine: sa.engine.Engine) -> dict[str, int]:
    names = ("events", "routes", "routed_conversations", "referrals", "staff_accounts")
    with engine.connect() as connection:
        return {
            name: connection.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar()
            for name in names
        }


async def test_filters_narrow_the_list(client: TestClient) -> None:
    await log_in(client, "admin@example.org")
    assert listed(await page(client, "/staff/conversations?language=fr")) == {
        MICROSTART_HTML
    }
    assert listed(await page(client, "/staff/conversations?topic=job_coaching")) == {
        VANTAA
    }
    assert listed(await page(client, "/staff/conversations?unanswered=1")) == {
        QREDITS_PHONE,
        MICROSTART_HTML,
    }
    assert listed(await page(client, "/staff/conversations?with_referral=1")) == {
        QREDITS_REFERRAL,
        MICROSTART_HTML,
    }
    today = utcnow().date()
    tomorrow = today + timedelta(days=1)
    assert listed(await page(client, f"/staff/conversations?since={tomorrow}")) == set()
    assert len(listed(await page(client, f"/staff/conversations?until={today}"))) == 4


async def test_ten_wrong_passwords_lock_the_account_for_a_while(
    client: TestClient, database: sa.engine.Engine
) -> None:
    for _ in range(10):
        response = await try_login(client, "reviewer@qredits.nl", "not the password")
        assert response.status == 401
    response = await try_login(client, "reviewer@qredits.nl", PASSWORD)
    assert response.status == 429
    assert "locked" in await response.text()
    assert "staff_session" not in response.cookies
    # Another account is not locked by it.
    assert (await try_login(client, "reviewer@microstart.be", PASSWORD)).status == 303
    with Session(database) as session, session.begin():
        account = session.scalar(
            sa.select(StaffAccount).where(StaffAccount.email == "reviewer@qredits.nl")
        )
        assert account.locked_until > utcnow() + timedelta(minutes=14)
        account.locked_until = utcnow() - timedelta(seconds=1)  # the while is over
    assert (await try_login(client, "reviewer@qredits.nl", PASSWORD)).status == 303


async def test_many_failed_logins_from_one_address_are_slowed_down(
    client: TestClient,
) -> None:
    for number in range(30):
        response = await try_login(client, f"nobody{number}@example.org", "wrong")
        assert response.status == 401
    response = await try_login(client, "reviewer@qredits.nl", PASSWORD)
    assert response.status == 429
    assert response.headers["Retry-After"] == "900"


async def test_the_session_cookie_is_httponly_samesite_and_expires(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = await try_login(client, "reviewer@qredits.nl", PASSWORD)
    cookie = response.cookies["staff_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert (cookie["path"], cookie["max-age"]) == ("/staff", "28800")
    assert not cookie["secure"]  # plain HTTP in this test
    monkeypatch.setattr(settings, "SECURE_COOKIES", True)  # behind a TLS proxy
    form = await client.get("/staff/login")
    assert form.cookies["staff_login"]["secure"]
    token = form.cookies["staff_login"].value  # the test client speaks plain HTTP:
    response = await client.post(  # it keeps Secure cookies to itself
        "/staff/login",
        data={"email": "reviewer@qredits.nl", "password": PASSWORD, "csrf": token},
        headers={"Cookie": f"staff_login={token}"},
        allow_redirects=False,
    )
    assert response.cookies["staff_session"]["secure"]


async def test_logging_out_ends_the_session(client: TestClient) -> None:
    csrf = await log_in(client, "reviewer@qredits.nl")
    response = await client.post(
        "/staff/logout", data={"csrf": csrf}, allow_redirects=False
    )
    assert response.status == 303
    await page(client, "/staff/conversations", status=303)


async def test_a_desk_account_cannot_read_conversations(client: TestClient) -> None:
    await log_in(client, "desk@vantaa.fi")
    html = await page(client, "/staff/conversations", status=403)
    assert "Your account cannot open this page." in html


async def test_a_referral_moves_from_new_to_contacted_to_closed_with_history(
    client: TestClient, database: sa.engine.Engine
) -> None:
    csrf = await log_in(client, "reviewer@qredits.nl")
    number = referral_id(database, QREDITS_REFERRAL)
    inbox = await page(client, "/staff/referrals?status=new")
    assert "Sanne Bakker" in inbox and "+31687654321" in inbox
    assert '<span class="badge" title="New">1</span>' in inbox  # one new, in the menu
    for status, note in (("contacted", "Called, will come on Monday"), ("closed", "")):
        response = await client.post(
            f"/staff/referrals/{number}",
            data={"csrf": csrf, "status": status, "note": note},
            allow_redirects=False,
        )
        assert (response.status, response.headers["Location"]) == (
            303,
            f"/staff/referrals/{number}",
        )
    html = await page(client, f"/staff/referrals/{number}")
    assert re.search(r"reviewer@qredits.nl · New → Contacted · <q>Called, will", html)
    assert "Contacted → Closed" in html
    with Session(database) as session:
        changes = session.scalars(sa.select(ReferralChange)).all()
    assert [(c.old_status, c.new_status) for c in changes] == [
        ("new", "contacted"),
        ("contacted", "closed"),
    ]
    inbox = await page(client, "/staff/referrals?status=new")
    assert "Sanne" not in inbox and 'class="badge"' not in inbox


async def test_the_admin_reads_referrals_masked_and_cannot_change_them(
    client: TestClient, database: sa.engine.Engine
) -> None:
    csrf = await log_in(client, "admin@example.org")
    number = referral_id(database, QREDITS_REFERRAL)
    html = await page(client, f"/staff/referrals/{number}")
    assert "Sanne" not in html and "+3168" not in html and "[phone]" in html
    response = await client.post(
        f"/staff/referrals/{number}",
        data={"csrf": csrf, "status": "closed"},
        allow_redirects=False,
    )
    assert response.status == 404


async def test_others_read_the_users_time_and_the_partners_notes_masked(
    client: TestClient, database: sa.engine.Engine
) -> None:
    number = referral_id(database, QREDITS_REFERRAL)
    with Session(database) as session, session.begin():
        session.get(Referral, number).preferred_time = "morgens, of bel 06 11122233"
    csrf = await log_in(client, "reviewer@qredits.nl")
    note = "Sanne Bakker gebeld op 06 87654321"
    response = await client.post(
        f"/staff/referrals/{number}",
        data={"csrf": csrf, "status": "contacted", "note": note},
        allow_redirects=False,
    )
    assert response.status == 303
    html = await page(client, f"/staff/referrals/{number}")
    assert "morgens, of bel 06 11122233" in html and note in html
    await log_in(client, "admin@example.org")
    html = await page(client, f"/staff/referrals/{number}")
    assert "morgens, of bel [phone]" in html
    assert "<q>[name] gebeld op [phone]</q>" in html
    assert "Sanne" not in html and "1122233" not in html and "87654321" not in html


async def test_the_export_is_the_filtered_list_redacted_and_audited(
    client: TestClient, database: sa.engine.Engine
) -> None:
    await log_in(client, "reviewer@qredits.nl")
    response = await client.get("/staff/conversations.csv?language=nl")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert rows[0][0] == "Conversation"
    by_id = {row[0]: row for row in rows[1:]}
    assert set(by_id) == {QREDITS_PHONE, QREDITS_REFERRAL}
    assert "[phone]" in by_id[QREDITS_PHONE][-1]
    assert "12345678" not in by_id[QREDITS_PHONE][-1]
    assert by_id[QREDITS_PHONE][5] == "yes"  # the camel question was not answered
    assert "Sanne Bakker" in by_id[QREDITS_REFERRAL][-1]  # consented to Qredits
    with Session(database) as session:
        entry = session.scalars(sa.select(AuditEntry)).one()
    assert (entry.action, entry.target) == ("export", "language=nl")


async def test_insight_counts_conversations_and_lists_unanswered_questions(
    client: TestClient,
) -> None:
    await log_in(client, "admin@example.org")
    html = await page(client, "/staff/insight")
    assert "4 conversations" in html
    assert "could not answer something in 50% of them" in html
    assert "wat kost een kameel" in html
    assert "a.b@example.com" not in html and "[e-mail]" in html
    assert html.count("<rect") == 1  # every conversation started today
    await log_in(client, "reviewer@qredits.nl")
    html = await page(client, "/staff/insight")
    assert "2 conversations" in html and "wat kost een kameel" in html
    assert "script" not in html.split("<h2>")[-1]  # microStart's question is not here


async def test_the_audit_log_is_for_the_admin(client: TestClient) -> None:
    await log_in(client, "reviewer@qredits.nl")
    await page(client, f"/staff/conversations/{QREDITS_PHONE}")
    await page(client, "/staff/audit", status=403)
    await log_in(client, "admin@example.org")
    html = await page(client, "/staff/audit")
    assert "reviewer@qredits.nl" in html and QREDITS_PHONE in html


async def test_the_administrator_sees_what_needs_re_checking(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await log_in(client, "reviewer@qredits.nl")
    await page(client, "/staff/sources", status=403)
    await log_in(client, "admin@example.org")
    monkeypatch.setenv("ASSISTANT_TODAY", "2026-06-15")
    html = html_text.unescape(await page(client, "/staff/sources"))
    due, soon, ended = (
        html.split('id="due"')[1].split('id="soon"')[0],
        html.split('id="soon"')[1].split('id="ended"')[0],
        html.split('id="ended"')[1],
    )
    # Checked on an unknown day of 2025 (counted as its first) or before: due.
    assert "https://micreohub.it/microcredito" in due
    assert "June 5, 2024" in due  # VLAIO's page, dated
    # Finnvera's application window closes on 31 July 2026, within 60 days.
    assert "application_closes" in soon and "July 31, 2026" in soon
    assert "application_closes" not in ended
    # Ended: the 2024 start-up grant amount, the 2022 guarantee call, the
    # Euribor value given for the 2024-2025 round.
    assert "startup_grant_per_day" in ended and "€37.21" in ended
    assert "euribor_assumed" in ended
    assert "migrant_guarantee_max" in ended
    monkeypatch.setenv("ASSISTANT_TODAY", "2026-12-05")
    html = html_text.unescape(await page(client, "/staff/sources"))
    ended = html.split('id="ended"')[1]
    assert "application_closes" in ended  # the window has closed since


async def test_staff_pages_speak_the_browsers_language_or_the_chosen_one(
    client: TestClient,
) -> None:
    response = await client.get(
        "/staff/login", headers={"Accept-Language": "fr-BE,fr;q=0.9,en;q=0.5"}
    )
    html = await response.text()
    assert '<html lang="fr"' in html and "Se connecter" in html
    assert ">Log in<" not in html
    html = await page(client, "/staff/login?lang=fi")  # chosen, then remembered
    assert '<html lang="fi"' in html and "Kirjaudu sisään" in html
    html = await page(client, "/staff/login")
    assert '<html lang="fi"' in html
    html = await page(client, "/staff/login?lang=xx")  # not a staff language: ignored
    assert '<html lang="fi"' in html


async def test_masks_and_messages_follow_the_staff_language(client: TestClient) -> None:
    await log_in(client, "reviewer@qredits.nl")
    html = await page(client, f"/staff/conversations/{QREDITS_PHONE}?lang=it")
    assert "[telefono]" in html and "[phone]" not in html
    html = await page(client, "/staff/conversations?lang=nl&language=xx", status=400)
    assert "xx" in html and '<html lang="nl"' in html


async def test_pages_with_personal_data_are_not_cached_or_framed(
    client: TestClient,
) -> None:
    await log_in(client, "reviewer@qredits.nl")
    for path in (f"/staff/conversations/{QREDITS_PHONE}", "/staff/conversations.csv"):
        response = await client.get(path)
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Frame-Options"] == "DENY"
    missing = await client.get("/staff/conversations/nothing-here")
    assert (missing.status, missing.headers["Cache-Control"]) == (404, "no-store")


async def add_conversation(
    engine: sa.engine.Engine,
    conversation: Conversation | tuple[str, list[Event]],
    routes: list[tuple[str, str]],
    referrals: list[Referral] = (),
) -> None:
    """One more conversation saved by Rasa, routed to partners, with its referrals.

    ``routes`` are (topic, partner); a conversation is either turns (``Conversation``)
    or a sender id with Rasa's events as the assistant stores them.
    """
    path = Path(engine.url.database)
    if isinstance(conversation, Conversation):
        await save_conversations(path, [conversation])
        sender_id = conversation.sender_id
    else:
        sender_id, events = conversation
        store = SQLTrackerStore(dialect="sqlite", db=str(path))
        names = {e.key for e in events if isinstance(e, SlotSet)}
        tracker = DialogueStateTracker.from_events(
            sender_id, events, slots=[AnySlot(name, mappings=[]) for name in names]
        )
        await store.save(tracker)
        store.engine.dispose()
    with Session(engine) as session:
        for topic, partner in routes:
            record_routes(session, sender_id, "nl", topic, [partner])
    with Session(engine) as session, session.begin():
        session.add_all(referrals)


def questions_on(html: str) -> list[str]:
    """The unanswered questions listed on the insight page, as shown."""
    table = html.split('id="questions"')[1]
    return [
        html_text.unescape(cell)
        for cell in re.findall(r'<td dir="auto">(.*?)</td>', table, re.S)
    ]


def export_of(text: str) -> dict[str, list[str]]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    return {row[0]: row for row in rows[1:]}


TWO_PARTNERS = "two-partners"


def qredits_referral(conversation_id: str, **fields: str) -> Referral:
    return Referral(
        **{
            "conversation_id": conversation_id,
            "organisation_id": "qredits",
            "topic": "general",
            "name": "Sanne Bakker",
            "contact_kind": "phone",
            "contact": "+31687654321",
            "language": "nl",
        }
        | fields
    )


async def test_each_partner_sees_only_what_the_user_gave_it(
    client: TestClient, database: sa.engine.Engine
) -> None:
    """A phone number given to Qredits, an e-mail address to microStart."""
    await add_conversation(
        database,
        Conversation(
            TWO_PARTNERS,
            [
                (
                    Said(
                        "ik zoek een lening, mijn oude nummer is 06 12345678",
                        "ask_microloan",
                        0.9,
                        "nl",
                    ),
                    ["Qredits en microStart lenen geld. Mag Qredits u bellen?"],
                ),
                (Said("Sanne Bakker", "inform", 0.5, "nl"), ["Uw telefoonnummer?"]),
                (
                    Said("06 87654321", "inform", 0.5, "nl"),
                    ["Qredits belt u op +31687654321."],
                ),
                (
                    Said(
                        "microStart mag mij mailen: sanne.b@example.com",
                        "inform",
                        0.5,
                        "nl",
                    ),
                    ["microStart mailt u op sanne.b@example.com."],
                ),
            ],
        ),  # fmt: skip
        [("microloan", "qredits"), ("microloan", "microstart")],
        [
            qredits_referral(TWO_PARTNERS),
            Referral(
                conversation_id=TWO_PARTNERS,
                organisation_id="microstart",
                topic="microloan",
                name="Sanne Bakker",
                contact_kind="email",
                contact="sanne.b@example.com",
                language="nl",
            ),
        ],
    )
    seen = {}
    for reviewer in ("reviewer@qredits.nl", "reviewer@microstart.be"):
        await log_in(client, reviewer)
        transcript = await page(client, f"/staff/conversations/{TWO_PARTNERS}")
        export = export_of(await page(client, "/staff/conversations.csv"))
        seen[reviewer] = (transcript, export[TWO_PARTNERS][-1])
    transcript, written = seen["reviewer@qredits.nl"]
    for shown in (transcript, written):
        assert "Sanne Bakker" in shown and "06 87654321" in shown
        assert "sanne.b@example.com" not in shown and "[e-mail]" in shown
        assert "12345678" not in shown  # the number given to nobody
    assert "+31687654321" in transcript  # the assistant's turn
    transcript, written = seen["reviewer@microstart.be"]
    for shown in (transcript, written):
        assert "Sanne Bakker" in shown and "sanne.b@example.com" in shown
        assert "87654321" not in shown and "[phone]" in shown
        assert "12345678" not in shown


def asked(text: str, response: str | None, at: float) -> BotUttered:
    """The assistant's message, with the response it came from (as Rasa stores it)."""
    return BotUttered(text, metadata={"utter_action": response} if response else {},
                      timestamp=at)  # fmt: skip


def referral_form(sender_id: str) -> tuple[str, list[Event]]:
    """A conversation with the referral form, its events as Rasa stores them.

    The user answers "where do you live?" and the form's questions with free text
    the NLU cannot place (nlu_fallback): answers, not questions.
    """
    moment = itertools.count(time.time() - 3600, 2)

    def user(text: str, intent: str, confidence: float = 0.9) -> UserUttered:
        parsed = {"name": intent, "confidence": confidence}
        return UserUttered(
            text,
            intent=parsed,
            parse_data={"text": text, "intent": parsed, "entities": [],
                        "language": {"code": "nl", "confidence": 0.9}},
            timestamp=next(moment),
        )  # fmt: skip

    def run(name: str) -> ActionExecuted:
        return ActionExecuted(name, timestamp=next(moment))

    def bot(text: str, response: str | None = None) -> BotUttered:
        return asked(text, response, next(moment))

    def slot(name: str, value: object) -> SlotSet:
        return SlotSet(name, value, timestamp=next(moment))

    listen = run
    return sender_id, [
        user("hoe krijg ik een microkrediet", "ask_microloan"),
        run("action_answer_topic"),
        bot("Een microkrediet is een kleine lening.", "utter_microloan_general"),
        bot("Waar woont u? Noem uw stad of land.", "utter_ask_place"),
        listen("action_listen"),
        user("in de buurt van Zwolle", "nlu_fallback", 0.3),
        run("action_answer_topic"),
        bot("Qredits helpt in heel Nederland."),
        listen("action_listen"),
        user("ik wil met iemand van Qredits praten", "request_human"),
        run("action_offer_referral"),
        slot("referral_partner", "qredits"),
        run("referral_form"),
        ActiveLoop("referral_form", timestamp=next(moment)),
        slot("requested_slot", "referral_consent"),
        bot("Mag Qredits contact met u opnemen?", "utter_ask_referral_consent"),
        listen("action_listen"),
        user("ja", "affirm"),
        run("referral_form"),
        slot("referral_consent", True),
        slot("requested_slot", "referral_name"),
        bot("Hoe heet u?", "utter_ask_referral_name"),
        listen("action_listen"),
        user("Sanne Bakker", "nlu_fallback", 0.4),
        run("referral_form"),
        slot("referral_name", "Sanne Bakker"),
        slot("requested_slot", "referral_contact"),
        bot("Op welk telefoonnummer of e-mailadres?", "utter_ask_referral_contact"),
        listen("action_listen"),
        user("06 87654321", "nlu_fallback", 0.2),
        run("referral_form"),
        slot("referral_contact", "+31687654321"),
        slot("requested_slot", "referral_language"),
        bot("In welke taal?"),  # action_ask_referral_language: buttons, no response
        listen("action_listen"),
        user(
            '/inform_contact_language{"contact_language": "nl"}',
            "inform_contact_language",
            1.0,
        ),  # fmt: skip
        run("referral_form"),
        slot("referral_language", "nl"),
        slot("requested_slot", "referral_time"),
        bot("Wanneer kunnen ze u het best bereiken?", "utter_ask_referral_time"),
        listen("action_listen"),
        user("morgenochtend", "nlu_fallback", 0.3),
        run("referral_form"),
        slot("referral_time", "morgenochtend"),
        ActiveLoop(None, timestamp=next(moment)),
        slot("requested_slot", None),
        run("action_submit_referral"),
        bot("Qredits neemt contact met u op via +31687654321.", "utter_referral_done"),
        listen("action_listen"),
    ]


FORM = "qredits-form"


async def test_answers_to_the_assistants_questions_are_not_unanswered(
    client: TestClient, database: sa.engine.Engine
) -> None:
    await add_conversation(
        database,
        referral_form(FORM),
        [("microloan", "qredits"), ("general", "qredits")],
        [qredits_referral(FORM, topic="general")],
    )
    await log_in(client, "admin@example.org")
    html = await page(client, "/staff/insight")
    assert "5 conversations" in html
    assert "could not answer something in 40% of them" in html  # 2 of 5, not 3
    questions = questions_on(html)
    assert sorted(questions) == [
        "<script>alert(1)</script> <b>mon email est [e-mail]</b>",
        "wat kost een kameel",
    ]
    assert not any(
        word in html.split('id="questions"')[1]
        for word in ("Zwolle", "zwolle", "sanne", "Sanne", "87654321", "morgenochtend")
    )
    assert FORM not in listed(await page(client, "/staff/conversations?unanswered=1"))
    export = export_of(await page(client, "/staff/conversations.csv"))
    assert export[FORM][5] == "no"
    # Still the transcript shows every answer, masked.
    html = await page(client, f"/staff/conversations/{FORM}")
    assert "in de buurt van Zwolle" in html and "morgenochtend" in html
    assert "Sanne" not in html and "87654321" not in html


NAMES = "names-in-questions"


async def test_insight_masks_each_question_as_its_transcript_does(
    client: TestClient, database: sa.engine.Engine
) -> None:
    await add_conversation(
        database,
        Conversation(
            NAMES,
            [
                (
                    Said("heeft Sanne Bakker al gebeld?", "nlu_fallback", 0.3, "nl"),
                    ["Dat weet ik niet."],
                ),
                (
                    Said(
                        "Mijn naam is Jan de Vries, wat kost een kameel?",
                        "out_of_scope",
                        0.8,
                        "nl",
                    ),
                    ["Daar kan ik niet mee helpen."],
                ),
            ],
        ),  # fmt: skip
        [("general", "qredits")],
        [qredits_referral(NAMES)],
    )
    await log_in(client, "admin@example.org")
    questions = questions_on(await page(client, "/staff/insight"))
    assert "heeft [name] al gebeld?" in questions
    assert "mijn naam is [name], wat kost een kameel?" in questions
    transcript = await page(client, f"/staff/conversations/{NAMES}")
    assert "heeft <span" in transcript and "Sanne" not in transcript
    assert "Jan" not in transcript and "Vries" not in transcript
    # The partner the user gave the name to reads it, in both places.
    await log_in(client, "reviewer@qredits.nl")
    questions = questions_on(await page(client, "/staff/insight"))
    assert "heeft sanne bakker al gebeld?" in questions
    assert "mijn naam is [name], wat kost een kameel?" in questions
    transcript = await page(client, f"/staff/conversations/{NAMES}")
    assert "heeft Sanne Bakker al gebeld?" in transcript
    assert "Jan" not in transcript and "Vries" not in transcript


@pytest.mark.parametrize("value", ["²", "٣", "1²", "-1", "0", "1e3", "99999999999999"])
async def test_odd_page_numbers_are_refused_with_a_page(
    client: TestClient, value: str
) -> None:
    await log_in(client, "reviewer@qredits.nl")
    for path in ("/staff/conversations", "/staff/insight", "/staff/conversations.csv",
                 "/staff/referrals"):  # fmt: skip
        html = await page(client, f"{path}?page={value}", status=400)
        assert "Unknown page" in html
    await page(client, f"/staff/referrals/{value}", status=404)


ODD_TIMES = "odd-times"


async def test_a_transcript_with_odd_stored_events_is_still_shown(
    client: TestClient, database: sa.engine.Engine
) -> None:
    await add_conversation(
        database,
        Conversation(ODD_TIMES, [(Said("hallo", "greet", 0.9, "nl"), ["Hallo!"])]),
        [("general", "qredits")],
    )
    odd = [  # (timestamp, data) as no well-behaved Rasa would store them
        (1e20, '{"event": "user", "text": "far in the future"}'),
        (-1e20, '{"event": "user", "text": "long ago"}'),
        (float("nan"), '{"event": "user", "text": "not a time"}'),
        (float("inf"), '{"event": "bot", "text": "for ever"}'),
        ("yesterday", '{"event": "user", "text": "a word for a time"}'),
        (-86400.5, '{"event": "user", "text": "just before 1970", "parse_data":'
                   ' {"intent": {"name": "greet", "confidence": "high"},'
                   ' "language": "nl"}}'),
        (1e9, '{"event": "user", "text": ["not", "text"]}'),
        (1e9, "[1, 2, 3]"),
        (1e9, "not JSON at all"),
    ]  # fmt: skip
    with database.begin() as connection:
        for timestamp, data in odd:
            connection.execute(
                sa.text(
                    "INSERT INTO events (sender_id, type_name, timestamp, data)"
                    " VALUES (:sender, :kind, :timestamp, :data)"
                ),
                {
                    "sender": ODD_TIMES,
                    "kind": "bot" if '"event": "bot"' in data else "user",
                    "timestamp": timestamp,
                    "data": data,
                },
            )
    await log_in(client, "reviewer@qredits.nl")
    html = await page(client, f"/staff/conversations/{ODD_TIMES}")
    for text in ("hallo", "far in the future", "long ago", "not a time", "for ever",
                 "a word for a time", "just before 1970"):  # fmt: skip
        assert text in html
    export = export_of(await page(client, "/staff/conversations.csv"))
    assert "far in the future" in export[ODD_TIMES][-1]


@pytest.mark.parametrize(
    "sender_id", ["whatsapp/31612345678", "a/b", "a%2Fb", "odd ?#&=+ id", "/lead"]
)
async def test_a_conversation_id_with_a_slash_or_odd_characters_opens(
    client: TestClient, database: sa.engine.Engine, sender_id: str
) -> None:
    await add_conversation(
        database,
        Conversation(sender_id, [(Said("hallo", "greet", 0.9, "nl"), ["Hallo!"])]),
        [("general", "qredits")],
    )
    await log_in(client, "reviewer@qredits.nl")
    html = await page(client, "/staff/conversations")
    links = re.findall(r'href="(/staff/conversations/[^"]+)"', html)
    link = next(
        html_text.unescape(found)
        for found in links
        if QREDITS_PHONE not in found and QREDITS_REFERRAL not in found
    )
    response = await client.get(link, allow_redirects=False)
    assert response.status == 200, link
    assert f"<code>{html_text.escape(sender_id)}</code>" in await response.text()


NUL_TEXT = "nul-text"


async def test_an_export_with_a_nul_character_in_a_message_is_whole(
    client: TestClient, database: sa.engine.Engine
) -> None:
    """Python's csv writer cannot write NUL: the export stopped half-way (the fuzz)."""
    await add_conversation(
        database,
        Conversation(
            NUL_TEXT, [(Said("hallo\x00 wereld\x00", "greet", 0.9, "nl"), ["Hallo!"])]
        ),
        [("general", "qredits")],
    )
    await log_in(client, "reviewer@qredits.nl")
    response = await client.get("/staff/conversations.csv")
    export = export_of((await response.read()).decode("utf-8"))
    assert set(export) == {QREDITS_PHONE, QREDITS_REFERRAL, NUL_TEXT}
    assert export[NUL_TEXT][-1] == "hallo wereld"


async def test_a_referral_form_that_cannot_be_read_gets_a_400_page(
    client: TestClient, database: sa.engine.Engine
) -> None:
    await log_in(client, "reviewer@qredits.nl")
    number = referral_id(database, QREDITS_REFERRAL)
    response = await client.post(
        f"/staff/referrals/{number}",
        data=b"status=closed",
        headers={"Content-Type": "multipart/form-data"},  # without its boundary
        allow_redirects=False,
    )
    assert response.status == 400
    assert "This form has expired" in await response.text()
