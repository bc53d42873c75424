"""Reminders: ``booking_reminder`` and ``event_reminder`` at their time, once, with the clock
injected. The queue runs the periodic job as a worker would (``drain`` at the test's clock); the
storm calls the handler from many "workers" at once, as the queue never would, to show that the
reminders table alone keeps each reminder single."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.hub.models import Booking
from backend.jobs import JobContext
from backend.jobs.testing import drain
from backend.notifications import reminders
from backend.notifications.messages import render
from backend.notifications.models import Notification, Reminder
from tests.api.events_support import iso, register
from tests.api.hub_support import MONDAY, Hub, at, booked, make_hub
from tests.conftest import AppWith
from tests.factories import Account, MakeUser, published

Sessions = async_sessionmaker[AsyncSession]
KINDS = ("booking_reminder", "event_reminder")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The tests move the clock by days; the residents' access tokens must outlive that.
    return replace(settings, access_token_ttl_seconds=30 * 24 * 3600)


@pytest.fixture
def job(settings: Settings, db: Sessions, clock: FrozenClock) -> JobContext:
    return JobContext(settings=settings, sessions=db, clock=clock, attempt=1)


async def _reminded(db: Sessions, user_id: UUID, kind: str | None = None) -> list[Notification]:
    async with db() as session:
        query = select(Notification).where(
            Notification.user_id == user_id, Notification.kind.in_((kind,) if kind else KINDS)
        )
        return list((await session.scalars(query.order_by(Notification.id))).all())


async def _run_at(app: Litestar, clock: FrozenClock, moment: datetime) -> None:
    """Run what is due at ``moment`` (each call a later minute: the job runs once a minute)."""
    clock.set(moment)
    assert "send_reminders" in await drain(app)


# --- bookings ----------------------------------------------------------------------------------


@pytest.fixture
async def hub(client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock) -> Hub:
    return await make_hub(client, make_user, clock)


async def test_a_booking_is_reminded_once_at_its_time(
    client: httpx.AsyncClient,
    hub: Hub,
    make_user: MakeUser,
    clock: FrozenClock,
    app: Litestar,
    db: Sessions,
) -> None:
    resident = await make_user("resident")
    booking = await booked(client, resident, hub.room_id, at(MONDAY, 14), at(MONDAY, 15))
    assert booking["status"] == "confirmed"

    # 120 minutes before 14:00 is 12:00: not a minute earlier.
    await _run_at(app, clock, at(MONDAY, 11, 59))
    assert await _reminded(db, resident.id) == []

    await _run_at(app, clock, at(MONDAY, 12))
    [sent] = await _reminded(db, resident.id)
    assert sent.kind == "booking_reminder"
    assert sent.data["bookingId"] == booking["id"]
    assert sent.data["room"] == "高照三合一 · 活动室"
    assert datetime.fromisoformat(sent.data["startsAt"]) == at(MONDAY, 14)
    title, body = render(sent.kind, sent.data, "zh-CN")
    assert title == "预约即将开始"
    assert "高照三合一 · 活动室" in body
    assert "2027-03-01 14:00–15:00" in body
    assert render(sent.kind, sent.data, "en")[0] == "Booking soon"

    # Every later run until the start finds it recorded; after the start it is not due at all.
    for moment in (at(MONDAY, 12, 1), at(MONDAY, 13, 59), at(MONDAY, 14), at(MONDAY, 16)):
        await _run_at(app, clock, moment)
    assert len(await _reminded(db, resident.id)) == 1


async def test_a_late_run_still_reminds_before_the_start_but_never_after(
    client: httpx.AsyncClient,
    hub: Hub,
    make_user: MakeUser,
    clock: FrozenClock,
    app: Litestar,
    db: Sessions,
) -> None:
    early, late = await make_user("resident"), await make_user("resident")
    await booked(client, early, hub.room_id, at(MONDAY, 9), at(MONDAY, 10))
    await booked(client, late, hub.room_id, at(MONDAY, 14), at(MONDAY, 15))
    # No worker ran between 07:00 and 13:30: the 14:00 booking is reminded late, the 09:00 one
    # has started and is not reminded any more.
    await _run_at(app, clock, at(MONDAY, 13, 30))
    assert await _reminded(db, early.id) == []
    assert len(await _reminded(db, late.id)) == 1


async def test_a_cancelled_booking_is_not_reminded(
    client: httpx.AsyncClient,
    hub: Hub,
    make_user: MakeUser,
    clock: FrozenClock,
    app: Litestar,
    db: Sessions,
) -> None:
    resident = await make_user("resident")
    booking = await booked(client, resident, hub.room_id, at(MONDAY, 14), at(MONDAY, 15))
    cancelled = await client.post(
        f"/api/v1/bookings/{booking['id']}/cancel", json={}, headers=resident.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    await _run_at(app, clock, at(MONDAY, 12))
    await _run_at(app, clock, at(MONDAY, 13))
    assert await _reminded(db, resident.id) == []


async def test_a_cancellation_in_flight_during_a_run_is_never_reminded(
    client: httpx.AsyncClient,
    hub: Hub,
    make_user: MakeUser,
    clock: FrozenClock,
    app: Litestar,
    db: Sessions,
) -> None:
    cancelled, kept = await make_user("resident"), await make_user("resident")
    first = await booked(client, cancelled, hub.room_id, at(MONDAY, 14), at(MONDAY, 15))
    second = await booked(client, kept, hub.room_id, at(MONDAY, 15), at(MONDAY, 16))
    # Two cancellations have locked their bookings when the 13:00 run comes: the run neither
    # waits for them nor reminds them.
    async with db() as one, db() as other:
        for session, booking in ((one, first), (other, second)):
            await session.begin()
            await session.execute(
                select(Booking.id).where(Booking.id == UUID(booking["id"])).with_for_update()
            )
        await asyncio.wait_for(_run_at(app, clock, at(MONDAY, 13)), 30)
        assert await _reminded(db, cancelled.id) == []
        assert await _reminded(db, kept.id) == []
        # One commits its cancellation, the other is rolled back.
        await one.execute(
            update(Booking).where(Booking.id == UUID(first["id"])).values(status="cancelled")
        )
        await one.commit()
        await other.rollback()
    await _run_at(app, clock, at(MONDAY, 13, 1))
    assert await _reminded(db, cancelled.id) == []
    assert len(await _reminded(db, kept.id)) == 1


async def test_a_booking_made_inside_the_lead_is_not_reminded(
    client: httpx.AsyncClient,
    hub: Hub,
    make_user: MakeUser,
    clock: FrozenClock,
    app: Litestar,
    db: Sessions,
) -> None:
    resident, punctual = await make_user("resident"), await make_user("resident")
    clock.set(at(MONDAY, 12, 30))
    await booked(client, resident, hub.room_id, at(MONDAY, 14), at(MONDAY, 15))
    # Made exactly at the reminder time (12:00 for 14:00) counts as made before the lead.
    clock.set(at(MONDAY, 13, 30))
    await booked(client, punctual, hub.room_id, at(MONDAY, 15, 30), at(MONDAY, 16, 30))
    for moment in (at(MONDAY, 12, 31), at(MONDAY, 13, 30), at(MONDAY, 13, 59)):
        await _run_at(app, clock, moment)
    assert await _reminded(db, resident.id) == []
    assert len(await _reminded(db, punctual.id)) == 1


async def test_a_pending_booking_is_reminded_once_approved_before_the_lead(
    client: httpx.AsyncClient,
    hub: Hub,
    make_user: MakeUser,
    clock: FrozenClock,
    app: Litestar,
    db: Sessions,
) -> None:
    approved, late = await make_user("resident"), await make_user("resident")
    room = hub.approval_room_id  # a 60-minute grid from 13:30
    first = await booked(client, approved, room, at(MONDAY, 14, 30), at(MONDAY, 15, 30))
    second = await booked(client, late, room, at(MONDAY, 16, 30), at(MONDAY, 17, 30))
    assert first["status"] == second["status"] == "pending"
    await _run_at(app, clock, at(MONDAY, 12, 30))
    assert await _reminded(db, approved.id) == []  # pending is not confirmed

    # Approved at 12:40, inside the 14:30 one's lead: the approval was the owner's message.
    clock.set(at(MONDAY, 12, 40))
    for booking in (first, second):
        answer = await client.post(
            f"/api/v1/manage/bookings/{booking['id']}/approve", headers=hub.worker.headers
        )
        assert answer.status_code == 200, answer.text
    for moment in (at(MONDAY, 13), at(MONDAY, 14, 29), at(MONDAY, 14, 30)):
        await _run_at(app, clock, moment)
    assert await _reminded(db, approved.id) == []
    assert len(await _reminded(db, late.id)) == 1  # 16:30, approved before 14:30


async def test_the_lead_follows_the_setting_and_zero_turns_the_kind_off(
    client: httpx.AsyncClient,
    hub: Hub,
    make_user: MakeUser,
    clock: FrozenClock,
    app_with: AppWith,
    db: Sessions,
) -> None:
    resident = await make_user("resident")
    await booked(client, resident, hub.room_id, at(MONDAY, 14), at(MONDAY, 15))
    await _run_at(app_with(booking_reminder_minutes=0), clock, at(MONDAY, 13))
    assert await _reminded(db, resident.id) == []
    short = app_with(booking_reminder_minutes=30)
    await _run_at(short, clock, at(MONDAY, 13, 29))
    assert await _reminded(db, resident.id) == []
    await _run_at(short, clock, at(MONDAY, 13, 30))
    assert len(await _reminded(db, resident.id)) == 1


# --- events ------------------------------------------------------------------------------------


async def _cancel_registration(
    client: httpx.AsyncClient, who: Account, reg: dict[str, Any]
) -> None:
    answer = await client.post(f"/api/v1/registrations/{reg['id']}/cancel", headers=who.headers)
    assert answer.status_code == 200, answer.text


async def _registered(client: httpx.AsyncClient, event: dict[str, Any], who: Account) -> Any:
    answer = await register(client, event["id"], who.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_an_event_is_reminded_a_day_ahead_once_and_not_after_cancelling(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    app: Litestar,
    db: Sessions,
) -> None:
    staff = await make_user("staff")
    kept, left = await make_user("resident"), await make_user("resident")
    event = await published(client, staff.headers, clock)
    starts = datetime.fromisoformat(event["startsAt"])
    await _registered(client, event, kept)
    await _cancel_registration(client, left, await _registered(client, event, left))

    await _run_at(app, clock, starts - timedelta(days=1, minutes=1))
    assert await _reminded(db, kept.id) == []
    await _run_at(app, clock, starts - timedelta(days=1))
    await _run_at(app, clock, starts - timedelta(hours=1))
    [sent] = await _reminded(db, kept.id)
    assert sent.kind == "event_reminder"
    assert sent.data == {
        "eventId": event["id"],
        "title": "运河文化之夜",
        "startsAt": sent.data["startsAt"],
        "location": event["location"],
    }
    assert datetime.fromisoformat(sent.data["startsAt"]) == starts
    title, body = render(sent.kind, sent.data, "zh-CN")
    assert title == "活动即将开始"
    assert "运河文化之夜" in body
    assert await _reminded(db, left.id) == []

    # Registered inside the lead (half a day ahead): told by the registration, not reminded.
    inside = await make_user("resident")
    clock.set(starts - timedelta(hours=12))
    await _registered(client, event, inside)
    await _run_at(app, clock, starts - timedelta(hours=11))
    await _run_at(app, clock, starts - timedelta(minutes=1))
    assert await _reminded(db, inside.id) == []
    assert len(await _reminded(db, kept.id)) == 1


async def test_a_moved_event_is_reminded_at_its_new_time(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    app: Litestar,
    db: Sessions,
) -> None:
    staff = await make_user("staff")
    resident = await make_user("resident")
    event = await published(client, staff.headers, clock)
    starts = datetime.fromisoformat(event["startsAt"])
    await _registered(client, event, resident)

    # Moved two days later before its reminder: nothing at the old time, one at the new.
    later = starts + timedelta(days=2)
    moved = await client.patch(
        f"/api/v1/manage/events/{event['id']}",
        json={"startsAt": iso(later), "endsAt": iso(later + timedelta(hours=2))},
        headers=staff.headers,
    )
    assert moved.status_code == 200, moved.text
    await _run_at(app, clock, starts - timedelta(days=1))
    await _run_at(app, clock, starts)
    assert await _reminded(db, resident.id) == []
    await _run_at(app, clock, later - timedelta(days=1))
    assert len(await _reminded(db, resident.id)) == 1

    # Moved again after that reminder: reminded again at the newest time, once.
    latest = later + timedelta(days=3)
    clock.set(later - timedelta(hours=20))
    moved = await client.patch(
        f"/api/v1/manage/events/{event['id']}",
        json={"endsAt": iso(latest + timedelta(hours=2)), "startsAt": iso(latest)},
        headers=staff.headers,
    )
    assert moved.status_code == 200, moved.text
    await _run_at(app, clock, later - timedelta(hours=1))
    assert len(await _reminded(db, resident.id)) == 1
    await _run_at(app, clock, latest - timedelta(days=1))
    await _run_at(app, clock, latest - timedelta(hours=2))
    sent = await _reminded(db, resident.id)
    assert [datetime.fromisoformat(n.data["startsAt"]) for n in sent] == [later, latest]


async def test_waitlist_promotions_are_reminded_and_late_registrations_are_not(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    app: Litestar,
    db: Sessions,
) -> None:
    staff = await make_user("staff")
    first, waiting, latecomer, late_promoted = [await make_user("resident") for _ in range(4)]
    event = await published(client, staff.headers, clock, capacity=1, maxSeatsPerRegistration=1)
    starts = datetime.fromisoformat(event["startsAt"])
    held = await _registered(client, event, first)
    assert held["status"] == "confirmed"
    assert (await _registered(client, event, waiting))["status"] == "waitlisted"

    # The first cancels two days ahead: the waiting one is promoted, before the lead.
    clock.set(starts - timedelta(days=2))
    await _cancel_registration(client, first, held)
    # The latecomer waits; promoted only inside the lead (below), which told them then.
    assert (await _registered(client, event, latecomer))["status"] == "waitlisted"
    await _run_at(app, clock, starts - timedelta(days=1))
    assert len(await _reminded(db, waiting.id, "event_reminder")) == 1

    clock.set(starts - timedelta(hours=12))
    await _cancel_registration(
        client,
        waiting,
        (await client.get("/api/v1/me/registrations", headers=waiting.headers)).json()["items"][0],
    )
    assert (await _registered(client, event, late_promoted))["status"] == "waitlisted"
    await _run_at(app, clock, starts - timedelta(hours=11))
    await _run_at(app, clock, starts - timedelta(minutes=1))
    assert await _reminded(db, first.id) == []
    assert await _reminded(db, latecomer.id) == []  # promoted inside the lead
    assert await _reminded(db, late_promoted.id) == []
    assert len(await _reminded(db, waiting.id)) == 1


# --- exactly once, whatever the number of workers ------------------------------------------------


@pytest.mark.storm
async def test_concurrent_runs_send_one_reminder_each(
    client: httpx.AsyncClient,
    hub: Hub,
    make_user: MakeUser,
    clock: FrozenClock,
    settings: Settings,
    database_url: str,
    db: Sessions,
) -> None:
    staff = await make_user("staff")
    residents = [await make_user("resident") for _ in range(12)]
    for index, who in enumerate(residents[:4]):
        start = at(MONDAY, 14) + timedelta(minutes=30 * index)
        await booked(client, who, hub.room_id, start, start + timedelta(minutes=30))
    clock.set(at(MONDAY, 7))
    event = await published(
        client,
        staff.headers,
        clock,
        startsAt=iso(at(MONDAY + timedelta(days=1), 13)),
        endsAt=iso(at(MONDAY + timedelta(days=1), 15)),
        registrationClosesAt=iso(at(MONDAY, 12)),
    )
    for who in residents:
        await _registered(client, event, who)

    # Eight workers, each with its own connections, run the job at the same moment.
    from sqlalchemy.ext.asyncio import create_async_engine

    engines = [create_async_engine(database_url, pool_size=2) for _ in range(8)]
    try:
        clock.set(at(MONDAY, 13, 31))
        jobs = [
            JobContext(
                settings=settings,
                sessions=async_sessionmaker(engine, expire_on_commit=False),
                clock=clock,
                attempt=1,
            )
            for engine in engines
        ]
        for _ in range(3):
            await asyncio.gather(*(reminders.send_reminders(j) for j in jobs))
    finally:
        await asyncio.gather(*(engine.dispose() for engine in engines))

    async with db() as session:
        counts = dict(
            (
                await session.execute(
                    select(Notification.kind, func.count())
                    .where(Notification.kind.in_(KINDS))
                    .group_by(Notification.kind)
                )
            ).all()
        )
        recorded = await session.scalar(select(func.count()).select_from(Reminder))
    assert counts == {"booking_reminder": 4, "event_reminder": 12}
    assert recorded == 16
    for who in residents:
        assert len(await _reminded(db, who.id, "event_reminder")) == 1


# --- the scan stays an index range scan ----------------------------------------------------------


async def test_the_scans_read_the_start_time_indexes(db: Sessions, clock: FrozenClock) -> None:
    now = clock.now()
    async with db() as session:
        await session.execute(text("SET enable_seqscan = off"))
        for reminder, indexes in zip(
            reminders.KINDS,
            (
                ("ix_bookings_confirmed_starts_at",),
                # The published events' walk by start (issue 17) serves the same range.
                (
                    "ix_events_status_starts_at",
                    "ix_events_starts_at",
                    "ix_events_published_starts_at",
                ),
                # Care visits, the household's and the caregiver's (backend/eldercare/reminders.py).
                ("ix_care_orders_assigned_starts_at",),
                ("ix_care_orders_assigned_starts_at",),
            ),
            strict=True,
        ):
            statement = reminders._record_due(
                reminder.kind, reminder.due(now, timedelta(hours=2)), now
            )
            compiled = statement.compile(
                dialect=session.bind.dialect, compile_kwargs={"literal_binds": True}
            )
            plan = "\n".join((await session.execute(text(f"EXPLAIN {compiled}"))).scalars().all())
            assert any(index in plan for index in indexes), plan
            assert "Index Cond" in plan, plan
            assert "starts_at >" in plan, plan
        await session.rollback()


# --- settings ----------------------------------------------------------------------------------


def test_the_leads_come_from_the_environment_and_are_checked() -> None:
    from backend.config import SettingsError

    base = {"QIYOU_ENV": "test", "QIYOU_JWT_SECRET": "x" * 32, "QIYOU_DATA_KEY": "A" * 43}
    default = Settings.from_env(base)
    assert (default.booking_reminder_minutes, default.event_reminder_minutes) == (120, 1440)
    assert (default.housekeeping_batch, default.session_retention_days) == (1000, 30)
    chosen = Settings.from_env(
        {
            **base,
            "QIYOU_BOOKING_REMINDER_MINUTES": "30",
            "QIYOU_EVENT_REMINDER_MINUTES": "0",
            "QIYOU_HOUSEKEEPING_BATCH": "50",
            "QIYOU_SESSION_RETENTION_DAYS": "7",
        }
    )
    assert (chosen.booking_reminder_minutes, chosen.event_reminder_minutes) == (30, 0)
    assert (chosen.housekeeping_batch, chosen.session_retention_days) == (50, 7)
    for name, value in (
        ("QIYOU_BOOKING_REMINDER_MINUTES", "-1"),
        ("QIYOU_EVENT_REMINDER_MINUTES", "a day"),
        ("QIYOU_HOUSEKEEPING_BATCH", "0"),
        ("QIYOU_SESSION_RETENTION_DAYS", "0"),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({**base, name: value})
