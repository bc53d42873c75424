"""A childcare session's door, through HTTP: the roster, check-in with a fresh code, check-out
by code or by a trusted person's ID, and everything that must never happen — a blocked person
taking the child, a wrong code or ID, a check-out without check-in, another program's teacher."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.childcare.models_pickup import Attendance
from backend.core.clock import FrozenClock
from backend.notifications.models import Notification
from tests.api.childcare_pickup_support import Child, Day, afternoon, program_with_session
from tests.conftest import problem
from tests.factories import MakeUser

Sessions = async_sessionmaker[AsyncSession]
TRUSTED = {"name": "李奶奶", "phone": "13900002222", "relation": "奶奶", "idLast4": "123X"}
BLOCKED = {"name": "王某", "phone": "13900003333", "relation": "其他", "blocked": True}


async def _person(client: httpx.AsyncClient, child: Child, body: dict[str, Any]) -> str:
    url = f"/api/v1/me/members/{child.id}/pickups"
    answer = await client.post(url, json=body, headers=child.guardian.headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def _check_in(client: httpx.AsyncClient, day: Day, child: Child) -> str:
    answer = await client.post(
        f"{day.url}/check-in",
        json={"childId": str(child.id), "broughtBy": "妈妈"},
        headers=day.teacher.headers,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["securityCode"])


async def _kinds(db: Sessions, user_id: Any) -> list[str]:
    async with db() as s:
        rows = await s.scalars(
            select(Notification.kind)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id)
        )
        return list(rows)


@pytest.fixture
async def day(db: Sessions, make_user: MakeUser, clock: FrozenClock) -> Day:
    afternoon(clock)
    return await program_with_session(db, make_user, clock, children=2)


async def test_check_in_issues_a_new_code_that_checks_the_child_out(
    client: httpx.AsyncClient, db: Sessions, day: Day
) -> None:
    child = day.children[0]
    code = await _check_in(client, day, child)
    assert len(code) == 4
    async with db() as s:
        row = (await s.scalars(select(Attendance))).one()
        # Stored as a keyed hash and sealed, never as the code.
        assert code not in row.code_digest
        assert code.encode() not in row.code_sealed
    # The guardians see the code in their inbox.
    inbox = await client.get("/api/v1/me/notifications", headers=child.guardian.headers)
    first = inbox.json()["items"][0]
    assert first["kind"] == "childcare_checked_in"
    assert first["data"]["securityCode"] == code
    again = await client.post(
        f"{day.url}/check-in", json={"childId": str(child.id)}, headers=day.teacher.headers
    )
    assert again.status_code == 409
    assert problem(again)["code"] == "child_already_checked_in"
    roster = (await client.get(day.url, headers=day.teacher.headers)).json()
    statuses = {c["childId"]: c["status"] for c in roster["children"]}
    assert statuses == {str(child.id): "present", str(day.children[1].id): "absent"}

    out = await client.post(
        f"{day.url}/check-out",
        json={"childId": str(child.id), "securityCode": code.lower(), "pickedUpBy": "爸爸"},
        headers=day.teacher.headers,
    )
    assert out.status_code == 200, out.text
    assert out.json()["method"] == "security_code"
    assert out.json()["pickedUpBy"] == "爸爸"
    assert await _kinds(db, child.guardian.id) == ["childcare_checked_in", "childcare_checked_out"]
    roster = (await client.get(day.url, headers=day.teacher.headers)).json()
    mine = next(c for c in roster["children"] if c["childId"] == str(child.id))
    assert mine["status"] == "picked_up"
    assert mine["broughtBy"] == "妈妈"
    twice = await client.post(
        f"{day.url}/check-out",
        json={"childId": str(child.id), "securityCode": code},
        headers=day.teacher.headers,
    )
    assert twice.status_code == 409
    assert problem(twice)["code"] == "child_already_checked_out"


async def test_a_wrong_code_never_checks_out(
    client: httpx.AsyncClient, db: Sessions, day: Day
) -> None:
    child = day.children[0]
    code = await _check_in(client, day, child)
    for attempt, wrong in enumerate(
        ("".join("A" if ch != "A" else "C" for ch in code), "", "ACEFH"), start=1
    ):
        refused = await client.post(
            f"{day.url}/check-out",
            json={"childId": str(child.id), "securityCode": wrong or " "},
            headers=day.teacher.headers,
        )
        assert refused.status_code == 403, refused.text
        assert problem(refused)["code"] == "security_code_mismatch"
        # A typo or two is normal; the third wrong try alerts the guardians, once.
        alerted = ["childcare_pickup_failures"] if attempt >= 3 else []
        assert await _kinds(db, child.guardian.id) == ["childcare_checked_in", *alerted]
    # Another child's code is not this child's.
    other = await _check_in(client, day, day.children[1])
    if other != code:
        crossed = await client.post(
            f"{day.url}/check-out",
            json={"childId": str(child.id), "securityCode": other},
            headers=day.teacher.headers,
        )
        assert crossed.status_code == 403
    async with db() as s:
        assert list(await s.scalars(select(Attendance.checked_out_at))) == [None, None]
    kinds = await _kinds(db, child.guardian.id)
    assert kinds.count("childcare_pickup_failures") == 1


async def test_a_trusted_person_proves_their_id(client: httpx.AsyncClient, day: Day) -> None:
    child = day.children[0]
    trusted = await _person(client, child, TRUSTED)
    await _check_in(client, day, child)
    wrong = await client.post(
        f"{day.url}/check-out",
        json={"childId": str(child.id), "pickupId": trusted, "idLast4": "1234"},
        headers=day.teacher.headers,
    )
    assert wrong.status_code == 403
    assert problem(wrong)["code"] == "pickup_id_mismatch"
    missing = await client.post(
        f"{day.url}/check-out",
        json={"childId": str(child.id), "pickupId": trusted},
        headers=day.teacher.headers,
    )
    assert missing.status_code == 403
    assert problem(missing)["code"] == "pickup_id_mismatch"
    # Another child's trusted person is nobody for this child.
    other = await _person(client, day.children[1], TRUSTED)
    stranger = await client.post(
        f"{day.url}/check-out",
        json={"childId": str(child.id), "pickupId": other, "idLast4": "123X"},
        headers=day.teacher.headers,
    )
    assert stranger.status_code == 422
    assert problem(stranger)["code"] == "unknown_pickup"
    nothing = await client.post(
        f"{day.url}/check-out", json={"childId": str(child.id)}, headers=day.teacher.headers
    )
    assert nothing.status_code == 422
    assert problem(nothing)["code"] == "pickup_proof_required"
    ok = await client.post(
        f"{day.url}/check-out",
        json={"childId": str(child.id), "pickupId": trusted, "idLast4": "123x"},
        headers=day.teacher.headers,
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["method"] == "trusted_id"
    assert ok.json()["pickedUpBy"] == "李奶奶"


async def test_a_blocked_person_never_takes_the_child_and_the_guardians_are_alerted(
    client: httpx.AsyncClient, db: Sessions, day: Day
) -> None:
    child = day.children[0]
    blocked = await _person(client, child, {**BLOCKED, "idLast4": "5678"})
    code = await _check_in(client, day, child)
    # Not with their ID, and not with the right code either (it may have been passed on).
    for extra in ({"idLast4": "5678"}, {"securityCode": code}):
        refused = await client.post(
            f"{day.url}/check-out",
            json={"childId": str(child.id), "pickupId": blocked, **extra},
            headers=day.teacher.headers,
        )
        assert refused.status_code == 403
        assert problem(refused)["code"] == "pickup_not_authorized"
    # The alert was committed although the answer was an error; the child is still in care.
    assert await _kinds(db, child.guardian.id) == [
        "childcare_checked_in",
        "pickup_not_authorized",
        "pickup_not_authorized",
    ]
    async with db() as s:
        assert (await s.scalars(select(Attendance.checked_out_at))).one() is None
    roster = (await client.get(day.url, headers=day.teacher.headers)).json()
    mine = next(c for c in roster["children"] if c["childId"] == str(child.id))
    assert mine["status"] == "present"
    assert mine["pickups"] == [{"id": blocked, "name": "王某", "relation": "其他", "blocked": True}]


async def test_no_check_out_without_check_in(client: httpx.AsyncClient, day: Day) -> None:
    answer = await client.post(
        f"{day.url}/check-out",
        json={"childId": str(day.children[0].id), "securityCode": "ACEF"},
        headers=day.teacher.headers,
    )
    assert answer.status_code == 409
    assert problem(answer)["code"] == "child_not_checked_in"


async def test_only_on_the_sessions_day_and_only_enrolled_children(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock, day: Day
) -> None:
    outsider = await make_user("resident")
    from tests.factories import add_member

    stray = await add_member(db, outsider.id, "路人", day.date.replace(year=day.date.year - 6))
    answer = await client.post(
        f"{day.url}/check-in", json={"childId": str(stray)}, headers=day.teacher.headers
    )
    assert answer.status_code == 422
    assert problem(answer)["code"] == "child_not_enrolled"
    clock.advance(timedelta(days=1))
    late = await client.post(
        f"{day.url}/check-in",
        json={"childId": str(day.children[0].id)},
        headers=day.teacher.headers,
    )
    assert late.status_code == 422
    assert problem(late)["code"] == "session_not_today"
    none = await client.get(
        day.url.replace(day.date.isoformat(), (day.date + timedelta(days=2)).isoformat()),
        headers=day.teacher.headers,
    )
    assert none.status_code == 404


async def test_a_teacher_of_another_program_is_refused(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock, day: Day
) -> None:
    other = await program_with_session(db, make_user, clock, children=0, name="暑托班")
    child = day.children[0]
    await client.put(
        f"/api/v1/me/members/{child.id}/childcare-profile",
        json={"allergies": "花生过敏"},
        headers=child.guardian.headers,
    )
    for method, path, body in (
        ("GET", "", None),
        ("POST", "/check-in", {"childId": str(child.id)}),
        ("POST", "/check-out", {"childId": str(child.id), "securityCode": "ACEF"}),
    ):
        answer = await client.request(
            method, day.url + path, json=body, headers=other.teacher.headers
        )
        assert answer.status_code == 403, (method, path, answer.text)
        assert "花生" not in answer.text
    # An admin reads the roster, not the notes.
    admin = await make_user("admin")
    seen_by_admin = await client.get(day.url, headers=admin.headers)
    assert seen_by_admin.status_code == 200
    assert "花生" not in seen_by_admin.text
    # The teacher of the child's program reads the allergy for the day.
    roster = (await client.get(day.url, headers=day.teacher.headers)).json()
    assert next(c for c in roster["children"] if c["childId"] == str(child.id))["allergies"] == (
        "花生过敏"
    )


@pytest.mark.storm
async def test_storm_ten_check_outs_exactly_one_wins(
    client: httpx.AsyncClient, db: Sessions, day: Day
) -> None:
    child = day.children[0]
    code = await _check_in(client, day, child)
    answers = await asyncio.gather(
        *(
            client.post(
                f"{day.url}/check-out",
                json={"childId": str(child.id), "securityCode": code},
                headers=day.teacher.headers,
            )
            for _ in range(10)
        )
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * 9, [a.text for a in answers]
    assert {problem(a)["code"] for a in answers if a.status_code == 409} == {
        "child_already_checked_out"
    }
    assert (await _kinds(db, child.guardian.id)).count("childcare_checked_out") == 1


@pytest.mark.storm
async def test_storm_ten_check_ins_exactly_one_code(
    client: httpx.AsyncClient, db: Sessions, day: Day
) -> None:
    child = day.children[0]
    answers = await asyncio.gather(
        *(
            client.post(
                f"{day.url}/check-in", json={"childId": str(child.id)}, headers=day.teacher.headers
            )
            for _ in range(10)
        )
    )
    assert sorted(a.status_code for a in answers) == [200] + [409] * 9
    async with db() as s:
        assert await s.scalar(select(func.count()).select_from(Attendance)) == 1
