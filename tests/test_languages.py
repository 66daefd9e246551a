import pytest

from bot.languages import normalise_language
from bot.nlu.detection import (
    LanguageGuess,
    combine_guesses,
    conversation_language,
    guess_language,
    language_part,
    mentioned_language,
)
from bot.nlu.language_identifier import LanguageIdentifier

FRENCH = LanguageGuess(code="fr", confidence=0.9, reliable=True)
SHORT_ITALIAN = LanguageGuess(code="it", confidence=0.2, reliable=False)
GERMAN = LanguageGuess(code="de", confidence=0.85, reliable=True)
SHORT_FRENCH = LanguageGuess(code="fr", confidence=0.9, reliable=False)


@pytest.mark.parametrize(
    "case",
    [
        {"current": "nl", "explicit": "ar", "guess": FRENCH, "expected": "ar"},
        {"current": "nl", "explicit": None, "guess": FRENCH, "expected": "fr"},
        {"current": "nl", "explicit": None, "guess": SHORT_ITALIAN, "expected": "nl"},
        {"current": None, "explicit": None, "guess": SHORT_ITALIAN, "expected": "en"},
        {"current": "fr", "explicit": None, "guess": GERMAN, "expected": "fr"},
        {"current": None, "explicit": None, "guess": None, "expected": "en"},
        {"current": None, "explicit": None, "guess": SHORT_FRENCH, "expected": "fr"},
        {"current": "nl", "explicit": None, "guess": SHORT_FRENCH, "expected": "nl"},
        {"current": "fr", "explicit": "xx", "guess": None, "expected": "fr"},
    ],
)
def test_conversation_language_precedence(case: dict) -> None:
    language = conversation_language(case["current"], case["explicit"], case["guess"])
    assert language == case["expected"]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("fr", "fr"),
        ("fr-BE", "fr"),
        ("NL_be", "nl"),
        ("es", "es"),
        ("fa-AF", "fa"),
        ("de", None),
        (None, None),
        (3, None),
    ],
)
def test_normalise_language(value: object, expected: str | None) -> None:
    assert normalise_language(value) == expected


@pytest.mark.parametrize(
    "text, code",
    [
        ("Bonjour, je veux un microcrédit", "fr"),
        ("Hoi, ik zoek een cursus ondernemen", "nl"),
        ("How do I get my diploma recognised?", "en"),
        ("Мені потрібен кредит для бізнесу", "uk"),
        ("أريد قرضا صغيرا لمشروعي", "ar"),
    ],
)
def test_sentences_are_recognised_reliably(text: str, code: str) -> None:
    guess = guess_language(text)
    assert (guess.code, guess.reliable, guess.supported) == (code, True, True)


@pytest.mark.parametrize("text", ["ok", "hi", "merci", "👍👍", "   ", ""])
def test_short_or_letterless_text_is_not_reliable(text: str) -> None:
    assert not guess_language(text).reliable


def test_unsupported_language_is_recognised_as_such() -> None:
    guess = guess_language("Guten Tag, ich brauche einen Kredit für mein Geschäft")
    assert guess.code == "de"
    assert guess.reliable and not guess.supported


@pytest.mark.parametrize(
    "text, code",
    [
        ("Hola, quiero un préstamo para abrir mi negocio", "es"),
        ("Olá, quero um empréstimo para abrir o meu negócio", "pt"),
        ("Bună ziua, vreau un împrumut pentru afacerea mea", "ro"),
        ("Dzień dobry, potrzebuję pożyczki na firmę", "pl"),
        ("Përshëndetje, dua një kredi për biznesin tim", "sq"),
        ("Salaan, waxaan rabaa amaah yar oo ganacsi ah", "so"),
        ("سلام، من یک وام کوچک برای کسب و کارم میخواهم", "fa"),
        ("ሰላም፡ ንንግደይ ዝኸውን ንእሽቶ ልቓሕ ደልየ ኣለኹ", "ti"),
    ],
)
def test_the_eight_new_languages_are_ours(text: str, code: str) -> None:
    guess = guess_language(text)
    assert (guess.code, guess.reliable, guess.supported) == (code, True, True)


def test_amharic_is_told_from_tigrinya_by_our_classifier() -> None:
    # lingua knows no language written in Ge'ez script: it is Tigrinya unless our
    # own classifier, which has read Amharic, is sure it is Amharic.
    amharic = "ሰላም፣ ለንግዴ የሚሆን ትንሽ ብድር እፈልጋለሁ"
    general = guess_language(amharic)
    assert general.code == "ti"
    guess = combine_guesses(amharic, general, {"am": 0.93, "ti": 0.07})
    assert (guess.code, guess.reliable, guess.supported) == ("am", True, False)
    unsure = combine_guesses(amharic, general, {"am": 0.55, "ti": 0.45})
    assert unsure.code == "ti"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ሰላም፣ እንዴት ናችሁ? ብድር እፈልጋለሁ", "ti"),  # Amharic: our Ge'ez-script language
        ("سلام، چطوری؟ قرض می‌خوام", "fa"),  # Persian letters
        ("السلام عليكم أريد قرضا", "ar"),
        ("Здравствуйте, хочу кредит", "ru"),
        ("Guten Tag, ich möchte einen Kredit", "en"),
    ],
)
def test_a_language_we_do_not_speak_is_answered_in_its_script(
    text: str, expected: str
) -> None:
    foreign = LanguageGuess(code="am", confidence=0.9, reliable=True)
    assert conversation_language(None, None, foreign, text) == expected
    # a conversation that has a language keeps it
    assert conversation_language("fr", None, foreign, text) == "fr"


