"""The partner portal in a real browser, on conversations held with the assistant.

Three people talk to the assistant (REST channel): a Dutch speaker in Amsterdam asks
about a microloan and types a phone number without agreeing to share it; another
asks for a person at Qredits and agrees; a French speaker in Brussels asks microStart
about a microloan. A Qredits reviewer logs in, sees only the two Qredits
conversations, reads the first with the phone number masked, marks the referral as
contacted and exports the list; the administrator sees every partner.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.settings import ROOT
from tests.conftest import PORTS, Assistant, post

pytestmark = pytest.mark.e2e

WEB = f"http://127.0.0.1:{PORTS['WEB_PORT']}"
PASSWORD = "partner portal password"
REVIEWER = "reviewer@qredits.example"
ADMIN = "admin@example.org"


def chat(sender: str, message: str, **metadata: str) -> list[dict]:
    status, replies = post({"sender": sender, "message": message, "metadata": metadata})
    assert status == 200, replies
    return replies


def texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


@pytest.fixture(scope="module")
def conversations(assistant: Assistant) -> dict[str, str]:
    """Three conversations with the assistant, and the portal's accounts."""
    for email, role, organisation in (
        (REVIEWER, "reviewer", "qredits"),
        (ADMIN, "admin", None),
    ):
        command = [sys.executable, "-m", "bot.staff", "create", "--email", email,
                   "--role", role]  # fmt: skip
        if organisation:
            command += ["--organisation", organisation]
        subprocess.run(
            command,
            cwd=ROOT,
            env={**assistant.env, "STAFF_PASSWORD": PASSWORD},
            check=True,
        )
    run = uuid.uuid4().hex[:6]
    amsterdam = {"language": "nl", "city": "amsterdam"}
    phone = f"nl-phone-{run}"
    assert "qredits" in texts(
        chat(phone, "Hoe krijg ik een microkrediet?", **amsterdam)
    )
    chat(phone, "Bel me maar op 06 12345678", **amsterdam)

    referral = f"nl-referral-{run}"
    assert "Qredits" in texts(
        chat(referral, "Ik wil met iemand van Qredits praten", **amsterdam)
    )
    chat(referral, "/affirm", **amsterdam)
    chat(referral, "Sanne Bakker", **amsterdam)
    language_question = chat(referral, "06 87654321", **amsterdam)
    choice = next(r for r in language_question if r.get("buttons"))["buttons"][0]
    chat(referral, choice["payload"], **amsterdam)
    assert "+31687654321" in texts(chat(referral, "morgenochtend", **amsterdam))

    brussels = f"fr-brussels-{run}"
    answer = chat(brussels, "Comment obtenir un microcrédit ?", language="fr",
                  city="brussels")  # fmt: skip
    assert "microStart" in texts(answer)
    return {"phone": phone, "referral": referral, "brussels": brussels}


def log_in(browser: Browser, email: str) -> Page:
    page = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True
    ).new_page()
    page.goto(f"{WEB}/staff/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("h1")).to_contain_text("Conversations routed to")
    return page


def listed(page: Page) -> set[str]:
    links = page.locator("tr.conversation a").evaluate_all(
        "links => links.map(a => decodeURIComponent(a.pathname.split('/').pop()))"
    )
    return set(links)


def test_a_qredits_reviewer_follows_up_only_qredits_conversations(
    browser: Browser, conversations: dict[str, str]
) -> None:
    page = log_in(browser, REVIEWER)
    expect(page.locator("h1")).to_have_text("Conversations routed to Qredits")
    seen = listed(page)
    assert {conversations["phone"], conversations["referral"]} <= seen
    assert conversations["brussels"] not in seen
    assert all(not name.startswith("fr-") for name in seen)

    page.locator(f'a[href="/staff/conversations/{conversations["phone"]}"]').click()
    transcript = page.locator("table.transcript")
    expect(transcript).to_contain_text("Hoe krijg ik een microkrediet?")
    expect(transcript).to_contain_text("Bel me maar op [phone]")
    expect(transcript).not_to_contain_text("12345678")
    # Each user turn shows the detected intent, its confidence and language.
    expect(transcript).to_contain_text(re.compile(r"ask_\w+ \(\d\.\d\d\)\s*nl"))

    page.get_by_role("link", name="Referrals").click()
    page.locator("tr.referral", has_text="Sanne Bakker").locator("a").click()
    expect(page.locator("#referral-contact")).to_have_text("+31687654321")
    page.get_by_label("Status").select_option("contacted")
    page.get_by_label("Note (optional)").fill("Called back, appointment on Monday")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#referral-status")).to_have_text("Contacted")
    expect(page.locator("#history")).to_contain_text(
        f"{REVIEWER} · New → Contacted · Called back, appointment on Monday"
    )

    page.get_by_role("link", name="Conversations").click()
    page.get_by_label("Language").select_option("nl")
    page.get_by_role("button", name="Show").click()
    with page.expect_download() as download:
        page.locator("#export").click()
    content = download.value.path().read_bytes().decode("utf-8-sig")
    rows = {row[0]: row for row in list(csv.reader(io.StringIO(content)))[1:]}
    assert {conversations["phone"], conversations["referral"]} <= set(rows)
    assert conversations["brussels"] not in rows
    assert "[phone]" in rows[conversations["phone"]][-1]
    assert "12345678" not in content.replace("87654321", "")  # only the consented one


def test_the_admin_sees_every_partner(
    browser: Browser, conversations: dict[str, str]
) -> None:
    page = log_in(browser, ADMIN)
    expect(page.locator("h1")).to_have_text("Conversations routed to every partner")
    assert set(conversations.values()) <= listed(page)
    row = page.locator("tr.conversation", has=page.locator(
        f'a[href="/staff/conversations/{conversations["brussels"]}"]'))  # fmt: skip
    expect(row.locator(".partners")).to_have_text("microStart")
    page.locator(f'a[href="/staff/conversations/{conversations["referral"]}"]').click()
    expect(page.locator("table.transcript")).not_to_contain_text("Sanne")
    expect(page.locator("table.transcript")).to_contain_text("[name]")
