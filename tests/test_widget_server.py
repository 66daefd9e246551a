"""The web app serves the widget: one script, its texts per language, the demo page."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from bot.languages import SUPPORTED_LANGUAGES
from bot.web.app import create_app
from bot.web.widget import TEXTS, widget_settings


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app())) as test_client:
        yield test_client


async def test_one_script_carries_its_settings_and_is_gzipped(
    client: TestClient,
) -> None:
    response = await client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    body = await response.text()  # aiohttp decompresses
    assert body.startswith("window.__assistantSettings=")
    settings = json.loads(body.split("=", 1)[1].split(";\n", 1)[0])
    assert [language["code"] for language in settings["languages"]] == list(
        SUPPORTED_LANGUAGES
    )
    assert [
        language["code"] for language in settings["languages"] if language["rtl"]
    ] == ["ar", "fa"]
    assert settings["maxMessageChars"] == 2000


async def test_the_socket_io_client_is_served_from_the_project(
    client: TestClient,
) -> None:
    response = await client.get(
        "/vendor/socket.io/socket.io.min.js", headers={"Accept-Encoding": "identity"}
    )
    assert response.status == 200
    assert "Content-Encoding" not in response.headers
    assert "socket.io" in (await response.text())[:400].lower()


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_widget_texts_travel_with_the_script_in_every_language(
    language: str,
) -> None:
    texts = widget_settings()["texts"][language]
    assert set(texts) == set(TEXTS)
    assert "{limit}" not in texts["too_long"]


async def test_unknown_paths_are_not_found(client: TestClient) -> None:
    assert (await client.get("/widget/texts/fr.json")).status == 404


@pytest.mark.parametrize(
    "path",
    [
        "/static/../bot/settings.py",
        "/static/%2e%2e/bot/settings.py",
        "/static/..%2fbot%2fsettings.py",
        "/static/%2e%2e%2f%2e%2e%2fbot%2fsettings.py",
        "/static/widget.css/../../bot/settings.py",
    ],
)
async def test_the_static_files_do_not_reach_outside_their_folder(
    client: TestClient, path: str
) -> None:
    """Sent as written (the client would resolve "..") next to a real static file."""
    assert (await client.get("/static/widget.css")).status == 200
    response = await client.get(URL(path, encoded=True))
    assert response.status == 404
    assert "DATABASE_URL" not in await response.text()


async def test_the_demo_page_embeds_the_widget_with_one_script(
    client: TestClient,
) -> None:
    page = await (await client.get("/")).text()
    assert page.count('<script src="/widget.js"') == 1


def test_the_widget_script_is_small() -> None:
    from bot.web.widget import asset

    plain, compressed = asset("widget.js")
    assert len(gzip.decompress(compressed)) == len(plain)
    assert len(plain) < 60_000  # our own code, before compression


async def test_a_malformed_request_is_one_warning_line_not_a_traceback(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """aiohttp answers 400 but logged "Error handling request" and a traceback."""
    caplog.set_level(logging.WARNING, logger="aiohttp.server")
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(b"GARBAGE / HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    assert b" 400 " in await reader.readline()
    writer.close()
    [record] = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert (record.levelno, record.exc_info) == (logging.WARNING, None)
    assert record.getMessage().startswith("Refused a malformed HTTP request (400)")
    assert "\n" not in record.getMessage()


async def test_a_handlers_failure_keeps_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def fails(request: web.Request) -> web.Response:
        raise BadHttpMessage("a parser's error, raised in a handler")

    app = create_app()
    app.router.add_get("/fails", fails)
    caplog.set_level(logging.WARNING, logger="aiohttp.server")
    async with TestClient(TestServer(app)) as test_client:
        assert (await test_client.get("/fails")).status == 500
    [record] = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert record.levelno == logging.ERROR and record.exc_info
