"""Log filters: a malformed request is one line in the log, not a traceback."""

from __future__ import annotations

import logging
import re
import traceback

from sanic.exceptions import SanicException

from bot.channels.checks import *  # noqa


class MalformedPacketsInOneLine(logging.Filter):
    """Logs an undecodable engine.io request as one warning line, not a traceback.

    python-engineio ignores a polling request whose body is no packet (empty, not
    UTF-8, not in its framing) and answers it, but logs "post request handler error"
    with the decoder's traceback, as if the channel had failed: anyone could fill
    the log with those and hide the real failures in it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrites the record of an undecodable request; keeps every record."""
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, ValueError) and _raised_in(error, "/engineio/"):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "Ignored an undecodable engine.io request: %s"
            record.args = (one_line(error),)
            record.exc_info = record.exc_text = None
        return True


class MalformedHttpInOneLine(logging.Filter):
    """Logs a malformed HTTP request to Rasa's server as one warning line.

    Sanic 21.12 closes the connection of a request whose target it cannot parse (a
    CONNECT, bytes that are not UTF-8) and refuses a broken chunked body with a 400,
    but logs "protocol.connection_task uncaught" and a traceback, as if it had
    failed; it logs an error too when a preflight request came with a body that
    nobody read. Anyone could fill the log with those and hide the real failures
    in it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrites the record of a malformed request; keeps every record."""
        error = record.exc_info[1] if record.exc_info else None
        refused = isinstance(error, SanicException) and (
            getattr(error, "status_code", 500) < 500
        )
        malformed = isinstance(error, UnicodeError) or (
            type(error).__module__.startswith("httptools")
        )
        if record.msg == "protocol.connection_task uncaught" and (refused or malformed):
            record.msg = "Closed the connection of a malformed request: %s"
            record.args = (one_line(error),)
        elif str(record.msg).endswith(" body not consumed."):
            request = str(record.msg).removesuffix(" body not consumed.")
            record.msg, record.args = "Did not read the body of %s", (request,)
        else:
            return True
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True


_SANIC_WEBSOCKET_TASK = re.compile(
    r"coro=<Websocket\w*\.\w+\(\) running at \S*/sanic/server/websockets/"
)


class DroppedWebsocketFramesInOneLine(logging.Filter):
    """Logs the frames of a closed websocket that nobody read as one warning line.

    Sanic 21.12 hands each batch of websocket frames to a task it keeps no
    reference to, and leaves a read waiting; when the connection closes (a client
    gone mid-message, a packet over the size limit) before the frames were read,
    asyncio collects those tasks and logs "Task was destroyed but it is pending!"
    as an error. A live connection's tasks are never collected: nothing is lost that
    anyone could still read.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrites the record of such a task; keeps every record."""
        message = record.getMessage()
        if "Task was destroyed but it is pending" in message and (
            _SANIC_WEBSOCKET_TASK.search(message)
        ):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "Dropped the unread frames of a closed websocket."
            record.args = ()
        return True


def one_line(error: BaseException) -> str:
    """An exception as a short line of the log."""
    return f"{type(error).__name__}: " + " ".join(str(error).split())[:200]


def _raised_in(error: BaseException, package: str) -> bool:
    """Whether ``error`` was raised by code in ``package`` ("/engineio/")."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and package in frames[-1].filename


def quiet_malformed_requests(engineio_logger: logging.Logger) -> None:
    """Installs the filters above on the loggers they read (once each)."""
    for logger_, kind in (
        (engineio_logger, MalformedPacketsInOneLine),
        (logging.getLogger("sanic.error"), MalformedHttpInOneLine),
        (logging.getLogger("asyncio"), DroppedWebsocketFramesInOneLine),
    ):
        if not any(isinstance(f, kind) for f in logger_.filters):
            logger_.addFilter(kind())
