"""Elderly care, first slice: providers and their staff, the services catalogue, care
profiles (who is an elder, encryption at rest, masking) and subsidies."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock, local_date_of
from backend.eldercare import service
from backend.eldercare.models import CareProfile, CareProviderStaff
from tests.conftest import problem
from tests.factories import MakeUser, add_member, care_provider, verify_birth

Sessions = async_sessionmaker[AsyncSession]
PROVIDERS = "/api/v1/admin/care-providers"
SERVICES = "/api/v1/care/services"
PROFILES = "/api/v1/me/care-profiles"
ADDRESS = "浙江省湖州市吴兴区朝阳街道红旗路12号3幢201室"


def _years_ago(clock: FrozenClock, years: int, days: int = 0) -> date:
    today = local_date_of(clock.now())
    return today.replace(year=today.year - years) - timedelta(days=days)


def _profile(**changes: Any) -> dict[str, Any]:
    return {
        "address": ADDRESS,
        "location": {"lat": 30.87, "lng": 120.09},
        "livesAlone": True,
        "careLevel": 2,
        "emergencyContacts": [{"name": "张明", "phone": "+86 138-0013-8000", "relation": "son"}],
        "healthNotes": "高血压，每日服药",
        "dailyCheckIn": {"enabled": True, "dueBy": "09:30"},
        **changes,
    }


# --- providers and their staff ------------------------------------------------------------------


async def test_an_admin_registers_and_lists_providers(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user("admin")
    body = {"name": "安康居家养老", "phone": "13900001111", "serviceCodes": ["cleaning", "bathing"]}
    created = await client.post(PROVIDERS, json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    assert created.json()["serviceCodes"] == ["bathing", "cleaning"]
    for i in range(2):
        await client.post(PROVIDERS, json={**body, "name": f"机构{i}"}, headers=admin.headers)
    first = await client.get(PROVIDERS, params={"limit": 2}, headers=admin.headers)
    assert [p["name"] for p in first.json()["items"]] == ["安康居家养老", "机构0"]
    rest = await client.get(
        PROVIDERS, params={"limit": 2, "cursor": first.json()["nextCursor"]}, headers=admin.headers
    )
    assert [p["name"] for p in rest.json()["items"]] == ["机构1"]
    assert rest.json()["nextCursor"] is None


async def test_a_provider_is_refused_unknown_or_repeated_services(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user("admin")
    body = {"name": "安康", "phone": "13900001111", "serviceCodes": ["cleaning", "cleaning"]}
    twice = await client.post(PROVIDERS, json=body, headers=admin.headers)
    assert twice.status_code == 422
    assert problem(twice)["errors"][0]["field"] == "serviceCodes"
    unknown = await client.post(
        PROVIDERS, json={**body, "serviceCodes": ["massage"]}, headers=admin.headers
    )
    assert unknown.status_code == 422
    bad_phone = await client.post(
        PROVIDERS, json={**body, "serviceCodes": ["cleaning"], "phone": "12345"},
        headers=admin.headers,
    )  # fmt: skip
    assert problem(bad_phone)["code"] == "invalid_phone"


async def test_dispatchers_and_caregivers_are_given_a_provider(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    admin = await make_user("admin")
    first, second = await care_provider(db, "甲"), await care_provider(db, "乙")
    for role in ("dispatcher", "caregiver"):
        staff = await make_user(role)
        url = f"/api/v1/admin/users/{staff.id}/care-provider"
        answer = await client.put(url, json={"providerId": str(first)}, headers=admin.headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"userId": str(staff.id), "role": role, "providerId": str(first)}
        moved = await client.put(url, json={"providerId": str(second)}, headers=admin.headers)
        assert moved.json()["providerId"] == str(second)
        async with db() as session:
            assert await service.provider_of(session, staff.id) == second
            rows = await session.scalars(
                select(CareProviderStaff).where(CareProviderStaff.user_id == staff.id)
            )
            assert len(rows.all()) == 1


async def test_only_care_staff_get_a_provider(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    admin = await make_user("admin")
    provider = await care_provider(db)
    for role in ("resident", "worker", "staff", "admin"):
        other = await make_user(role)
        answer = await client.put(
            f"/api/v1/admin/users/{other.id}/care-provider",
            json={"providerId": str(provider)},
            headers=admin.headers,
        )
        assert answer.status_code == 409, role
        assert problem(answer)["code"] == "not_care_staff"
    caregiver = await make_user("caregiver")
    unknown = await client.put(
        f"/api/v1/admin/users/{caregiver.id}/care-provider",
        json={"providerId": str(uuid4())},
        headers=admin.headers,
    )
    assert unknown.status_code == 422
    assert problem(unknown)["code"] == "unknown_care_provider"
    nobody = await client.put(
        f"/api/v1/admin/users/{uuid4()}/care-provider",
        json={"providerId": str(provider)},
        headers=admin.headers,
    )
    assert nobody.status_code == 404


# --- the services catalogue ---------------------------------------------------------------------


async def test_the_catalogue_in_both_languages(client: httpx.AsyncClient) -> None:
    zh = await client.get(SERVICES, headers={"Accept-Language": "zh-CN"})
    en = await client.get(SERVICES, headers={"Accept-Language": "en"})
    assert zh.status_code == en.status_code == 200
    codes = [s["code"] for s in zh.json()]
    assert codes == [
        "meal_delivery", "cleaning", "bathing", "clinic_escort", "haircut", "rehabilitation",
        "visit_chat",
    ]  # fmt: skip
    assert [s["code"] for s in en.json()] == codes
    by_code = {s["code"]: s for s in zh.json()}
    assert by_code["meal_delivery"]["name"] == "助餐"
    assert {s["code"]: s["name"] for s in en.json()}["cleaning"] == "Home cleaning"
    for item in zh.json():
        assert isinstance(item["price"], int)
        assert item["price"] > 0
        assert 0 <= item["subsidyRate"] <= 1
        assert item["minutes"] > 0


# --- care profiles ------------------------------------------------------------------------------


async def test_a_household_keeps_an_elder_members_profile(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock,
    settings: Settings,
) -> None:  # fmt: skip
    resident = await make_user("resident")
    elder = await add_member(db, resident.id, "张建国", _years_ago(clock, 78))
    url = f"{PROFILES}/{elder}"
    missing = await client.get(url, headers=resident.headers)
    assert missing.status_code == 404
    put = await client.put(url, json=_profile(), headers=resident.headers)
    assert put.status_code == 200, put.text
    got = (await client.get(url, headers=resident.headers)).json()
    assert got == put.json()
    assert got["address"] == ADDRESS
    assert got["healthNotes"] == "高血压，每日服药"
    assert got["masked"] is False
    assert got["name"] == "张建国"
    assert got["memberId"] == str(elder)
    assert got["emergencyContacts"] == [{"name": "张明", "phone": "13800138000", "relation": "son"}]
    assert got["dailyCheckIn"] == {"enabled": True, "dueBy": "09:30"}
    assert (got["subsidyTier"], got["monthlyAllowance"], got["allowanceLeft"]) == (None, 0, 0)
    # Replaced, not added; the address and notes are only stored encrypted.
    again = await client.put(
        url, json=_profile(careLevel=4, healthNotes=None), headers=resident.headers
    )
    assert again.json()["careLevel"] == 4
    assert again.json()["healthNotes"] is None
    async with db() as session:
        rows = (await session.scalars(select(CareProfile))).all()
    assert len(rows) == 1
    assert ADDRESS.encode() not in rows[0].address_enc
    assert rows[0].health_notes_enc is None
    assert rows[0].address_masked == "浙江省湖州市吴兴****"


async def test_only_elders_have_profiles(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock,
    settings: Settings,
) -> None:  # fmt: skip
    resident = await make_user("resident")
    almost = await add_member(db, resident.id, "李四", _years_ago(clock, 60, days=-1))
    just = await add_member(db, resident.id, "王五", _years_ago(clock, 60))
    refused = await client.put(f"{PROFILES}/{almost}", json=_profile(), headers=resident.headers)
    assert refused.status_code == 422
    assert problem(refused)["code"] == "not_an_elder"
    got = await client.get(f"{PROFILES}/{almost}", headers=resident.headers)
    assert problem(got)["code"] == "not_an_elder"
    ok = await client.put(f"{PROFILES}/{just}", json=_profile(), headers=resident.headers)
    assert ok.status_code == 200
    # The resident themself: only once verified as 60 or over.
    unverified = await client.put(f"{PROFILES}/self", json=_profile(), headers=resident.headers)
    assert problem(unverified)["code"] == "not_an_elder"
    await verify_birth(db, settings, resident.id, _years_ago(clock, 59))
    young = await client.put(f"{PROFILES}/self", json=_profile(), headers=resident.headers)
    assert problem(young)["code"] == "not_an_elder"
    await verify_birth(db, settings, resident.id, _years_ago(clock, 66))
    mine = await client.put(f"{PROFILES}/self", json=_profile(), headers=resident.headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["memberId"] is None
    assert mine.json()["name"] == resident.name
    assert (await client.get(f"{PROFILES}/self", headers=resident.headers)).json() == mine.json()


async def test_another_households_elder_is_not_found(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock
) -> None:
    owner, other = await make_user("resident"), await make_user("resident")
    elder = await add_member(db, owner.id, "张建国", _years_ago(clock, 80))
    await client.put(f"{PROFILES}/{elder}", json=_profile(), headers=owner.headers)
    for method in ("GET", "PUT"):
        answer = await client.request(
            method,
            f"{PROFILES}/{elder}",
            json=_profile() if method == "PUT" else None,
            headers=other.headers,
        )
        assert answer.status_code == 404, method
    for path in ("nobody", str(uuid4())):
        assert (await client.get(f"{PROFILES}/{path}", headers=owner.headers)).status_code == 404


async def test_profile_fields_are_validated(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock
) -> None:
    resident = await make_user("resident")
    elder = await add_member(db, resident.id, "张建国", _years_ago(clock, 80))
    url = f"{PROFILES}/{elder}"
    bad: list[dict[str, Any]] = [
        {"careLevel": 5},
        {"careLevel": -1},
        {"dailyCheckIn": {"enabled": True, "dueBy": "24:00"}},
        {"dailyCheckIn": {"enabled": True, "dueBy": "9:30"}},
        {"location": {"lat": 91, "lng": 0}},
        {"emergencyContacts": [{"name": "张明", "phone": "12345", "relation": "son"}]},
        {"emergencyContacts": [{"name": " ", "phone": "13800138000", "relation": "son"}]},
        {"address": "   "},
        {"healthNotes": "a\x01b"},
    ]
    for changes in bad:
        answer = await client.put(url, json=_profile(**changes), headers=resident.headers)
        assert answer.status_code == 422, changes
    contact = await client.put(
        url,
        json=_profile(emergencyContacts=[{"name": "张明", "phone": "12345", "relation": "son"}]),
        headers=resident.headers,
    )
    assert problem(contact)["code"] == "invalid_phone"
    assert problem(contact)["errors"][0]["field"] == "emergencyContacts[0].phone"


# --- subsidies ----------------------------------------------------------------------------------


async def _profile_id(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock
) -> tuple[Any, UUID]:
    resident = await make_user("resident")
    elder = await add_member(db, resident.id, "张建国", _years_ago(clock, 85))
    put = await client.put(f"{PROFILES}/{elder}", json=_profile(), headers=resident.headers)
    return resident, UUID(put.json()["id"])


async def test_a_worker_sets_the_subsidy_and_the_household_sees_it(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock
) -> None:
    resident, profile_id = await _profile_id(client, make_user, db, clock)
    worker = await make_user("worker")
    url = f"/api/v1/manage/elders/{profile_id}/subsidy"
    body = {"tier": "age_80_plus", "monthlyAllowance": 20000}
    answer = await client.put(url, json=body, headers=worker.headers)
    assert answer.status_code == 200, answer.text
    seen = answer.json()
    # The worker has no need of the door number or the health notes.
    assert seen["masked"] is True
    assert seen["healthNotes"] is None
    assert seen["address"] == "浙江省湖州市吴兴****"
    assert (seen["subsidyTier"], seen["monthlyAllowance"], seen["allowanceLeft"]) == (
        "age_80_plus", 20000, 20000,
    )  # fmt: skip
    async with db() as session, session.begin():
        assert await service.debit(session, profile_id, 5000, now=clock.now()) == 15000
    mine = (await client.get(f"{PROFILES}/{seen['memberId']}", headers=resident.headers)).json()
    assert (mine["subsidyTier"], mine["allowanceLeft"], mine["address"]) == (
        "age_80_plus", 15000, ADDRESS,
    )  # fmt: skip
    # A lower allowance holds from this month; what was spent stays spent, never below zero.
    lower = await client.put(
        url, json={"tier": "low_income", "monthlyAllowance": 3000}, headers=worker.headers
    )
    assert (lower.json()["monthlyAllowance"], lower.json()["allowanceLeft"]) == (3000, 0)
    # The household replacing its profile keeps the subsidy.
    kept = await client.put(
        f"{PROFILES}/{seen['memberId']}", json=_profile(), headers=resident.headers
    )
    assert kept.json()["subsidyTier"] == "low_income"
    # Next month starts afresh at the allowance.
    clock.advance(timedelta(days=32))
    later = (await client.get(f"{PROFILES}/{seen['memberId']}", headers=resident.headers)).json()
    assert later["allowanceLeft"] == 3000


async def test_subsidy_refusals(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock
) -> None:
    _, profile_id = await _profile_id(client, make_user, db, clock)
    admin = await make_user("admin")
    url = f"/api/v1/manage/elders/{profile_id}/subsidy"
    for body in (
        {"tier": "rich", "monthlyAllowance": 100},
        {"tier": "disability", "monthlyAllowance": -1},
    ):
        assert (await client.put(url, json=body, headers=admin.headers)).status_code == 422
    missing = await client.put(
        f"/api/v1/manage/elders/{uuid4()}/subsidy",
        json={"tier": "disability", "monthlyAllowance": 100},
        headers=admin.headers,
    )
    assert missing.status_code == 404
