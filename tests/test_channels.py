"""Replies reach the user only once their turn is over: what the user saw is stored."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage

from bot.channels.checks import SORRY, answered
from bot.i18n import render


class Recorded(OutputChannel):
    """An output channel that notes what reached the user, and when."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.log.append(f"user sees {message['text']}")


async def test_replies_wait_until_the_turn_is_stored() -> None:
    log: list[str] = []

    async def rasa(message: UserMessage) -> None:  # two replies, then the save
        await message.output_channel.send_response(message.sender_id, {"text": "1"})
        await asyncio.sleep(0)
        await message.output_channel.send_response(message.sender_id, {"text": "2"})
        log.append("stored")

    await answered(rasa, UserMessage("hi", Recorded(log), "user-1"))

    assert log == ["stored", "user sees 1", "user sees 2"]


async def test_a_turn_that_fails_after_a_reply_gets_the_apology_alone() -> None:
    log: list[str] = []

    async def rasa(message: UserMessage) -> None:
        await message.output_channel.send_response(message.sender_id, {"text": "1"})
        raise RuntimeError("the database went away before the save")

    message = UserMessage("hi", Recorded(log), "user-2", metadata={"language": "fr"})
    await answered(rasa, message)

    assert log == [f"user sees {render(SORRY, 'fr', {})}"]
