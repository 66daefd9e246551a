"""Databases for the tracker store's tests: SQLite, and a throwaway PostgreSQL server.

A pytest plugin (``pytest_plugins`` in conftest.py): ``database`` gives each test a new,
empty database of each kind, ``store`` our tracker store on it as Rasa makes it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from bot import settings
from bot.db.tracker_store import ErasureAwareTrackerStore

DOMAIN = Domain.from_dict(
    {
        "slots": {
            name: {"type": "text", "mappings": [{"type": "custom"}]}
            for name in ("referral_name", "referral_contact")
        }
    }
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[str]:
    """A throwaway PostgreSQL server (skipped where PostgreSQL is not installed)."""
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        pytest.skip("PostgreSQL is not installed")
    directory = Path(tempfile.mkdtemp(prefix="erasure-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL does not run as root
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(directory, "postgres")
    data, port = directory / "data", free_port()
    try:
        subprocess.run(
            [*as_postgres, "initdb", "-D", str(data), "-A", "trust", "-U", "postgres"]
            + ["--no-sync"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -F"
        subprocess.run(
            [*as_postgres, "pg_ctl", "-D", str(data), "-o", options, "-w", "-t", "60"]
            + ["-l", str(directory / "log"), "start"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*as_postgres, "pg_ctl", "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A new, empty database: the URL as DATABASE_URL would give it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'var' / 'assistant.db'}"
    else:
        server = request.getfixturevalue("postgresql_server")
        name = f"erasure_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f"CREATE DATABASE {name}"))
        admin.dispose()
        url = f"{server}/{name}"
    monkeypatch.setattr(settings, "DATABASE_URL", url)
    return url


@pytest.fixture
def store(database: str) -> Iterator[ErasureAwareTrackerStore]:
    """Our store, made by Rasa from the endpoints.yml configuration."""
    made = tracker_store(database)
    yield made
    made.engine.dispose()


def tracker_store(url: str) -> ErasureAwareTrackerStore:
    """Our store on ``url``, made by Rasa from the endpoints.yml configuration."""
    made = TrackerStore.create(
        EndpointConfig(url=url, type="bot.db.tracker_store.ErasureAwareTrackerStore"),
        DOMAIN,
    )
    assert isinstance(made, ErasureAwareTrackerStore)  # not Rasa's in-memory fallback
    return made


@pytest.fixture
def replica(database: str) -> Iterator[ErasureAwareTrackerStore]:
    """A second Rasa process's store on the same database."""
    made = tracker_store(database)
    yield made
    made.engine.dispose()
