"""The web app beside Rasa: the widget and its demo page, the staff pages, health."""

from __future__ import annotations

import argparse

from aiohttp import web

from bot import settings
from bot.portal import add_portal_routes
from bot.privacy import start_erasure_worker, stop_erasure_worker
from bot.staff import add_staff_routes
from bot.widget import add_widget_routes


async def handle_health(request: web.Request) -> web.Response:
    """GET /health: answers once the app serves."""
    return web.json_response({"status": "ok"})


def create_app() -> web.Application:
    """The aiohttp application with all routes."""
    app = web.Application(client_max_size=256 * 1024)
    app.router.add_get("/health", handle_health)
    add_widget_routes(app)
    add_staff_routes(app)
    add_portal_routes(app)
    app.on_startup.append(start_erasure_worker)
    app.on_cleanup.append(stop_erasure_worker)
    return app


def main() -> None:
    """Serves the web app (``python -m bot.server``)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=settings.HOST)
    parser.add_argument("--port", type=int, default=settings.WEB_PORT)
    args = parser.parse_args()
    web.run_app(create_app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
