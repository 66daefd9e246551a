"""Front desk to visitor to partner, in a real browser, and the right to erase.

A Vantaa desk makes a link for an Arabic speaker about job coaching; the visitor's
phone opens it, asks for a person, consents, leaves a phone number: a referral for the
City of Vantaa is stored. Then "delete my data" leaves nothing of them in the database.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from bot.settings import ROOT
from tests.conftest import PHONE, PORTS, Assistant, expected
from tests.test_widget import REPLY_TIMEOUT_MS

pytestmark = pytest.mark.e2e

WEB = f"http://127.0.0.1:{PORTS['WEB_PORT']}"
PASSWORD = "front desk password"
LEFT_OF_USER = sa.text(
    "SELECT (SELECT count(*) FROM events WHERE sender_id = :id)"
    " + (SELECT count(*) FROM referrals WHERE conversation_id = :id)"
)


@pytest.fixture(scope="module")
def desk(assistant: Assistant) -> str:
    email = "myyrmaki@vantaa.example"
    subprocess.run(
        [sys.executable, "-m", "bot.staff", "create", "--email", email,
         "--organisation", "city-of-vantaa", "--desk", "Myyrmäki service point"],
        cwd=ROOT,
        env={**assistant.env, "STAFF_PASSWORD": PASSWORD},
        check=True,
    )  # fmt: skip
    return email


def database(assistant: Assistant) -> sa.engine.Engine:
    return sa.create_engine(assistant.env["DATABASE_URL"])


def bot_texts(page: Page) -> list[str]:
    return page.locator("li.message.bot .text").all_inner_texts()


def wait_for_bot(page: Page, count: int) -> None:
    expect(page.locator("li.message.bot")).to_have_count(
        count, timeout=REPLY_TIMEOUT_MS
    )


def ask(page: Page, text: str) -> None:
    page.locator("textarea").fill(text)
    page.locator("textarea").press("Enter")


def test_desk_to_visitor_to_partner_then_erased(
    browser: Browser, assistant: Assistant, desk: str
) -> None:
    staff = browser.new_context(viewport={"width": 1024, "height": 800}).new_page()
    staff.goto(f"{WEB}/staff/login")
    staff.get_by_label("E-mail").fill(desk)
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Log in").click()
    staff.get_by_label("The visitor's language").select_option("ar")
    staff.get_by_label("City").select_option("vantaa")
    staff.get_by_label("Topic").select_option("job_coaching")
    staff.get_by_role("button", name="Make a link and QR code").click()
    expect(staff.locator(".card svg")).to_be_visible()
    link = staff.locator("#visitor-link").get_attribute("href")

    visitor = browser.new_context(viewport=PHONE).new_page()
    visitor.goto(link)
    visitor.locator(".notice button").click()
    wait_for_bot(visitor, 1)
    expect(visitor.locator(".panel")).to_have_attribute("dir", "rtl")
    assert "https://www.vantaa.fi" in bot_texts(visitor)[0]  # job coaching, Vantaa
    session_id = visitor.evaluate("JSON.parse(localStorage['assistant.session'])")

    ask(visitor, "أريد أن أتحدث مع شخص من البلدية")
    wait_for_bot(visitor, 2)
    assert "City of Vantaa" in bot_texts(visitor)[-1]  # who gets what, then: agree?
    visitor.locator(".replies button").first.click()  # "Yes, I agree"
    wait_for_bot(visitor, 3)
    ask(visitor, "أمينة")
    wait_for_bot(visitor, 4)
    ask(visitor, "040 123")  # too short: a hint, and the question again
    wait_for_bot(visitor, 6)
    assert bot_texts(visitor)[-2] == expected("utter_referral_contact_retry", "ar")
    ask(visitor, "040 1234567")
    wait_for_bot(visitor, 7)
    visitor.locator(".replies button").first.click()  # contact language: Arabic
    wait_for_bot(visitor, 8)
    ask(visitor, "صباحا")
    wait_for_bot(visitor, 9)
    assert "+358401234567" in bot_texts(visitor)[-1]

    with database(assistant).connect() as connection:
        referrals = connection.execute(
            sa.text("SELECT organisation_id, contact, language FROM referrals "
                    "WHERE conversation_id = :id"),
            {"id": session_id},
        ).all()  # fmt: skip
    assert referrals == [("city-of-vantaa", "+358401234567", "ar")]

    ask(visitor, "احذف كل بياناتي من فضلك")
    wait_for_bot(visitor, 10)
    visitor.locator(".replies button").first.click()  # "Yes, delete"
    wait_for_bot(visitor, 11)
    assert bot_texts(visitor)[-1] == expected("utter_data_deleted", "ar")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with database(assistant).connect() as connection:
            left = connection.execute(LEFT_OF_USER, {"id": session_id}).scalar()
        if left == 0:
            break
        time.sleep(1)
    assert left == 0
