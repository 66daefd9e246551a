"""Referrals with consent, erasure on request, retention: on a real SQLite database."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.answers import OFFER_CONTACT
from actions.privacy import ActionDeleteMyData
from actions.referral import (
    ASK_LANGUAGE,
    ActionOfferReferral,
    ActionSubmitReferral,
    ValidateReferralForm,
    read_contact,
)
from bot import settings
from bot.db import erasure
from bot.db.tables import (
    RASA_EVENTS,
    VERSION_TABLE,
    Base,
    ErasureRequest,
    Referral,
    ReferralChange,
    Route,
    RoutedConversation,
    engine_for,
    migrate,
    utcnow,
)
from bot.i18n import render
from bot.staff.referrals import change_referral
from bot.web.nlg import domain_responses
from tests.conftest import Assistant, after_slot_mappings, make_tracker, post, say


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'assistant.db'}"
    monkeypatch.setattr(settings, "DATABASE_URL", url)
    return url


@pytest.mark.parametrize(
    "text, country, contact",
    [
        ("0470 12 34 56", "BE", ("phone", "+32470123456")),
        ("+358 40 1234567", "BE", ("phone", "+358401234567")),
        ("06 12345678", "NL", ("phone", "+31612345678")),
        ("Amina.K@Example.org ", "FI", ("email", "Amina.K@example.org")),
        ("12345", "BE", None),
        ("call me", "IT", None),
        ("amina@", "FI", None),
    ],
)
def test_contacts_are_read_for_the_users_country(
    text: str, country: str, contact: Any
) -> None:
    assert read_contact(text, country) == contact


def slots(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.mark.parametrize(
    "text, partner",
    [
        ("I want to talk to a person, I live in Vantaa", "city-of-vantaa"),
        ("can someone in Brussels call me", "microstart"),
        ("ik woon in Utrecht, kan iemand me bellen", "qredits"),
        ("abito a Torino, vorrei parlare con una persona", "microlab"),
    ],
)
async def test_a_request_for_a_person_goes_to_the_local_partner(
    text: str, partner: str
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = await after_slot_mappings(make_tracker(text=text, intent="request_human"))
    events = await ActionOfferReferral().run(dispatcher, tracker, {})
    assert slots(events)["referral_partner"] == partner
    assert {"event": "followup", "name": "referral_form", "timestamp": None} in events
    assert dispatcher.messages == []  # the form asks for consent next


async def test_without_a_place_it_asks_where_and_remembers_why() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionOfferReferral().run(
        dispatcher,
        make_tracker(text="can a person call me", intent="request_human"),
        {},
    )
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_referral_needs_place"
    ]
    assert slots(events) == {"topic": "referral"}


async def test_no_partner_takes_referrals_in_helsinki() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="I live in Helsinki", intent="request_human")
    await ActionOfferReferral().run(dispatcher, await after_slot_mappings(tracker), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_no_referral_partner"]


def button(organisation: str, **slots: Any) -> Any:
    """The tracker after a click on "Ask <organisation> to contact me"."""
    return make_tracker(
        text=f'/request_human{{"organisation": "{organisation}"}}',
        intent="request_human",
        entities=[{"entity": "organisation", "value": organisation}],
        slots=slots,
    )


@pytest.mark.parametrize("organisation", ["permicro", "microlab"])
async def test_the_button_asks_the_partner_it_names(organisation: str) -> None:
    # In Turin both answer "how do I start a business", each with its own button.
    dispatcher = CollectingDispatcher()
    tracker = button(organisation, city="Turin", topic="start_business")
    events = await ActionOfferReferral().run(dispatcher, tracker, {})
    assert slots(events)["referral_partner"] == organisation
    assert {"event": "followup", "name": "referral_form", "timestamp": None} in events


async def test_a_button_for_a_partner_not_serving_the_place_gets_the_local_one() -> (
    None
):
    # An earlier answer's button, after the user said they live somewhere else.
    dispatcher = CollectingDispatcher()
    tracker = button("qredits", city="Ghent", topic="microloan")
    events = await ActionOfferReferral().run(dispatcher, tracker, {})
    assert slots(events)["referral_partner"] == "microstart"


async def test_the_place_of_the_page_that_opened_the_chat_is_remembered() -> None:
    # The link or page said Utrecht with the first message; the button sends nothing.
    dispatcher = CollectingDispatcher()
    tracker = button("qredits", topic="microloan")
    tracker.events = [
        {
            "event": "user",
            "text": "Hoi, ik zoek een microkrediet",
            "metadata": {"city": "Utrecht", "language": "nl"},
        },
        {"event": "bot", "text": "Qredits ..."},
    ]
    events = await ActionOfferReferral().run(dispatcher, tracker, {})
    assert dispatcher.messages == []  # no "where do you live?"
    assert (slots(events)["referral_partner"], slots(events)["referral_place"]) == (
        "qredits",
        "utrecht",
    )


def validate(slot: str, text: str, intent: str, **extra: Any) -> tuple[dict, list]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text=text, intent=intent, slots={"requested_slot": slot, **extra}
    )
    result = getattr(ValidateReferralForm(), f"validate_{slot}")(
        text, dispatcher, tracker, {}
    )
    return result, [m.get("response") for m in dispatcher.messages]


@pytest.mark.parametrize(
    "intent, consent", [("affirm", "yes"), ("deny", "no"), ("goodbye", "no")]
)
def test_only_a_clear_yes_is_consent(intent: str, consent: str) -> None:
    assert validate("referral_consent", "...", intent)[0] == {
        "referral_consent": consent
    }


def test_an_unclear_answer_to_consent_is_asked_again() -> None:
    result, said = validate("referral_consent", "what?", "nlu_fallback")
    assert result == {"referral_consent": None}
    assert said == ["utter_referral_consent_retry"]


def test_an_invalid_phone_number_gets_a_hint() -> None:
    result, said = validate(
        "referral_contact", "0470", "nlu_fallback", referral_place="brussels"
    )
    assert result == {"referral_contact": None}
    assert said == ["utter_referral_contact_retry"]


def test_a_phone_number_is_read_for_the_users_place() -> None:
    result, _ = validate(
        "referral_contact", "040 1234567", "nlu_fallback", referral_place="vantaa"
    )
    assert result == {"referral_contact": "phone:+358401234567"}


def test_changing_ones_mind_mid_form_stops_it() -> None:
    result, _ = validate("referral_name", "no, forget it", "deny")
    assert result == {"referral_name": None, "referral_consent": "stopped"}


def referral_slots(**changes: Any) -> dict[str, Any]:
    return {
        "referral_consent": "yes",
        "referral_partner": "city-of-vantaa",
        "referral_partner_name": "City of Vantaa",
        "referral_place": "vantaa",
        "referral_name": "Amina K.",
        "referral_contact": "phone:+358401234567",
        "referral_language": "ar",
        "referral_time": "mornings",
        "topic": "job_coaching",
        **changes,
    }


async def submit(**changes: Any) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="mornings", intent="nlu_fallback")
    tracker.slots.update(referral_slots(**changes))
    await ActionSubmitReferral().run(dispatcher, tracker, {})
    return dispatcher.messages


def stored(url: str) -> list[Referral]:
    with Session(engine_for(url)) as session:
        return session.scalars(sa.select(Referral)).all()


async def test_consent_stores_one_referral_for_the_partner(database: str) -> None:
    [message] = await submit()
    assert message["response"] == "utter_referral_done"
    assert (message["partner"], message["contact"]) == (
        "City of Vantaa",
        "+358401234567",
    )
    await submit()  # the same request twice, quickly
    [referral] = stored(database)
    assert (referral.organisation_id, referral.topic, referral.language) == (
        "city-of-vantaa",
        "job_coaching",
        "ar",
    )
    assert referral.conversation_id == "test-user"


@pytest.mark.parametrize("consent", ["no", "stopped"])
async def test_without_consent_nothing_is_stored(database: str, consent: str) -> None:
    [message] = await submit(referral_consent=consent)
    assert stored(database) == []
    if consent == "no":
        assert message["response"] == "utter_referral_no_consent"
        assert (
            message["url"] == "https://www.vantaa.fi/en/projects/project/smile-project"
        )


@pytest.mark.parametrize(
    "asked, consent", [("referral_consent", "no"), ("referral_name", "stopped")]
)
async def test_delete_my_data_in_the_form_asks_to_erase_everything(
    database: str, asked: str, consent: str
) -> None:
    text = "supprimez mes données"
    result, _ = validate(asked, text, "delete_my_data", referral_consent="yes")
    assert result["referral_consent"] == consent
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text=text, intent="delete_my_data")
    tracker.slots.update(referral_slots(referral_consent=consent))
    events = await ActionSubmitReferral().run(dispatcher, tracker, {})
    assert stored(database) == []
    # Then the question "delete my data" gets anywhere else: a yes erases.
    assert events[-1] == {
        "event": "followup",
        "name": "utter_confirm_delete",
        "timestamp": None,
    }


def rasa_events(url: str, rows: list[tuple[str, float]]) -> sa.engine.Engine:
    """Rasa's events table, as its SQL tracker store makes it, with some rows."""
    engine = engine_for(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, "
                "sender_id VARCHAR(255), type_name VARCHAR(255), timestamp FLOAT, "
                "intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"
            )
        )
        for sender, timestamp in rows:
            connection.execute(
                sa.insert(RASA_EVENTS).values(
                    sender_id=sender,
                    type_name="user",
                    timestamp=timestamp,
                    data='{"text": "my phone is 0470 12 34 56"}',
                )
            )
    return engine


