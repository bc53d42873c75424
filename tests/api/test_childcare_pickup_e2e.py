"""The whole day through the API only: a program published and taught, a child enrolled by the
guardian, who names a grandmother and blocks someone; on the session's day the teacher checks
the child in, refuses the blocked person, and hands the child to the grandmother."""

from __future__ import annotations

from datetime import datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import LOCAL_TZ, FrozenClock
from tests.api.childcare_support import MANAGE, apply, guardian, make_complex, published_program
from tests.conftest import problem
from tests.factories import MakeUser

Sessions = async_sessionmaker[AsyncSession]


async def test_a_day_from_enrolment_to_pickup(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock
) -> None:
    clock.set(datetime(2027, 2, 26, 10, tzinfo=LOCAL_TZ))
    where = await make_complex(client, make_user)
    program = await published_program(client, where, clock)
    teacher = await make_user("worker")
    assigned = await client.put(
        f"{MANAGE}/{program['id']}/teachers",
        json={"userIds": [str(teacher.id)]},
        headers=where.staff.headers,
    )
    assert assigned.status_code == 200, assigned.text
    parent, child = await guardian(db, make_user)
    enrolled = await apply(client, parent, program["id"], child)
    assert enrolled.json()["status"] == "enrolled", enrolled.text
    people = f"/api/v1/me/members/{child}/pickups"
    grandma = await client.post(
        people,
        json={"name": "李奶奶", "phone": "13900002222", "relation": "奶奶", "idLast4": "0427"},
        headers=parent.headers,
    )
    blocked = await client.post(
        people,
        json={"name": "王某", "phone": "13900003333", "relation": "其他", "blocked": True},
        headers=parent.headers,
    )
    await client.put(
        f"/api/v1/me/members/{child}/childcare-profile",
        json={"allergies": "芒果过敏"},
        headers=parent.headers,
    )

    clock.set(datetime(2027, 3, 1, 16, 35, tzinfo=LOCAL_TZ))
    day = f"{MANAGE}/{program['id']}/sessions/2027-03-01"
    roster = await client.get(day, headers=teacher.headers)
    assert roster.status_code == 200, roster.text
    (entry,) = roster.json()["children"]
    assert entry["status"] == "absent"
    assert entry["allergies"] == "芒果过敏"
    assert {p["name"]: p["blocked"] for p in entry["pickups"]} == {"李奶奶": False, "王某": True}
    checked_in = await client.post(
        f"{day}/check-in", json={"childId": child, "broughtBy": "妈妈"}, headers=teacher.headers
    )
    assert checked_in.status_code == 200, checked_in.text

    clock.set(datetime(2027, 3, 1, 18, 5, tzinfo=LOCAL_TZ))
    refused = await client.post(
        f"{day}/check-out",
        json={"childId": child, "pickupId": blocked.json()["id"]},
        headers=teacher.headers,
    )
    assert refused.status_code == 403
    assert problem(refused)["code"] == "pickup_not_authorized"
    handed = await client.post(
        f"{day}/check-out",
        json={"childId": child, "pickupId": grandma.json()["id"], "idLast4": "0427"},
        headers=teacher.headers,
    )
    assert handed.status_code == 200, handed.text
    inbox = await client.get("/api/v1/me/notifications", headers=parent.headers)
    kinds = [n["kind"] for n in inbox.json()["items"]]
    assert kinds[:3] == ["childcare_checked_out", "pickup_not_authorized", "childcare_checked_in"]
    alert = inbox.json()["items"][1]
    assert "王某" in alert["body"]
    roster = await client.get(day, headers=teacher.headers)
    assert roster.json()["children"][0]["pickedUpBy"] == "李奶奶"
