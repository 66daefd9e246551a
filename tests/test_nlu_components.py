"""Our two trainable NLU components: train, store, load again, and predict."""

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_classifier import TextIntentClassifier
from bot.nlu.language_identifier import LanguageIdentifier
from bot.nlu.text import normalise_text

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


def test_language_identifier_learns_our_languages(
    storage: LocalModelStorage, tmp_path: Path
):
    resource = Resource("languages")
    config = {"other_languages": str(tmp_path / "none")}
    trained = LanguageIdentifier.create(config, storage, resource, context())
    trained.train(training_data())
    loaded = LanguageIdentifier.load(config, storage, resource, context())
    assert loaded.languages == ["en", "fr"]
    guesses = loaded.domain_guess("bonjour, je veux un crédit")
    assert guesses["fr"] > guesses["en"]


TIGRINYA = ["ሰላም ከመይ ኣለኹም", "ልቓሕ ደልየ ኣለኹ", "ኣብ ብራስልስ እየ ዝነብር", "እንታይ ክገብር ኣለኒ"]
AMHARIC = ["ሰላም እንዴት ናችሁ", "ብድር እፈልጋለሁ", "ብራስልስ ነው የምኖረው", "ምን ማድረግ አለብኝ"]


def test_language_identifier_learns_languages_we_only_recognise(
    storage: LocalModelStorage, tmp_path: Path
):
    # Amharic shares Tigrinya's script and lingua knows neither: our identifier
    # learns it from its own file, so that it is not taken for Tigrinya.
    (tmp_path / "am.txt").write_text("# a comment\n" + "\n".join(AMHARIC), "utf-8")
    data = TrainingData(
        training_data().training_examples
        + [
            Message.build(text, "greet", intent_metadata={"language": "ti"})
            for text in TIGRINYA
        ]
    )
    config = {"other_languages": str(tmp_path)}
    resource = Resource("languages")
    LanguageIdentifier.create(config, storage, resource, context()).train(data)
    loaded = LanguageIdentifier.load(config, storage, resource, context())
    assert loaded.languages == ["am", "en", "fr", "ti"]
    amharic = loaded.domain_guess("ምን እፈልጋለሁ እንዴት")
    tigrinya = loaded.domain_guess("እንታይ ደልየ ከመይ")
    assert amharic["am"] > amharic["ti"] and tigrinya["ti"] > tigrinya["am"]


def _pipeline(storage: LocalModelStorage, **settings: object) -> list:
    """Our identifier, our classifier and Rasa's fallback, trained, in config order."""
    identifier = LanguageIdentifier.create(
        {**LanguageIdentifier.get_default_config(), **settings},
        storage,
        Resource("l"),
        context(),
    )
    config = TextIntentClassifier.get_default_config()
    classifier = TextIntentClassifier.create(config, storage, Resource("i"), context())
    classifier.train(training_data())
    fallback = FallbackClassifier.create(
        {**FallbackClassifier.get_default_config(), "threshold": 0.3},
        storage,
        Resource("f"),
        context(),
    )
    return [identifier, classifier, fallback]


def _parse(components: list, *texts: str) -> list[Message]:
    messages = [Message.build(text) for text in texts]
    for component in components:
        messages = component.process(messages)
    return messages


def test_foreign_and_unreadable_messages_go_to_the_fallback(storage: LocalModelStorage):
    german, emoji, french = _parse(
        _pipeline(storage),
        "Guten Tag, ich brauche einen Kredit für mein Geschäft",
        "🙂🙂🙂",
        "Bonjour, je voudrais un microcrédit pour ma boutique",
    )
    assert german.get("intent")["name"] == "nlu_fallback"
    assert german.get("language")["code"] == "de"
    assert emoji.get("intent")["name"] == "nlu_fallback"
    for message in (german, emoji):
        names = [r["name"] for r in message.get("intent_ranking")]
        assert names.count("nlu_fallback") == 1
    assert french.get("intent")["name"] == "ask_microloan"
    assert french.get("language") == {
        **french.get("language"),
        "code": "fr",
        "supported": True,
        "reliable": True,
    }


def test_identifier_thresholds_are_its_settings(storage: LocalModelStorage):
    text = "Bonjour, je voudrais un microcrédit pour ma boutique"
    [default] = _parse(_pipeline(storage), text)
    [strict] = _parse(_pipeline(storage, min_letters=100), text)
    assert default.get("language")["reliable"] is True
    assert strict.get("language")["reliable"] is False


@pytest.mark.parametrize(
    "text, normalised",
    [("أريد قرضاً", "اريد قرضا"), ("مدرسة", "مدرسه"), ("Heeeello", "heello")],
)
def test_normalising_text(text: str, normalised: str) -> None:
    assert normalise_text(text) == normalised
