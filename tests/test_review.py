"""Learning from conversations: "did this help?" in insight, the review queue, labels.

Conversations are stored by Rasa's own SQL tracker store; the portal is the real web
app on them.
"""

from __future__ import annotations

import html as html_text
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import Session

from bot import settings
from bot.db.tables import ReviewLabel, engine_for, forget_conversation, record_routes
from bot.staff.accounts import create_account
from bot.web.app import create_app
from tests.rasa_store import Conversation, Said, save_conversations
from tests.test_staff import PASSWORD, log_in

NO = [{"entity": "helpful", "value": "no"}]
YES = [{"entity": "helpful", "value": "yes"}]
FOOD_TRUCK = "qredits-food-truck"
RATE = "qredits-rate"
BRUSSELS = "microstart-truck"
CONVERSATIONS = [
    Conversation(
        FOOD_TRUCK,
        [
            (
                Said(
                    "Kan ik iets krijgen voor een foodtruck",
                    "ask_loan_terms",
                    0.31,
                    "nl",
                ),
                ["Qredits leent tot 250.000 euro."],
            ),
            (Said('/feedback{"helpful": "no"}', "feedback", 1.0, "nl", NO), ["Sorry."]),
            (
                Said(
                    "een lening om een foodtruck te kopen", "ask_microloan", 0.9, "nl"
                ),
                ["Qredits leent tot 250.000 euro."],
            ),
        ],
    ),
    Conversation(
        RATE,
        [
            (
                Said("hoeveel rente vraagt Qredits", "ask_loan_terms", 0.93, "nl"),
                ["Qredits..."],
            ),
            (Said('/feedback{"helpful": "yes"}', "feedback", 1.0, "nl", YES), ["Dank"]),
        ],
    ),
    Conversation(
        BRUSSELS,
        [
            (
                Said(
                    "un camion pizza, appelez-moi au 0470 12 34 56",
                    "nlu_fallback",
                    0.2,
                    "fr",
                ),
                ["Je n'ai pas compris."],
            )
        ],
    ),
]
ROUTES = {
    FOOD_TRUCK: ("nl", "loan_terms", ["qredits"]),
    RATE: ("nl", "loan_terms", ["qredits"]),
    BRUSSELS: ("fr", "microloan", ["microstart"]),
}
ACCOUNTS = {
    "reviewer@qredits.nl": ("reviewer", "qredits"),
    "reviewer@microstart.be": ("reviewer", "microstart"),
    "admin@example.org": ("admin", None),
}


@pytest.fixture
async def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sa.engine.Engine:
    path = tmp_path / "assistant.db"
    url = f"sqlite:///{path}"
    monkeypatch.setattr(settings, "DATABASE_URL", url)
    engine = engine_for(url)
    for conversation in CONVERSATIONS:  # routed (now) before the user says it helped
        conversation.start = time.time() + 1
    with Session(engine) as session:
        for conversation_id, (language, topic, partners) in ROUTES.items():
            record_routes(session, conversation_id, language, topic, partners)
    await save_conversations(path, CONVERSATIONS)
    with Session(engine) as session, session.begin():
        for email, (role, organisation) in ACCOUNTS.items():
            create_account(session, email, organisation, "Staff", PASSWORD, role=role)
    return engine


@pytest.fixture
async def client(engine: sa.engine.Engine) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app())) as test_client:
        yield test_client


async def page(client: TestClient, path: str, status: int = 200) -> str:
    response = await client.get(path, allow_redirects=False)
    assert response.status == status, await response.text()
    return html_text.unescape(await response.text())


def rows(html: str) -> list[str]:
    return html.split('<tr class="candidate">')[1:]


async def label(client: TestClient, csrf: str, text: str, **fields: str) -> int:
    response = await client.post(
        "/staff/review",
        data={"csrf": csrf, "text": text, **fields},
        allow_redirects=False,
    )
    return response.status


async def test_a_reviewer_sees_what_to_review_of_their_partner_only(
    client: TestClient,
) -> None:
    await log_in(client, "reviewer@qredits.nl")
    html = await page(client, "/staff/review")
    found = rows(html)
    texts = [row.split("<br>")[0].lower() for row in found]
    # Newest first: what the user was looking for after "no", then the message
    # answered with low confidence (also the one before the "no").
    assert "een lening om een foodtruck te kopen" in texts[0]
    assert "what the user was looking for" in found[0]
    assert "kan ik iets krijgen voor een foodtruck" in texts[1]
    assert "understood with low confidence" in found[1]
    assert "before a “not what I was looking for”" in found[1]
    assert "camion" not in html  # microStart's
    assert "hoeveel rente" not in html  # understood, and it helped
    await log_in(client, "reviewer@microstart.be")
    html = await page(client, "/staff/review")
    [row] = rows(html)
    assert "un camion pizza, appelez-moi au [phone]" in row and "0470" not in html
    assert "not understood" in row


