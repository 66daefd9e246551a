"""Rasa NLU component: tags each message with the language it is written in.

It runs after the intent classifiers. The guess goes into the parsed message as
``language`` (read by ``action_validate_slot_mappings``). Text without letters, or
text clearly written in a language we do not speak, becomes ``nlu_fallback``: the
intent classifier has never seen such text, so its guess would be noise.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.languages import guess_language

LANGUAGE_KEY = "language"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class LanguageIdentifier(GraphComponent):
    """Adds the message's language and sends unreadable input to the fallback."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageIdentifier:
        """Creates the component (see ``GraphComponent``)."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Tags every message with its language guess."""
        for message in messages:
            guess = guess_language(message.get(TEXT) or "")
            message.set(LANGUAGE_KEY, guess.as_dict(), add_to_output=True)
            unreadable = guess.code is None
            foreign = guess.reliable and not guess.supported
            if unreadable or foreign:
                fallback = {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": 1.0}
                message.set(INTENT, fallback, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [fallback], add_to_output=True)
        return messages
