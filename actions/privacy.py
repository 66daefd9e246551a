"""The user's right to erase: their referrals now, their conversation for good.

Rasa saves the turn's events after the action returns, so the conversation itself is
erased by our tracker store (``bot.db.tracker_store``) when Rasa saves this turn,
however late, or else by the web app's erasure worker (``bot.db.erasure``). The
erasure is kept (``ErasedConversation``: the conversation id and the time of the
user's "yes", nothing personal) for the retention period, so that no later save
brings it back; what the user writes afterwards is a new conversation.
"""

from __future__ import annotations

import time

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from bot import settings
from bot.db.tables import engine_for, forget_conversation, record_erasure


def asked_at(tracker: Tracker) -> float:
    """When the user asked: the time of their latest message.

    That is Rasa's clock, the one of the events it stores; now if the tracker does
    not say.
    """
    for event in reversed(tracker.events):
        timestamp = event.get("timestamp")
        if event.get("event") == "user" and isinstance(timestamp, (int, float)):
            return float(timestamp)
    return time.time()


class ActionDeleteMyData(Action):
    """Deletes the user's referrals and has their conversation erased."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Erases, then says so (the reply is the conversation's last message)."""
        with Session(engine_for(settings.DATABASE_URL)) as session, session.begin():
            forget_conversation(session, tracker.sender_id)
            record_erasure(session, tracker.sender_id, asked_at(tracker))
        dispatcher.utter_message(response="utter_data_deleted")
        return []
