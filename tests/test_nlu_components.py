"""Our two trainable NLU components: train, store, load again, and predict."""

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.intent_classifier import TextIntentClassifier
from bot.language_identifier import LanguageIdentifier
from bot.languages import normalise_text

EXAMPLES = {
    ("greet", "en"): ["hello", "hi there", "good morning", "hey, anyone here?"],
    ("greet", "fr"): ["bonjour", "salut", "bonsoir à vous", "coucou tout le monde"],
    ("ask_microloan", "en"): [
        "i need a loan for my shop",
        "can i borrow money for my business",
        "where do i get a small business loan",
        "microcredit for a food truck",
    ],
    ("ask_microloan", "fr"): [
        "je veux un prêt pour mon commerce",
        "un microcrédit pour ma boutique svp",
        "où emprunter de l'argent pour mon entreprise",
        "besoin d'un crédit pour lancer mon activité",
    ],
}


def training_data() -> TrainingData:
    return TrainingData(
        [
            Message.build(text, intent, intent_metadata={"language": language})
            for (intent, language), texts in EXAMPLES.items()
            for text in texts
        ]
    )


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def test_intent_classifier_survives_storing_and_loading(storage: LocalModelStorage):
    config = TextIntentClassifier.get_default_config()
    resource = Resource("intents")
    trained = TextIntentClassifier.create(config, storage, resource, context())
    trained.train(training_data())
    loaded = TextIntentClassifier.load(config, storage, resource, context())
    [message] = loaded.process([Message.build("je cherche un pret pour mon commerce")])
    assert message.get("intent")["name"] == "ask_microloan"
    ranking = message.get("intent_ranking")
    assert [r["name"] for r in ranking][0] == "ask_microloan"
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6


def test_language_identifier_learns_our_languages(storage: LocalModelStorage):
    resource = Resource("languages")
    trained = LanguageIdentifier.create({}, storage, resource, context())
    trained.train(training_data())
    loaded = LanguageIdentifier.load({}, storage, resource, context())
    assert loaded.languages == ["en", "fr"]
    guesses = loaded.domain_guess("bonjour, je veux un crédit")
    assert guesses["fr"] > guesses["en"]


def test_foreign_and_unreadable_messages_go_to_the_fallback(storage: LocalModelStorage):
    identifier = LanguageIdentifier.create({}, storage, Resource("l"), context())
    messages = [
        Message.build("Hola, quiero un préstamo para abrir mi negocio"),
        Message.build("🙂🙂🙂"),
        Message.build("Bonjour, je voudrais un microcrédit pour ma boutique"),
    ]
    for message in messages:
        message.set("intent", {"name": "greet", "confidence": 0.9})
        message.set("intent_ranking", [{"name": "greet", "confidence": 0.9}])
    spanish, emoji, french = identifier.process(messages)
    assert spanish.get("intent")["name"] == "nlu_fallback"
    assert spanish.get("language")["code"] == "es"
    assert emoji.get("intent")["name"] == "nlu_fallback"
    assert french.get("intent")["name"] == "greet"
    assert french.get("language") == {
        **french.get("language"),
        "code": "fr",
        "supported": True,
        "reliable": True,
    }


@pytest.mark.parametrize(
    "text, normalised",
    [("أريد قرضاً", "اريد قرضا"), ("مدرسة", "مدرسه"), ("Heeeello", "heello")],
)
def test_normalising_text(text: str, normalised: str) -> None:
    assert normalise_text(text) == normalised
