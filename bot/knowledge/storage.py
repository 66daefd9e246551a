"""The knowledge in SQL tables (SQLAlchemy), and the routing query on them.

``data/knowledge`` is loaded and checked at start and written to the database in one
transaction, so every replica answers from the same rows and partners' details can
later be edited in the database without code. The rows are written only when the
knowledge changed (``kb_version`` holds the digest of what is stored), and replaced in
place: a replica starting beside running ones never drops a table under them.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.orm import Session, declarative_base, relationship

from bot.knowledge.loading import Knowledge

Base = declarative_base()


class VersionRow(Base):
    """The digest of the stored knowledge and of the tables' shape."""

    __tablename__ = "kb_version"
    id = sa.Column(sa.Integer, primary_key=True)
    digest = sa.Column(sa.String(64), nullable=False)
    shape = sa.Column(sa.String(64), nullable=False)


class SourceRow(Base):
    """Where facts come from."""

    __tablename__ = "kb_sources"
    id = sa.Column(sa.String(64), primary_key=True)
    title = sa.Column(sa.String(255), nullable=False)
    url = sa.Column(sa.String(512), nullable=False)
    checked = sa.Column(sa.String(32), nullable=False)


class PlaceRow(Base):
    """A city, region or country."""

    __tablename__ = "kb_places"
    id = sa.Column(sa.String(64), primary_key=True)
    kind = sa.Column(sa.String(16), nullable=False)
    country = sa.Column(sa.String(2), nullable=False, index=True)
    region = sa.Column(sa.String(64))


class OrganisationRow(Base):
    """A partner or a recognition body."""

    __tablename__ = "kb_organisations"
    id = sa.Column(sa.String(64), primary_key=True)
    name = sa.Column(sa.String(255), nullable=False)
    country = sa.Column(sa.String(2), nullable=False)
    url = sa.Column(sa.String(512), nullable=False)
    next_step = sa.Column(sa.Text, nullable=False)
    languages = sa.Column(sa.String(64), nullable=False, default="")  # "fi sv en"
    takes_referrals = sa.Column(sa.Boolean, nullable=False, default=False)
    facts = relationship("FactRow", order_by="FactRow.position")
    answers = relationship("AnswerRow", order_by="AnswerRow.position")


class ServiceRow(Base):
    """An organisation answers a topic for a place (city, region or country)."""

    __tablename__ = "kb_services"
    organisation_id = sa.Column(
        sa.ForeignKey("kb_organisations.id", ondelete="CASCADE"), primary_key=True
    )
    topic = sa.Column(sa.String(64), primary_key=True)
    place_id = sa.Column(sa.ForeignKey("kb_places.id"), primary_key=True, index=True)


class FactRow(Base):
    """One sourced fact of an organisation."""

    __tablename__ = "kb_facts"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    organisation_id = sa.Column(
        sa.ForeignKey("kb_organisations.id", ondelete="CASCADE"), nullable=False
    )
    position = sa.Column(sa.Integer, nullable=False)
    key = sa.Column(sa.String(64), nullable=False)
    value = sa.Column(sa.Float)
    unit = sa.Column(sa.String(16))
    text = sa.Column(sa.Text)
    note = sa.Column(sa.Text)
    uncertain = sa.Column(sa.Boolean, nullable=False, default=False)
    day = sa.Column(sa.String(10))  # YYYY-MM-DD: a fact that is a day or a month
    valid_from = sa.Column(sa.String(10))  # YYYY-MM-DD, or always
    valid_until = sa.Column(sa.String(10))
    source_id = sa.Column(sa.ForeignKey("kb_sources.id"), nullable=False)
    source = relationship("SourceRow")

    def holds(self, today: str) -> bool:
        """Whether it holds on ``today`` (YYYY-MM-DD)."""
        return holds(self.valid_from, self.valid_until, today)


