"""The daily "I am safe" (平安报): the household's check-in, once a day; the alert at dueBy to
the household and the emergency contacts who have accounts; the community workers two hours
later; the workers' list and "reached". What must never happen is tested as such: no alert
lost, no alert for a check-in made, for a profile switched off, or before dueBy."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import func, select

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.eldercare import service
from backend.eldercare.models import CareCheckIn, CareCheckInAlert
from backend.notifications.messages import render
from tests.api.checkin_support import (
    CHECK_INS,
    DAY,
    MISSING,
    MY_CHECK_INS,
    Sessions,
    at,
    check_in,
    elder,
    profile,
    scan,
    told,
)
from tests.api.push_support import add_device
from tests.conftest import problem
from tests.factories import MakeUser, add_member, new_phone, verify_birth


@pytest.fixture(autouse=True)
def morning(clock: FrozenClock) -> None:
    clock.set(at(7))


async def _alerts(db: Sessions) -> list[CareCheckInAlert]:
    async with db() as session:
        return list((await session.scalars(select(CareCheckInAlert))).all())


# --- the check-in ------------------------------------------------------------------------------


async def test_one_check_in_a_day_and_the_household_reads_them(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock
) -> None:
    owner = await make_user("resident")
    member, profile_id = await elder(client, db, owner)
    clock.set(at(8, 12))
    first = await check_in(client, owner, member)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["careProfileId"] == profile_id
    assert (body["memberId"], body["name"], body["date"]) == (str(member), "陈桂英", "2027-03-01")
    assert body["late"] is False
    clock.set(at(9))
    again = await check_in(client, owner, member)
    assert again.status_code == 200
    assert again.json() == body
    # The next day is a new check-in, after dueBy: late.
    clock.set(at(10, 30, day=DAY.replace(day=2)))
    keyed = {"Idempotency-Key": "tap-0302"}
    second = await client.post(
        CHECK_INS, json={"memberId": str(member)}, headers={**owner.headers, **keyed}
    )
    assert second.status_code == 201
    assert second.json()["late"] is True
    replay = await client.post(
        CHECK_INS, json={"memberId": str(member)}, headers={**owner.headers, **keyed}
    )
    assert (replay.status_code, replay.json()) == (201, second.json())
    reused = await client.post(CHECK_INS, json={}, headers={**owner.headers, **keyed})
    assert problem(reused)["code"] == "idempotency_key_reused"

    listed = await client.get(MY_CHECK_INS, params={"limit": 1}, headers=owner.headers)
    assert [c["date"] for c in listed.json()["items"]] == ["2027-03-02"]
    rest = await client.get(
        MY_CHECK_INS,
        params={"limit": 1, "cursor": listed.json()["nextCursor"], "memberId": str(member)},
        headers=owner.headers,
    )
    assert [c["id"] for c in rest.json()["items"]] == [body["id"]]
    assert rest.json()["nextCursor"] is None


async def test_check_ins_are_refused_where_no_check_in_is_on(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    owner, stranger = await make_user("resident"), await make_user("resident")
    off, _ = await elder(client, db, owner, enabled=False)
    assert problem(await check_in(client, owner, off))["code"] == "check_in_not_enabled"
    no_profile = await add_member(db, owner.id, "张建国", DAY.replace(year=1938))
    assert problem(await check_in(client, owner, no_profile))["code"] == "check_in_not_enabled"
    young = await add_member(db, owner.id, "张明", DAY.replace(year=1990))
    assert problem(await check_in(client, owner, young))["code"] == "not_an_elder"
    # Themself, not verified as 60 or over; and another household's elder.
    self_check = await client.post(CHECK_INS, headers=owner.headers)
    assert problem(self_check)["code"] == "not_an_elder"
    on, _ = await elder(client, db, owner, "李秀兰")
    assert (await check_in(client, stranger, on)).status_code == 404
    theirs = await client.get(MY_CHECK_INS, params={"memberId": str(on)}, headers=stranger.headers)
    assert theirs.status_code == 404
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(CareCheckIn)) == 0


async def test_a_resident_of_sixty_checks_in_for_themself(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, db: Sessions
) -> None:
    resident = await make_user("resident")
    await verify_birth(db, settings, resident.id, DAY.replace(year=1950))
    put = await client.put(
        "/api/v1/me/care-profiles/self", json=profile(), headers=resident.headers
    )
    assert put.status_code == 200, put.text
    tapped = await client.post(CHECK_INS, headers=resident.headers)
    assert tapped.status_code == 201, tapped.text
    assert (tapped.json()["memberId"], tapped.json()["name"]) == (None, resident.name)
    mine = await client.get(MY_CHECK_INS, params={"memberId": "self"}, headers=resident.headers)
    assert [c["id"] for c in mine.json()["items"]] == [tapped.json()["id"]]


@pytest.mark.storm
async def test_storm_twenty_taps_at_once_make_one_check_in(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock
) -> None:
    owner = await make_user("resident")
    member, _ = await elder(client, db, owner)
    clock.set(at(9))
    answers = await asyncio.gather(*(check_in(client, owner, member) for _ in range(20)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 19 + [201], [a.text for a in answers if a.status_code >= 300]
    assert len({a.json()["id"] for a in answers}) == 1
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(CareCheckIn)) == 1


# --- the alert at dueBy ------------------------------------------------------------------------


async def test_a_missed_check_in_tells_the_household_and_contacts_with_accounts(
    client: httpx.AsyncClient,
    app: Litestar,
    make_user: MakeUser,
    db: Sessions,
    clock: FrozenClock,
) -> None:
    owner, son, bystander = [await make_user("resident") for _ in range(3)]
    contacts = [
        {"name": "张明", "phone": son.phone, "relation": "son"},
        {"name": "邻居", "phone": new_phone(), "relation": "neighbour"},  # no account
        {"name": "自己", "phone": owner.phone, "relation": "self"},  # told once, not twice
    ]
    member, profile_id = await elder(client, db, owner, emergencyContacts=contacts)

    await scan(app, clock, at(9, 59))
    assert await told(db, owner.id) == []
    await scan(app, clock, at(10))
    [to_owner] = await told(db, owner.id)
    [to_son] = await told(db, son.id)
    assert await told(db, bystander.id) == []
    assert to_owner.kind == to_son.kind == "care_check_in_missed"
    assert to_owner.data == to_son.data
    assert to_owner.data["careProfileId"] == profile_id
    assert to_owner.data["memberId"] == str(member)
    assert to_owner.data["date"] == "2027-03-01"
    title, body = render(to_owner.kind, to_owner.data, "zh-CN")
    assert title == "平安报未签到"
    assert body == "陈桂英到2027-03-01 10:00还没有报平安，请尽快联系确认。"
    assert "has not checked in by 2027-03-01 10:00" in render(to_son.kind, to_son.data, "en")[1]

    # Later runs find it recorded; the household's late check-in tells nobody.
    for moment in (at(10, 1), at(11, 59)):
        await scan(app, clock, moment)
    assert len(await told(db, owner.id)) == len(await told(db, son.id)) == 1
    assert len(await _alerts(db)) == 1


async def test_the_alert_is_pushed_inside_quiet_hours(
    client: httpx.AsyncClient,
    app: Litestar,
    make_user: MakeUser,
    db: Sessions,
    clock: FrozenClock,
) -> None:
    owner = await make_user("resident")
    await add_device(db, owner.id, "log", "owner-phone")
    quiet = {"push": True, "quietHours": {"from": "08:00", "to": "12:00"}, "mutedKinds": []}
    assert (
        await client.put("/api/v1/me/notification-settings", json=quiet, headers=owner.headers)
    ).status_code == 200
    await elder(client, db, owner)
    await scan(app, clock, at(10))
    pushes = await client.get("/api/v1/dev/pushes", params={"token": "owner-phone"})
    assert [p["kind"] for p in pushes.json()["items"]] == ["care_check_in_missed"]


async def test_no_alert_for_a_check_in_made_a_profile_off_or_before_due(
    client: httpx.AsyncClient,
    app: Litestar,
    make_user: MakeUser,
    db: Sessions,
    clock: FrozenClock,
) -> None:
    owner = await make_user("resident")
    safe, _ = await elder(client, db, owner, "陈桂英")
    await elder(client, db, owner, "李秀兰", enabled=False)
    await elder(client, db, owner, "王德福", due_by="16:00")
    clock.set(at(9, 30))
    assert (await check_in(client, owner, safe)).status_code == 201
    # Switched on at 10:30 with dueBy 10:00: today was never expected of them.
    clock.set(at(10, 30))
    await elder(client, db, owner, "赵淑珍")
    for moment in (at(10), at(10, 31), at(15, 59)):
        await scan(app, clock, moment)
    assert await told(db, owner.id) == []
    # From 16:00 王德福 is missing; the next day, 赵淑珍 too (and 陈桂英, not checked in then).
    await scan(app, clock, at(16))
    assert [n.data["name"] for n in await told(db, owner.id)] == ["王德福"]
    await scan(app, clock, at(10, day=DAY.replace(day=2)))
    names = sorted(n.data["name"] for n in await told(db, owner.id))
    assert names == ["王德福", "赵淑珍", "陈桂英"]


async def test_editing_a_profile_keeps_the_check_in_expected(
    client: httpx.AsyncClient,
    app: Litestar,
    make_user: MakeUser,
    db: Sessions,
    clock: FrozenClock,
) -> None:
    owner = await make_user("resident")
    member, _ = await elder(client, db, owner)
    # No scan ran at 10:00; at 10:30 the household changes the address, the check-in still on.
    clock.set(at(10, 30))
    url = f"/api/v1/me/care-profiles/{member}"
    changed = profile(address="嘉兴市南湖区高照街道新村5号")
    assert (await client.put(url, json=changed, headers=owner.headers)).status_code == 200
    await scan(app, clock, at(10, 31))
    assert [n.kind for n in await told(db, owner.id)] == ["care_check_in_missed"]


async def test_a_scan_missed_over_midnight_still_alerts_the_day_before(
    client: httpx.AsyncClient,
    app: Litestar,
    make_user: MakeUser,
    db: Sessions,
    clock: FrozenClock,
) -> None:
    owner = await make_user("resident")
    await elder(client, db, owner)
    # No worker ran on the 1st after 07:00; the first run is at 00:30 on the 2nd.
    await scan(app, clock, at(0, 30, day=DAY.replace(day=2)))
    [alert] = await told(db, owner.id)
    assert alert.data["date"] == "2027-03-01"


async def test_scans_at_once_record_each_alert_once(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock
) -> None:
    owners = [await make_user("resident") for _ in range(4)]
    for owner in owners:
        await elder(client, db, owner)
    workers = [await make_user("worker") for _ in range(2)]

    async def run(step: str) -> int:
        async with db() as session, session.begin():
            if step == "alert":
                return await service.alert_missing(session, now=clock.now())
            return await service.escalate(session, now=clock.now())

    clock.set(at(10))
    assert sum(await asyncio.gather(*(run("alert") for _ in range(8)))) == 4
    assert sum(await asyncio.gather(*(run("alert") for _ in range(8)))) == 0
    clock.set(at(12))
    assert sum(await asyncio.gather(*(run("escalate") for _ in range(8)))) == 4
    assert sum(await asyncio.gather(*(run("escalate") for _ in range(8)))) == 0
    for owner in owners:
        assert len(await told(db, owner.id)) == 1
    for worker in workers:
        assert len(await told(db, worker.id, "care_check_in_escalated")) == 4


async def test_a_check_in_in_flight_is_never_alerted(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock
) -> None:
    owner = await make_user("resident")
    member, _ = await elder(client, db, owner)
    clock.set(at(10))
    key = bytes(range(32))
    async with db() as tapping, tapping.begin():
        status, _ = await service.daily_check_in(
            tapping, owner.id, member, data_key=key, now=at(9, 59)
        )
        assert status == 201
        # The scan meets the tap's uncommitted transaction: it skips the elder this minute.
        async with db() as scanning, scanning.begin():
            assert await service.alert_missing(scanning, now=clock.now()) == 0
    async with db() as scanning, scanning.begin():
        assert await service.alert_missing(scanning, now=clock.now()) == 0
    assert await told(db, owner.id) == []


# --- escalation, the workers' list and "reached" -----------------------------------------------


async def test_escalation_two_hours_later_tells_the_workers_once(
    client: httpx.AsyncClient,
    app: Litestar,
    make_user: MakeUser,
    db: Sessions,
    clock: FrozenClock,
) -> None:
    owner = await make_user("resident")
    workers = [await make_user("worker") for _ in range(2)]
    admin, staff = await make_user("admin"), await make_user("staff")
    member, _ = await elder(client, db, owner)
    await scan(app, clock, at(10))
    await scan(app, clock, at(11, 59))
    assert await told(db, workers[0].id) == []
    await scan(app, clock, at(12))
    for worker in workers:
        [note] = await told(db, worker.id)
        assert note.kind == "care_check_in_escalated"
        assert note.data["address"] == "嘉兴市南湖区高****"
        title, _ = render(note.kind, note.data, "zh-CN")
        assert title == "平安报未签到，请上门或电话确认"
    assert await told(db, admin.id) == await told(db, staff.id) == []
    await scan(app, clock, at(12, 1))
    assert len(await told(db, workers[0].id)) == 1
    # The household was told once, at 10:00.
    assert [n.kind for n in await told(db, owner.id)] == ["care_check_in_missed"]
    # A check-in after the escalation tells the workers the elder is safe.
    clock.set(at(12, 30))
    assert (await check_in(client, owner, member)).status_code == 201
    for worker in workers:
        kinds = [n.kind for n in await told(db, worker.id)]
        assert kinds == ["care_check_in_escalated", "care_check_in_resolved"]


async def test_a_late_check_in_closes_the_alert_before_escalation(
    client: httpx.AsyncClient,
    app: Litestar,
    make_user: MakeUser,
    db: Sessions,
    clock: FrozenClock,
) -> None:
    owner, son, worker = [await make_user(role) for role in ("resident", "resident", "worker")]
    contacts = [{"name": "张明", "phone": son.phone, "relation": "son"}]
    member, _ = await elder(client, db, owner, emergencyContacts=contacts)
    await scan(app, clock, at(10))
    clock.set(at(11))
    late = await check_in(client, owner, member)
    assert (late.status_code, late.json()["late"]) == (201, True)
    # Those the alert told hear the elder is safe; who tapped is not told what they did.
    assert [n.kind for n in await told(db, son.id)] == [
        "care_check_in_missed",
        "care_check_in_resolved",
    ]
    assert [n.kind for n in await told(db, owner.id)] == ["care_check_in_missed"]
    assert render("care_check_in_resolved", (await told(db, son.id))[1].data, "zh-CN") == (
        "已补报平安",
        "陈桂英已于2027-03-01 11:00报平安。",
    )
    await scan(app, clock, at(12))
    assert await told(db, worker.id) == []
    [item] = (await client.get(MISSING, headers=worker.headers)).json()["items"]
    assert item["status"] == "checked_in"
    assert item["escalated"] is False
    assert item["checkedInAt"] == at(11).isoformat()


async def test_workers_list_the_day_and_record_reaching_the_elder(
    client: httpx.AsyncClient,
    app: Litestar,
    make_user: MakeUser,
    db: Sessions,
    clock: FrozenClock,
) -> None:
    owner, worker = await make_user("resident"), await make_user("worker")
    contacts = [{"name": "张明", "phone": "13900001234", "relation": "son"}]
    await elder(client, db, owner, emergencyContacts=contacts)
    other_owner = await make_user("resident")
    await elder(client, db, other_owner, "王德福", due_by="08:00")
    await scan(app, clock, at(10))
    await scan(app, clock, at(10, 5))

    first = await client.get(MISSING, params={"limit": 1}, headers=worker.headers)
    assert first.status_code == 200, first.text
    [early] = first.json()["items"]
    assert early["name"] == "王德福"
    rest = await client.get(
        MISSING, params={"limit": 1, "cursor": first.json()["nextCursor"]}, headers=worker.headers
    )
    [item] = rest.json()["items"]
    assert rest.json()["nextCursor"] is None
    assert item["name"] == "陈桂英"
    assert item["address"] == "嘉兴市南湖区高****"
    assert item["livesAlone"] is True
    assert item["emergencyContacts"] == contacts
    assert item["dueAt"] == at(10).isoformat()
    assert (item["status"], item["escalated"], item["reachedBy"]) == ("open", False, None)
    assert "healthNotes" not in item
    other_day = await client.get(MISSING, params={"date": "2027-02-28"}, headers=worker.headers)
    assert other_day.json()["items"] == []

    clock.set(at(10, 40))
    url = f"/api/v1/manage/care/check-ins/{item['id']}/reached"
    note = {"note": "电话联系上了，在女儿家"}
    reached = await client.post(url, json=note, headers=worker.headers)
    assert reached.status_code == 200, reached.text
    assert reached.json()["status"] == "reached"
    assert reached.json()["reachedBy"] == {"id": str(worker.id), "name": worker.name}
    assert reached.json()["reachedAt"] == at(10, 40).isoformat()
    assert reached.json()["reachedNote"] == "电话联系上了，在女儿家"
    twice = await client.post(url, json={"note": "again"}, headers=worker.headers)
    assert (twice.status_code, problem(twice)["code"]) == (409, "already_reached")
    unknown = await client.post(
        f"/api/v1/manage/care/check-ins/{early['careProfileId']}/reached",
        json={"note": ""},
        headers=worker.headers,
    )
    assert unknown.status_code == 404
    [_, reached_note] = await told(db, owner.id)
    assert reached_note.kind == "care_check_in_reached"
    assert worker.name in render(reached_note.kind, reached_note.data, "zh-CN")[1]

    # Reached: not escalated; the other elder, still open, is.
    await scan(app, clock, at(12))
    [escalation] = await told(db, worker.id, "care_check_in_escalated")
    assert escalation.data["name"] == "王德福"


async def test_an_alert_of_a_profile_switched_off_is_not_escalated(
    client: httpx.AsyncClient,
    app: Litestar,
    make_user: MakeUser,
    db: Sessions,
    clock: FrozenClock,
) -> None:
    owner, worker = await make_user("resident"), await make_user("worker")
    member, _ = await elder(client, db, owner)
    await scan(app, clock, at(10))
    put = await client.put(
        f"/api/v1/me/care-profiles/{member}", json=profile(enabled=False), headers=owner.headers
    )
    assert put.status_code == 200
    await scan(app, clock, at(12))
    assert await told(db, worker.id) == []


@pytest.mark.storm
async def test_storm_ten_workers_record_reaching_one_elder_once(
    client: httpx.AsyncClient,
    app: Litestar,
    make_user: MakeUser,
    db: Sessions,
    clock: FrozenClock,
) -> None:
    owner = await make_user("resident")
    workers = [await make_user("worker") for _ in range(10)]
    await elder(client, db, owner)
    await scan(app, clock, at(10))
    [item] = (await client.get(MISSING, headers=workers[0].headers)).json()["items"]
    url = f"/api/v1/manage/care/check-ins/{item['id']}/reached"
    answers = await asyncio.gather(
        *(client.post(url, json={"note": w.name}, headers=w.headers) for w in workers)
    )
    assert sorted(a.status_code for a in answers) == [200] + [409] * 9
    [won] = [a.json() for a in answers if a.status_code == 200]
    assert won["reachedNote"] == won["reachedBy"]["name"]
    assert len(await told(db, owner.id, "care_check_in_reached")) == 1
