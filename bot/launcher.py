"""The whole assistant (``python -m bot.run``) as a child process: tests, benchmarks.

Each user gets its own ports and database, so tests and benchmarks never meet a
running ``make run`` or each other.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from bot.settings import ROOT

READY_LINE = "The assistant is running"


class AssistantProcess:
    """Starts and stops the assistant on the given ports and SQLite file."""

    def __init__(self, ports: dict[str, str], database: Path) -> None:
        self.env = {**os.environ, **ports, "DATABASE_URL": f"sqlite:///{database}"}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Starts it and returns once every process answers (training if needed)."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.run"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for line in self.process.stdout:
            if READY_LINE in line:
                return
        raise RuntimeError("the assistant did not start")

    def stop(self) -> None:
        """Stops all its processes (bot.run stops the three on SIGTERM)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)

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
