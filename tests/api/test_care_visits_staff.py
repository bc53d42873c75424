"""The staff's side of visits: the missed-visit job, the monthly statistics and the two CSV
exports (statistics, visit verification)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.eldercare import missed, service
from backend.eldercare.models import CareOrder
from backend.jobs.testing import drain
from tests.api.care_visit_support import (
    API,
    AWAY,
    HOME,
    CareSetup,
    Sessions,
    care_setup,
    check_in,
    check_out,
    kinds,
    order,
)
from tests.factories import MakeUser, care_provider, care_staff

START = datetime(2027, 3, 15, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


@pytest.fixture
async def setup(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
) -> CareSetup:
    clock.set(START - timedelta(days=1))
    return await care_setup(client, db, settings, clock, make_user, allowance=30000)


async def _run_jobs_at(app: Litestar, clock: FrozenClock, at: datetime) -> None:
    # The jobs read the app's clock; ``now`` decides which periods and jobs are due.
    clock.set(at)
    await drain(app, now=at)


async def _statuses(db: Sessions, *orders: object) -> list[str]:
    async with db() as session:
        return [(await session.get_one(CareOrder, o)).status for o in orders]


async def test_the_job_marks_unattended_visits_missed_and_tells_both_sides(
    app: Litestar,
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    setup: CareSetup,
) -> None:
    colleague = await care_staff(db, settings, clock, "caregiver", setup.provider_id)
    due = await order(db, setup, START)
    not_yet = await order(db, setup, START + timedelta(minutes=5), caregiver=colleague)
    started = await order(db, setup, START - timedelta(hours=3))
    requested = await order(db, setup, START - timedelta(hours=3), status="requested")
    clock.set(START - timedelta(hours=3))
    assert (await check_in(client, setup.caregiver, started)).status_code == 200

    # 29 minutes after the start nothing is missed yet.
    await _run_jobs_at(app, clock, START + timedelta(minutes=29))
    assert await _statuses(db, due, not_yet, started, requested) == [
        "assigned", "assigned", "in_progress", "requested",
    ]  # fmt: skip

    await _run_jobs_at(app, clock, START + timedelta(minutes=30))
    assert await _statuses(db, due, not_yet, started, requested) == [
        "missed", "assigned", "in_progress", "requested",
    ]  # fmt: skip
    async with db() as session:
        assert (await session.get_one(CareOrder, due)).missed_at == START + timedelta(minutes=30)
    assert await kinds(client, setup.household) == ["care_caregiver_arrived", "care_order_missed"]
    assert await kinds(client, setup.dispatcher) == ["care_order_missed"]
    assert await kinds(client, setup.caregiver) == []

    # The next periods find the one left and nothing twice.
    await _run_jobs_at(app, clock, START + timedelta(minutes=36))
    await _run_jobs_at(app, clock, START + timedelta(minutes=37))
    assert await _statuses(db, not_yet) == ["missed"]
    assert await kinds(client, setup.dispatcher) == ["care_order_missed"] * 2
    answer = await client.get(f"{API}/me/notifications", headers=setup.household.headers)
    missed = answer.json()["items"][0]
    assert missed["data"]["orderId"] == str(not_yet)
    assert "助洁" in missed["body"]


async def _deliver(
    client: httpx.AsyncClient, db: Sessions, clock: FrozenClock, setup: CareSetup
) -> None:
    """Four cleaning orders in March: one completed (rated 4, far from home), one completed
    short (rated 2), one disputed, one missed; and one bathing order cancelled."""
    starts = [START + timedelta(hours=3 * i) for i in range(4)]
    orders = [await order(db, setup, at) for at in starts]
    await order(db, setup, START, service="bathing", status="cancelled")
    for index, (order_id, at) in enumerate(zip(orders[:3], starts, strict=False)):
        clock.set(at)
        await check_in(client, setup.caregiver, order_id, AWAY if index == 0 else HOME)
        clock.advance(minutes=50 if index == 1 else 100)
        assert (await check_out(client, setup.caregiver, order_id)).status_code == 200
    for order_id, rating in ((orders[0], 4), (orders[1], 2)):
        confirmed = await client.post(
            f"{API}/care/orders/{order_id}/confirm",
            json={"rating": rating},
            headers=setup.household.headers,
        )
        assert confirmed.status_code == 200, confirmed.text
    await client.post(
        f"{API}/care/orders/{orders[2]}/dispute",
        json={"reason": "没有拖地"},
        headers=setup.household.headers,
    )
    clock.set(starts[3] + timedelta(minutes=40))
    async with db() as session, session.begin():
        await service.mark_missed(session, now=clock.now())


async def test_monthly_statistics_per_provider_and_service(
    app: Litestar,
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    setup: CareSetup,
    make_user: MakeUser,
) -> None:
    await _deliver(client, db, clock, setup)
    other = await care_setup(
        client, db, settings, clock, make_user, provider_id=await care_provider(db, "仁和")
    )
    await order(db, other, START, status="requested")
    admin = await make_user("admin")

    stats = await client.get(
        f"{API}/manage/care/statistics", params={"month": "2027-03"}, headers=admin.headers
    )
    assert stats.status_code == 200, stats.text
    rows = {(r["providerName"], r["serviceCode"]): r for r in stats.json()["rows"]}
    assert stats.json()["month"] == "2027-03"
    assert set(rows) == {
        ("安康居家养老服务中心", "cleaning"),
        ("安康居家养老服务中心", "bathing"),
        ("仁和", "cleaning"),
    }
    cleaning = rows[("安康居家养老服务中心", "cleaning")]
    assert {k: v for k, v in cleaning.items() if k not in ("providerId", "providerName")} == {
        "serviceCode": "cleaning",
        "orders": 4,
        "completed": 2,
        "missed": 1,
        "disputed": 1,
        "cancelled": 0,
        "completionRate": 0.5,
        "averageRating": 3.0,
        "minutesDelivered": 150,
        "subsidySpent": 8000,
        "farFromHome": 1,
        "shortVisit": 1,
    }
    assert rows[("安康居家养老服务中心", "bathing")]["cancelled"] == 1
    assert rows[("安康居家养老服务中心", "bathing")]["completionRate"] is None

    # A dispatcher sees their own provider only; February is empty.
    own = await client.get(
        f"{API}/manage/care/statistics",
        params={"month": "2027-03"},
        headers=other.dispatcher.headers,
    )
    assert [r["providerName"] for r in own.json()["rows"]] == ["仁和"]
    empty = await client.get(
        f"{API}/manage/care/statistics", params={"month": "2027-02"}, headers=admin.headers
    )
    assert empty.json() == {"month": "2027-02", "rows": []}
    # Without a month: the clock's (Shanghai) month.
    clock.set(datetime(2027, 3, 31, 16, 30, tzinfo=UTC))  # 1 April 00:30 in Shanghai
    april = await client.get(f"{API}/manage/care/statistics", headers=admin.headers)
    assert april.json()["month"] == "2027-04"
    bad = await client.get(
        f"{API}/manage/care/statistics", params={"month": "2027-13"}, headers=admin.headers
    )
    assert bad.status_code in (400, 422)

    exported = await client.get(
        f"{API}/manage/care/statistics.csv",
        params={"month": "2027-03"},
        headers=setup.dispatcher.headers,
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert 'filename="care-statistics-2027-03.csv"' in exported.headers["content-disposition"]
    assert exported.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0][:4] == ["月份", "服务机构", "服务", "订单数"]
    assert len(table[0]) == 14
    assert [line[:4] for line in table[1:]] == [
        ["2027-03", "安康居家养老服务中心", "助洁", "4"],
        ["2027-03", "安康居家养老服务中心", "助浴", "1"],
    ]
    assert table[1][8:] == ["0.5000", "3.00", "150", "8000", "1", "1"]


async def test_the_visit_verification_export(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    setup: CareSetup,
    make_user: MakeUser,
) -> None:
    await _deliver(client, db, clock, setup)
    worker = await make_user("worker")
    exported = await client.get(
        f"{API}/manage/care/visits.csv", params={"month": "2027-03"}, headers=worker.headers
    )
    assert exported.status_code == 200, exported.text
    assert 'filename="care-visits-2027-03.csv"' in exported.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    header, lines = table[0], table[1:]
    assert header[:7] == [
        "订单编号",
        "服务机构",
        "服务",
        "服务对象",
        "护理员",
        "服务日期",
        "签到时间",
    ]
    # Three visits were checked in; the missed and the cancelled ones have no record.
    assert len(lines) == 3
    first = dict(zip(header, lines[0], strict=True))
    assert first["服务"] == "助洁"
    assert first["服务对象"] == "张建国"
    assert first["护理员"] == setup.caregiver.name
    assert first["服务日期"] == "2027-03-15"
    assert first["签到时间"] == "2027-03-15 09:00:00"
    assert first["签退时间"] == "2027-03-15 10:40:00"
    assert 480 <= int(first["距家（米）"]) <= 520
    assert first["长者码核验"] == "否"
    assert first["状态"] == "已完成"
    assert first["标记"] == "距家过远"
    assert [dict(zip(header, line, strict=True))["状态"] for line in lines] == [
        "已完成",
        "已完成",
        "申诉中",
    ]
    # No address leaves in the export.
    assert "红旗路" not in exported.content.decode("utf-8-sig")
    # Another provider's dispatcher gets the header alone.
    outsider = await care_staff(db, settings, clock, "dispatcher", await care_provider(db, "别家"))
    theirs = await client.get(
        f"{API}/manage/care/visits.csv", params={"month": "2027-03"}, headers=outsider.headers
    )
    assert theirs.content.decode("utf-8-sig").splitlines() == [",".join(header)]


async def test_the_missed_scan_reads_the_assigned_index(db: Sessions, clock: FrozenClock) -> None:
    async with db() as session:
        await session.execute(text("SET enable_seqscan = off"))
        statement = missed.missed_update(clock.now()).compile(
            dialect=session.bind.dialect, compile_kwargs={"literal_binds": True}
        )
        plan = "\n".join((await session.execute(text(f"EXPLAIN {statement}"))).scalars().all())
        await session.rollback()
    assert "ix_care_orders_assigned_starts_at" in plan, plan
    assert "Index Cond" in plan, plan
