"""Where browsers may open the chat from (ALLOWED_ORIGINS and its defaults)."""

from __future__ import annotations

import subprocess

import pytest

from bot import settings


def test_by_default_only_the_web_apps_own_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ALLOWED_ORIGINS", raising=False)
    monkeypatch.setattr(settings, "HOST", "127.0.0.1")
    monkeypatch.setattr(settings, "WEB_PORT", 8000)
    assert settings.allowed_origins() == [
        "http://127.0.0.1:8000",
        "http://localhost:8000",
    ]


def test_configured_origins_replace_the_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://www.vantaa.fi https://qredits.nl")
    assert settings.allowed_origins() == ["https://www.vantaa.fi", "https://qredits.nl"]


def test_open_to_the_network_a_phone_may_use_this_machines_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HOST=0.0.0.0 (README): the page opened at the machine's address works."""
    addresses = subprocess.run(
        ["hostname", "-I"], capture_output=True, text=True
    ).stdout.split()
    outside = [a for a in addresses if "." in a and not a.startswith("127.")]
    if not outside:
        pytest.skip("this machine has no network address besides loopback")
    monkeypatch.delenv("ALLOWED_ORIGINS", raising=False)
    monkeypatch.setattr(settings, "HOST", "0.0.0.0")
    monkeypatch.setattr(settings, "WEB_PORT", 8000)
    assert f"http://{outside[0]}:8000" in settings.allowed_origins()
