"""Reviewers' labels to NLU data: what goes in, what never does, and the format."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from bot.db.tables import ReviewLabel, engine_for
from bot.nlu.check import _read, load_language
from bot.settings import ROOT
from bot.staff.accounts import create_account

sys.path.insert(0, str(ROOT / "scripts"))
from export_reviewed import export, kept_aside  # noqa: E402

TRAINED = next(iter(load_language("en").training["greet"]))  # already an example
LABELS = [
    # (text, language, intent, organisation)
    ("help with my actiris appointment", "en", "ask_job_coaching", "microstart"),
    ("what papers for actiris", "en", "ask_job_coaching", "microstart"),
    ("vdab wants me at a meeting", "en", "ask_job_coaching", "microstart"),
    ("actiris asks for my cv", "en", "ask_job_coaching", "microstart"),
    ("actiris wil mijn papieren", "nl", "ask_job_coaching", "qredits"),
    ("actiris belt me op [phone], wat nu", "nl", "ask_job_coaching", "qredits"),
    ("mail me at a.b@example.com about actiris", "en", "ask_job_coaching", None),
    ("my name is [name] and actiris called me", "en", "ask_job_coaching", None),
    ("je m'appelle Amina Benali, actiris m'a appelée", "fr", "ask_job_coaching", None),
    (TRAINED.casefold(), "en", "greet", None),
    ("forem wants a plan", "fr", "ask_job_coaching", "microstart"),
    ("forem wants a plan", "fr", "ask_business_training", "qredits"),
]
# Redaction test messages: none of their personal data may leave the database.
PERSONAL = ("[phone]", "a.b@example.com", "[e-mail]", "[name]", "Amina", "Benali")


@pytest.fixture
def engine(tmp_path: Path) -> sa.engine.Engine:
    engine = engine_for(f"sqlite:///{tmp_path / 'assistant.db'}")
    with Session(engine) as session, session.begin():
        staff = create_account(
            session, "r@example.org", None, None, "password 123456", role="admin"
        )
        session.flush()
        session.add_all(
            ReviewLabel(
                text=text,
                conversation_id=f"c{number}",
                language=language,
                kind="intent",
                intent=intent,
                note="",
                organisation_id=organisation,
                staff_id=staff.id,
            )
            for number, (text, language, intent, organisation) in enumerate(LABELS)
        )
        session.add(  # not an intent: never training data
            ReviewLabel(
                text="is the pope catholic",
                conversation_id="c-x",
                language="en",
                kind="not_for_us",
                note="",
                staff_id=staff.id,
            )
        )
    return engine


def test_labels_become_nlu_data_on_two_sides_that_never_meet(
    engine: sa.engine.Engine, tmp_path: Path
) -> None:
    nlu, kept = tmp_path / "nlu", tmp_path / "kept"
    with Session(engine) as session:
        counts = export(session, nlu, kept)
    written = {
        path: path.read_text(encoding="utf-8")
        for path in [*nlu.glob("*/reviewed.yml"), *kept.glob("*.yml")]
    }
    everything = "".join(written.values())
    for personal in PERSONAL:
        assert personal not in everything
    assert TRAINED.casefold() not in everything  # already trained on
    assert "forem wants a plan" not in everything  # partners disagree
    assert "pope" not in everything
    exported = {
        "help with my actiris appointment",
        "what papers for actiris",
        "vdab wants me at a meeting",
        "actiris asks for my cv",
        "actiris wil mijn papieren",
    }
    for text in exported:
        side = kept / f"{'nl' if 'mijn' in text else 'en'}.yml"
        trained = nlu / ("nl" if "mijn" in text else "en") / "reviewed.yml"
        assert (text in side.read_text() if side.exists() else False) == kept_aside(
            text
        )
        assert (text in trained.read_text() if trained.exists() else False) != (
            kept_aside(text)
        )
    assert sum(trained + aside for trained, aside in counts.values()) == len(exported)
    for path, text in written.items():
        document = yaml.safe_load(text)
        assert document["version"] == "3.1"
        examples: dict = defaultdict(list)
        problems: list[str] = []
        _read(path, examples, problems)
        assert not problems
        assert set(examples) == {"ask_job_coaching"}
        language = path.stem if path.parent == kept else path.parent.name
        assert all(b["metadata"]["language"] == language for b in document["nlu"])


def test_the_same_message_stays_on_its_side_on_every_export(
    engine: sa.engine.Engine, tmp_path: Path
) -> None:
    with Session(engine) as session:
        first = export(session, tmp_path / "a", tmp_path / "a-kept")
        again = export(session, tmp_path / "b", tmp_path / "b-kept")
    assert first == again
    for one, two in (("a", "b"), ("a-kept", "b-kept")):
        assert sorted(p.read_text() for p in (tmp_path / one).rglob("*.yml")) == sorted(
            p.read_text() for p in (tmp_path / two).rglob("*.yml")
        )
