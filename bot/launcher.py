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

    def __init__(self, ports: dict[str, str], database: Path) -> None:
        self.api_token = secrets.token_urlsafe(16)
        self.env = {
            **os.environ,
            **ports,
            "DATABASE_URL": f"sqlite:///{database}",
            "RASA_API_TOKEN": self.api_token,
        }
        self.rasa_port = int(ports["RASA_PORT"])
        self.database = database
        self.log = database.with_suffix(".log")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Starts it and returns once every process answers (training if needed)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.run"],
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

    def pid(self, program: str) -> int:
        """The process id of one of its processes ("web", "actions", "rasa")."""
        from bot.run import control_directory

        config = control_directory(self.rasa_port) / "supervisord.conf"
        output = subprocess.run(
            [sys.executable, "-m", "supervisor.supervisorctl", "-c", str(config)]
            + ["pid", program],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return int(output.strip())

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
