"""The whole assistant (``python -m bot.run``) as a child process: tests, benchmarks.

Each user gets its own ports and database, so tests and benchmarks never meet a
running ``make run`` or each other. Everything the processes print goes to a log file
beside the database (``log``), read by tests that look for unhandled exceptions.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType

from bot.settings import ROOT

READY_LINE = "The assistant is running"


class AssistantProcess:
    """Starts and stops the assistant on the given ports and SQLite file.

    Its Rasa HTTP API is on, with ``api_token``.
    """

    module = "bot.run"

    def __init__(self, ports: dict[str, str], database: Path) -> None:
        self.api_token = secrets.token_urlsafe(16)
        self.env = {
            **os.environ,
            **ports,
            "DATABASE_URL": f"sqlite:///{database}",
            "RASA_API_TOKEN": self.api_token,
        }
        self.rasa_port = int(ports.get("RASA_PORT", "0"))
        self.database = database
        self.log = database.with_suffix(".log")
        self.process: subprocess.Popen | None = None

    def control_file(self) -> Path:
        """Supervisord's configuration, which supervisorctl reads."""
        from bot.run import control_directory

        return control_directory(self.rasa_port) / "supervisord.conf"

    def start(self) -> None:
        """Starts it and returns once every process answers (training if needed)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        ready = threading.Event()
        threading.Thread(target=self._copy_output, args=(ready,), daemon=True).start()
        while not ready.wait(timeout=1):
            if self.process.poll() is not None:
                raise RuntimeError(f"the assistant did not start; see {self.log}")

    def _copy_output(self, ready: threading.Event) -> None:
        """Copies the processes' output to the log, noting when all are up."""
        with self.log.open("a", encoding="utf-8") as log:
            for line in self.process.stdout:
                log.write(line)
                log.flush()
                if READY_LINE in line:
                    ready.set()

    def supervisorctl(self, *arguments: str) -> str:
        """What ``supervisorctl`` prints for these arguments."""
        return subprocess.run(
            [sys.executable, "-m", "supervisor.supervisorctl"]
            + ["-c", str(self.control_file()), *arguments],
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    def pid(self, program: str) -> int:
        """The process id of one of its processes ("web", "actions", "rasa")."""
        return int(self.supervisorctl("pid", program).strip())

    def stop(self) -> None:
        """Stops all its processes (bot.run stops the three on SIGTERM)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=90)

    def __enter__(self) -> AssistantProcess:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class ClusterProcess(AssistantProcess):
    """The replicated topology (``python -m bot.cluster``) on its own ports.

    PostgreSQL and Redis are its own (from Debian's packages), started by it.
    """

    module = "bot.cluster"

    def __init__(self, public_port: int, base_port: int, log: Path) -> None:
        super().__init__({}, log.with_suffix(".db"))
        self.env.pop("DATABASE_URL")
        self.env.pop("REDIS_URL", None)
        self.env.update(
            CLUSTER_PORT=str(public_port),
            CLUSTER_BASE_PORT=str(base_port),
            REPLICAS="2",
        )
        self.public_port = public_port
        self.log = log

    def control_file(self) -> Path:
        """Supervisord's configuration, which supervisorctl reads."""
        from bot.cluster import cluster_directory

        return cluster_directory(self.public_port) / "supervisord.conf"
