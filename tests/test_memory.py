"""What the assistant reads about the user from any message, in every language."""

from __future__ import annotations

import pytest

from actions.cues import shipped_cues
from actions.memory import asked_details, continues, named_subjects, read_message
from bot.knowledge.loading import load_knowledge
from bot.knowledge.places import PlaceResolver


@pytest.fixture(scope="module")
def places() -> PlaceResolver:
    return PlaceResolver(load_knowledge())


@pytest.mark.parametrize(
    ("text", "language", "lives", "comes_from"),
    [
        ("ciao, abito a Milano", "it", "milan", None),
        ("hej jag bor i Vanda", "sv", "vantaa", None),
        ("Liège'de yaşıyorum", "tr", "liege", None),
        ("I'm a dentist from Egypt living in Espoo", "en", "espoo", "egypt"),
        (
            "Good morning. I moved to Tilburg last year from Syria",
            "en",
            "tilburg",
            "syria",
        ),
        ("I am from Italy but I live in Ghent", "en", "ghent", "IT"),
        ("I lived in Lyon, now in Liège", "en", "liege", None),
        ("je viens d'Italie mais j'habite à Gand", "fr", "ghent", "IT"),
        ("ik kom uit Syrië en woon nu in Rotterdam", "nl", "rotterdam", "syria"),
        ("Я из Италии, живу в Генте", "ru", "ghent", "IT"),
        ("Я з України, живу у Вантаа", "uk", "vantaa", "ukraine"),
        ("أنا من سوريا وأعيش في بروكسل", "ar", "brussels", "syria"),
        ("Suriye'den geldim, Rotterdam'da yaşıyorum", "tr", "rotterdam", "syria"),
        ("Olen kotoisin Syyriasta ja asun Espoossa", "fi", "espoo", "syria"),
        ("Tilburg, Netherlands", "en", "tilburg", None),
        ("soy de Venezuela y vivo en Amberes", "es", "antwerp", "venezuela"),
        ("sou do Brasil, moro em Bruxelas", "pt", "brussels", "brazil"),
        ("moro em Haia", "pt", "the-hague", None),
        ("sunt din Moldova si locuiesc la Torino", "ro", "turin", "moldova"),
        ("jestem z Polski, mieszkam w Brukseli", "pl", "brussels", "poland"),
        ("jam nga Kosova dhe jetoj ne Bruksel", "sq", "brussels", "kosovo"),
        (
            "Soomaaliya ayaan ka imid, Rotterdam ayaan ku noolahay",
            "so",
            "rotterdam",
            "somalia",
        ),
        (
            "من اهل افغانستان هستم و در لاهه زندگی میکنم",
            "fa",
            "the-hague",
            "afghanistan",
        ),
        ("salam man dar Gent zendegi mikonam", "fa", "ghent", None),
        ("ካብ ኤርትራ እየ ሕጂ ኣብ ኣምስተርዳም እየ ዝነብር", "ti", "amsterdam", "eritrea"),
        # the verb after the place says the user lived there before
        ("قبلا در آنتورپ زندگی می‌کردم، الان در گنت زندگی می‌کنم", "fa", "ghent", None),
        ("ኣብ ሊብያ ነይረ ሕጂ ኣብ ቫንታ እየ ዝነብር", "ti", "vantaa", None),
    ],
)
def test_where_the_user_lives_is_kept_apart_from_where_they_come_from(
    places: PlaceResolver, text: str, language: str, lives: str, comes_from: str | None
) -> None:
    told = read_message(text, [language], places, shipped_cues())
    assert told.residence is not None and told.residence.place.id == lives
    assert (told.origin.place.id if told.origin else None) == comes_from


@pytest.mark.parametrize(
    ("text", "language"),
    [("I'm from Syria", "en"), ("من سوريا", "ar"), ("з України", "uk")],
)
def test_a_country_of_origin_alone_is_not_a_residence(
    places: PlaceResolver, text: str, language: str
) -> None:
    told = read_message(text, [language], places, shipped_cues())
    assert told.residence is None and told.origin is not None


def test_a_place_we_do_not_serve_is_still_where_the_user_lives(
    places: PlaceResolver,
) -> None:
    told = read_message("I live in Madrid", ["en"], places, shipped_cues())
    assert told.residence is not None and told.residence.place.kind == "elsewhere"


