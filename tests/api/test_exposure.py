"""What a server shows to whoever reaches it: the development routes, /metrics and /schema."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from backend.app import create_app
from backend.config import Settings
from backend.core.clock import FrozenClock
from tests.api.identity_support import send_code, serve
from tests.conftest import TEST_JWT_SECRET, problem
from tests.factories import new_phone

DEV_CODE = "/api/v1/dev/sms-codes/latest"
TOKEN = "scrape-" + "t" * 30


async def test_development_by_default_has_no_dev_routes(
    tmp_path: Path, database_url: str, clock: FrozenClock
) -> None:
    # What a server started by `uvicorn backend.asgi:create` (or any host) gets with no mode set.
    settings = Settings.from_env({"QIYOU_DATA_DIR": str(tmp_path / "data")})
    app = create_app(settings, database_url=database_url, clock=clock)
    assert not any(route.path.startswith("/api/v1/dev") for route in app.routes)
    phone = new_phone()
    async with serve(app) as client:
        await client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "register"})
        response = await client.get(DEV_CODE, params={"phone": phone})
    assert response.status_code == 404
    assert problem(response)["code"] == "not_found"


@pytest.mark.parametrize(
    "environ",
    [{"QIYOU_ENV": "development"}, {"QIYOU_DEV_ROUTES": "on"}],
    ids=["development chosen", "loopback run"],
)
async def test_dev_routes_when_chosen_or_on_loopback(
    tmp_path: Path, database_url: str, clock: FrozenClock, environ: dict[str, str]
) -> None:
    settings = Settings.from_env(
        {"QIYOU_DATA_DIR": str(tmp_path / "data"), "QIYOU_JWT_SECRET": TEST_JWT_SECRET, **environ}
    )
    app = create_app(settings, database_url=database_url, clock=clock)
    phone = new_phone()
    async with serve(app) as client:
        code = await send_code(client, phone)
        response = await client.get(DEV_CODE, params={"phone": phone})
    assert response.status_code == 200
    assert response.json() == {"code": code}


async def test_production_hides_metrics_and_schema(
    production_settings: Settings, database_url: str, clock: FrozenClock
) -> None:
    app = create_app(production_settings, database_url=database_url, clock=clock)
    async with serve(app) as client:
        for path in ("/metrics", "/schema", "/schema/openapi.json", "/schema/swagger"):
            response = await client.get(path)
            assert response.status_code == 404, path
        assert (await client.get("/health/ready")).status_code == 200


async def test_schema_on_in_production_when_asked(
    production_settings: Settings, database_url: str, clock: FrozenClock
) -> None:
    app = create_app(replace(production_settings, schema=True), database_url=database_url)
    async with serve(app) as client:
        assert (await client.get("/schema/openapi.json")).status_code == 200


async def test_metrics_behind_a_token(
    production_settings: Settings, database_url: str, clock: FrozenClock
) -> None:
    settings = replace(production_settings, metrics_token=TOKEN)
    app = create_app(settings, database_url=database_url, clock=clock)
    async with serve(app) as client:
        missing = await client.get("/metrics")
        assert missing.status_code == 401
        assert problem(missing)["code"] == "unauthorized"
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 37})
        assert wrong.status_code == 401
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200
        assert "qiyou_requests_total" in right.text


@pytest.mark.parametrize(
    ("networks", "peer", "status"),
    [
        (("10.0.0.0/8",), "203.0.113.10", 404),
        (("10.0.0.0/8",), "10.2.3.4", 200),
        (("10.0.0.0/8", "203.0.113.0/24"), "203.0.113.10", 200),
    ],
)
async def test_metrics_for_allowed_addresses(
    production_settings: Settings,
    database_url: str,
    clock: FrozenClock,
    networks: tuple[str, ...],
    peer: str,
    status: int,
) -> None:
    import ipaddress

    allowed = tuple(ipaddress.ip_network(n) for n in networks)
    settings = replace(production_settings, metrics_allow=allowed)
    app = create_app(settings, database_url=database_url, clock=clock)
    async with serve(app, peer=peer) as client:
        # A forwarded address proves nothing: the scraper is the peer itself.
        response = await client.get("/metrics", headers={"X-Forwarded-For": "10.9.9.9"})
    assert response.status_code == status


async def test_metrics_can_be_switched_off(
    settings: Settings, database_url: str, clock: FrozenClock
) -> None:
    app = create_app(replace(settings, metrics=False), database_url=database_url, clock=clock)
    async with serve(app) as client:
        assert (await client.get("/metrics")).status_code == 404
