"""Rasa NLU component: tags each message with the language it is written in.

Two opinions are combined. lingua (a general language identifier whose models ship in
its wheel) knows many languages, including those we do not speak. A small classifier
trained here on our own NLU examples (labelled by the ``language`` metadata of each
intent block) knows how our users write: Latin-script Arabic, transliterated Russian,
Finnish without ä and ö. The guess goes into the parsed message as ``language`` (read
by ``action_validate_slot_mappings``). Both read only the part of the text written in
a language: e-mail and web addresses and numbers are left out (``language_part``).
It runs before the intent classifier (a message featurizer in Rasa's terms): text
without letters, or clearly written in a language we do not speak, gets no intent
from the classifier (it has never seen such text, so its guess would be noise), and
the ``FallbackClassifier`` makes it ``nlu_fallback``. Its thresholds are its settings
in ``config.yml`` (``Thresholds``).
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression

from bot.nlu.detection import (
    DEFAULT_THRESHOLDS,
    LanguageGuess,
    Thresholds,
    combine_guesses,
    count_letters,
    guess_language,
    language_part,
    load_language_models,
)
from bot.settings import ROOT

logger = logging.getLogger(__name__)

LANGUAGE_KEY = "language"
# Messages in languages we do not speak that lingua does not know either (Amharic,
# written in the Ge'ez script like Tigrinya): ``<code>.txt``, one message a line
# ("#" begins a comment line).
OTHER_LANGUAGES_DIR = "data/languages"
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


def other_language_samples(directory: Path) -> list[tuple[str, str]]:
    """(message, code) of the languages we only recognise, from ``directory``."""
    samples = []
    for path in sorted(directory.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        samples += [
            (line.strip(), path.stem)
            for line in lines
            if line.strip() and not line.startswith("#")
        ]
    return samples


def has_no_language_of_ours(message: Message) -> bool:
    """Whether the identifier found no letters, or a language we do not speak."""
    guess = message.get(LANGUAGE_KEY) or {}
    unreadable = guess.get("code") is None
    return bool(guess) and (
        unreadable or (guess["reliable"] and not guess["supported"])
    )


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class LanguageIdentifier(GraphComponent):
    """Adds the message's language, which the intent classifier reads next."""

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        languages: list[str] | None = None,
        weights: np.ndarray | None = None,
        bias: np.ndarray | None = None,
    ) -> None:
        self.limits = Thresholds(
            **{k: v for k, v in config.items() if k in Thresholds.__dataclass_fields__}
        )
        # relative to the project, wherever Rasa runs from
        self.other_languages = ROOT / config.get("other_languages", OTHER_LANGUAGES_DIR)
        self._model_storage = model_storage
        self._resource = resource
        self.languages = languages or []
        self.weights = weights
        self.bias = bias

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The thresholds of ``Thresholds``, each settable in config.yml."""
        return {**asdict(DEFAULT_THRESHOLDS), "other_languages": OTHER_LANGUAGES_DIR}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageIdentifier:
        """Creates an untrained component (see ``GraphComponent``)."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Learns how each of our languages is written from the NLU examples."""
        labelled = [
            (language_part(message.get(TEXT)), example_language(message))
            for message in training_data.intent_examples
            if example_language(message)
        ]
        labelled += other_language_samples(self.other_languages)
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
                    config,
                    model_storage,
                    resource,
                    languages=[str(code) for code in stored["languages"]],
                    weights=np.asfortranarray(stored["weights"]),
                    bias=stored["bias"],
                )
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)

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
        general = guess_language(text, self.limits)
        return combine_guesses(text, general, self.domain_guess(text), self.limits)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples keep their labelled language (their block's metadata)."""
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Tags every message with its language guess."""
        for message in messages:
            guess = self.guess(message.get(TEXT) or "")
            message.set(LANGUAGE_KEY, guess.as_dict(), add_to_output=True)
        return messages
