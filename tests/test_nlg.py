from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.i18n import translate
from bot.nlg import domain_responses
from bot.server import create_app


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app())) as test_client:
        yield test_client


def nlg_request(response: str, language: str | None, **arguments: object) -> dict:
    return {
        "response": response,
        "arguments": arguments,
        "tracker": {"sender_id": "u1", "slots": {"language": language}},
        "channel": {"name": "rest"},
    }


async def test_reply_comes_in_the_conversation_language(client: TestClient) -> None:
    reply = await client.post("/nlg", json=nlg_request("utter_greet", "fr"))
    assert reply.status == 200
    body = await reply.json()
    english = domain_responses()["utter_greet"][0]
    assert body["text"] == translate(english["text"], "fr") != english["text"]
    assert [b["title"] for b in body["buttons"]] == [
        translate(b["title"], "fr") for b in english["buttons"]
    ]
    assert [b["payload"] for b in body["buttons"]] == [
        b["payload"] for b in english["buttons"]
    ]


async def test_reply_without_a_language_is_english(client: TestClient) -> None:
    body = await (
        await client.post("/nlg", json=nlg_request("utter_goodbye", None))
    ).json()
    assert body["text"] == domain_responses()["utter_goodbye"][0]["text"]


async def test_arguments_fill_placeholders(client: TestClient) -> None:
    request = nlg_request("utter_unsupported_language", "nl", language_list="A, B")
    body = await (await client.post("/nlg", json=request)).json()
    assert "A, B" in body["text"] and "{language_list}" not in body["text"]


@pytest.mark.parametrize(
    "payload, status",
    [
        ("not json", 400),
        ('{"arguments": {}}', 400),
        ('{"response": "utter_nope"}', 404),
    ],
)
async def test_bad_requests_get_a_clear_error(
    client: TestClient, payload: str, status: int
) -> None:
    reply = await client.post("/nlg", data=payload)
    assert reply.status == status


async def test_health(client: TestClient) -> None:
    assert (await client.get("/health")).status == 200
