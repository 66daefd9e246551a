"""The knowledge in a real SQLite database, and routing to the right partner."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.knowledge.loading import load_knowledge
from bot.knowledge.storage import FactRow, route_to_partners, store_knowledge


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
        (
            "brussels",
            "qualification_recognition",
            ["french-community-recognition", "naric-vlaanderen"],
        ),
        ("antwerp", "qualification_recognition", ["naric-vlaanderen"]),
        ("liege", "recognition_cost", ["french-community-recognition"]),
        ("BE", "business_training", ["microstart"]),
        ("rotterdam", "microloan", ["qredits"]),
        ("NL", "recognition_duration", ["idw"]),
        ("vantaa", "job_coaching", ["city-of-vantaa"]),
        ("vantaa", "microloan", ["enterprise-agencies", "finnvera"]),
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
