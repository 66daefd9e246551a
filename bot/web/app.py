"""The web app beside Rasa: the widget and its demo page, the staff pages, health."""

from __future__ import annotations

import argparse
import logging
import traceback

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot import settings
from bot.db.erasure import start_erasure_worker, stop_erasure_worker
from bot.staff.handoff import add_staff_routes
from bot.staff.portal import add_portal_routes
from bot.staff.review import add_review_routes
from bot.web.widget import add_widget_routes


async def handle_health(request: web.Request) -> web.Response:
    """GET /health: answers once the app serves."""
    return web.json_response({"status": "ok"})


class MalformedRequestsInOneLine(logging.Filter):
    """Logs a malformed HTTP request as one warning line, not an error's traceback.

    aiohttp answers a request it cannot parse (a garbled request line, a header too
    long, an invalid URL) with a 400 itself, but logs it as "Error handling request"
    with a traceback, as if the app had failed: anyone could fill the log with those
    and hide the real failures in it. A handler's failure (a 500) keeps its
    traceback, whatever the exception.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrites a record of a refused malformed request; keeps every record."""
        error = record.exc_info[1] if record.exc_info else None
        if (
            isinstance(error, HttpProcessingError)
            and 400 <= error.code < 500
            and not any(
                frame.name == "_handle_request"
                for frame in traceback.extract_tb(error.__traceback__)
            )
        ):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "Refused a malformed HTTP request (%s): %s"
            record.args = (error.code, " ".join(str(error.message).split())[:200])
            record.exc_info = record.exc_text = None
        return True


def quiet_malformed_requests() -> None:
    """Installs MalformedRequestsInOneLine on aiohttp's server logger (once)."""
    logger = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, MalformedRequestsInOneLine) for f in logger.filters):
        logger.addFilter(MalformedRequestsInOneLine())


def create_app() -> web.Application:
    """The aiohttp application with all routes."""
    quiet_malformed_requests()
    app = web.Application(client_max_size=256 * 1024)
    app.router.add_get("/health", handle_health)
    add_widget_routes(app)
    add_staff_routes(app)
    add_portal_routes(app)
    add_review_routes(app)
    app.on_startup.append(start_erasure_worker)
    app.on_cleanup.append(stop_erasure_worker)
    return app


def main() -> None:
    """Serves the web app (``python -m bot.web.app``)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=settings.HOST)
    parser.add_argument("--port", type=int, default=settings.WEB_PORT)
    args = parser.parse_args()
    web.run_app(create_app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
