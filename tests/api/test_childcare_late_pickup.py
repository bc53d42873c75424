"""Late pickups: the periodic scan alerts the guardians 15 minutes after the session ended and
the program's teachers after 30, once each, never for a child picked up, excused or absent,
and once even when scans run at once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.childcare import late_pickup
from backend.childcare.models_pickup import LateAlert
from backend.core.clock import LOCAL_TZ, FrozenClock
from backend.jobs.testing import drain
from backend.notifications.models import Notification
from tests.api.childcare_pickup_support import afternoon, program_with_session
from tests.factories import MakeUser

Sessions = async_sessionmaker[AsyncSession]


async def _late_alerts(db: Sessions) -> list[tuple[Any, dict[str, Any]]]:
    async with db() as s:
        rows = await s.execute(
            select(Notification.user_id, Notification.data)
            .where(Notification.kind == "childcare_late_pickup")
            .order_by(Notification.id)
        )
        return [(r.user_id, r.data) for r in rows]


async def _scan_at(app: Litestar, clock: FrozenClock, when: datetime) -> None:
    # The job reads the app's clock, as a worker would.
    clock.set(when)
    await drain(app, now=when)


async def test_guardians_then_teachers_once_each_and_only_for_children_in_care(
    app: Litestar, client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock
) -> None:
    afternoon(clock)
    day = await program_with_session(db, make_user, clock, children=4)
    waiting, taken, excused, absent = day.children
    # The absence is reported in the morning, before the session starts.
    afternoon_at = clock.now()
    clock.set(datetime.combine(day.date, datetime.min.time(), tzinfo=LOCAL_TZ) + timedelta(hours=9))
    reported = await client.post(
        f"/api/v1/childcare/enrollments/{excused.enrollment_id}/absences",
        json={"date": day.date.isoformat(), "reason": "发烧"},
        headers=excused.guardian.headers,
    )
    assert reported.status_code == 201, reported.text
    clock.set(afternoon_at)
    codes = {}
    for child in (waiting, taken):
        answer = await client.post(
            f"{day.url}/check-in", json={"childId": str(child.id)}, headers=day.teacher.headers
        )
        codes[child.id] = answer.json()["securityCode"]
    out = await client.post(
        f"{day.url}/check-out",
        json={"childId": str(taken.id), "securityCode": codes[taken.id]},
        headers=day.teacher.headers,
    )
    assert out.status_code == 200

    await _scan_at(app, clock, day.ends_at + timedelta(minutes=14))
    assert await _late_alerts(db) == []
    await _scan_at(app, clock, day.ends_at + timedelta(minutes=15))
    alerts = await _late_alerts(db)
    assert [user for user, _ in alerts] == [waiting.guardian.id]
    assert alerts[0][1]["childName"] == waiting.name
    await _scan_at(app, clock, day.ends_at + timedelta(minutes=20))
    assert len(await _late_alerts(db)) == 1
    await _scan_at(app, clock, day.ends_at + timedelta(minutes=30))
    alerts = await _late_alerts(db)
    assert [user for user, _ in alerts] == [waiting.guardian.id, day.teacher.id]
    assert alerts[1][1]["stage"] == "teachers"
    await _scan_at(app, clock, day.ends_at + timedelta(minutes=45))
    assert len(await _late_alerts(db)) == 2
    # Still the guardians' and the teachers' inboxes only: nobody else was alerted.
    for child in (taken, excused, absent):
        assert child.guardian.id not in {user for user, _ in alerts}


async def test_concurrent_scans_alert_once(
    db: Sessions, make_user: MakeUser, clock: FrozenClock, client: httpx.AsyncClient
) -> None:
    afternoon(clock)
    day = await program_with_session(db, make_user, clock, children=3)
    for child in day.children:
        answer = await client.post(
            f"{day.url}/check-in", json={"childId": str(child.id)}, headers=day.teacher.headers
        )
        assert answer.status_code == 200
    when = day.ends_at + timedelta(minutes=31)

    async def scan(stage: Any) -> int:
        async with db() as s, s.begin():
            return await late_pickup.send_due(s, stage, now=when)

    sent = await asyncio.gather(*(scan(stage) for stage in ["guardians", "teachers"] * 4))
    assert sum(sent) == 6  # three children, two stages, once each
    async with db() as s:
        assert await s.scalar(select(func.count()).select_from(LateAlert)) == 6
    alerts = await _late_alerts(db)
    assert sorted(str(u) for u, _ in alerts) == sorted(
        [str(c.guardian.id) for c in day.children] + [str(day.teacher.id)] * 3
    )