def senders(engine: sa.engine.Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(set(connection.scalars(sa.select(RASA_EVENTS.c.sender_id))))


async def test_delete_my_data_leaves_nothing_of_the_user(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = time.time()
    engine = rasa_events(database, [("test-user", now), ("someone-else", now)])
    await submit()  # a referral, and its route
    with Session(engine) as session, session.begin():
        referral = session.scalars(sa.select(Referral)).one()
        assert session.scalars(sa.select(Route.organisation_id)).all() == [
            referral.organisation_id
        ]
        change_referral(session, referral, staff_id=1, status="contacted", note="ok")
    dispatcher = CollectingDispatcher()
    await ActionDeleteMyData().run(dispatcher, make_tracker(intent="affirm"), {})
    assert dispatcher.messages[0]["response"] == "utter_data_deleted"
    assert stored(database) == []  # referrals at once
    with Session(engine) as session:  # their history, and where we routed them
        for table in (ReferralChange, Route, RoutedConversation):
            assert session.scalars(sa.select(table)).all() == []
    monkeypatch.setattr(erasure, "SETTLE_SECONDS", 0)  # the turn is saved
    assert erasure.process_erasure_requests(engine) == 1
    assert senders(engine) == ["someone-else"]
    with Session(engine) as session:
        assert session.scalars(sa.select(ErasureRequest)).all() == []


async def test_retention_deletes_what_is_older_than_the_period(database: str) -> None:
    old = (utcnow() - timedelta(days=200)).timestamp()
    engine = rasa_events(
        database, [("old", old), ("old", old + 1), ("recent", time.time())]
    )
    await submit()
    with Session(engine) as session, session.begin():
        session.add(
            Referral(
                conversation_id="old",
                organisation_id="microstart",
                topic="microloan",
                name="A",
                contact_kind="email",
                contact="a@example.org",
                language="fr",
                created_at=utcnow() - timedelta(days=200),
            )
        )
    assert erasure.apply_retention(engine, days=180) == (1, 1)
    assert senders(engine) == ["recent"]
    assert [r.conversation_id for r in stored(database)] == ["test-user"]


def test_migrations_run_again_without_harm(database: str) -> None:
    migrate(database)
    migrate(database)
    tables = set(sa.inspect(sa.create_engine(database)).get_table_names())
    assert {"referrals", "staff_accounts", "handoffs", "erasure_requests"} <= tables


def _not_a_model(difference: tuple) -> bool:
    """A table no model describes: Alembic's version table, Rasa's events."""
    return difference[0] == "remove_table" and difference[1].name in {
        VERSION_TABLE,
        RASA_EVENTS.name,
    }


def test_the_migrations_build_exactly_the_models(database: str) -> None:
    engine = engine_for(database)
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection), Base.metadata
        )
    ours = [d for d in differences if not _not_a_model(d)]
    assert ours == []


