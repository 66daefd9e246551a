"""Runs the whole assistant: Rasa, the action server and the web app.

Trains the model first if its data changed, starts the three processes under
supervisord (from the ``supervisor`` package), which restarts one that dies, with
backoff, while the others go on; waits until every process answers, prints where to
talk to it, and stops all three on Ctrl-C or SIGTERM.

``supervisorctl -c var/run/<RASA_PORT>/supervisord.conf status`` shows the processes.
"""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from bot import settings
from bot.db.tables import engine_for, migrate
from bot.nlu.model import ensure_model
from bot.staff.queries import prepare_events

STARTUP_TIMEOUT_SECONDS = 300
# Rasa refuses larger request bodies (its API's model upload is the largest need).
RASA_MAX_REQUEST_BYTES = 64 * 1024


@dataclass
class Service:
    """One process of the assistant and the URL that answers once it is ready."""

    name: str
    command: list[str]
    ready_url: str
    environment: dict[str, str] | None = None
    user: str | None = None  # run as this user (supervisord started as root)
    # Where it runs: the checkout, unless another user runs it (a checkout may be
    # closed to others, as a clone in a folder made by mktemp is).
    directory: Path | None = None
    autostart: bool = True
    # Started in this order, stopped in the reverse one (supervisord's priority).
    priority: int = 500
    stop_signal: str = "TERM"


def control_directory(rasa_port: int = settings.RASA_PORT) -> Path:
    """Where supervisord's configuration and control socket live for these ports."""
    return settings.ROOT / "var" / "run" / str(rasa_port)


def rasa_command(
    model: str,
    port: int = settings.RASA_PORT,
    endpoints: str = "endpoints.yml",
    interface: str | None = None,
) -> list[str]:
    """``rasa run`` with the channels, called from browsers on ALLOWED_ORIGINS only.

    Its HTTP API (trackers, models) is on only with RASA_API_TOKEN, and then every
    API request needs that token.
    """
    command = [
        sys.executable,
        "-m",
        "rasa",
        "run",
        "--model",
        model,
        "--interface",
        interface or settings.HOST,
        "--port",
        str(port),
        "--endpoints",
        endpoints,
        "--credentials",
        "credentials.yml",
        "--cors",
        *settings.allowed_origins(),
    ]
    if settings.RASA_API_TOKEN:
        # One argument: a token may begin with "-" (URL-safe base64), which argparse
        # would take for an option.
        command += ["--enable-api", f"--auth-token={settings.RASA_API_TOKEN}"]
    return command


def services(model: str) -> list[Service]:
    """The three processes, configured from ``bot.settings``."""
    python = sys.executable
    host = settings.HOST
    actions = settings.service_environment()["ACTION_SERVER_URL"]
    return [
        Service(
            "web",
            [
                python,
                "-m",
                "bot.web.app",
                "--host",
                host,
                "--port",
                str(settings.WEB_PORT),
            ],
            f"http://{local(host)}:{settings.WEB_PORT}/health",
        ),
        Service(
            "actions",
            [
                python,
                "-m",
                "bot.action_server",
                "--host",
                settings.ACTIONS_HOST,
                "--port",
                str(settings.ACTIONS_PORT),
            ],
            actions.replace("/webhook", "/health"),
        ),
        Service(
            "rasa",
            rasa_command(model),
            f"http://{local(host)}:{settings.RASA_PORT}/",
            {"SANIC_REQUEST_MAX_SIZE": str(RASA_MAX_REQUEST_BYTES)},
        ),
    ]


def local(host: str) -> str:
    """The address to check a server listening on ``host`` from this machine."""
    return "127.0.0.1" if host in {"0.0.0.0", ""} else host


def supervisor_config(all_services: list[Service], directory: Path) -> str:
    """The configuration of supervisord: each service restarted when it dies."""
    lines = [
        "[supervisord]",
        "nodaemon=true",
        f"logfile={directory / 'supervisord.log'}",
        "logfile_maxbytes=10MB",
        "loglevel=info",
        f"pidfile={directory / 'supervisord.pid'}",
        f"childlogdir={directory}",
        "",
        "[unix_http_server]",
        f"file={directory / 'supervisor.sock'}",
        "chmod=0700",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = "
        "supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{directory / 'supervisor.sock'}",
    ]
    for service in all_services:
        lines += [
            "",
            f"[program:{service.name}]",
            "command=" + shlex.join(service.command).replace("%", "%%"),
            f"directory={service.directory or settings.ROOT}",
            f"autostart={'true' if service.autostart else 'false'}",
            f"priority={service.priority}",
            f"stopsignal={service.stop_signal}",
            "autorestart=true",
            # Dying within startsecs is a failed start: retried with growing delays.
            "startsecs=5",
            "startretries=10",
            "stopwaitsecs=15",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            "stdout_logfile=/dev/stdout",
            "stdout_logfile_maxbytes=0",
        ]
        if service.environment:
            pairs = ",".join(f'{k}="{v}"' for k, v in service.environment.items())
            lines.append(f"environment={pairs}")
        if service.user:
            lines.append(f"user={service.user}")
    return "\n".join(lines) + "\n"