answer_sources = sa.Table(
    "kb_answer_sources",
    Base.metadata,
    sa.Column(
        "answer_id",
        sa.ForeignKey("kb_answers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("source_id", sa.ForeignKey("kb_sources.id"), primary_key=True),
)


class AnswerRow(Base):
    """One sentence an organisation says about a topic (an English gettext id)."""

    __tablename__ = "kb_answers"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    organisation_id = sa.Column(
        sa.ForeignKey("kb_organisations.id", ondelete="CASCADE"), nullable=False
    )
    topic = sa.Column(sa.String(64), nullable=False)
    position = sa.Column(sa.Integer, nullable=False)
    text = sa.Column(sa.Text, nullable=False)
    uncertain = sa.Column(sa.Boolean, nullable=False, default=False)
    about = sa.Column(sa.String(255), nullable=False, default="")  # "maximum term"
    valid_from = sa.Column(sa.String(10))  # YYYY-MM-DD, or always
    valid_until = sa.Column(sa.String(10))
    after = sa.Column(sa.Text)  # said once it no longer holds, else nothing
    sources = relationship("SourceRow", secondary=answer_sources)


def holds(valid_from: str | None, valid_until: str | None, today: str) -> bool:
    """Whether ``today`` (YYYY-MM-DD) is within the days given (both included)."""
    return (valid_from or today) <= today <= (valid_until or today)


def tables_shape() -> str:
    """A digest of the kb_* tables' columns: a new column means new tables."""
    described = [
        f"{table.name}:{column.name}:{column.type}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
    ]
    return hashlib.sha256("\n".join(described).encode()).hexdigest()[:16]


def knowledge_digest(knowledge: Knowledge) -> str:
    """A digest of the knowledge's content (its dataclasses' reprs are stable)."""
    return hashlib.sha256(repr(knowledge).encode()).hexdigest()[:32]


def _lock(session: Session) -> None:
    """Serialises concurrent stores (SQLite serialises writers on its own)."""
    if session.bind.dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(4242)"))


def store_knowledge(engine: sa.engine.Engine, knowledge: Knowledge) -> bool:
    """Makes the knowledge tables hold ``knowledge``; whether anything was written.

    Nothing is written when the stored digest is already this knowledge's. Else the
    rows are replaced in one transaction: readers see the old rows or the new ones.
    Only tables of another shape (a new column) are dropped and made again.
    """
    digest, shape = knowledge_digest(knowledge), tables_shape()
    with Session(engine) as session, session.begin():
        _lock(session)
        inspector = sa.inspect(session.connection())
        stored = None
        if inspector.has_table(VersionRow.__tablename__):
            stored = session.get(VersionRow, 1)
        if stored is not None and (stored.digest, stored.shape) == (digest, shape):
            return False
        if stored is None or stored.shape != shape:
            Base.metadata.drop_all(session.connection())
            Base.metadata.create_all(session.connection())
        else:
            for table in reversed(Base.metadata.sorted_tables):
                if table is not VersionRow.__table__:
                    session.execute(table.delete())
        _insert(session, knowledge)
        session.merge(VersionRow(id=1, digest=digest, shape=shape))
    return True


def _insert(session: Session, knowledge: Knowledge) -> None:
    """Adds every row of ``knowledge`` to empty tables."""
    session.add_all(SourceRow(**vars(s)) for s in knowledge.sources.values())
    session.add_all(
        PlaceRow(id=p.id, kind=p.kind, country=p.country, region=p.region)
        for p in knowledge.places.values()
    )
    session.flush()
    for organisation in knowledge.organisations.values():
        session.add(
            OrganisationRow(
                id=organisation.id,
                name=organisation.name,
                country=organisation.country,
                url=organisation.url,
                next_step=organisation.next_step,
                languages=" ".join(organisation.languages),
                takes_referrals=organisation.takes_referrals,
            )
        )
        session.flush()
        session.add_all(
            ServiceRow(organisation_id=organisation.id, topic=topic, place_id=place)
            for topic in organisation.topics
            for places in organisation.serves.values()
            for place in places
        )
        session.add_all(
            FactRow(
                organisation_id=organisation.id,
                position=position,
                key=fact.key,
                value=fact.value,
                unit=fact.unit,
                text=fact.text,
                note=fact.note,
                uncertain=fact.uncertain,
                day=fact.day,
                valid_from=fact.valid_from,
                valid_until=fact.valid_until,
                source_id=fact.source,
            )
            for position, fact in enumerate(organisation.facts)
        )
        sources = {row.id: row for row in session.scalars(sa.select(SourceRow))}
        session.add_all(
            AnswerRow(
                organisation_id=organisation.id,
                topic=topic,
                position=position,
                text=sentence.text,
                uncertain=sentence.uncertain,
                about=" ".join(sentence.about),
                valid_from=sentence.valid_from,
                valid_until=sentence.valid_until,
                after=sentence.after,
                sources=[sources[source] for source in sentence.sources],
            )
            for topic, sentences in organisation.answers.items()
            for position, sentence in enumerate(sentences)
        )


def route_to_partners(
    session: Session, place_id: str, topic: str
) -> list[OrganisationRow]:
    """The organisations that answer ``topic`` for ``place_id``, most local first.

    A city is served by whoever serves it, its region or its country.
    """
    place = session.get(PlaceRow, place_id)
    if place is None:
        return []
    scopes = [place.id, place.region, place.country]
    rank = {scope: position for position, scope in enumerate(scopes) if scope}
    services = session.scalars(
        sa.select(ServiceRow).where(
            ServiceRow.topic == topic, ServiceRow.place_id.in_(list(rank))
        )
    ).all()
    best: dict[str, int] = {}
    for service in services:
        position = rank[service.place_id]
        best[service.organisation_id] = min(
            position, best.get(service.organisation_id, 9)
        )
    ordered = sorted(
        best, key=lambda organisation_id: (best[organisation_id], organisation_id)
    )
    return [
        session.get(OrganisationRow, organisation_id) for organisation_id in ordered
    ]
