"""Sourced answers: every city, topic and language, and the action that routes them."""

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.answers import GENERAL_ANSWER, ActionAnswerTopic
from actions.feedback import ActionFeedback
from actions.language import ActionConfirmLanguage, ActionFallback, ActionPrivacy
from bot import settings
from bot.db.tables import Route, RoutedConversation, engine_for
from bot.i18n import format_day, render
from bot.knowledge.answers import UNCERTAIN, compose_answer, format_fact
from bot.knowledge.loading import load_knowledge
from bot.knowledge.storage import route_to_partners, store_knowledge
from bot.languages import RIGHT_TO_LEFT, SUPPORTED_LANGUAGES
from tests.conftest import after_slot_mappings, make_tracker

KNOWLEDGE = load_knowledge()
CITIES = sorted(
    p.id for p in KNOWLEDGE.places.values() if p.kind == "city" and p.listed
)
TOPICS = sorted(GENERAL_ANSWER)
BIDI_MARKS = dict.fromkeys(map(ord, "\u2066\u2068\u2069"))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> sa.engine.Engine:
    path: Path = tmp_path_factory.mktemp("answers") / "kb.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    store_knowledge(engine, KNOWLEDGE)
    return engine


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_answer_in_every_city_has_its_figures_link_and_sources(
    engine: sa.engine.Engine, language: str
) -> None:
    answered = 0
    with Session(engine) as session:
        for city in CITIES:
            for topic in TOPICS:
                for organisation in route_to_partners(session, city, topic):
                    text = compose_answer(organisation, topic, language)
                    plain = text.translate(BIDI_MARKS)
                    where = f"{city}/{topic}/{organisation.id}/{language}"
                    assert organisation.url in plain, where
                    assert "{" not in plain, where
                    sentences = [
                        a
                        for a in organisation.answers
                        if a.topic == topic and (a.after or a.valid_until is None)
                    ]  # those said, now or in the past
                    for sentence in sentences:
                        for source in sentence.sources:
                            checked = format_day(source.checked, language)
                            assert source.url in plain and checked in plain, where
                    keys = {
                        key
                        for s in sentences
                        for key in (f.key for f in organisation.facts)
                        if "{" + key + "}" in (s.after or s.text)
                    }
                    for fact in organisation.facts:
                        if fact.key in keys:
                            assert format_fact(fact, language) in plain, where
                    if any(s.uncertain for s in sentences):
                        mark = render(UNCERTAIN, language, {"name": organisation.name})
                        assert mark.translate(BIDI_MARKS) in plain, where
                    answered += 1
    assert answered >= 150  # 19 cities × 12 topics, most with one or two offices


def test_arabic_answers_keep_links_and_amounts_left_to_right(
    engine: sa.engine.Engine,
) -> None:
    assert "ar" in RIGHT_TO_LEFT
    with Session(engine) as session:
        [naric] = [
            o
            for o in route_to_partners(session, "ghent", "recognition_cost")
            if o.id == "naric-vlaanderen"
        ]
        text = compose_answer(naric, "recognition_cost", "ar")
    assert "\u2068https://www.naricvlaanderen.be\u2069" in text
    assert "\u2068\u200f90\xa0€\u2069" in text


@pytest.fixture
def knowledge_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "DATABASE_URL", f"sqlite:///{tmp_path / 'kb.db'}")


async def answer(**tracker: Any) -> tuple[list[dict[str, Any]], list[dict]]:
    dispatcher = CollectingDispatcher()
    told = await after_slot_mappings(make_tracker(**tracker))
    events = await ActionAnswerTopic().run(dispatcher, told, {})
    return dispatcher.messages, events


async def assert_answer(
    asked: dict, slots: dict, says: list[str], not_says: list[str]
) -> None:
    """The replies to ``asked`` (in English) hold ``says`` and none of ``not_says``."""
    messages, _ = await answer(**asked, slots={"language": "en", **slots})
    # A reply is a text, or a response with its arguments (the estimate's lender).
    text = " ".join(
        m.get("text") or " ".join(str(v) for v in m.values() if v) for m in messages
    )
    assert all(s in text for s in says), text
    assert not any(s in text for s in not_says), text


