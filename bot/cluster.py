"""The replicated topology on one machine: ``make run-cluster`` (``bot.cluster``).

PostgreSQL holds the conversations (Rasa's tracker store) and our tables; Redis is
Rasa's lock store, so two replicas never handle one conversation at once; REPLICAS
Rasa servers, action servers and web apps run behind HAProxy. The balancer's port
(CLUSTER_PORT, default 8080) is the only public one: it serves the widget's channel
(``/socket.io/``, sticky by cookie), the REST channel and the web app; Rasa's API is not
reachable through it. The action servers are balanced on loopback, for Rasa only.
Everything runs under supervisord, which restarts a process that dies; HAProxy's
health checks take a replica out while it is down.

PostgreSQL, Redis and HAProxy are Debian's packages (``scripts/setup_cluster.sh``
installs them, as root). With ``DATABASE_URL`` (``postgresql://...``) or ``REDIS_URL``
set, those servers are used and ours are not started. ``make run`` stays the
single-machine default on SQLite.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from sqlalchemy.engine import URL, make_url

from bot import settings
from bot.db.tables import engine_for, migrate
from bot.nlu.model import ensure_model
from bot.run import (
    RASA_MAX_REQUEST_BYTES,
    Service,
    local,
    process_environment,
    rasa_command,
    shown,
    stop,
    supervise,
    wait_for,
)
from bot.staff.queries import prepare_events

REPLICAS = int(os.environ.get("REPLICAS", "2"))
CLUSTER_PORT = int(os.environ.get("CLUSTER_PORT", "8080"))
# The private ports: Rasa BASE+1.., action servers BASE+101.. (balanced on BASE+100),
# web apps BASE+201.., PostgreSQL BASE+300, Redis BASE+301. All on loopback.
BASE_PORT = int(os.environ.get("CLUSTER_BASE_PORT", "6100"))
CONNECT_SECONDS = 30


class ClusterError(RuntimeError):
    """The topology cannot start: the message says what to do."""


@dataclass(frozen=True)
class Ports:
    """Where each process of the topology listens."""

    public: int
    base: int

    def rasa(self, i: int) -> int:
        """A Rasa replica's port."""
        return self.base + 1 + i

    def actions(self, i: int) -> int:
        """An action server's port."""
        return self.base + 101 + i

    @property
    def actions_balancer(self) -> int:
        """Where Rasa reaches the action servers (HAProxy, loopback)."""
        return self.base + 100

    def web(self, i: int) -> int:
        """A web app's port."""
        return self.base + 201 + i

    @property
    def postgres(self) -> int:
        """Our PostgreSQL's port."""
        return self.base + 300

    @property
    def redis(self) -> int:
        """Our Redis's port."""
        return self.base + 301


def cluster_directory(public_port: int = CLUSTER_PORT) -> Path:
    """Configuration, secrets and logs of the topology on this port."""
    return settings.ROOT / "var" / "cluster" / str(public_port)


def stored_secrets(directory: Path) -> dict[str, str]:
    """The passwords and token the processes share, made once and kept (mode 0600)."""
    path = directory / "secrets.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    made = {
        name: secrets.token_urlsafe(24)
        for name in ("postgres", "redis", "action_server")
    }
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.touch(mode=0o600)
    path.write_text(json.dumps(made), encoding="utf-8")
    return made


def debian_tool(name: str) -> str:
    """The path of a PostgreSQL, Redis or HAProxy program, or a clear error."""
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))),
        None,
    )
    if found is None:
        raise ClusterError(
            f"{name} is not installed. As root, run: bash scripts/setup_cluster.sh "
            "(Debian's postgresql, redis-server and haproxy), or set DATABASE_URL and "
            "REDIS_URL to servers you run."
        )
    return found


def as_root() -> bool:
    """Whether we run as root (the servers then run as their own users)."""
    return os.geteuid() == 0


