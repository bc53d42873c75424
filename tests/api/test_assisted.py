"""Assisted residents through HTTP: creating one, acting for one with an acting token, and the
record of who acted for whom (docs/eldercare.md, "Elders without a phone")."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from uuid import UUID

import httpx
import jwt
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.assisted.models import ActedFor, AssistedResident
from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.eldercare.models import CareOrder
from backend.identity.models import User
from tests.api import assisted_support as support
from tests.api.events_support import register
from tests.conftest import problem
from tests.factories import PASSWORD, MakeUser, add_member, published

Sessions = async_sessionmaker[AsyncSession]
URL = "/api/v1/manage/assisted-residents"
PROFILE = {
    "address": "红旗路12号3幢201室",
    "location": {"lat": 30.87, "lng": 120.09},
    "livesAlone": True,
    "careLevel": 2,
    "emergencyContacts": [],
    "dailyCheckIn": {"enabled": False},
}


async def test_a_worker_creates_an_assisted_resident_without_phone_or_password(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, settings: Settings
) -> None:
    worker = await make_user("worker")
    created = await support.create(client, worker, contactPhone="0573-82345678")
    assert created["name"] == "王秀兰"
    assert created["idNumber"].startswith("3")
    assert set(created["idNumber"][1:17]) == {"*"}
    assert created["realName"] == "王**"
    assert created["age"] >= 80
    assert created["address"].endswith("****")
    assert "201" not in created["address"]
    assert created["contactPhone"] == "057382345678"
    assert created["createdBy"] == str(worker.id)
    async with db() as session:
        account = await session.get_one(User, created["id"])
        extra = await session.get_one(AssistedResident, account.id)
    assert account.phone is None
    assert account.password_hash is None
    assert account.role == "resident"
    assert account.verified_at is not None
    # Personal data only encrypted: neither the door number nor the ID number in plaintext.
    assert b"201" not in extra.address_enc
    assert account.id_number_enc is not None
    # The database itself refuses a password on an account without a phone.
    with pytest.raises(IntegrityError):
        async with db() as session, session.begin():
            await session.execute(
                update(User).where(User.id == account.id).values(password_hash="x")
            )
    listed = await client.get(URL, headers=worker.headers)
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]
    one = await client.get(f"{URL}/{created['id']}", headers=worker.headers)
    assert one.json() == created


async def test_bad_id_numbers_and_duplicates_are_refused(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    worker = await make_user("worker")
    bad = support.body()
    bad["idNumber"] = bad["idNumber"][:17] + ("0" if bad["idNumber"][17] != "0" else "1")
    refused = await client.post(URL, json=bad, headers=worker.headers)
    assert refused.status_code == 422
    assert problem(refused)["code"] == "invalid_id_number"
    body = support.body()
    assert (await client.post(URL, json=body, headers=worker.headers)).status_code == 201
    other = await make_user("admin")
    taken = await client.post(URL, json={**body, "name": "李四"}, headers=other.headers)
    assert taken.status_code == 409
    assert problem(taken)["code"] == "id_number_registered"
    # A resident verified with that number holds it just the same.
    resident = await make_user("resident")
    number = support.new_id_number()
    verified = await client.post(
        "/api/v1/me/verification",
        json={"realName": "赵六", "idNumber": number},
        headers=resident.headers,
    )
    assert verified.status_code == 200, verified.text
    held = await client.post(URL, json=support.body(idNumber=number), headers=worker.headers)
    assert held.status_code == 409
    assert problem(held)["code"] == "id_number_registered"


async def test_acting_for_an_elder_works_through_resident_endpoints_and_is_recorded(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, settings: Settings
) -> None:
    worker = await make_user("worker")
    elder = await support.create(client, worker)
    acting = await support.act(client, worker, elder["id"])
    me = await client.get("/api/v1/me", headers=acting)
    assert me.status_code == 200
    assert me.json()["id"] == elder["id"]
    assert me.json()["phone"] is None
    # The elder's own care profile (an elder: verified from the ID number as 80 or over).
    profile = await client.put("/api/v1/me/care-profiles/self", json=PROFILE, headers=acting)
    assert profile.status_code == 200, profile.text
    assert profile.json()["address"] == PROFILE["address"]
    member = await client.post(
        "/api/v1/me/members",
        json={"name": "王大海", "relation": "spouse", "birthDate": "1938-02-03"},
        headers=acting,
    )
    assert member.status_code == 201, member.text
    # A refusal is recorded too: a second profile PUT with a bad phone.
    bad = {**PROFILE, "emergencyContacts": [{"name": "王强", "phone": "123", "relation": "子"}]}
    refused = await client.put("/api/v1/me/care-profiles/self", json=bad, headers=acting)
    assert refused.status_code == 422
    async with db() as session:
        rows = (await session.execute(select(ActedFor).order_by(ActedFor.id))).scalars().all()
    assert [(r.operation, r.status) for r in rows] == [
        ("actForAssistedResident", 200),
        ("putCareProfile", 200),
        ("createMember", 201),
        ("putCareProfile", 422),
    ]
    assert {(r.actor_id, str(r.subject_id)) for r in rows} == {(worker.id, elder["id"])}
    assert all(r.request_id for r in rows)
    # Reads are not recorded (GET /me, above).
    assert "getMe" not in {r.operation for r in rows}
    # The elder's list, read with the acting token, newest first.
    mine = await client.get("/api/v1/me/acted-for", headers=acting)
    assert [i["operation"] for i in mine.json()["items"]] == [
        "putCareProfile",
        "createMember",
        "putCareProfile",
        "actForAssistedResident",
    ]
    assert mine.json()["items"][0]["actorName"] == worker.name
    assert mine.json()["items"][0]["subjectName"] == "王秀兰"


async def test_the_relative_with_the_contact_phone_sees_what_was_done(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    worker, admin = await make_user("worker"), await make_user("admin")
    son = await make_user("resident")
    stranger = await make_user("resident")
    elder = await support.create(client, worker, contactPhone=f"+86{son.phone}")
    other = await support.create(client, worker)
    acting = await support.act(client, worker, elder["id"])
    await client.put("/api/v1/me/care-profiles/self", json=PROFILE, headers=acting)
    await support.act(client, admin, other["id"])
    seen = (await client.get("/api/v1/me/acted-for", headers=son.headers)).json()["items"]
    assert {i["subjectId"] for i in seen} == {elder["id"]}
    assert len(seen) == 2
    assert (await client.get("/api/v1/me/acted-for", headers=stranger.headers)).json() == {
        "items": [],
        "nextCursor": None,
    }
    audit = await client.get(
        "/api/v1/admin/acted-for", params={"actorId": str(admin.id)}, headers=admin.headers
    )
    assert [i["subjectId"] for i in audit.json()["items"]] == [other["id"]]
    by_elder = await client.get(
        "/api/v1/admin/acted-for", params={"subjectId": elder["id"]}, headers=admin.headers
    )
    assert len(by_elder.json()["items"]) == 2


async def test_acting_is_only_for_assisted_accounts_and_only_by_workers(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    worker = await make_user("worker")
    resident = await make_user("resident")
    elder = await support.create(client, worker)
    ordinary = await client.post(f"{URL}/{resident.id}/act", headers=worker.headers)
    assert ordinary.status_code == 404
    assert problem(ordinary)["code"] == "not_found"
    for role in ("resident", "staff", "dispatcher", "caregiver"):
        caller = await make_user(role)
        refused = await client.post(f"{URL}/{elder['id']}/act", headers=caller.headers)
        assert refused.status_code == 403, role
    # An acting token is a resident's: no /manage, no /admin, no acting again.
    acting = await support.act(client, worker, elder["id"])
    for method, path in (
        ("POST", f"{URL}/{elder['id']}/act"),
        ("GET", URL),
        ("GET", "/api/v1/manage/elders"),
        ("GET", "/api/v1/admin/acted-for"),
        ("GET", "/api/v1/admin/care-providers"),
    ):
        answer = await client.request(method, path, headers=acting)
        assert answer.status_code == 403, (method, path)
        assert problem(answer)["code"] == "forbidden"


async def test_expired_and_revoked_acting_tokens_are_refused(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock, settings: Settings
) -> None:
    worker = await make_user("worker")
    elder = await support.create(client, worker)
    # PyJWT checks expiry by the real clock: a token issued 16 minutes "ago" has expired.
    clock.set(clock.now() - timedelta(minutes=16))
    old = await support.act(client, worker, elder["id"])
    clock.set(clock.now() + timedelta(minutes=16))
    expired = await client.get("/api/v1/me", headers=old)
    assert expired.status_code == 401
    acting = await support.act(client, worker, elder["id"])
    claims = jwt.decode(
        acting["Authorization"].split()[1],
        settings.jwt_secret,
        algorithms=["HS256"],
        audience=settings.jwt_audience,
    )
    assert claims["sub"] == elder["id"]
    assert claims["act"] == {"sub": str(worker.id)}
    assert claims["role"] == "resident"
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert (await client.get("/api/v1/me", headers=acting)).status_code == 200
    # The worker logs out: their acting tokens end with their session.
    out = await client.post(
        "/api/v1/auth/logout", json={"refreshToken": worker.refresh_token}, headers=worker.headers
    )
    assert out.status_code == 204
    assert (await client.get("/api/v1/me", headers=acting)).status_code == 401
    assert (
        await client.post(f"{URL}/{elder['id']}/act", headers=worker.headers)
    ).status_code == 401


async def test_an_assisted_account_cannot_log_in(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    worker = await make_user("worker")
    await support.create(client, worker, contactPhone="13912345678")
    wrong = await client.post(
        "/api/v1/auth/login", json={"phone": "13912345678", "password": PASSWORD}
    )
    assert wrong.status_code == 401
    assert problem(wrong)["code"] == "invalid_credentials"
    sent = await client.post(
        "/api/v1/auth/sms-codes", json={"phone": "13912345678", "purpose": "login"}
    )
    assert sent.status_code == 202
    latest = await client.get("/api/v1/dev/sms-codes/latest", params={"phone": "13912345678"})
    # No account has that phone: no login code is made for it, or it logs nobody in.
    if latest.status_code == 200:
        login = await client.post(
            "/api/v1/auth/login/sms",
            json={"phone": "13912345678", "smsCode": latest.json()["code"]},
        )
        assert login.status_code in (400, 401), login.text


async def test_workers_find_elders_by_name(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser
) -> None:
    worker = await make_user("worker")
    owner = await make_user("resident")
    member = await add_member(db, owner.id, "张建国", date(1940, 5, 1))
    put = await client.put(
        f"/api/v1/me/care-profiles/{member}", json=PROFILE, headers=owner.headers
    )
    assert put.status_code == 200
    elder = await support.create(client, worker)
    acting = await support.act(client, worker, elder["id"])
    assert (
        await client.put("/api/v1/me/care-profiles/self", json=PROFILE, headers=acting)
    ).status_code == 200
    everyone = (await client.get("/api/v1/manage/elders", headers=worker.headers)).json()
    assert [(i["name"], i["assisted"]) for i in everyone["items"]] == [
        ("张建国", False),
        ("王秀兰", True),
    ]
    assert all(i["address"].endswith("****") for i in everyone["items"])
    found = await client.get("/api/v1/manage/elders", params={"q": "秀"}, headers=worker.headers)
    assert [i["ownerId"] for i in found.json()["items"]] == [elder["id"]]
    none = await client.get("/api/v1/manage/elders", params={"q": "%"}, headers=worker.headers)
    assert none.json()["items"] == []
    subsidy = await client.put(
        f"/api/v1/manage/elders/{found.json()['items'][0]['careProfileId']}/subsidy",
        json={"tier": "lives_alone", "monthlyAllowance": 20000},
        headers=worker.headers,
    )
    assert subsidy.status_code == 200


@pytest.mark.storm
async def test_twenty_parallel_creations_with_one_id_number_make_one_account(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser
) -> None:
    workers = [await make_user("worker") for _ in range(4)]
    body = support.body()
    answers = await asyncio.gather(
        *(client.post(URL, json=body, headers=workers[i % 4].headers) for i in range(20))
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * 19, statuses
    assert {problem(a)["code"] for a in answers if a.status_code == 409} == {"id_number_registered"}
    async with db() as session:
        count = await session.scalar(select(func.count()).select_from(AssistedResident))
        accounts = await session.scalar(
            select(func.count()).select_from(User).where(User.phone.is_(None))
        )
    assert (count, accounts) == (1, 1)


async def test_an_event_registration_for_an_elder_is_recorded_with_and_without_a_key(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock
) -> None:
    """A registration without Idempotency-Key commits on its own, outside the request's
    session: its record is written just after; with a key it joins the request's transaction."""
    worker, staff = await make_user("worker"), await make_user("staff")
    first = await published(client, staff.headers, clock)
    second = await published(client, staff.headers, clock)
    elder = await support.create(client, worker)
    acting = await support.act(client, worker, elder["id"])
    plain = await register(client, first["id"], acting)
    assert plain.status_code == 201, plain.text
    keyed = await client.post(
        f"/api/v1/events/{second['id']}/registrations",
        json={"seats": 1, "memberIds": []},
        headers={**acting, "Idempotency-Key": "elder-visit-1"},
    )
    assert keyed.status_code == 201, keyed.text
    twice = await register(client, first["id"], acting)
    assert twice.status_code == 409
    mine = await client.get("/api/v1/me/registrations", headers=acting)
    assert len(mine.json()["items"]) == 2
    async with db() as session:
        rows = (await session.execute(select(ActedFor).order_by(ActedFor.id))).scalars().all()
    assert [(r.operation, r.status) for r in rows] == [
        ("actForAssistedResident", 200),
        ("registerForEvent", 201),
        ("registerForEvent", 201),
        ("registerForEvent", 409),
    ]
    assert {r.path for r in rows[1:]} == {
        f"/api/v1/events/{first['id']}/registrations",
        f"/api/v1/events/{second['id']}/registrations",
    }