def slot_events(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.mark.usefixtures("knowledge_database")
async def test_a_question_with_a_place_gets_the_local_body_and_fee() -> None:
    messages, events = await answer(
        text="combien coûte la reconnaissance de mon diplôme à Gand ?",
        intent="ask_recognition_cost",
        slots={"language": "fr"},
    )
    [message] = messages
    assert "NARIC-Vlaanderen" in message["text"]
    assert "90\xa0€" in message["text"] and "180\xa0€" in message["text"]
    assert "https://www.naricvlaanderen.be" in message["text"]
    assert slot_events(events) == {"topic": "recognition_cost", "topic_details": "cost"}


@pytest.mark.usefixtures("knowledge_database")
async def test_brussels_gets_the_office_its_sources_name_for_brussels() -> None:
    """NARIC-Vlaanderen's sources speak of Flanders only: no claim about Brussels."""
    messages, _ = await answer(
        text="how do I get my diploma recognised? I live in Brussels",
        intent="ask_qualification_recognition",
    )
    texts = " ".join(m["text"] for m in messages)
    assert "In Brussels and Wallonia, the French Community" in texts
    assert "NARIC-Vlaanderen" not in texts


@pytest.mark.usefixtures("knowledge_database")
async def test_an_unknown_place_is_asked_not_twice_in_a_row_then_answered() -> None:
    messages, events = await answer(
        text="how long does recognition take?", intent="ask_recognition_duration"
    )
    assert [m["response"] for m in messages] == [
        "utter_recognition_duration",
        "utter_ask_place",
    ]
    assert slot_events(events) == {
        "topic": "recognition_duration",
        "topic_details": "time",
    }

    asked = {"event": "bot", "metadata": {"utter_action": "utter_ask_place"}}
    again, _ = await answer(
        text="and what does it cost?",
        intent="ask_recognition_cost",
        slots={"topic": "recognition_duration"},
        events=[asked],
    )
    assert [m["response"] for m in again] == ["utter_recognition_cost"]

    answered = {"event": "bot", "metadata": {"utter_action": "utter_recognition_cost"}}
    later, _ = await answer(
        text="do I need a translation of the documents?",
        intent="ask_recognition_documents",
        slots={"topic": "recognition_cost"},
        events=[asked, answered],
    )
    assert [m["response"] for m in later] == [
        "utter_recognition_documents",
        "utter_ask_place",
    ]

    [reply], _ = await answer(
        text="I live in Vantaa",
        intent="inform_location",
        slots={"topic": "recognition_cost", "topic_details": "cost"},
    )
    assert "Opetushallitus" in reply["text"] and "€234" in reply["text"]


@pytest.mark.usefixtures("knowledge_database")
async def test_a_place_outside_our_countries_is_said_plainly() -> None:
    messages, _ = await answer(
        text="I live in Madrid",
        intent="inform_location",
        slots={"city": "Madrid", "topic": "qualification_recognition"},
    )
    assert [m["response"] for m in messages] == [
        "utter_no_partner_there",
        "utter_qualification_recognition",
    ]
    # Lenders in other countries do not apply there: none is listed.
    messages, _ = await answer(
        text="I live in Madrid", intent="inform_location", slots={"topic": "microloan"}
    )
    assert [m["response"] for m in messages] == ["utter_no_partner_there"]


@pytest.mark.usefixtures("knowledge_database")
async def test_a_place_without_a_question_is_noted() -> None:
    [message], events = await answer(text="I live in Turin", intent="inform_location")
    assert message["response"] == "utter_location_noted"
    assert events == []


@pytest.mark.usefixtures("knowledge_database")
async def test_a_detail_no_source_covers_names_the_lender_to_ask() -> None:
    [message], _ = await answer(
        text="which documents do I need for the loan? I live in Vantaa",
        intent="ask_loan_documents",
    )
    assert message["response"] == "utter_no_checked_fact"
    assert (message["partner"], message["url"]) == (
        "Finnvera",
        "https://www.finnvera.fi/eng/financing/loans/loan-for-micro-enterprise-growth",
    )


@pytest.mark.usefixtures("knowledge_database")
async def test_a_detail_one_organisation_answers_comes_without_the_others() -> None:
    """Tampere: the start-up grant is Job Market Finland's; the Enterprise Agencies,
    which say nothing about it, are not in the way ("no checked information")."""
    messages, _ = await answer(
        text="I live in Tampere. When do I apply for the starttiraha, before I start?",
        intent="start_business",
    )
    assert [m.get("response") for m in messages] == [None]
    assert "Apply BEFORE you start" in messages[0]["text"]
    assert "Uusyrityskeskukset" not in messages[0]["text"]


@pytest.mark.usefixtures("knowledge_database")
async def test_a_topic_nobody_covers_at_the_place_is_said_plainly() -> None:
    messages, _ = await answer(
        text="I need help finding a job in Brussels", intent="ask_job_coaching"
    )
    assert [m["response"] for m in messages] == [
        "utter_no_partner_for_topic",
        "utter_job_coaching",
    ]


@pytest.mark.usefixtures("knowledge_database")
async def test_a_place_given_after_an_estimate_question_completes_the_estimate() -> (
    None
):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="I live in Ghent",
        intent="inform_location",
        slots={"topic": "repayment", "city": "Ghent"},
    )
    tracker.events = [
        {
            "event": "user",
            "text": "how much a month for 8000 over 2 years",
            "parse_data": {"intent": {"name": "estimate_repayment"}},
        }
    ]
    await ActionAnswerTopic().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["response"] == "utter_repayment_estimate"
    assert (message["loan_amount"], message["months"]) == (8000, 24)


