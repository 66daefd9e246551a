"""The web widget in a real browser (Debian's chromium driven by Playwright).

The browser opens the demo page of the running assistant on a phone-sized screen and
uses the widget as a person would: picks a language, asks, reloads, loses the
network, pastes HTML.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.settings import ROOT
from tests.conftest import PHONE, PORTS, Assistant, expected

pytestmark = pytest.mark.e2e

SCREENSHOTS = ROOT / "var" / "screenshots"
REPLY_TIMEOUT_MS = 30_000

DEMO = f"http://127.0.0.1:{PORTS['WEB_PORT']}/"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    opened = context.new_page()
    yield opened
    context.close()


def open_chat(page: Page, query: str = "") -> None:
    page.goto(DEMO + query)
    page.locator(".notice button").click()  # the privacy notice, in any language


def bot_messages(page: Page):
    return page.locator("li.message.bot")


def wait_for_bot_messages(page: Page, count: int) -> None:
    expect(bot_messages(page)).to_have_count(count, timeout=REPLY_TIMEOUT_MS)


def ask(page: Page, text: str) -> None:
    page.locator("textarea").fill(text)
    page.locator("textarea").press("Enter")


def bot_text(page: Page, index: int = -1) -> str:
    """What the assistant said (without the label read out by screen readers)."""
    texts = page.locator("li.message.bot .text")
    return (texts.last if index == -1 else texts.nth(index)).inner_text()


@pytest.mark.parametrize(
    "language, question",
    [
        ("ar", "كيف يمكنني معادلة شهادتي الجامعية؟"),
        ("fa", "چطور می‌تونم مدرک دانشگاهیم رو اینجا به رسمیت بشناسن؟"),
    ],
)
def test_right_to_left_languages_are_answered_right_to_left(
    page: Page, language: str, question: str
) -> None:
    open_chat(page)
    wait_for_bot_messages(page, 1)  # the greeting
    page.locator("select").select_option(language)
    wait_for_bot_messages(page, 2)
    assert bot_text(page) == expected("utter_language_changed", language)
    expect(page.locator(".panel")).to_have_attribute("dir", "rtl")
    assert page.locator(".panel").get_attribute("lang") == language
    ask(page, question)
    wait_for_bot_messages(page, 4)  # the general answer, then "where do you live?"
    assert bot_text(page, 2) == expected("utter_qualification_recognition", language)
    direction = bot_messages(page).nth(2).evaluate("m => getComputedStyle(m).direction")
    assert direction == "rtl"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"widget-360-{language}.png"))


def test_the_conversation_survives_a_reload_and_can_switch_to_finnish(
    page: Page,
) -> None:
    open_chat(page)
    wait_for_bot_messages(page, 1)
    ask(page, "how do I get my diploma recognised?")
    wait_for_bot_messages(page, 3)
    page.reload()
    expect(page.locator("li.message.user")).to_have_count(1)
    assert "diploma" in page.locator("li.message.user .text").inner_text()
    expect(bot_messages(page)).to_have_count(3)
    page.locator("select").select_option("fi")
    wait_for_bot_messages(page, 4)
    assert bot_text(page) == expected("utter_language_changed", "fi")
    ask(page, "Asun Vantaalla")
    wait_for_bot_messages(page, 5)
    answer = bot_text(page)
    assert "Opetushallitus" in answer and "https://www.oph.fi" in answer
    page.screenshot(path=str(SCREENSHOTS / "widget-360-fi.png"))


def test_html_from_the_user_is_shown_as_text_never_run(page: Page) -> None:
    open_chat(page)
    wait_for_bot_messages(page, 1)
    attack = '<script>window.hacked = 1</script><img src=x onerror="window.hacked=2">'
    ask(page, attack)
    expect(page.locator("li.message.user .text")).to_have_text(attack)
    wait_for_bot_messages(page, 2)
    assert page.evaluate("window.hacked") is None
    assert page.locator("li.message img, li.message script").count() == 0


def test_links_in_answers_open_in_a_new_tab(page: Page) -> None:
    open_chat(page, "?city=Gent")
    wait_for_bot_messages(page, 1)
    ask(page, "how much does it cost to get my diploma recognised?")
    link = page.locator("li.message.bot a[href='https://www.naricvlaanderen.be']")
    expect(link.first).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    assert link.first.get_attribute("target") == "_blank"
    assert "noopener" in link.first.get_attribute("rel")


def test_a_page_context_opens_on_its_topic_and_place(page: Page) -> None:
    open_chat(page, "?language=ar&city=Vantaa&topic=job_coaching")
    wait_for_bot_messages(page, 1)
    first = bot_text(page)
    assert "https://www.vantaa.fi" in first and "SMILE" in first
    expect(page.locator(".panel")).to_have_attribute("dir", "rtl")


def test_an_oversized_message_is_refused_with_a_hint(page: Page) -> None:
    open_chat(page)
    wait_for_bot_messages(page, 1)
    ask(page, "x" * 2001)
    expect(page.locator("p.hint")).to_be_visible()
    assert "2,000" in page.locator("p.hint").inner_text()
    assert page.locator("textarea").input_value() == "x" * 2001  # kept, to shorten
    assert page.locator("li.message.user").count() == 0


def test_messages_typed_offline_are_sent_when_the_network_is_back(
    page: Page,
) -> None:
    open_chat(page)
    wait_for_bot_messages(page, 1)
    page.context.set_offline(True)
    expect(page.locator("p.offline")).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    ask(page, "thank you")
    expect(page.locator("li.message.user small.pending")).to_have_count(1)
    page.context.set_offline(False)
    wait_for_bot_messages(page, 2)
    assert bot_text(page) == expected("utter_you_are_welcome", "en")
    expect(page.locator("li.message.user small.pending")).to_have_count(0)
    expect(page.locator("p.offline")).to_be_hidden()


def test_a_server_restart_is_survived_by_reconnecting(
    page: Page, assistant: Assistant
) -> None:
    open_chat(page)
    wait_for_bot_messages(page, 1)
    assistant.stop()
    expect(page.locator("p.offline")).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    ask(page, "thanks a lot")
    assistant.start()
    wait_for_bot_messages(page, 2)
    assert bot_text(page) == expected("utter_you_are_welcome", "en")
    expect(page.locator("p.offline")).to_be_hidden()


def test_the_chat_works_with_the_keyboard_alone(page: Page) -> None:
    page.goto(DEMO + "?open=0")
    page.keyboard.press("Tab")  # the first thing on the page is the chat button
    page.keyboard.press("Enter")
    expect(page.locator(".notice button")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("textarea")).to_be_focused()
    page.keyboard.type("thank you")
    page.keyboard.press("Enter")
    wait_for_bot_messages(page, 2)  # the greeting, then the answer
    page.keyboard.press("Escape")
    expect(page.locator(".panel")).to_be_hidden()
    expect(page.locator("button.launcher")).to_be_focused()
    assert page.locator("textarea").get_attribute("id") == page.locator(
        "label[for=assistant-input]"
    ).get_attribute("for")