async def test_a_refusal_that_held_the_elders_row_is_recorded_without_waiting(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser
) -> None:
    """The 21st member is refused after the owner's row was locked FOR UPDATE; the record's
    foreign key to that row must not wait for the refused transaction."""
    worker = await make_user("worker")
    elder = await support.create(client, worker)
    for i in range(20):
        await add_member(db, UUID(elder["id"]), f"成员{i}", date(1990, 1, 1))
    acting = await support.act(client, worker, elder["id"])
    refused = await asyncio.wait_for(
        client.post(
            "/api/v1/me/members",
            json={"name": "王小明", "relation": "grandson", "birthDate": "2015-02-03"},
            headers=acting,
        ),
        timeout=10,
    )
    assert refused.status_code == 409
    assert problem(refused)["code"] == "member_limit_reached"
    async with db() as session:
        last = (
            await session.execute(select(ActedFor).order_by(ActedFor.id.desc()).limit(1))
        ).scalar_one()
    assert (last.operation, last.status) == ("createMember", 409)


async def test_a_care_order_made_for_an_elder_names_the_worker_who_asked(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock
) -> None:
    admin, worker = await make_user("admin"), await make_user("worker")
    provider = await client.post(
        "/api/v1/admin/care-providers",
        json={"name": "禾康居家养老", "phone": "13912345678", "serviceCodes": ["haircut"]},
        headers=admin.headers,
    )
    assert provider.status_code == 201, provider.text
    elder = await support.create(client, worker)
    acting = await support.act(client, worker, elder["id"])
    profile = await client.put("/api/v1/me/care-profiles/self", json=PROFILE, headers=acting)
    assert profile.status_code == 200, profile.text
    starts = (clock.now() + timedelta(days=1)).replace(microsecond=0)
    order = await client.post(
        "/api/v1/care/orders",
        json={"serviceCode": "haircut", "startsAt": starts.isoformat(), "note": ""},
        headers=acting,
    )
    assert order.status_code == 201, order.text
    async with db() as session:
        row = (
            await session.execute(
                select(CareOrder.household_id, CareOrder.requested_by).where(
                    CareOrder.id == UUID(order.json()["id"])
                )
            )
        ).one()
    # The order is the elder's; who asked for it is the worker (the acting token's ``act``).
    assert (str(row.household_id), row.requested_by) == (elder["id"], worker.id)
    recorded = await client.get(
        "/api/v1/admin/acted-for", params={"subjectId": elder["id"]}, headers=admin.headers
    )
    assert "createCareOrder" in {i["operation"] for i in recorded.json()["items"]}