@pytest.mark.usefixtures("knowledge_database")
async def test_a_partner_that_takes_referrals_offers_to_call_back() -> None:
    [coaching], _ = await answer(
        text="I need help finding a job, I live in Vantaa", intent="ask_job_coaching"
    )
    assert coaching["buttons"] == [
        {
            "title": "Ask City of Vantaa to contact me",
            "payload": '/request_human{"organisation": "city-of-vantaa"}',
        },
        *FEEDBACK_BUTTONS,
    ]
    [recognition], _ = await answer(
        text="how much does recognition cost in Vantaa", intent="ask_recognition_cost"
    )
    assert recognition["buttons"] == FEEDBACK_BUTTONS  # no referrals at Opetushallitus


FEEDBACK_BUTTONS = [
    {"title": "This helped", "payload": '/feedback{"helpful": "yes"}'},
    {"title": "Not what I was looking for", "payload": '/feedback{"helpful": "no"}'},
]


@pytest.mark.usefixtures("knowledge_database")
async def test_the_last_answer_asks_in_the_users_language_whether_it_helped() -> None:
    messages, _ = await answer(
        text="Ik woon in Brussel, hoe laat ik mijn diploma erkennen?",
        intent="ask_qualification_recognition",
        slots={"language": "nl"},
    )
    *first, last = messages
    assert all(not m["buttons"] for m in first)
    titles = [button["title"] for button in last["buttons"]]
    assert titles == [
        render("This helped", "nl", {}),
        render("Not what I was looking for", "nl", {}),
    ]
    assert titles[0] != "This helped"  # translated


@pytest.mark.parametrize(
    "helpful, response",
    [("yes", "utter_feedback_thanks"), ("no", "utter_feedback_sorry")],
)
async def test_a_feedback_button_is_thanked_and_a_no_asks_what_was_wanted(
    helpful: str, response: str
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text=f'/feedback{{"helpful": "{helpful}"}}',
        intent="feedback",
        entities=[{"entity": "helpful", "value": helpful}],
    )
    await ActionFeedback().run(dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages] == [response]