async def test_a_label_names_who_and_when_and_stays_with_the_partner(
    client: TestClient, engine: sa.engine.Engine
) -> None:
    csrf = await log_in(client, "reviewer@qredits.nl")
    text = "kan ik iets krijgen voor een foodtruck"
    assert await label(client, csrf, text, kind="intent", intent="ask_microloan") == 303
    html = await page(client, "/staff/review")
    row = next(r for r in rows(html) if text in r.lower())
    assert "It means: <code>ask_microloan</code> · reviewer@qredits.nl" in row
    with Session(engine) as session:
        [stored] = session.scalars(sa.select(ReviewLabel)).all()
        assert (stored.organisation_id, stored.language) == ("qredits", "nl")
        assert stored.conversation_id == FOOD_TRUCK and stored.labelled_at
    # Labelled again: replaced, not added.
    assert (
        await label(client, csrf, text, kind="intent", intent="ask_loan_terms") == 303
    )
    with Session(engine) as session:
        assert session.scalars(sa.select(ReviewLabel.intent)).all() == [
            "ask_loan_terms"
        ]


async def test_a_reviewer_cannot_label_another_partners_message(
    client: TestClient,
) -> None:
    csrf = await log_in(client, "reviewer@qredits.nl")
    text = "un camion pizza, appelez-moi au [phone]"
    assert await label(client, csrf, text, kind="not_for_us") == 404
    assert await label(client, "forged", "x", kind="not_for_us") == 403


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"kind": "intent", "intent": "drop_table"}, "Choose the intent"),
        ({"kind": "maybe"}, "Choose what the message is."),
        ({"kind": "wrong_answer"}, "Say what was wrong in the answer."),
        ({"kind": "new_topic", "language": "xx"}, "Choose the language"),
    ],
)
async def test_a_label_that_cannot_be_stored_is_said_plainly(
    client: TestClient, engine: sa.engine.Engine, fields: dict, message: str
) -> None:
    csrf = await log_in(client, "reviewer@qredits.nl")
    response = await client.post(
        "/staff/review",
        data={"csrf": csrf, "text": "een lening om een foodtruck te kopen", **fields},
    )
    assert response.status == 400 and message in await response.text()
    with Session(engine) as session:
        assert session.scalar(sa.select(sa.func.count(ReviewLabel.id))) == 0


async def test_a_wrong_answer_reaches_the_administrator_as_a_content_report(
    client: TestClient,
) -> None:
    csrf = await log_in(client, "reviewer@qredits.nl")
    text = "kan ik iets krijgen voor een foodtruck"
    note = "Qredits' rate was not given: the sentence about interest is missing"
    assert await label(client, csrf, text, kind="wrong_answer", note=note) == 303
    await page(client, "/staff/sources", status=403)
    await log_in(client, "admin@example.org")
    html = await page(client, "/staff/sources")
    report = html.split('id="reports"')[1]
    assert text in report and note in report and "reviewer@qredits.nl" in report
    assert "Qredits leent tot 250.000 euro." in report  # the answer reported


async def test_insight_shows_whether_answers_helped_and_unanswered_per_week(
    client: TestClient,
) -> None:
    await log_in(client, "reviewer@qredits.nl")
    html = await page(client, "/staff/insight")
    helped = html.split('id="helped-title"')[1].split("Not answered, per week")[0]
    topic = helped.split("<caption>Per topic</caption>")[1].split("</table>")[0]
    # One "this helped", one "not what I was looking for", both about loan terms.
    assert "Loan terms" in topic
    assert "<td>1</td><td>1</td><td>50%</td>" in topic
    partner = helped.split("<caption>Per partner</caption>")[1].split("</table>")[0]
    assert "Qredits" in partner and "microStart" not in partner
    weeks = html.split('id="unanswered-weeks"')[1].split("</table>")[0]
    assert "<td>2</td><td>0</td>" in weeks  # Qredits: two conversations, all answered
    await log_in(client, "reviewer@microstart.be")
    html = await page(client, "/staff/insight")
    assert 'id="helped-none"' in html
    weeks = html.split('id="unanswered-weeks"')[1].split("</table>")[0]
    assert "<td>1</td><td>1</td><td>100%</td>" in weeks


async def test_labels_are_erased_with_their_conversation(
    client: TestClient, engine: sa.engine.Engine
) -> None:
    csrf = await log_in(client, "reviewer@qredits.nl")
    assert (
        await label(
            client, csrf, "een lening om een foodtruck te kopen", kind="new_topic"
        )
        == 303
    )
    with Session(engine) as session, session.begin():
        forget_conversation(session, FOOD_TRUCK)
    with Session(engine) as session:
        assert session.scalar(sa.select(sa.func.count(ReviewLabel.id))) == 0