@pytest.mark.parametrize(
    ("text", "language", "detail"),
    [
        ("what is the maximum I can borrow?", "en", "maximum"),
        ("what is the minimum I can borrow?", "en", "minimum"),
        ("how much is the interest?", "en", "interest"),
        ("do I need a business plan?", "en", "business_plan"),
        ("is recognition free for refugees?", "en", "refugees"),
        ("how long does the recognition take?", "en", "time"),
        ("quanto posso chiedere al massimo?", "it", "maximum"),
        ("c'est quoi le taux d'intérêt ?", "fr", "interest"),
        ("hoeveel kost het?", "nl", "cost"),
    ],
)
def test_the_detail_a_question_asks(text: str, language: str, detail: str) -> None:
    assert detail in asked_details(text, [language], shipped_cues())


def test_an_elliptic_question_names_no_subject_and_continues() -> None:
    cues = shipped_cues()
    assert named_subjects("and how much does it cost?", ["en"], cues) == []
    assert continues("and how much does it cost?", ["en"], cues)
    assert named_subjects("how much does recognition cost?", ["en"], cues) == [
        "recognition"
    ]


def test_every_launch_language_has_cues() -> None:
    from bot.languages import SUPPORTED_LANGUAGES

    cues = shipped_cues()
    assert sorted(cues) == sorted(SUPPORTED_LANGUAGES)
    assert all(len(c.details) >= 10 and c.subjects for c in cues.values())


@pytest.mark.parametrize(
    ("text", "language", "code"),
    [
        ("can we switch to french pls, my english is not so good", "en", "fr"),
        ("Можете далі писати російською? Чоловік українську гірше розуміє", "uk", "ru"),
        ("mag het verder in het Frans aub?", "nl", "fr"),
        ("بالعربية من فضلك", "ar", "ar"),
        ("fransizca yazar misin", "tr", "fr"),
        ("in German please", "en", None),
        ("¿puedes escribir en español?", "es", "es"),
        ("به فارسی بنویس لطفا", "fa", "fa"),
    ],
)
def test_the_first_language_a_message_names(
    text: str, language: str, code: str | None
) -> None:
    from bot.nlu.detection import named_language

    assert named_language(text) == code


@pytest.mark.parametrize(
    ("text", "intent", "known", "answering", "replaced"),
    [
        ("I live in Madrid", "inform_location", None, False, True),
        (
            "my diploma from Kinshasa, how do I get it recognised?",
            "x",
            None,
            False,
            False,
        ),
        (
            "I studied in Kinshasa, how do I get my diploma recognised?",
            "x",
            None,
            False,
            False,
        ),
        (
            "Londen. Ben vorig jaar vanuit Lagos daarheen verhuisd",
            "x",
            None,
            True,
            True,
        ),
        ("can my degree count in Belgium?", "x", "antwerp", False, False),
        ("sorry, I meant Espoo", "x", "vantaa", False, True),
        ("I moved to Ghent now", "x", "rotterdam", False, True),
        (
            "o wacht sorry, k ben vorige maand naar Mechelen verhuisd, vergeten",
            "nlu_fallback",
            "tilburg",
            False,
            True,
        ),
        (
            "sorry, I meant Turin, Italy! my sister is the one in Vantaa lol",
            "x",
            "vantaa",
            False,
            True,
        ),
        (
            "ho il diploma di geometra preso a Tirana, a chi mi rivolgo?",
            "nlu_fallback",
            "turin",
            False,
            False,
        ),
        # someone who lives abroad asks about their country: it is where they are
        (
            "so you have nobody at all in Spain for somebody like me?",
            "deny",
            "madrid",
            False,
            True,
        ),
    ],
)
def test_a_place_in_passing_does_not_replace_where_the_user_lives(
    places: PlaceResolver,
    text: str,
    intent: str,
    known: str | None,
    answering: bool,
    replaced: bool,
) -> None:
    from actions.memory import replaces

    language = {"L": "nl", "o": "nl", "h": "it"}.get(text[0], "en")
    told = read_message(text, [language], places, shipped_cues())
    place = places.places.get(known) if known else None
    abroad = known is not None and place is None  # a place we do not serve
    assert replaces(told, place, intent, text, answering, abroad) == replaced


@pytest.mark.parametrize(
    ("greeting", "language"),
    [
        ("Merhaba!", "tr"),
        ("Hoi", "nl"),
        ("Moi", "fi"),
        ("Привіт", "uk"),
        ("مرحبا", "ar"),
        ("hi", None),
        ("ok", None),
    ],
)
async def test_a_greeting_of_one_language_sets_the_reply_language(
    greeting: str, language: str | None
) -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from actions.language import ValidateSlotMappings
    from tests.conftest import make_tracker

    tracker = make_tracker(text=greeting, intent="greet")
    domain = {"slots": {"language": {"type": "text", "mappings": [{"type": "custom"}]}}}
    events = await ValidateSlotMappings().run(CollectingDispatcher(), tracker, domain)
    chosen = {e["name"]: e["value"] for e in events}["language"]
    assert chosen == (language or "en")