@pytest.mark.usefixtures("knowledge_database")
async def test_an_answer_records_which_partners_the_conversation_was_routed_to() -> (
    None
):
    await answer(
        text="how do I get my diploma recognised? I live in Brussels",
        intent="ask_qualification_recognition",
        slots={"language": "en"},
    )
    await answer(text="and job coaching in Brussels?", intent="ask_job_coaching")
    with Session(engine_for(settings.DATABASE_URL)) as session:
        routes = session.execute(
            sa.select(Route.organisation_id, Route.topic).order_by(Route.id)
        ).all()
        conversation = session.get(RoutedConversation, "test-user")
    assert routes == [
        ("french-community-recognition", "qualification_recognition")
    ]  # nobody covers job coaching in Brussels: no route
    assert conversation.language == "en"


@pytest.mark.usefixtures("knowledge_database")
@pytest.mark.parametrize(
    ("asked", "slots", "says", "not_says"),
    [
        # A specific question gets its fact first, for the user's place.
        (
            {"text": "what is the maximum I can borrow?", "intent": "ask_microloan"},
            {"city": "Ghent"},
            ["microStart", "€25,000"],
            [],
        ),
        # A follow-up without a subject continues the last one.
        (
            {"text": "and how much does it cost?", "intent": "ask_loan_terms"},
            {"city": "The Hague", "topic": "qualification_recognition"},
            ["IDW", "€148.83"],
            ["Qredits"],
        ),
        (
            {"text": "what papers do I need?", "intent": "ask_recognition_documents"},
            {"city": "Ghent", "topic": "microloan"},
            ["microStart", "ID card"],
            ["NARIC"],
        ),
        # A subject named outright wins over the last one.
        (
            {"text": "how much does recognition cost?", "intent": "ask_loan_terms"},
            {"city": "Turin", "topic": "microloan"},
            ["CIMEA", "€150"],
            ["PerMicro"],
        ),
        # A refugee asking the cost hears whether it is free for them.
        (
            {"text": "how much does it cost?", "intent": "ask_recognition_cost"},
            {"city": "Milan", "status": "refugee"},
            ["CIMEA", "free"],
            [],
        ),
    ],
)
async def test_the_question_asked_is_answered_for_the_place(
    asked: dict, slots: dict, says: list[str], not_says: list[str]
) -> None:
    await assert_answer(asked, slots, says, not_says)


@pytest.mark.usefixtures("knowledge_database")
async def test_a_detail_nobody_states_is_said_unchecked_then_the_overview() -> None:
    messages, _ = await answer(
        text="how much is the interest?",
        intent="ask_loan_terms",
        slots={"language": "en", "city": "Rotterdam"},
    )
    assert messages[0]["response"] == "utter_no_checked_fact"
    assert messages[0]["partner"] == "Qredits"
    assert "€250,000" in messages[1]["text"]


@pytest.mark.usefixtures("knowledge_database")
async def test_a_question_ranked_after_the_place_is_answered() -> None:
    tracker = make_tracker(
        text="Ik woon in Gent. ik zoek geld om mijn zaak te beginnen",
        intent="inform_location",
        slots={"language": "nl"},
    )
    tracker.latest_message["intent_ranking"] = [
        {"name": "inform_location", "confidence": 0.53},
        {"name": "ask_microloan", "confidence": 0.28},
    ]
    dispatcher = CollectingDispatcher()
    await ActionAnswerTopic().run(dispatcher, await after_slot_mappings(tracker), {})
    assert "microStart" in dispatcher.messages[0]["text"]


ITALIAN_TEXT = {"code": "it", "confidence": 0.9, "reliable": True, "supported": True}
FINNISH_TEXT = {"code": "fi", "confidence": 0.9, "reliable": True, "supported": True}


async def language_after(**tracker: Any) -> str | None:
    told = await after_slot_mappings(make_tracker(**tracker))
    return told.get_slot("language")


async def test_a_question_that_names_a_language_keeps_the_reply_language(
    knowledge_database: None,
) -> None:
    question = {
        "text": "e la decisione in che lingua arriva? non leggo bene il finlandese",
        "intent": "choose_language",
        "entities": [{"entity": "language", "value": "fi"}],
        "language": ITALIAN_TEXT,
        "slots": {"language": "it", "city": "Tampere", "topic": "recognition_cost"},
    }
    assert await language_after(**question) == "it"
    dispatcher = CollectingDispatcher()
    told = await after_slot_mappings(make_tracker(**question))
    await ActionConfirmLanguage().run(dispatcher, told, {})
    replies = " ".join(m.get("text") or m.get("response") for m in dispatcher.messages)
    assert "utter_language_changed" not in replies
    assert "Opetushallitus" in replies