def postgres_service(
    ports: Ports, directory: Path, password: str
) -> tuple[Service, str]:
    """Our PostgreSQL server (made on first use) and the URL of its database."""
    # As root, PostgreSQL runs as its own user, in its own folder: one per checkout
    # and port (its password is this checkout's).
    checkout = hashlib.sha256(str(directory).encode()).hexdigest()[:8]
    data = (
        Path("/var/lib/postgresql") / f"assistant-{ports.public}-{checkout}"
        if as_root()
        else directory / "postgres"
    )
    user = "postgres" if as_root() else None
    if not _made_with(data, password):
        # A folder left by an earlier clone at the same path (CI reuses its path) was
        # made with that clone's password, which is gone: nobody can open it.
        shutil.rmtree(data, ignore_errors=True)
        _initdb(data, user, password)
    command = [
        debian_tool("postgres"),
        "-D",
        str(data),
        "-p",
        str(ports.postgres),
        "-k",
        str(data),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "max_connections=200",
    ]
    url = URL.create(
        "postgresql",
        username="assistant",
        password=password,
        host="127.0.0.1",
        port=ports.postgres,
        database="assistant",
    ).render_as_string(hide_password=False)
    ready = f"tcp://127.0.0.1:{ports.postgres}"
    # Fast shutdown (SIGINT): clients are disconnected instead of waited for.
    postgres = Service(
        "postgres",
        command,
        ready,
        user=user,
        directory=data,
        priority=100,
        stop_signal="INT",
    )
    return postgres, url


def _password_mark(password: str) -> str:
    """What the data folder keeps to tell which password made it (not the password)."""
    return hashlib.sha256(f"assistant-postgres:{password}".encode()).hexdigest()


def _made_with(data: Path, password: str) -> bool:
    """Whether the database cluster in ``data`` was made with ``password``."""
    mark = data / "assistant.password.sha256"
    return (
        (data / "PG_VERSION").exists()
        and mark.exists()
        and (mark.read_text(encoding="utf-8").strip() == _password_mark(password))
    )


def _initdb(data: Path, user: str | None, password: str) -> None:
    """A new database cluster whose only role, ``assistant``, needs its password."""
    data.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.NamedTemporaryFile("w", delete=False, suffix=".pw") as secret:
        secret.write(password + "\n")
    try:
        if user:
            owner = pwd.getpwnam(user)
            os.chown(data, owner.pw_uid, owner.pw_gid)
            os.chown(secret.name, owner.pw_uid, owner.pw_gid)
        command = [
            debian_tool("initdb"),
            "-D",
            str(data),
            "-U",
            "assistant",
            f"--pwfile={secret.name}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
        ]
        if user:
            command = ["runuser", "-u", user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True, cwd=data)
        (data / "assistant.password.sha256").write_text(
            _password_mark(password) + "\n", encoding="utf-8"
        )
    except subprocess.CalledProcessError as error:
        raise ClusterError(f"initdb failed: {error.stderr.strip()}") from None
    finally:
        os.unlink(secret.name)


