"""Rasa NLU component: tags each message with the language it is written in.

Two opinions are combined. lingua (a general language identifier whose models ship in
its wheel) knows many languages, including those we do not speak. A small classifier
trained here on our own NLU examples (labelled by the ``language`` metadata of each
intent block) knows how our users write: Latin-script Arabic, transliterated Russian,
Finnish without ä and ö. The guess goes into the parsed message as ``language`` (read
by ``action_validate_slot_mappings``). Both read only the part of the text written in
a language: e-mail and web addresses and numbers are left out (``language_part``).
Text without letters, or clearly written in a language we do not speak, becomes
``nlu_fallback``: the intent classifier has never seen such text, so its guess would
be noise.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression

from bot.languages import (
    LanguageGuess,
    combine_guesses,
    count_letters,
    guess_language,
    language_part,
    load_language_models,
)

logger = logging.getLogger(__name__)

LANGUAGE_KEY = "language"
_FEATURES = 2**16
_MODEL_FILE = "language_classifier.npz"


def _vectorizer() -> HashingVectorizer:
    # Stateless, so only the classifier's weights need storing.
    return HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(1, 4),
        n_features=_FEATURES,
        alternate_sign=False,
        lowercase=True,
        norm="l2",
    )


def example_language(message: Message) -> str | None:
    """The ``language`` metadata of a training example's intent block."""
    metadata = message.get("metadata") or {}
    return (metadata.get("intent") or {}).get(LANGUAGE_KEY)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LanguageIdentifier(GraphComponent):
    """Adds the message's language and sends unreadable input to the fallback."""

    def __init__(
        self,
        model_storage: ModelStorage,
        resource: Resource,
        languages: list[str] | None = None,
        weights: np.ndarray | None = None,
        bias: np.ndarray | None = None,
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.languages = languages or []
        self.weights = weights
        self.bias = bias

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageIdentifier:
        """Creates an untrained component (see ``GraphComponent``)."""
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Learns how each of our languages is written from the NLU examples."""
        labelled = [
            (language_part(message.get(TEXT)), example_language(message))
            for message in training_data.intent_examples
            if example_language(message)
        ]
        labelled = [
            (text, language) for text, language in labelled if count_letters(text)
        ]
        if len({language for _, language in labelled}) < 2:
            logger.warning("No language metadata in the NLU data: using lingua only.")
            return self._resource
        texts, labels = zip(*labelled)
        classifier = LogisticRegression(C=20.0, max_iter=2000)
        classifier.fit(_vectorizer().transform(texts), labels)
        self.languages = [str(code) for code in classifier.classes_]
        # Column-major, so that scoring with its transpose needs no copy.
        self.weights = np.asfortranarray(classifier.coef_, dtype=np.float32)
        self.bias = classifier.intercept_.astype(np.float32)
        with self._model_storage.write_to(self._resource) as directory:
            np.savez_compressed(
                directory / _MODEL_FILE,
                languages=np.array(self.languages),
                weights=self.weights,
                bias=self.bias,
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LanguageIdentifier:
        """Loads the trained classifier, if training produced one."""
        load_language_models()
        try:
            with model_storage.read_from(resource) as directory:
                stored = np.load(directory / _MODEL_FILE, allow_pickle=False)
                return cls(
                    model_storage,
                    resource,
                    languages=[str(code) for code in stored["languages"]],
                    weights=np.asfortranarray(stored["weights"]),
                    bias=stored["bias"],
                )
        except (ValueError, FileNotFoundError):
            return cls(model_storage, resource)

    def domain_guess(self, text: str) -> dict[str, float]:
        """Our classifier's probability for each of our languages."""
        if self.weights is None:
            return {}
        scores = (_vectorizer().transform([text]) @ self.weights.T + self.bias).ravel()
        if len(self.languages) == 2:  # a binary model scores the second class only
            scores = np.array([0.0, scores[0]])
        scores = np.exp(scores - scores.max())
        probabilities = (scores / scores.sum()).ravel()
        return dict(zip(self.languages, probabilities.tolist()))

    def guess(self, text: str) -> LanguageGuess:
        """The language of ``text``, from both opinions, without its addresses."""
        text = language_part(text)
        return combine_guesses(text, guess_language(text), self.domain_guess(text))

    def process(self, messages: list[Message]) -> list[Message]:
        """Tags every message with its language guess."""
        for message in messages:
            guess = self.guess(message.get(TEXT) or "")
            message.set(LANGUAGE_KEY, guess.as_dict(), add_to_output=True)
            unreadable = guess.code is None
            foreign = guess.reliable and not guess.supported
            if unreadable or foreign:
                # Like FallbackClassifier: the classifier's ranking stays behind it.
                fallback = {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": 1.0}
                ranking = message.get(INTENT_RANKING_KEY) or []
                message.set(INTENT, fallback, add_to_output=True)
                ranking = [fallback, *ranking]
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