def test_a_short_number_that_looks_like_a_question_is_asked_again() -> None:
    result, said = validate(
        "referral_contact", "040 123", "estimate_repayment", referral_place="vantaa"
    )
    assert result == {"referral_contact": None}
    assert said == ["utter_referral_contact_retry"]


def test_a_time_with_numbers_is_not_taken_for_a_new_question() -> None:
    result, _ = validate("referral_time", "after 17:00", "estimate_repayment")
    assert result == {"referral_time": "after 17:00"}


# The real assistant: the form, its rules and the buttons (Rasa, actions, NLG).


def says(response: str, language: str, **arguments: Any) -> str:
    return render(domain_responses()[response][0]["text"], language, arguments)


def contact_buttons(sender: str, message: str, **metadata: str) -> dict[str, str]:
    """The "Ask ... to contact me" buttons of the answer: title -> payload."""
    payload: dict[str, Any] = {"sender": sender, "message": message}
    if metadata:
        payload["metadata"] = metadata
    status, replies = post(payload)
    assert status == 200, replies
    return {
        button["title"]: button["payload"]
        for reply in replies  # type: ignore[union-attr]
        for button in reply.get("buttons", [])
        if button["payload"].startswith("/request_human")
    }


@pytest.mark.e2e
def test_the_contact_button_goes_to_the_partner_it_names(assistant: Assistant) -> None:
    # In Turin two partners answer, each with its own button.
    buttons = contact_buttons(
        "button-it", "Ciao, abito a Torino e voglio aprire un'attività"
    )
    chosen = render(OFFER_CONTACT, "it", {"partner": "PerMicro"})
    assert say("button-it", buttons[chosen]) == [
        says("utter_ask_referral_consent", "it", referral_partner_name="PerMicro")
    ]


