"""What the user says of an answer: "This helped" or "Not what I was looking for".

The buttons under a topic answer send ``/feedback{"helpful": "yes"}`` (or "no"): the
choice is a user event of the conversation, read by the portal's insight and review
queue and erased with the conversation. After "no", whatever the user writes next is
what they were looking for: it is answered as any message, and shown to reviewers.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict


class ActionFeedback(Action):
    """Thanks the user; after "no", asks what they were looking for."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """One reply; the choice itself is already in the conversation."""
        helpful = next(tracker.get_latest_entity_values("helpful"), None)
        dispatcher.utter_message(
            response="utter_feedback_sorry"
            if helpful == "no"
            else "utter_feedback_thanks"
        )
        return []
