"""Authorization matrix of childcare's safe drop-off and pickup: every endpoint for every role
in ``tests.authz.ROLES``; a child's list and notes out of every other household's reach, a
program's door out of every other program's teachers' reach."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.childcare.models import Application
from backend.core.clock import FrozenClock
from backend.identity.models import HouseholdMember
from tests.api.childcare_pickup_support import (
    Day,
    add_session,
    add_teacher,
    afternoon,
    enrol,
    program_with_session,
)
from tests.authz import OK, ROLES, Call, check_every_role
from tests.factories import Account, MakeUser

Sessions = async_sessionmaker[AsyncSession]
PICKUPS = "/api/v1/me/members/{childId:uuid}/pickups"
PICKUP = "/api/v1/me/members/{childId:uuid}/pickups/{pickupId:uuid}"
PROFILE = "/api/v1/me/members/{childId:uuid}/childcare-profile"
ROSTER = "/api/v1/manage/childcare/programs/{programId:uuid}/sessions/{date:date}"
ATTENDANCE = "/api/v1/manage/childcare/programs/{programId:uuid}/attendance"
ABSENCES = "/api/v1/childcare/enrollments/{enrollmentId:uuid}/absences"

ENDPOINTS = [
    ("GET", PICKUPS),
    ("POST", PICKUPS),
    ("DELETE", PICKUP),
    ("GET", PROFILE),
    ("PUT", PROFILE),
    ("GET", ROSTER),
    ("POST", ROSTER + "/check-in"),
    ("POST", ROSTER + "/check-out"),
    ("GET", ATTENDANCE),
    ("GET", ATTENDANCE + ".csv"),
    ("POST", ABSENCES),
]

NOBODY = {**dict.fromkeys(ROLES, 403), "anonymous": 401}
RESIDENT = {**NOBODY, "resident": OK}
TEACHERS = {**NOBODY, "worker": OK}
TEACHERS_ADMINS = {**TEACHERS, "admin": OK}
RECORDS = {**TEACHERS_ADMINS, "staff": OK}

EXPECTED: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", PICKUPS): RESIDENT,
    ("POST", PICKUPS): RESIDENT,
    ("DELETE", PICKUP): RESIDENT,
    ("GET", PROFILE): RESIDENT,
    ("PUT", PROFILE): RESIDENT,
    ("GET", ROSTER): TEACHERS_ADMINS,
    ("POST", ROSTER + "/check-in"): TEACHERS,
    ("POST", ROSTER + "/check-out"): TEACHERS,
    ("GET", ATTENDANCE): RECORDS,
    ("GET", ATTENDANCE + ".csv"): RECORDS,
    ("POST", ABSENCES): RESIDENT,
}
TRUSTED = {"name": "李奶奶", "phone": "13900002222", "relation": "奶奶", "idLast4": "1234"}

Build = Callable[..., Awaitable[tuple[str, Any, int]]]


async def _day(
    db: Sessions, make_user: MakeUser, clock: FrozenClock, caller: Account | None
) -> Day:
    """Today's session of a program and one next week; a worker calling is one of its
    teachers, a resident calling is the guardian of its child (the household's member, the
    enrolment's household)."""
    day = await program_with_session(db, make_user, clock, children=0)
    if caller is not None and caller.role == "worker":
        await add_teacher(db, day, caller.id)
    child = await enrol(db, make_user, day, "小明")
    if caller is not None and caller.role == "resident":
        child.guardian = caller
        async with db() as s, s.begin():
            await s.execute(
                update(HouseholdMember)
                .where(HouseholdMember.id == child.id)
                .values(owner_id=caller.id)
            )
            await s.execute(
                update(Application)
                .where(Application.id == child.enrollment_id)
                .values(household_id=caller.id)
            )
    day.children.append(child)
    await add_session(db, day, day.date + timedelta(days=7))
    return day


def _child_url(template: str, day: Day, suffix: str = "") -> str:
    return template.replace("{childId:uuid}", str(day.children[0].id)) + suffix


async def _list(
    client: httpx.AsyncClient, day: Day, caller: Account | None
) -> tuple[str, Any, int]:
    return _child_url(PICKUPS, day), None, 200


async def _add(client: httpx.AsyncClient, day: Day, caller: Account | None) -> tuple[str, Any, int]:
    return _child_url(PICKUPS, day), TRUSTED, 201


async def _remove(
    client: httpx.AsyncClient, day: Day, caller: Account | None
) -> tuple[str, Any, int]:
    child = day.children[0]
    added = await client.post(
        _child_url(PICKUPS, day), json=TRUSTED, headers=child.guardian.headers
    )
    return f"{_child_url(PICKUPS, day)}/{added.json()['id']}", None, 204


async def _get_profile(
    client: httpx.AsyncClient, day: Day, caller: Account | None
) -> tuple[str, Any, int]:
    return _child_url(PROFILE, day), None, 200


async def _put_profile(
    client: httpx.AsyncClient, day: Day, caller: Account | None
) -> tuple[str, Any, int]:
    return _child_url(PROFILE, day), {"allergies": "花生"}, 200


async def _roster(
    client: httpx.AsyncClient, day: Day, caller: Account | None
) -> tuple[str, Any, int]:
    return day.url, None, 200


async def _check_in(
    client: httpx.AsyncClient, day: Day, caller: Account | None
) -> tuple[str, Any, int]:
    return f"{day.url}/check-in", {"childId": str(day.children[0].id)}, 200


async def _check_out(
    client: httpx.AsyncClient, day: Day, caller: Account | None
) -> tuple[str, Any, int]:
    child = day.children[0]
    answer = await client.post(
        f"{day.url}/check-in", json={"childId": str(child.id)}, headers=day.teacher.headers
    )
    code = answer.json()["securityCode"]
    return f"{day.url}/check-out", {"childId": str(child.id), "securityCode": code}, 200


async def _attendance(
    client: httpx.AsyncClient, day: Day, caller: Account | None
) -> tuple[str, Any, int]:
    month = day.date.strftime("%Y-%m")
    return f"/api/v1/manage/childcare/programs/{day.program_id}/attendance?month={month}", None, 200


async def _attendance_csv(
    client: httpx.AsyncClient, day: Day, caller: Account | None
) -> tuple[str, Any, int]:
    month = day.date.strftime("%Y-%m")
    url = f"/api/v1/manage/childcare/programs/{day.program_id}/attendance.csv?month={month}"
    return url, None, 200


async def _absence(
    client: httpx.AsyncClient, day: Day, caller: Account | None
) -> tuple[str, Any, int]:
    later = day.date + timedelta(days=7)
    return (
        f"/api/v1/childcare/enrollments/{day.children[0].enrollment_id}/absences",
        {"date": later.isoformat(), "reason": "旅行"},
        201,
    )


BUILDERS: dict[tuple[str, str], Build] = {
    ("GET", PICKUPS): _list,
    ("POST", PICKUPS): _add,
    ("DELETE", PICKUP): _remove,
    ("GET", PROFILE): _get_profile,
    ("PUT", PROFILE): _put_profile,
    ("GET", ROSTER): _roster,
    ("POST", ROSTER + "/check-in"): _check_in,
    ("POST", ROSTER + "/check-out"): _check_out,
    ("GET", ATTENDANCE): _attendance,
    ("GET", ATTENDANCE + ".csv"): _attendance_csv,
    ("POST", ABSENCES): _absence,
}


def test_every_endpoint_has_its_row() -> None:
    assert set(EXPECTED) == set(ENDPOINTS) == set(BUILDERS)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_matrix(
    client: httpx.AsyncClient,
    db: Sessions,
    make_user: MakeUser,
    clock: FrozenClock,
    method: str,
    path: str,
) -> None:
    async def arrange(caller: Account | None) -> Call:
        day = await _day(db, make_user, clock, caller)
        return Call(*await BUILDERS[(method, path)](client, day, caller))

    afternoon(clock)
    await check_every_role(
        client, method, EXPECTED[(method, path)], clock=clock, caller_of=make_user, arrange=arrange
    )