def answers(url: str) -> bool:
    """Whether ``url`` answers with a success status (``tcp://``: accepts)."""
    if url.startswith("tcp://"):
        host, port = url.removeprefix("tcp://").rsplit(":", 1)
        try:
            socket.create_connection((host, int(port)), timeout=2).close()
            return True
        except OSError:
            return False
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 400
    except (urllib.error.URLError, OSError):
        return False


def process_environment() -> dict[str, str]:
    """The environment of the processes, with the secrets they share.

    Secrets not set in the environment are made for this run.
    """
    environment = {**os.environ, **settings.service_environment()}
    if not environment.get("ACTION_SERVER_TOKEN"):
        environment["ACTION_SERVER_TOKEN"] = secrets.token_urlsafe(32)
    environment["ALLOWED_ORIGINS"] = " ".join(settings.allowed_origins())
    return environment


def supervise(
    all_services: list[Service],
    environment: dict[str, str],
    directory: Path | None = None,
) -> subprocess.Popen:
    """Starts supervisord with the services; returns once every one answers.

    Services that do not start on their own (``autostart``) are not waited for.
    """
    directory = directory or control_directory()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    config = directory / "supervisord.conf"
    config.write_text(supervisor_config(all_services, directory), encoding="utf-8")
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "supervisor.supervisord", "-c", str(config)],
        cwd=settings.ROOT,
        env=environment,
    )
    wait_for(supervisor, [s for s in all_services if s.autostart])
    return supervisor


def wait_for(supervisor: subprocess.Popen, waited: list[Service]) -> None:
    """Returns once every service answers; stops everything if one does not in time."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    for service in waited:
        while not answers(service.ready_url):
            if supervisor.poll() is not None:
                raise RuntimeError("supervisord stopped while starting the assistant.")
            if time.monotonic() > deadline:
                stop(supervisor)
                raise RuntimeError(
                    f"The {service.name} process did not answer in time."
                )
            time.sleep(0.5)
        print(f"  {service.name} is up: {service.ready_url}", flush=True)


def stop(supervisor: subprocess.Popen | None) -> None:
    """Stops supervisord, which stops every process it runs."""
    if supervisor and supervisor.poll() is None:
        supervisor.terminate()
        try:
            supervisor.wait(timeout=60)
        except subprocess.TimeoutExpired:
            supervisor.kill()


def shown(url: str) -> str:
    """A database URL as it may be printed: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def shell(model: str, environment: dict[str, str]) -> int:
    """Chats in the terminal (``rasa shell``) with the action server and web app up."""
    supervisor = None
    try:
        supervisor = supervise(services(model)[:2], environment)
        command = [
            sys.executable,
            "-m",
            "rasa",
            "shell",
            "--model",
            model,
            "--endpoints",
            "endpoints.yml",
            "--port",
            str(settings.RASA_PORT),
        ]
        return subprocess.run(command, cwd=settings.ROOT, env=environment).returncode
    except KeyboardInterrupt:
        return 0
    finally:
        stop(supervisor)


def main() -> int:
    """Trains if needed, runs the assistant until Ctrl-C (or ``--shell``: a chat)."""
    settings.ensure_database_directory()
    migrate(settings.DATABASE_URL)  # our tables, before any process uses them
    model = str(ensure_model())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    environment = process_environment()
    if "--shell" in sys.argv[1:]:
        return shell(model, environment)
    supervisor = None
    try:
        print("Starting the assistant...", flush=True)
        supervisor = supervise(services(model), environment)
        # Rasa has created its events table by now: the portal's index on it.
        prepare_events(engine_for(settings.DATABASE_URL))
        host = local(settings.HOST)
        rest = f"http://{host}:{settings.RASA_PORT}/webhooks/rest/webhook"
        demo = f"http://{host}:{settings.WEB_PORT}/"
        print(
            "\nThe assistant is running. Open the chat in a browser:\n"
            f"  {demo}\n"
            "  (on a phone in the same network: start with HOST=0.0.0.0 and open this\n"
            "  machine's address instead of 127.0.0.1)\n"
            "or talk to it over REST:\n"
            f"  curl -s {rest} -H 'Content-Type: application/json' "
            '-d \'{"sender": "me", "message": "Bonjour, je veux un microcrédit"}\'\n'
            "  or chat in the terminal instead: make shell\n"
            f"The chat opens from these pages only: {environment['ALLOWED_ORIGINS']}\n"
            "  (others: set ALLOWED_ORIGINS)\n"
            f"Staff pages (desks, partners): http://{host}:{settings.WEB_PORT}"
            "/staff/login\n"
            f"Conversations are stored in {shown(settings.DATABASE_URL)}\n"
            "Processes: .venv/bin/supervisorctl -c "
            f"{control_directory() / 'supervisord.conf'} status\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        supervisor.wait()
        print("supervisord stopped.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(supervisor)


if __name__ == "__main__":
    sys.exit(main())