@pytest.mark.parametrize(
    "text, code",
    [
        ("can you speak Farsi?", "fa"),
        ("in Dari please", "fa"),
        ("به فارسی لطفاً", "fa"),
        ("በትግርኛ ጽሓፈለይ", "ti"),
        ("¿puedes hablar español?", "es"),
        ("po polsku proszę", "pl"),
        ("fale português por favor", "pt"),
        ("flisni shqip ju lutem", "sq"),
        ("ku hadal af soomaali", "so"),
        ("in romana te rog", "ro"),
        ("abito a Roma", None),  # Rome is no language, though Romanian begins so
    ],
)
def test_the_new_languages_are_named_as_people_name_them(
    text: str, code: str | None
) -> None:
    assert mentioned_language(text) == code


LONG_TEXT = "bghit nakhod credit l mashrou3 dyali"


@pytest.mark.parametrize(
    "case",
    [
        # Our classifier knows Latin-script Arabic; lingua guesses a wrong language.
        {
            "general": LanguageGuess("en", 0.3, False),
            "domain": {"ar": 0.95, "fr": 0.05},
            "expected": ("ar", True, True),
        },
        # lingua is sure it is German and our classifier does not recognise it.
        {
            "general": LanguageGuess("de", 0.9, True),
            "domain": {"nl": 0.6, "en": 0.4},
            "expected": ("de", True, False),
        },
        # lingua half-thinks Polish; our classifier is sure: transliterated Russian.
        {
            "general": LanguageGuess("pl", 0.75, True),
            "domain": {"ru": 0.9, "uk": 0.1},
            "expected": ("ru", True, True),
        },
        # Both unsure, lingua's language is one of ours: lingua stands.
        {
            "general": LanguageGuess("fr", 0.6, True),
            "domain": {"it": 0.5, "fr": 0.5},
            "expected": ("fr", True, True),
        },
        # Without our classifier, lingua alone decides.
        {
            "general": LanguageGuess("tr", 0.9, True),
            "domain": {},
            "expected": ("tr", True, True),
        },
    ],
)
def test_combining_the_two_opinions(case: dict) -> None:
    guess = combine_guesses(LONG_TEXT, case["general"], case["domain"])
    assert (guess.code, guess.reliable, guess.supported) == case["expected"]


def test_no_letters_stays_unreadable_whatever_the_classifier_says() -> None:
    unreadable = guess_language("🙂 123")
    assert combine_guesses("🙂 123", unreadable, {"en": 0.99}).code is None


def test_a_neighbouring_language_is_not_mistaken_for_ours() -> None:
    # Our classifier, knowing only our languages, calls German "Dutch"; lingua
    # is sure it is German and all but rules Dutch out.
    german = guess_language("Guten Tag, ich brauche einen Kredit für mein Geschäft")
    guess = combine_guesses("Guten Tag, ich brauche einen Kredit", german, {"nl": 0.96})
    assert (guess.code, guess.supported, guess.reliable) == ("de", False, True)


# What users type into the referral form: addresses, numbers, names. Each of these
# was once read as a sentence ("info@mybusiness.com" as English, "Mehmet Öztürk" as
# Turkish) and switched a French conversation to that language.
NO_LANGUAGE = [
    "john.smith@example.com",
    "info@mybusiness.com",
    "amina.khalil@gmail.com",
    "https://www.microstart.be/fr/contact",
    "www.qredits.nl",
    "microstart.be",
    "+32 470 12 34 56",
    "25000",
    "Giuseppe Esposito",
    "Mehmet Öztürk",
    "Matti Meikäläinen",
    "Marie-Claire Lefebvre",
    "Олександр Шевченко",
]


@pytest.mark.parametrize("text", NO_LANGUAGE)
def test_an_address_number_or_name_alone_does_not_tell_a_language(text: str) -> None:
    guess = LanguageIdentifier({}, None, None).guess(text)  # type: ignore[arg-type]
    assert not guess.reliable
    assert conversation_language("fr", None, guess) == "fr"


@pytest.mark.parametrize(
    "text, code",
    [
        ("mon adresse est jean.dupont@gmail.com, merci beaucoup", "fr"),
        ("ik ben bereikbaar op 06 12345678 of via www.qredits.nl", "nl"),
        ("Voglio Aprire Un Negozio A Torino", "it"),  # a sentence, capitalised
    ],
)
def test_the_words_around_an_address_still_tell_the_language(
    text: str, code: str
) -> None:
    guess = LanguageIdentifier({}, None, None).guess(text)  # type: ignore[arg-type]
    assert (guess.code, guess.reliable) == (code, True)


def test_addresses_and_numbers_are_left_out_of_the_text_read() -> None:
    text = "écrivez à jean.dupont@gmail.com ou au +32 470 12 34 56 ou www.x.be"
    assert language_part(text).split() == ["écrivez", "à", "ou", "au", "ou"]
