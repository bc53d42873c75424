"""The access log is on in production; it must never break the request it logs."""

from __future__ import annotations

import sys
from dataclasses import replace

import httpx
import pytest

from backend.app import create_app
from backend.config import Settings
from backend.core.clock import Clock
from tests.conftest import running


@pytest.mark.parametrize("log_json", [True, False])
async def test_requests_succeed_with_the_access_log_on_and_stderr_not_a_terminal(
    settings: Settings,
    database_url: str,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    log_json: bool,
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    app = create_app(
        replace(settings, access_log=True, log_json=log_json),
        database_url=database_url,
        clock=clock,
    )
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/api/v1/programs")
    assert response.status_code == 200, response.text
    logged = capfd.readouterr().err
    assert "/api/v1/programs" in logged
