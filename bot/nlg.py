"""Rasa's NLG endpoint: renders a domain response in the conversation's language."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from bot import settings
from bot.i18n import render
from bot.languages import DEFAULT_LANGUAGE, normalise_language
from bot.settings import ROOT

DOMAIN_FILE = ROOT / "domain.yml"


@lru_cache(maxsize=1)
def domain_responses(path: Path = DOMAIN_FILE) -> dict[str, list[dict[str, Any]]]:
    """The response variations of the domain, by response name."""
    return yaml.safe_load(path.read_text(encoding="utf-8")).get("responses", {})


def reply_language(arguments: dict[str, Any], slots: dict[str, Any]) -> str:
    """An explicit ``language`` argument, else the conversation's language slot."""
    return (
        normalise_language(arguments.get("language"))
        or normalise_language(slots.get("language"))
        or DEFAULT_LANGUAGE
    )


def render_response(
    name: str, arguments: dict[str, Any], slots: dict[str, Any]
) -> dict[str, Any]:
    """The bot message for response ``name``, in the shape Rasa expects back."""
    variation = domain_responses()[name][0]
    language = reply_language(arguments, slots)
    values = {"retention_days": settings.RETENTION_DAYS, **slots, **arguments}
    buttons = [
        {
            "title": render(button["title"], language, values),
            "payload": button["payload"],
        }
        for button in variation.get("buttons", [])
    ]
    return {
        "text": render(variation["text"], language, values),
        "buttons": buttons,
        "image": None,
        "elements": [],
        "attachments": [],
        "custom": {},
    }


async def handle_nlg(request: web.Request) -> web.Response:
    """POST /nlg: ``{"response": name, "arguments": {...}, "tracker": {...}}``."""
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="The body must be JSON.") from None
    if not isinstance(body, dict) or not isinstance(body.get("response"), str):
        raise web.HTTPBadRequest(text="The body must name a 'response'.")
    if body["response"] not in domain_responses():
        raise web.HTTPNotFound(text=f"No response named {body['response']!r}.")
    tracker = body.get("tracker") if isinstance(body.get("tracker"), dict) else {}
    arguments = body.get("arguments") if isinstance(body.get("arguments"), dict) else {}
    slots = tracker.get("slots") if isinstance(tracker.get("slots"), dict) else {}
    return web.json_response(render_response(body["response"], arguments, slots))