def redis_service(ports: Ports, directory: Path, password: str) -> tuple[Service, str]:
    """Our Redis (no persistence: it holds only locks) and its URL."""
    config = directory / "redis.conf"
    config.touch(mode=0o600)
    config.write_text(
        "\n".join(
            [
                "bind 127.0.0.1",
                f"port {ports.redis}",
                "protected-mode yes",
                f"requirepass {password}",
                'save ""',
                "appendonly no",
                "daemonize no",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    service = Service(
        "redis",
        [debian_tool("redis-server"), str(config)],
        f"tcp://127.0.0.1:{ports.redis}",
        priority=100,
    )
    return service, f"redis://:{password}@127.0.0.1:{ports.redis}/0"


def lock_store(redis_url: str) -> dict[str, object]:
    """Rasa's ``RedisLockStore`` settings for ``endpoints.yml``."""
    parts = urlsplit(redis_url)
    return {
        "type": "redis",
        "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "password": parts.password,
        "db": int(parts.path.strip("/") or 0),
        "key_prefix": "assistant",
    }


def cluster_endpoints(directory: Path, redis_url: str) -> Path:
    """endpoints.yml with the Redis lock store (the file is private: a password)."""
    endpoints = yaml.safe_load((settings.ROOT / "endpoints.yml").read_text())
    endpoints["lock_store"] = lock_store(redis_url)
    path = directory / "endpoints.yml"
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    return path


def haproxy_config(ports: Ports, replicas: int) -> str:
    """The balancer: channels and web app public, action servers on loopback."""

    def servers(name: str, port_of, check: str, sticky: bool = False) -> list[str]:
        return [
            f"    server {name}{i + 1} 127.0.0.1:{port_of(i)} check inter 2s "
            f"fall 3 rise 2{f' cookie {name}{i + 1}' if sticky else ''}"
            for i in range(replicas)
        ] + [f"    option httpchk GET {check}"]

    lines = [
        "global",
        "    maxconn 4096",
        *(["    user haproxy", "    group haproxy"] if as_root() else []),
        "",
        "defaults",
        "    mode http",
        "    option forwardfor",
        "    option redispatch",
        "    retries 2",
        "    timeout connect 5s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout tunnel 1h",
        # A busy replica answers its check late; a dead one refuses it at once.
        "    timeout check 5s",
        "",
        "frontend public",
        f"    bind {settings.HOST}:{ports.public}",
        "    acl channel path_beg /socket.io/",
        "    acl channel path /webhooks/rest/webhook",
        "    use_backend rasa if channel",
        "    default_backend web",
        "",
        "backend rasa",
        "    balance leastconn",
        "    cookie assistant_replica insert indirect nocache httponly",
        *servers("rasa", ports.rasa, "/", sticky=True),
        "",
        "backend web",
        "    balance roundrobin",
        *servers("web", ports.web, "/health"),
        "",
        "listen actions",
        f"    bind 127.0.0.1:{ports.actions_balancer}",
        "    balance leastconn",
        *servers("actions", ports.actions, "/health"),
    ]
    return "\n".join(lines) + "\n"


def app_services(
    model: str, ports: Ports, replicas: int, endpoints: Path, public_url: str
) -> list[Service]:
    """Rasa, action server and web app replicas (started once the stores answer)."""
    python = sys.executable
    found: list[Service] = []
    for i in range(replicas):
        found.append(
            Service(
                f"rasa{i + 1}",
                # Behind the balancer only: loopback, whatever HOST is.
                rasa_command(model, ports.rasa(i), str(endpoints), "127.0.0.1"),
                f"http://127.0.0.1:{ports.rasa(i)}/",
                {"SANIC_REQUEST_MAX_SIZE": str(RASA_MAX_REQUEST_BYTES)},
                autostart=False,
            )
        )
        found.append(
            Service(
                f"actions{i + 1}",
                [python, "-m", "bot.action_server"]
                + ["--host", "127.0.0.1", "--port", str(ports.actions(i))],
                f"http://127.0.0.1:{ports.actions(i)}/health",
                autostart=False,
            )
        )
        found.append(
            Service(
                f"web{i + 1}",
                [python, "-m", "bot.web.app"]
                + ["--host", "127.0.0.1", "--port", str(ports.web(i))],
                f"http://127.0.0.1:{ports.web(i)}/health",
                {"PUBLIC_SOCKET_URL": public_url},
                autostart=False,
            )
        )
    return found


def reachable_database(url: str) -> None:
    """Waits for PostgreSQL to take logins; makes the database; else a clear error."""
    import psycopg2

    target = make_url(url)
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            connection = psycopg2.connect(
                host=target.host,
                port=target.port,
                user=target.username,
                password=target.password,
                dbname="postgres",
                connect_timeout=3,
            )
            break
        except psycopg2.OperationalError as error:
            if time.monotonic() > deadline:
                reason = str(error).strip().splitlines()[0]
                raise ClusterError(
                    f"Cannot reach PostgreSQL at {shown(url)}: {reason}"
                ) from None
            time.sleep(0.5)
    connection.autocommit = True  # CREATE DATABASE runs outside a transaction
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)
        )
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{target.database}"')
    connection.close()


def reachable_redis(url: str) -> None:
    """Waits for Redis to answer a PING; else a clear error naming the URL."""
    import redis

    deadline = time.monotonic() + CONNECT_SECONDS
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    while True:
        try:
            client.ping()
            return
        except redis.RedisError as error:
            if time.monotonic() > deadline:
                safe = url.replace(urlsplit(url).password or "\0", "***")
                raise ClusterError(f"Cannot reach Redis at {safe}: {error}") from None
            time.sleep(0.5)


def prepare_database(url: str) -> None:
    """Our migrations and Rasa's events table, once, before any replica starts."""
    from rasa.core.tracker_store import SQLTrackerStore

    migrate(url)
    # Rasa's events table, as its SQL store makes it (without starting a store).
    SQLTrackerStore.Base.metadata.create_all(engine_for(url))
    prepare_events(engine_for(url))


def start_programs(directory: Path, names: list[str]) -> None:
    """Asks supervisord to start programs that do not start on their own."""
    subprocess.run(
        [sys.executable, "-m", "supervisor.supervisorctl"]
        + ["-c", str(directory / "supervisord.conf"), "start", *names],
        check=True,
        capture_output=True,
    )


def main() -> int:
    """Starts the topology and runs it until Ctrl-C or SIGTERM."""
    if REPLICAS < 1:
        print("REPLICAS must be 1 or more.", file=sys.stderr)
        return 2
    ports = Ports(public=CLUSTER_PORT, base=BASE_PORT)
    directory = cluster_directory(ports.public)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    shared = stored_secrets(directory)
    public_url = f"http://{local(settings.HOST)}:{ports.public}"
    os.environ.setdefault("ALLOWED_ORIGINS", public_url)
    os.environ.setdefault("ACTION_SERVER_TOKEN", shared["action_server"])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    supervisor = None
    try:
        stores: list[Service] = []
        database_url = os.environ.get("DATABASE_URL", "")
        if not database_url.startswith("postgresql"):
            postgres, database_url = postgres_service(
                ports, directory, shared["postgres"]
            )
            stores.append(postgres)
        redis_url = os.environ.get("REDIS_URL", "")
        if not redis_url:
            redis_server, redis_url = redis_service(ports, directory, shared["redis"])
            stores.append(redis_server)
        haproxy = Service(
            "haproxy",
            [debian_tool("haproxy"), "-db", "-f", str(directory / "haproxy.cfg")],
            f"tcp://{local(settings.HOST)}:{ports.public}",
            autostart=False,
            priority=900,
        )
        (directory / "haproxy.cfg").write_text(haproxy_config(ports, REPLICAS))
        urls = directory / "urls.json"  # for operators and the cluster test
        urls.touch(mode=0o600)
        urls.write_text(json.dumps({"database": database_url, "redis": redis_url}))
        model = str(ensure_model())
        os.environ["DATABASE_URL"] = database_url
        settings.DATABASE_URL = database_url
        environment = process_environment()
        environment["DATABASE_URL"] = database_url
        environment["ACTION_SERVER_URL"] = (
            f"http://127.0.0.1:{ports.actions_balancer}/webhook"
        )
        apps = app_services(
            model, ports, REPLICAS, cluster_endpoints(directory, redis_url), public_url
        )
        print(f"Starting {REPLICAS} replicas behind HAProxy...", flush=True)
        supervisor = supervise([*stores, *apps, haproxy], environment, directory)
        reachable_database(database_url)
        reachable_redis(redis_url)
        prepare_database(database_url)
        start_programs(directory, [s.name for s in apps] + ["haproxy"])
        wait_for(supervisor, [*apps, haproxy])
        print(
            "\nThe assistant is running, replicated. Open the chat in a browser:\n"
            f"  {public_url}/\n"
            f"REST: {public_url}/webhooks/rest/webhook\n"
            f"Conversations are stored in {shown(database_url)}; locks in Redis.\n"
            "Processes: .venv/bin/supervisorctl -c "
            f"{directory / 'supervisord.conf'} status\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        supervisor.wait()
        print("supervisord stopped.", file=sys.stderr)
        return 1
    except ClusterError as error:
        print(f"Cannot start the replicated assistant: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(supervisor)


if __name__ == "__main__":
    sys.exit(main())
