"""The knowledge in a real SQLite database, and routing to the right partner."""

from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.knowledge.loading import load_knowledge
from bot.knowledge.storage import (
    FactRow,
    OrganisationRow,
    route_to_partners,
    store_knowledge,
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> sa.engine.Engine:
    path: Path = tmp_path_factory.mktemp("kb") / "knowledge.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    store_knowledge(engine, load_knowledge())
    return engine


@pytest.mark.parametrize(
    "place, topic, partners",
    [
        ("brussels", "microloan", ["microstart"]),
        ("brussels", "qualification_recognition", ["french-community-recognition"]),
        ("antwerp", "qualification_recognition", ["naric-vlaanderen"]),
        ("liege", "recognition_cost", ["french-community-recognition"]),
        ("BE", "business_training", ["microstart"]),
        ("rotterdam", "microloan", ["qredits"]),
        ("NL", "recognition_duration", ["idw"]),
        ("vantaa", "job_coaching", ["city-of-vantaa"]),
        ("vantaa", "microloan", ["finnvera", "job-market-finland"]),
        ("vantaa", "business_training", ["enterprise-agencies"]),
        ("vantaa", "qualification_recognition", ["opetushallitus"]),
        ("helsinki", "job_coaching", []),
        ("turin", "business_training", ["microlab"]),
        ("turin", "microloan", ["permicro"]),
        ("milan", "business_training", []),
        ("milan", "qualification_recognition", ["cimea"]),
        ("atlantis", "microloan", []),
    ],
)
def test_routing_names_the_partner_for_the_place(
    engine: sa.engine.Engine, place: str, topic: str, partners: list[str]
) -> None:
    with Session(engine) as session:
        assert [o.id for o in route_to_partners(session, place, topic)] == partners


def test_a_local_partner_comes_before_a_national_one(engine: sa.engine.Engine) -> None:
    with Session(engine) as session:
        routed = route_to_partners(session, "turin", "start_business")
        assert [o.id for o in routed] == ["microlab", "permicro"]


def test_storing_again_replaces_rather_than_duplicates(
    engine: sa.engine.Engine,
) -> None:
    with Session(engine) as session:
        before = session.scalar(sa.select(sa.func.count(FactRow.id)))
    store_knowledge(engine, load_knowledge())
    with Session(engine) as session:
        assert session.scalar(sa.select(sa.func.count(FactRow.id))) == before > 0
        facts = session.scalars(sa.select(FactRow)).all()
        assert all(fact.source.url.startswith("https://") for fact in facts)


def test_a_second_replica_finds_the_knowledge_stored_and_drops_nothing(
    tmp_path: Path,
) -> None:
    """A replica starting beside a running one: same rows, no table made again."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'kb.db'}")
    knowledge = load_knowledge()
    assert store_knowledge(engine, knowledge) is True
    with engine.begin() as connection:  # a row the first replica reads from
        first_fact = connection.execute(sa.select(FactRow.id)).scalars().first()
    assert store_knowledge(engine, knowledge) is False
    with Session(engine) as session:
        assert session.get(FactRow, first_fact) is not None


def test_changed_knowledge_replaces_the_rows_in_one_transaction(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'kb.db'}")
    knowledge = load_knowledge()
    store_knowledge(engine, knowledge)
    vantaa = knowledge.organisations["city-of-vantaa"]
    changed = replace(
        knowledge,
        organisations={
            **knowledge.organisations,
            vantaa.id: replace(vantaa, name="Vantaan kaupunki"),
        },
    )
    assert store_knowledge(engine, changed) is True
    with Session(engine) as session:
        names = session.scalars(sa.select(OrganisationRow.name)).all()
    assert "Vantaan kaupunki" in names and vantaa.name not in names
    assert len(names) == len(knowledge.organisations)
