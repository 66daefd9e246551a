"""The replicated topology's configuration: what is public, where each part listens."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import settings
from bot.cluster import (
    ClusterError,
    Ports,
    app_services,
    debian_tool,
    haproxy_config,
    lock_store,
    postgres_service,
)
from bot.run import Service, supervisor_config

PORTS = Ports(public=8080, base=6100)


def test_only_the_balancer_is_public_and_it_routes_only_the_channels_to_rasa() -> None:
    config = haproxy_config(PORTS, replicas=2)
    binds = [line.split()[1] for line in config.splitlines() if "bind " in line]
    assert binds == ["127.0.0.1:8080", "127.0.0.1:6200"]  # HOST, then loopback
    assert "acl channel path_beg /socket.io/" in config
    assert "acl channel path /webhooks/rest/webhook" in config
    assert "use_backend rasa if channel" in config  # the API goes to the web app: 404
    assert config.count("server rasa") == 2 and "cookie assistant_replica" in config


def test_every_replica_listens_on_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even when the public port is open to the network (HOST=0.0.0.0)."""
    monkeypatch.setattr(settings, "HOST", "0.0.0.0")
    assert "bind 0.0.0.0:8080" in haproxy_config(PORTS, replicas=1)
    services = app_services(
        "model.tar.gz", PORTS, 2, tmp_path / "endpoints.yml", "http://x:8080"
    )
    for service in services:
        command = service.command
        flag = "--interface" if "--interface" in command else "--host"
        assert command[command.index(flag) + 1] == "127.0.0.1", service.name
    assert [s.name for s in services if not s.autostart] == [s.name for s in services]


def test_the_lock_store_reads_the_redis_url() -> None:
    assert lock_store("redis://:secret@10.0.0.5:6380/2") == {
        "type": "redis",
        "url": "10.0.0.5",
        "port": 6380,
        "password": "secret",
        "db": 2,
        "key_prefix": "assistant",
    }


def test_a_program_run_by_another_user_runs_in_its_own_directory(
    tmp_path: Path,
) -> None:
    """A checkout may be closed to others (mktemp's 0700): PostgreSQL, run as its own
    user, must not be started in it; our programs are."""
    data = tmp_path / "postgres-data"
    services = [
        Service(
            "postgres",
            ["postgres"],
            "tcp://127.0.0.1:1",
            user="postgres",
            directory=data,
        ),
        Service("rasa", ["rasa", "run"], "http://127.0.0.1:2/"),
    ]

    config = supervisor_config(services, tmp_path)

    postgres = config.split("[program:postgres]")[1].split("[program:")[0]
    rasa = config.split("[program:rasa]")[1]
    assert f"directory={data}\n" in postgres
    assert f"directory={settings.ROOT}\n" in rasa


def _free_base() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1] - 300


def test_a_database_folder_left_by_an_earlier_clone_opens_with_this_clones_password(
    tmp_path: Path,
) -> None:
    """CI clones to the same path each time: the PostgreSQL folder the last clone made
    has its password, and the topology did not start ("password authentication
    failed"). The new clone must get a database it can open."""
    try:
        debian_tool("initdb")
    except ClusterError:
        pytest.skip("PostgreSQL is not installed")
    base = _free_base()
    ports = Ports(public=base - 1, base=base)
    earlier, _ = postgres_service(ports, tmp_path, "earlier clone's password")
    service, url = postgres_service(ports, tmp_path, "this clone's password")
    assert service.directory == earlier.directory
    command = service.command
    if service.user:
        command = ["runuser", "-u", service.user, "--", *command]
    server = subprocess.Popen(
        command,
        cwd=service.directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # The launcher makes the assistant's database later: the password opens the server.
    engine = sa.create_engine(sa.engine.make_url(url).set(database="postgres"))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with engine.connect() as connection:
                    assert connection.execute(sa.text("select 1")).scalar() == 1
                break
            except sa.exc.OperationalError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
    finally:
        engine.dispose()
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(service.directory, ignore_errors=True)
