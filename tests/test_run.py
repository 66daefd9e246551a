"""The process runner's commands, as Rasa's own command line reads them."""

from __future__ import annotations

import pytest
from rasa.__main__ import create_argument_parser

from bot import run, settings


@pytest.mark.parametrize("token", ["-starts-with-a-dash", "plain_token-123"])
def test_rasa_reads_any_api_token_it_is_given(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    """URL-safe tokens may begin with "-": Rasa must still start (it exited 2)."""
    monkeypatch.setattr(settings, "RASA_API_TOKEN", token)
    command = run.rasa_command("model.tar.gz", port=5005)
    arguments = create_argument_parser().parse_args(command[command.index("run") :])
    assert arguments.auth_token == token
    assert arguments.enable_api is True
    assert arguments.interface == settings.HOST
