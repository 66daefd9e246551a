"""The action server (rasa_sdk's), for Rasa only: a private address and a shared secret.

``python -m bot.action_server`` serves the actions of ``actions/`` on ``ACTIONS_HOST``
(loopback by default). Every call but ``/health`` must carry the ``X-Action-Token``
header that Rasa sends (``endpoints.yml``); others get 401 and run nothing, so nobody
else can erase a conversation or file a referral by calling an action directly.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import threading

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.knowledge import place_resolver
from bot import settings

TOKEN_HEADER = "X-Action-Token"
OPEN_PATHS = frozenset({"/health"})

logger = logging.getLogger(__name__)


def create_action_app(token: str) -> Sanic:
    """rasa_sdk's app for our actions, refusing calls without ``token``."""
    if not token:
        raise ValueError("The action server needs ACTION_SERVER_TOKEN.")
    app = create_app("actions", cors_origins=None)  # no browser calls it

    @app.on_request
    async def authenticate(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return response.json({"error": "Not authenticated."}, status=401)
        return None

    @app.exception(Exception)
    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        # rasa_sdk's own handler sends the request body (the whole conversation)
        # back with the error; ours logs it and says only that it failed.
        logger.error("Action call failed: %s", request.path, exc_info=exception)
        return response.json({"error": "The action failed."}, status=500)

    @app.before_server_start
    async def prepare(app: Sanic, loop: object) -> None:
        # The place indexes take about a second per language: built beside the
        # server, so the first message in a language does not wait for its own.
        threading.Thread(target=_prepare_knowledge, daemon=True).start()

    return app


def _prepare_knowledge() -> None:
    try:
        place_resolver().prepare()
    except Exception:  # the first action that needs it will say what is wrong
        logger.exception("Could not prepare the knowledge base")


def main() -> None:
    """Serves the actions until stopped."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=settings.ACTIONS_HOST)
    parser.add_argument("--port", type=int, default=settings.ACTIONS_PORT)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(name)s %(levelname)s %(message)s")
    app = create_action_app(settings.ACTION_SERVER_TOKEN)
    app.run(args.host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
