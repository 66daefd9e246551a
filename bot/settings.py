"""Where the assistant's processes listen and store, from the environment.

The defaults run everything on one machine with an embedded SQLite database.
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RASA_PORT = int(os.environ.get("RASA_PORT", "5005"))
ACTIONS_PORT = int(os.environ.get("ACTIONS_PORT", "5055"))
WEB_PORT = int(os.environ.get("WEB_PORT", "8000"))
HOST = os.environ.get("HOST", "127.0.0.1")
# The action server is for Rasa only: loopback (or a private network's address).
ACTIONS_HOST = os.environ.get("ACTIONS_HOST", "127.0.0.1")

# Secrets shared by the processes; every replica needs the same ones. Empty: the run
# command makes one for its own processes (bot.run).
# Rasa sends ACTION_SERVER_TOKEN with every call; the action server refuses others.
ACTION_SERVER_TOKEN = os.environ.get("ACTION_SERVER_TOKEN", "")
# Rasa's HTTP API (trackers, models) is on only with a token, and then needs it.
RASA_API_TOKEN = os.environ.get("RASA_API_TOKEN", "")

# Where browsers reach Rasa's socket.io channel (empty: the widget's host, RASA_PORT).
PUBLIC_SOCKET_URL = os.environ.get("PUBLIC_SOCKET_URL", "")

# How long conversations and referrals are kept (python -m bot.db.erasure deletes
# older).
RETENTION_DAYS = int(os.environ.get("RETENTION_DAYS", "180"))

# How long a front-desk handoff link works.
HANDOFF_HOURS = int(os.environ.get("HANDOFF_HOURS", "24"))

# How long ten wrong passwords in a row lock a staff account.
LOCKOUT_MINUTES = int(os.environ.get("LOCKOUT_MINUTES", "15"))

# Mark staff cookies Secure even when a TLS proxy forwards plain HTTP to the app.
SECURE_COOKIES = os.environ.get("SECURE_COOKIES", "").lower() in {"1", "true", "yes"}

DATABASE_URL = os.environ.get(
    "DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'assistant.db'}"
)


def allowed_origins() -> list[str]:
    """Web pages that may open the widget's channel and call Rasa from a browser.

    ``ALLOWED_ORIGINS`` (space-separated, e.g. a city's website); by default the web
    app's own address.
    """
    configured = os.environ.get("ALLOWED_ORIGINS", "").split()
    if configured:
        return configured
    hosts = {HOST, "127.0.0.1", "localhost"} if HOST != "0.0.0.0" else {"localhost"}
    if HOST == "0.0.0.0":  # reachable in the local network: this machine's addresses
        hosts |= _local_addresses()
    return sorted(f"http://{host}:{WEB_PORT}" for host in hosts)


def _local_addresses() -> set[str]:
    """The IPv4 addresses of this machine (for a phone in the same network).

    The host name often resolves to loopback only (Debian's 127.0.1.1), so the
    address of the interface that leads outwards counts too: a UDP socket
    "connected" to a documentation address picks it, without sending anything.
    """
    addresses = {"127.0.0.1"}
    with contextlib.suppress(OSError):
        addresses |= set(socket.gethostbyname_ex(socket.gethostname())[2])
    with contextlib.suppress(OSError):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            addresses.add(probe.getsockname()[0])
    return addresses


def service_environment() -> dict[str, str]:
    """Variables that ``endpoints.yml`` and the three processes read."""
    return {
        "DATABASE_URL": DATABASE_URL,
        "ACTION_SERVER_URL": f"http://{_client_host(ACTIONS_HOST)}:{ACTIONS_PORT}/webhook",
        "ACTION_SERVER_TOKEN": ACTION_SERVER_TOKEN,
        "PYTHONPATH": str(ROOT),
        # No usage reports to Rasa: these machines, and our users' data, stay private.
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }


def _client_host(host: str) -> str:
    """Where a process on this machine reaches a server listening on ``host``."""
    return "127.0.0.1" if host in {"0.0.0.0", ""} else host


def ensure_database_directory(url: str = DATABASE_URL) -> None:
    """Creates the folder of an SQLite database file; other databases need nothing."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != prefix:
        Path(url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)
