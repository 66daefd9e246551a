"""Runs the whole assistant: Rasa, the action server and the web app.

Trains the model first if its data changed, waits until every process answers, prints
where to talk to it, and stops all three on Ctrl-C (or when one of them dies).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from bot import settings
from bot.conversations import prepare_events
from bot.model import ensure_model
from bot.records import engine_for, migrate

STARTUP_TIMEOUT_SECONDS = 300


@dataclass
class Service:
    """One process of the assistant and the URL that answers once it is ready."""

    name: str
    command: list[str]
    ready_url: str
    process: subprocess.Popen | None = None


def services(model: str) -> list[Service]:
    """The three processes, configured from ``bot.settings``."""
    python = sys.executable
    host = settings.HOST
    return [
        Service(
            "web app",
            [
                python,
                "-m",
                "bot.server",
                "--host",
                host,
                "--port",
                str(settings.WEB_PORT),
            ],
            f"http://{host}:{settings.WEB_PORT}/health",
        ),
        Service(
            "action server",
            [
                python,
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "-p",
                str(settings.ACTIONS_PORT),
            ],
            f"http://{host}:{settings.ACTIONS_PORT}/health",
        ),
        Service(
            "Rasa",
            [
                python,
                "-m",
                "rasa",
                "run",
                "--model",
                model,
                "--enable-api",
                "--interface",
                host,
                "--port",
                str(settings.RASA_PORT),
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
                "--cors",
                "*",
            ],
            f"http://{host}:{settings.RASA_PORT}/status",
        ),
    ]


def answers(url: str) -> bool:
    """Whether ``url`` answers with a success status."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 400
    except (urllib.error.URLError, OSError):
        return False


def start(all_services: list[Service]) -> None:
    """Starts every service and waits until each answers, or raises."""
    env = {**os.environ, **settings.service_environment()}
    for service in all_services:
        service.process = subprocess.Popen(service.command, cwd=settings.ROOT, env=env)
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    for service in all_services:
        while not answers(service.ready_url):
            if service.process.poll() is not None:
                raise RuntimeError(f"The {service.name} stopped while starting.")
            if time.monotonic() > deadline:
                raise RuntimeError(f"The {service.name} did not answer in time.")
            time.sleep(0.5)
        print(f"  {service.name} is up: {service.ready_url}", flush=True)


def stop(all_services: list[Service]) -> None:
    """Stops every service that is still running."""
    for service in all_services:
        if service.process and service.process.poll() is None:
            service.process.terminate()
    for service in all_services:
        if service.process:
            try:
                service.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                service.process.kill()


def shell(model: str) -> int:
    """Chats in the terminal (``rasa shell``) with the action server and web app up."""
    helpers = services(model)[:2]
    env = {**os.environ, **settings.service_environment()}
    try:
        start(helpers)
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
        return subprocess.run(command, cwd=settings.ROOT, env=env).returncode
    except KeyboardInterrupt:
        return 0
    finally:
        stop(helpers)


def main() -> int:
    """Trains if needed, runs the assistant until Ctrl-C (or ``--shell``: a chat)."""
    settings.ensure_database_directory()
    migrate(settings.DATABASE_URL)  # our tables, before any process uses them
    model = str(ensure_model())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if "--shell" in sys.argv[1:]:
        return shell(model)
    all_services = services(model)
    try:
        print("Starting the assistant...", flush=True)
        start(all_services)
        # Rasa has created its events table by now: the portal's index on it.
        prepare_events(engine_for(settings.DATABASE_URL))
        rest = f"http://{settings.HOST}:{settings.RASA_PORT}/webhooks/rest/webhook"
        demo = f"http://{settings.HOST}:{settings.WEB_PORT}/"
        print(
            "\nThe assistant is running. Open the chat in a browser:\n"
            f"  {demo}\n"
            "  (on a phone in the same network: start with HOST=0.0.0.0 and open this\n"
            "  machine's address instead of 127.0.0.1)\n"
            "or talk to it over REST:\n"
            f"  curl -s {rest} -H 'Content-Type: application/json' "
            '-d \'{"sender": "me", "message": "Bonjour, je veux un microcrédit"}\'\n'
            "  or chat in the terminal instead: make shell\n"
            f"Staff pages (desks, partners): http://{settings.HOST}:{settings.WEB_PORT}"
            "/staff/login\n"
            f"Conversations are stored in {settings.DATABASE_URL}\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        while all(s.process and s.process.poll() is None for s in all_services):
            time.sleep(1)
        print("A process stopped; shutting down the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(all_services)


if __name__ == "__main__":
    sys.exit(main())
