"""The seven programs and the home screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, get_args
from uuid import UUID

import httpx
import jwt
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.catalog import service as catalog
from backend.config import Settings
from backend.core.auth import revoke_sessions
from backend.notifications import service as notifications
from backend.notifications.messages import register_kinds
from schemas.catalog import ServiceKind
from tests.conftest import problem
from tests.factories import MakeUser
from tests.querycount import counting

Sessions = async_sessionmaker[AsyncSession]

SEVEN = ["education", "medical", "agriculture", "eldercare", "safety", "talent", "integrity"]
ZH_NAMES = ["优教", "优医", "优农", "优养", "优安", "优才", "优廉"]

register_kinds(
    {
        "test_home": {
            "zh-CN": ("首页测试", "首页测试消息。"),
            "en": ("Home test", "A message for the home test."),
        }
    }
)


async def _programs(client: httpx.AsyncClient, **headers: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/programs", headers=headers)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


async def test_the_seven_programs_in_the_order_of_the_design(client: httpx.AsyncClient) -> None:
    programs = await _programs(client)
    assert [p["code"] for p in programs] == SEVEN
    assert [p["name"] for p in programs] == ZH_NAMES
    service_codes = [s["code"] for p in programs for s in p["services"]]
    assert len(service_codes) == len(set(service_codes))
    for program in programs:
        assert program["description"]
        assert len(program["services"]) >= 3, program["code"]
        for item in program["services"]:
            assert set(item) == {"code", "name", "description", "kind", "audience"}
            assert item["kind"] in get_args(ServiceKind)


async def test_every_kind_of_service_is_offered_and_the_showcase_is_there(
    client: httpx.AsyncClient,
) -> None:
    programs = {p["code"]: p for p in await _programs(client)}
    kinds = {s["kind"] for p in programs.values() for s in p["services"]}
    assert kinds == set(get_args(ServiceKind))

    def kinds_of(code: str) -> dict[str, str]:
        return {s["code"]: s["kind"] for s in programs[code]["services"]}

    # "one old, one young": care orders for elders, childcare for children
    assert kinds_of("eldercare")["home_care_visits"] == "care_order"
    assert kinds_of("eldercare")["day_care"] == "care_order"
    assert kinds_of("education")["after_school_classes"] == "childcare"
    assert kinds_of("education")["holiday_care"] == "childcare"
    assert kinds_of("medical")["family_doctor"] == "info"
    assert kinds_of("education")["cultural_events"] == "event"


async def test_names_follow_accept_language(client: httpx.AsyncClient) -> None:
    en = await _programs(client, **{"Accept-Language": "en-GB,en;q=0.9"})
    assert [p["name"] for p in en] == [
        "Education",
        "Health",
        "Farming",
        "Elderly care",
        "Safety",
        "Talent",
        "Integrity",
    ]
    zh = await _programs(client, **{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert [p["code"] for p in en] == [p["code"] for p in zh]
    for en_program, zh_program in zip(en, zh, strict=True):
        assert en_program["description"] != zh_program["description"]
        for en_service, zh_service in zip(
            en_program["services"], zh_program["services"], strict=True
        ):
            assert en_service["code"] == zh_service["code"]
            assert en_service["name"] != zh_service["name"]
            assert en_service["name"].isascii()


async def test_the_catalog_may_be_cached_per_language(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/programs")
    assert "public" in response.headers["cache-control"]
    # Compression adds Accept-Encoding to Vary; the language must be there whatever else is.
    assert "Accept-Language" in {part.strip() for part in response.headers["vary"].split(",")}


async def test_one_program(client: httpx.AsyncClient) -> None:
    listed = {p["code"]: p for p in await _programs(client, **{"Accept-Language": "en"})}
    response = await client.get("/api/v1/programs/eldercare", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.json() == listed["eldercare"]


@pytest.mark.parametrize("code", ["nursery", "EDUCATION", "education%20", "优教"])
async def test_an_unknown_program_is_404(client: httpx.AsyncClient, code: str) -> None:
    response = await client.get(f"/api/v1/programs/{code}", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    body = problem(response)
    assert body["code"] == "program_not_found"
    assert body["title"] == "Program not found"


async def test_after_the_first_load_the_catalog_is_served_without_the_database(
    app: Litestar,
) -> None:
    catalog.clear_cache()
    loaded = await catalog.list_programs(app.state.reader, "en")

    class NoDatabase:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"the database was used: {name}")

    offline: Any = NoDatabase()
    assert await catalog.list_programs(offline, "en") == loaded
    # both languages were loaded together
    zh = await catalog.list_programs(offline, "zh-CN")
    assert [p.name for p in zh] == ZH_NAMES
    assert (await catalog.get_program(offline, "talent", "zh-CN")).name == "优才"


async def test_home_for_an_anonymous_caller(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/home", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    home = response.json()
    assert [p["code"] for p in home["programs"]] == SEVEN
    assert home["programs"][0]["name"] == "Education"
    assert home["unreadCount"] is None
    assert home["nextBooking"] is None
    assert isinstance(home["upcomingEvents"], list)


async def test_home_for_a_signed_in_resident_counts_unread_messages(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    resident = await make_user("resident")
    home = (await client.get("/api/v1/home", headers=resident.headers)).json()
    assert home["unreadCount"] == 0
    async with db() as session, session.begin():
        for _ in range(2):
            await notifications.notify(session, user_id=resident.id, kind="test_home")
    home = (await client.get("/api/v1/home", headers=resident.headers)).json()
    assert home["unreadCount"] == 2
    assert [p["name"] for p in home["programs"]] == ZH_NAMES


async def test_home_is_one_statement_signed_in_or_not(
    app: Litestar, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    resident = await make_user("resident")
    await client.get("/api/v1/home")  # the catalogue is loaded once per process
    for headers in ({}, resident.headers):
        with counting(app) as statements:
            response = await client.get("/api/v1/home", headers=headers)
        assert response.status_code == 200
        assert len(statements) == 1, statements


async def test_home_with_a_bad_token_is_401_not_the_anonymous_view(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    now = datetime.now(UTC)
    expired = jwt.encode(
        {
            "sub": str((await make_user("resident")).id),
            "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience,
            "iat": int((now - timedelta(hours=1)).timestamp()),
            "exp": int((now - timedelta(minutes=30)).timestamp()),
            "jti": "x",
            "sid": "00000000-0000-7000-8000-000000000000",
            "role": "resident",
        },
        settings.jwt_secret,
        algorithm="HS256",
    )
    for header in ("Bearer not-a-jwt", f"Bearer {expired}", "Basic dXNlcjpwYXNz", "Bearer"):
        response = await client.get("/api/v1/home", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert problem(response)["code"] == "unauthorized"


async def test_home_with_a_revoked_session_is_401(
    client: httpx.AsyncClient, app: Litestar, make_user: MakeUser, settings: Settings
) -> None:
    resident = await make_user("resident")
    claims = jwt.decode(resident.access_token, options={"verify_signature": False})
    revoke_sessions(app, [UUID(claims["sid"])])
    assert (await client.get("/api/v1/home", headers=resident.headers)).status_code == 401
