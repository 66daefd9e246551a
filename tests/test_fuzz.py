"""Odd and malformed input on the real assistant (issue 13, "Measure").

``scripts/fuzz.py`` against the session's assistant: 3,000 requests to the REST
channel, 500 to the widget's socket.io channel and 1,000 to the web app, then no 5xx,
no timeout, no accepted message without a reply, no unhandled exception in the part
of the log written meanwhile, and the assistant still answering correctly. The counts
are printed and written to var/results/fuzz.json.
"""

from __future__ import annotations

import json
import secrets

import pytest

from bot.settings import ROOT
from scripts import fuzz
from tests.conftest import PORTS, Assistant

pytestmark = pytest.mark.e2e


def test_odd_and_malformed_input_gets_an_answer_and_breaks_nothing(
    assistant: Assistant,
) -> None:
    accounts = fuzz.create_staff_accounts(
        f"sqlite:///{assistant.database}", secrets.token_hex(4)
    )
    result = fuzz.run_fuzz(
        f"http://127.0.0.1:{PORTS['RASA_PORT']}",
        f"http://127.0.0.1:{PORTS['WEB_PORT']}",
        log=assistant.log,
        accounts=accounts,
    )
    print(result.table())
    results = ROOT / "var" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "fuzz.json").write_text(
        json.dumps(result.as_dict(), indent=2), encoding="utf-8"
    )
    tallies = {tally.channel: tally for tally in result.channels}
    assert tallies["REST"].requests >= fuzz.REST_REQUESTS == 3000
    assert tallies["socket.io"].requests >= fuzz.SOCKET_REQUESTS == 500
    assert tallies["web"].requests >= fuzz.WEB_REQUESTS == 1000
    for tally in tallies.values():
        assert tally.statuses["5xx"] == 0, (tally.channel, tally.problems)
        assert tally.timeouts == tally.errors == 0, (tally.channel, tally.problems)
        assert tally.unanswered == tally.leaks == tally.not_sent == 0, (
            tally.channel,
            tally.problems,
        )
    assert result.exceptions == []
    assert result.checks and all(result.checks.values()), result.check_details
    assert result.passed
