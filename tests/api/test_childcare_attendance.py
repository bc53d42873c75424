"""Absences reported by guardians, and the month's attendance records (per session, per child,
as CSV) for staff and the program's teachers."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.childcare.models_pickup import Absence
from backend.core.clock import LOCAL_TZ, FrozenClock
from tests.api.childcare_pickup_support import (
    Child,
    Day,
    add_session,
    afternoon,
    program_with_session,
)
from tests.conftest import problem
from tests.factories import MakeUser

Sessions = async_sessionmaker[AsyncSession]


def _absences(child: Child) -> str:
    return f"/api/v1/childcare/enrollments/{child.enrollment_id}/absences"


def _morning(clock: FrozenClock, day: Day) -> datetime:
    return datetime.combine(day.date, datetime.min.time(), tzinfo=LOCAL_TZ) + timedelta(hours=9)


async def test_an_absence_is_for_a_coming_session_once(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock
) -> None:
    afternoon(clock)
    day = await program_with_session(db, make_user, clock, children=1)
    child = day.children[0]
    next_week = day.date + timedelta(days=7)
    await add_session(db, day, next_week)
    body = {"date": next_week.isoformat(), "reason": "外出旅行"}
    headers = {**child.guardian.headers, "Idempotency-Key": "absence-1"}
    first = await client.post(_absences(child), json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["reason"] == "外出旅行"
    replay = await client.post(_absences(child), json=body, headers=headers)
    assert replay.json()["id"] == first.json()["id"]
    twice = await client.post(_absences(child), json=body, headers=child.guardian.headers)
    assert twice.status_code == 409
    assert problem(twice)["code"] == "absence_already_reported"
    # Today's session has started; there is no session tomorrow.
    for on in (day.date, day.date + timedelta(days=1)):
        refused = await client.post(
            _absences(child),
            json={"date": on.isoformat(), "reason": "病假"},
            headers=child.guardian.headers,
        )
        assert refused.status_code == 422, on
        assert problem(refused)["code"] == "absence_date_invalid"
    stranger = await make_user("resident")
    other = await client.post(_absences(child), json=body, headers=stranger.headers)
    assert other.status_code == 404
    async with db() as s:
        reason = (await s.scalars(select(Absence.reason_enc))).one()
    assert "外出".encode() not in reason


async def test_a_months_attendance_per_session_and_child_and_as_csv(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock
) -> None:
    afternoon(clock)
    afternoon_at = clock.now()
    day = await program_with_session(db, make_user, clock, children=4)
    late, excused, absent, waiting = day.children
    clock.set(_morning(clock, day))
    reported = await client.post(
        _absences(excused),
        json={"date": day.date.isoformat(), "reason": "看病"},
        headers=excused.guardian.headers,
    )
    assert reported.status_code == 201
    clock.set(afternoon_at)
    codes = {}
    for child in (late, waiting):
        answer = await client.post(
            f"{day.url}/check-in",
            json={"childId": str(child.id), "broughtBy": "=外婆"},
            headers=day.teacher.headers,
        )
        codes[child.id] = answer.json()["securityCode"]
    clock.set(day.ends_at + timedelta(minutes=20))
    taken = await client.post(
        f"{day.url}/check-out",
        json={"childId": str(late.id), "securityCode": codes[late.id], "pickedUpBy": "爸爸"},
        headers=day.teacher.headers,
    )
    assert taken.status_code == 200
    month = day.date.strftime("%Y-%m")
    url = f"/api/v1/manage/childcare/programs/{day.program_id}/attendance"
    staff = await make_user("staff")
    for caller in (staff, day.teacher):
        answer = await client.get(url, params={"month": month}, headers=caller.headers)
        assert answer.status_code == 200, answer.text
    records = answer.json()
    assert records["sessions"] == [
        {"date": day.date.isoformat(), "present": 2, "absent": 1, "excused": 1, "latePickups": 2}
    ]
    per_child = {c["childId"]: c for c in records["children"]}
    assert per_child[str(excused.id)]["excused"] == 1
    assert per_child[str(absent.id)]["absent"] == 1
    assert per_child[str(late.id)]["latePickups"] == 1

    download = await client.get(f"{url}.csv", params={"month": month}, headers=staff.headers)
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0][0] == "日期"
    assert len(rows) == 5
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name[late.name][2] == "已接走"
    assert by_name[late.name][6] == "爸爸"
    assert by_name[late.name][7] == "是"
    assert by_name[excused.name][2] == "请假"
    # A name typed as a formula stays text in Excel.
    assert by_name[waiting.name][4] == "'=外婆"

    other_teacher = await program_with_session(db, make_user, clock, children=0, name="暑托班")
    refused = await client.get(url, params={"month": month}, headers=other_teacher.teacher.headers)
    assert refused.status_code == 403
    bad = await client.get(url, params={"month": "2026-13"}, headers=staff.headers)
    assert bad.status_code == 422