async def test_a_request_in_another_language_still_switches(
    knowledge_database: None,
) -> None:
    request = {
        "text": "voitko puhua englantia? mun suomi ei riitä näihin juttuihin",
        "intent": "choose_language",
        "entities": [{"entity": "language", "value": "en"}],
        "language": FINNISH_TEXT,
        "slots": {"language": "fi", "city": "Vantaa", "topic": "job_coaching"},
    }
    assert await language_after(**request) == "en"


async def test_a_switch_with_a_question_answers_it_in_the_new_language(
    knowledge_database: None,
) -> None:
    dispatcher = CollectingDispatcher()
    told = await after_slot_mappings(
        make_tracker(
            text="liever in het Nederlands. hoeveel kan ik max lenen?",
            intent="choose_language",
            entities=[{"entity": "language", "value": "nl"}],
            language={"code": "nl", "confidence": 0.9, "reliable": True},
            slots={"language": "fr", "city": "Bruxelles", "topic": "microloan"},
        )
    )
    assert told.get_slot("language") == "nl"
    await ActionConfirmLanguage().run(dispatcher, told, {})
    assert dispatcher.messages[0]["response"] == "utter_language_changed"
    assert "25.000" in " ".join(m.get("text") or "" for m in dispatcher.messages)


@pytest.mark.parametrize(
    "text, topic, privacy",
    [
        ("what do you do with my data?", None, True),
        ("who can read my messages here?", "microloan", True),
        ("is it free in my case, I'm a refugee?", "recognition_cost", False),
        ("do they look at my credit record?", "loan_terms", False),
    ],
)
async def test_privacy_answer_only_for_questions_about_data(
    text: str, topic: str | None, privacy: bool, knowledge_database: None
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text=text,
        intent="privacy_question",
        slots={"language": "en", "city": "Utrecht", "topic": topic},
    )
    await ActionPrivacy().run(dispatcher, await after_slot_mappings(tracker), {})
    said = [m.get("response") for m in dispatcher.messages]
    assert ("utter_privacy" in said) == privacy
    if not privacy:
        assert any(m.get("text") for m in dispatcher.messages)


@pytest.mark.usefixtures("knowledge_database")
@pytest.mark.parametrize(
    ("asked", "slots", "says", "not_says"),
    [
        # "how much a month?" after the start-up grant asks about the grant.
        (
            {"text": "and how much is it a month?", "intent": "estimate_repayment"},
            {"city": "Tampere", "topic": "start_business"},
            ["740"],
            ["Finnvera"],
        ),
        (
            {
                "text": "how much is the start-up grant a month?",
                "intent": "estimate_repayment",
            },
            {"city": "Turku", "topic": "microloan"},
            ["740"],
            ["Finnvera does not publish"],
        ),
        # Free advice to start is not a question about a loan's cost.
        (
            {
                "text": "who can give me free advice on how to start my salon?",
                "intent": "start_business",
            },
            {"city": "Helsinki"},
            ["Uusyrityskeskukset"],
            ["Finnvera"],
        ),
        # With an amount it is an estimate, whatever came before.
        (
            {
                "text": "and if I borrow 8000 over 2 years, how much a month?",
                "intent": "estimate_repayment",
            },
            {"city": "Ghent", "topic": "qualification_recognition"},
            ["utter_repayment_estimate", "microStart"],
            ["NARIC"],
        ),
        # Help with a business plan after a loan answer: the coaches.
        (
            {
                "text": "who can help me write the business plan?",
                "intent": "ask_business_training",
            },
            {"city": "Helsinki", "topic": "start_business"},
            ["Uusyrityskeskukset"],
            ["Finnvera"],
        ),
    ],
)
async def test_a_follow_up_answers_what_it_asks(
    asked: dict, slots: dict, says: list[str], not_says: list[str]
) -> None:
    await assert_answer(asked, slots, says, not_says)


