"""The user's right to erase: their referrals now, their conversation after this turn.

Rasa saves the turn's events after the action returns, so the conversation itself is
erased by the web app's erasure worker (``bot.privacy``) once the turn is saved; the
request row holds nothing but the conversation id and is deleted with it.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from bot import settings
from bot.records import ErasureRequest, engine_for, forget_conversation


class ActionDeleteMyData(Action):
    """Deletes the user's referrals and asks for their conversation to be erased."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Erases, then says so (the reply is the conversation's last message)."""
        with Session(engine_for(settings.DATABASE_URL)) as session, session.begin():
            forget_conversation(session, tracker.sender_id)
            if session.get(ErasureRequest, tracker.sender_id) is None:
                session.add(ErasureRequest(conversation_id=tracker.sender_id))
        dispatcher.utter_message(response="utter_data_deleted")
        return []
