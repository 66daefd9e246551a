"""Rasa's replies in the user's language: domain responses translated in Rasa's process.

``endpoints.yml`` names ``TranslatingGenerator`` as Rasa's NLG. It chooses a response
variation as Rasa's own templated generator does (at random, filtered by channel and
condition), then translates its text and buttons with the gettext catalogs and fills
the placeholders with the slots and arguments, formatted for the locale. No tracker
leaves the process, so a long conversation costs nothing more per reply.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

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


def translated(
    variation: dict[str, Any], arguments: dict[str, Any], slots: dict[str, Any]
) -> dict[str, Any]:
    """A response variation as the bot message Rasa sends, in the user's language."""
    language = reply_language(arguments, slots)
    values = {"retention_days": settings.RETENTION_DAYS, **slots, **arguments}
    message = copy.deepcopy(variation)
    message.pop("condition", None)
    message.pop("channel", None)
    if isinstance(message.get("text"), str):
        message["text"] = render(message["text"], language, values)
    message["buttons"] = [
        {**button, "title": render(button["title"], language, values)}
        for button in message.get("buttons", [])
    ]
    return message


class TranslatingGenerator(TemplatedNaturalLanguageGenerator):
    """Rasa's templated NLG, every reply translated (endpoints.yml ``nlg: type:``)."""

    def __init__(self, endpoint_config: EndpointConfig, domain: Domain) -> None:
        """Rasa passes the endpoint's configuration and the model's domain."""
        super().__init__(domain.responses)

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        """The reply for ``utter_action``, or None for a response the domain lacks."""
        slots = tracker.current_slot_values()
        variation = self._random_response_for(utter_action, output_channel, slots)
        if variation is None:
            return None
        return translated(variation, kwargs, slots)