@pytest.mark.usefixtures("knowledge_database")
async def test_a_fallback_between_two_topics_of_a_subject_is_answered() -> None:
    tracker = make_tracker(
        text="хочу шось своє открить, торти пекти. хто дає деньги на такоє?",
        intent="nlu_fallback",
        slots={"language": "uk", "city": "Tilburg"},
    )
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "start_business", "confidence": 0.36},
        {"name": "ask_microloan", "confidence": 0.33},
    ]
    dispatcher = CollectingDispatcher()
    await ActionFallback().run(dispatcher, await after_slot_mappings(tracker), {})
    assert "Qredits" in " ".join(m.get("text") or "" for m in dispatcher.messages)


async def test_surzhyk_keeps_the_conversation_in_ukrainian() -> None:
    russian_guess = {"code": "ru", "confidence": 0.8, "reliable": True}
    surzhyk = "а бізнес план обязатєльно писать? я ж не вмію їх"
    assert (
        await language_after(
            text=surzhyk,
            intent="ask_business_training",
            language=russian_guess,
            slots={"language": "uk"},
        )
        == "uk"
    )
    russian = "а бизнес план обязательно писать? я не умею"
    assert (
        await language_after(
            text=russian,
            intent="ask_business_training",
            language=russian_guess,
            slots={"language": "uk"},
        )
        == "ru"
    )


@pytest.mark.usefixtures("knowledge_database")
@pytest.mark.parametrize(
    ("asked", "slots", "says", "not_says"),
    [
        # A nurse asking how to work as one hears about the licence first.
        (
            {
                "text": "I'm a nurse, what do I need to work as a nurse here?",
                "intent": "ask_job_coaching",
            },
            {"city": "Tampere"},
            ["Valvira"],
            [],
        ),
        # Details that belong to no subject of the question do not move it
        # ("can we get" reads as who a loan is for).
        (
            {
                "text": "we moved to Vantaa. can we get help with the kids' school?",
                "intent": "ask_family_support",
            },
            {"city": "Helsinki", "topic": "start_business"},
            ["Vantaa"],
            ["Finnvera"],
        ),
    ],
)
async def test_the_intent_decides_when_the_details_belong_elsewhere(
    asked: dict, slots: dict, says: list[str], not_says: list[str]
) -> None:
    await assert_answer(asked, slots, says, not_says)


@pytest.mark.usefixtures("knowledge_database")
async def test_a_short_question_not_understood_continues_the_topic() -> None:
    tracker = make_tracker(
        text="وإذا صار عمر المشروع أكتر من سنة، بتنزل؟",
        intent="nlu_fallback",
        slots={"language": "ar", "city": "Ghent", "topic": "loan_terms"},
    )
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "ask_business_training", "confidence": 0.23},
    ]
    dispatcher = CollectingDispatcher()
    await ActionFallback().run(dispatcher, await after_slot_mappings(tracker), {})
    text = " ".join(m.get("text") or "" for m in dispatcher.messages)
    assert "microStart" in text and "11.13" in text, text


@pytest.mark.usefixtures("knowledge_database")
@pytest.mark.parametrize(
    "text, intent, language",
    [
        ("deci in spania nu aveti pe nimeni?", "deny", "ro"),
        ("o sea q en España no tienen a nadie?", "deny", "es"),
        ("xitaa Norway oo dhan cid idinla shaqeysa ma jirto?", "nlu_fallback", "so"),
    ],
)
async def test_asking_again_about_the_country_we_do_not_serve_says_so_again(
    text: str, intent: str, language: str
) -> None:
    # The user said they live there; naming it again changes no slot, and a
    # "no" or an unclear message would get "all right" or "I did not understand".
    from actions.language import ActionSmallTalk

    country = {"ro": "Spain", "es": "Spain", "so": "Norway"}[language]
    tracker = make_tracker(
        text=text, intent=intent, slots={"language": language, "country": country}
    )
    dispatcher = CollectingDispatcher()
    await ActionSmallTalk().run(dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages][:1] == [
        "utter_no_partner_there"
    ]
