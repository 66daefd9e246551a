"""Rasa NLU component: one intent classifier for every language.

TF-IDF over words (1-2) and over character n-grams (1-5, within words, with and
without accents) feeds a logistic regression. Character n-grams carry misspellings,
missing accents and inflected forms (Vantaalla, Brükselde); one model for all
languages lets them share names and loanwords (microStart, NARIC, kredit). It trains
in a few minutes; DIET took about 45 s per epoch on five languages on our 2-core
machines.
The figures behind the choice are in README.md ("NLU design").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline, make_union

from bot.nlu.language_identifier import has_no_language_of_ours
from bot.nlu.text import normalise_text

_MODEL_FILE = "intent_classifier.skops"
# Types a stored model may contain; anything else is refused on load.
_TRUSTED_PREFIXES = (
    "sklearn.",
    "numpy.",
    "scipy.",
    "builtins.",
    "bot.nlu.text.normalise_text",
)


def _fast(model: Pipeline) -> Pipeline:
    """Stores the weights column-major, so scoring needs no copy of them.

    Scoring multiplies by their transpose, which scipy would otherwise copy (tens of
    MB) for every message.
    """
    classifier = model[-1]
    classifier.coef_ = np.asfortranarray(classifier.coef_)
    return model


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class TextIntentClassifier(GraphComponent, IntentClassifier):
    """Predicts the intent from the raw text with word and character n-grams."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Regularisation and ranking length (see ``GraphComponent``)."""
        return {"C": 10.0, "ranking_length": 10, "max_iter": 1000}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Pipeline | None = None,
    ) -> None:
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextIntentClassifier:
        """Creates an untrained classifier (see ``GraphComponent``)."""
        return cls(config, model_storage, resource)

    def _new_model(self) -> Pipeline:
        def tfidf(**options: Any) -> TfidfVectorizer:
            return TfidfVectorizer(
                sublinear_tf=True, preprocessor=normalise_text, **options
            )

        features = make_union(
            tfidf(ngram_range=(1, 2)),
            tfidf(analyzer="char_wb", ngram_range=(1, 5), min_df=2),
            # The same without accents: "reconnaitre" meets "reconnaître".
            tfidf(
                analyzer="char_wb",
                ngram_range=(2, 5),
                min_df=2,
                strip_accents="unicode",
            ),
        )
        classifier = LogisticRegression(
            C=self.config["C"], max_iter=self.config["max_iter"], random_state=42
        )
        return make_pipeline(features, classifier)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the model on every intent example and stores it."""
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        self.model = self._new_model()
        texts, intents = (
            [m.get(TEXT) for m in examples],
            [m.get(INTENT) for m in examples],
        )
        self.model.fit(texts, intents)
        self.model = _fast(self.model)
        with self._model_storage.write_to(self._resource) as directory:
            sio.dump(self.model, directory / _MODEL_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TextIntentClassifier:
        """Loads the stored model, refusing types that do not belong in it."""
        with model_storage.read_from(resource) as directory:
            path = directory / _MODEL_FILE
            types = sio.get_untrusted_types(file=path)
            unexpected = [t for t in types if not t.startswith(_TRUSTED_PREFIXES)]
            if unexpected:
                raise ValueError(f"Refusing to load {path}: it contains {unexpected}")
            return cls(
                config, model_storage, resource, _fast(sio.load(path, trusted=types))
            )

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets the intent and the ranking of the most likely intents."""
        if self.model is None:
            return messages
        texts = [message.get(TEXT) or "" for message in messages]
        intents = self.model.classes_
        for message, probabilities in zip(messages, self.model.predict_proba(texts)):
            if has_no_language_of_ours(message):
                # Never-seen text: no intent, so the FallbackClassifier answers it.
                probabilities = np.zeros_like(probabilities)
            ranking = sorted(
                (
                    {"name": str(name), "confidence": float(p)}
                    for name, p in zip(intents, probabilities)
                ),
                key=lambda entry: -entry["confidence"],
            )[: self.config["ranking_length"]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