@pytest.mark.e2e
def test_the_place_of_the_page_needs_no_asking_again(assistant: Assistant) -> None:
    # The page (or front-desk link) said Utrecht with the first message only.
    buttons = contact_buttons(
        "button-nl", "Hoi, ik zoek een microkrediet", city="Utrecht"
    )
    [payload] = buttons.values()
    assert say("button-nl", payload) == [
        says("utter_ask_referral_consent", "nl", referral_partner_name="Qredits")
    ]


@pytest.mark.e2e
def test_names_and_addresses_in_the_form_keep_the_language(
    assistant: Assistant,
) -> None:
    [payload] = contact_buttons(
        "form-fr", "J'habite à Liège, je cherche un microcrédit"
    ).values()
    say("form-fr", payload)
    assert say("form-fr", "oui") == [says("utter_ask_referral_name", "fr")]
    assert say("form-fr", "Giuseppe Esposito") == [
        says("utter_ask_referral_contact", "fr")
    ]
    assert say("form-fr", "info@mybusiness.com") == [render(ASK_LANGUAGE, "fr", {})]
    assert say("form-fr", '/inform_contact_language{"contact_language": "fr"}') == [
        says("utter_ask_referral_time", "fr")
    ]
    # After the form too: an address alone is no message in English.
    say("form-fr", "/dont_know")
    assert say("form-fr", "amina.khalil@gmail.com") == [
        says("utter_not_understood", "fr")
    ]


@pytest.mark.e2e
@pytest.mark.parametrize(
    "sender, language, answers, stopped",
    [
        # At the consent question: nothing stored, and the partner's own address.
        ("erase-en", "en", [], "utter_referral_no_consent"),
        ("erase-fr", "fr", ["oui", "Amina"], "utter_referral_stopped"),
    ],
)
def test_delete_my_data_in_the_referral_form_erases_after_a_yes(
    assistant: Assistant,
    sender: str,
    language: str,
    answers: list[str],
    stopped: str,
) -> None:
    first = {
        "en": "I live in Ghent, I need a microloan",
        "fr": "J'habite à Liège, je cherche un microcrédit",
    }
    [payload] = contact_buttons(sender, first[language]).values()
    say(sender, payload)
    for answer in answers:
        say(sender, answer)
    delete = {"en": "delete my data", "fr": "supprimez mes données"}[language]
    replies = say(sender, delete)
    assert replies[0].startswith(says(stopped, language).split("{")[0])
    assert replies[1:] == [says("utter_confirm_delete", language)]
    assert say(sender, {"en": "yes", "fr": "oui"}[language]) == [
        says("utter_data_deleted", language)
    ]
