"""Housekeeping: the periodic job deletes what is old, in batches, and keeps the rest; requests
no longer delete as they pass."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.canteen.models import MealReminderSent
from backend.config import Settings
from backend.core.base import new_id
from backend.core.clock import FrozenClock
from backend.core.models import IdempotencyKey
from backend.identity.models import AuthSession, RefreshToken, SmsCode
from backend.jobs import JobContext
from backend.jobs.housekeeping import STEPS, sweep
from backend.notifications.models import Reminder
from tests.api import canteen_support
from tests.api.identity_support import send_code
from tests.factories import MakeUser, new_phone

Sessions = async_sessionmaker[AsyncSession]
BATCH = 3


@pytest.fixture
def job(settings: Settings, db: Sessions, clock: FrozenClock) -> JobContext:
    # A small batch, so every step has to take several.
    return JobContext(
        settings=replace(settings, housekeeping_batch=BATCH), sessions=db, clock=clock, attempt=1
    )


async def _count(db: Sessions, table: type, *where: object) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


async def test_expired_idempotency_answers_go_and_live_ones_stay(
    db: Sessions, clock: FrozenClock, job: JobContext, make_user: MakeUser
) -> None:
    user = await make_user("resident")
    now = clock.now()
    rows = [
        {
            "user_id": user.id,
            "key": f"k{index}",
            "fingerprint": "0" * 64,
            "state": "done",
            "response_status": 201,
            "response_body": b"{}",
            "created_at": expires - timedelta(hours=24),
            "expires_at": expires,
        }
        for index, expires in enumerate(
            [now - timedelta(minutes=m) for m in range(1, 9)]  # 8 expired
            + [now + timedelta(minutes=m) for m in (0, 1, 600)]  # 3 live (now itself is live)
        )
    ]
    async with db() as session, session.begin():
        await session.execute(insert(IdempotencyKey), rows)
    counts = await sweep(job)
    assert counts["idempotency_keys"] == 8
    assert await _count(db, IdempotencyKey) == 3
    assert await _count(db, IdempotencyKey, IdempotencyKey.expires_at < now) == 0


async def test_a_request_with_a_key_no_longer_deletes_and_an_expired_key_is_reused(
    client: httpx.AsyncClient, db: Sessions, clock: FrozenClock, make_user: MakeUser
) -> None:
    resident = await make_user("resident")
    now = clock.now()
    async with db() as session, session.begin():
        await session.execute(
            insert(IdempotencyKey),
            [
                {
                    "user_id": resident.id,
                    "key": key,
                    "fingerprint": "0" * 64,
                    "state": "done",
                    "response_status": 201,
                    "response_body": b'{"stale": true}',
                    "created_at": now - timedelta(days=2),
                    "expires_at": now - timedelta(days=1),
                }
                for key in ("old-1", "member-1")
            ],
        )
    body = {"name": "王奶奶", "relation": "mother", "birthDate": "1950-05-01"}
    answer = await client.post(
        "/api/v1/me/members",
        json=body,
        headers={**resident.headers, "Idempotency-Key": "member-1"},
    )
    # The expired answer is not replayed: the request runs and its answer replaces the row.
    assert answer.status_code == 201, answer.text
    assert "Idempotent-Replayed" not in answer.headers
    assert await _count(db, IdempotencyKey, IdempotencyKey.key == "old-1") == 1
    again = await client.post(
        "/api/v1/me/members",
        json=body,
        headers={**resident.headers, "Idempotency-Key": "member-1"},
    )
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == answer.json()["id"]


async def test_old_sms_codes_go_and_recent_ones_stay(
    client: httpx.AsyncClient, db: Sessions, clock: FrozenClock, job: JobContext
) -> None:
    phone = new_phone()
    await send_code(client, phone)
    clock.advance(days=3)
    await send_code(client, phone)
    # Issuing no longer deletes: both rows are there until the job runs.
    assert await _count(db, SmsCode, SmsCode.phone == phone) == 2
    now = clock.now()
    async with db() as session, session.begin():
        await session.execute(
            insert(SmsCode),
            [
                {
                    "id": new_id(),
                    "phone": new_phone(),
                    "purpose": "login",
                    "code_hash": "0" * 64,
                    "created_at": now - timedelta(days=2, minutes=m),
                    "expires_at": now - timedelta(days=2, minutes=m) + timedelta(minutes=5),
                }
                for m in range(1, 8)
            ],
        )
    counts = await sweep(job)
    assert counts["sms_codes"] == 8
    assert await _count(db, SmsCode) == 1
    assert await _count(db, SmsCode, SmsCode.phone == phone) == 1
    assert await _count(db, SmsCode, SmsCode.created_at < now - timedelta(days=2)) == 0


async def test_sessions_ended_long_ago_go_with_their_tokens_and_the_rest_stay(
    db: Sessions, clock: FrozenClock, job: JobContext, make_user: MakeUser, settings: Settings
) -> None:
    now = clock.now()
    retention = timedelta(days=settings.session_retention_days)
    logins = [await make_user("resident") for _ in range(8)]
    ids = []
    async with db() as session:
        for who in logins:
            ids.append(
                await session.scalar(select(AuthSession.id).where(AuthSession.user_id == who.id))
            )
    gone: list[UUID] = ids[:5]
    kept: list[UUID] = ids[5:]
    async with db() as session, session.begin():
        # Gone: revoked or expired before the retention period.
        for sid in gone[:3]:
            await session.execute(
                update(AuthSession)
                .where(AuthSession.id == sid)
                .values(revoked_at=now - retention - timedelta(minutes=1), revoked_reason="logout")
            )
        for sid in gone[3:]:
            await session.execute(
                update(AuthSession)
                .where(AuthSession.id == sid)
                .values(expires_at=now - retention - timedelta(minutes=1))
            )
        # Kept: revoked recently, expired recently, alive.
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == kept[0])
            .values(revoked_at=now - timedelta(minutes=5), revoked_reason="logout")
        )
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == kept[1])
            .values(expires_at=now - retention + timedelta(minutes=1))
        )
    counts = await sweep(job)
    assert counts["sessions"] == 5
    async with db() as session:
        left = set((await session.scalars(select(AuthSession.id))).all())
        tokens = set((await session.scalars(select(RefreshToken.session_id))).all())
    assert left == set(kept)
    assert tokens == set(kept)


async def test_a_short_retention_never_drops_a_revocation_the_lists_still_load(
    db: Sessions, clock: FrozenClock, job: JobContext, make_user: MakeUser
) -> None:
    who = await make_user("resident")
    now = clock.now()
    async with db() as session, session.begin():
        await session.execute(
            update(AuthSession)
            .where(AuthSession.user_id == who.id)
            .values(revoked_at=now - timedelta(minutes=5), revoked_reason="logout")
        )
    # One day of retention, but an access token lives a week here: the revocation must stay
    # as long as a token of that session could be presented.
    settings = replace(job.settings, session_retention_days=1, access_token_ttl_seconds=7 * 86400)
    clock.advance(days=2)
    await sweep(replace(job, settings=settings))
    assert await _count(db, AuthSession, AuthSession.user_id == who.id) == 1
    clock.advance(days=6)
    await sweep(replace(job, settings=settings))
    assert await _count(db, AuthSession, AuthSession.user_id == who.id) == 0


async def test_reminder_records_go_a_day_after_their_start(
    db: Sessions, clock: FrozenClock, job: JobContext, make_user: MakeUser
) -> None:
    who = await make_user("resident")
    now = clock.now()
    starts = [now - timedelta(days=1, minutes=m) for m in range(1, 8)] + [
        now - timedelta(hours=23),
        now + timedelta(hours=1),
    ]
    async with db() as session, session.begin():
        await session.execute(
            insert(Reminder),
            [
                {
                    "starts_at": at,
                    "kind": "booking_reminder",
                    "subject_id": new_id(),
                    "user_id": who.id,
                    "sent_at": at - timedelta(hours=2),
                }
                for at in starts
            ],
        )
    counts = await sweep(job)
    assert counts["reminders"] == 7
    assert await _count(db, Reminder) == 2


async def test_meal_reminder_records_go_a_day_after_they_were_sent(
    client: httpx.AsyncClient,
    db: Sessions,
    clock: FrozenClock,
    job: JobContext,
    make_user: MakeUser,
) -> None:
    place = await canteen_support.canteen(client, make_user, clock)
    meals = [
        UUID(
            (
                await canteen_support.meal(
                    client, place, day=canteen_support.MONDAY + timedelta(days=d)
                )
            )["id"]
        )
        for d in range(3)
    ]
    residents = [await make_user("resident") for _ in range(3)]
    now = clock.now()
    sent = [now - timedelta(days=1, minutes=1), now - timedelta(days=3), now - timedelta(hours=23)]
    async with db() as session, session.begin():
        await session.execute(
            insert(MealReminderSent),
            [
                {"meal_id": meal_id, "user_id": who.id, "sent_at": at}
                for meal_id, at in zip(meals, sent, strict=True)
                for who in residents
            ],
        )
    counts = await sweep(job)
    assert counts["meal_reminders"] == 6
    assert await _count(db, MealReminderSent) == 3
    assert await _count(db, MealReminderSent, MealReminderSent.meal_id == meals[2]) == 3


async def test_a_run_is_bounded_and_the_next_one_goes_on(
    db: Sessions,
    clock: FrozenClock,
    job: JobContext,
    make_user: MakeUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from backend.jobs import housekeeping as module

    who = await make_user("resident")
    now = clock.now()
    async with db() as session, session.begin():
        await session.execute(
            insert(Reminder),
            [
                {
                    "starts_at": now - timedelta(days=2, minutes=m),
                    "kind": "event_reminder",
                    "subject_id": new_id(),
                    "user_id": who.id,
                    "sent_at": now - timedelta(days=3),
                }
                for m in range(10)
            ],
        )
    monkeypatch.setattr(module, "MAX_BATCHES", 2)
    assert (await sweep(job))["reminders"] == 2 * BATCH
    assert await _count(db, Reminder) == 10 - 2 * BATCH
    assert (await sweep(job))["reminders"] == 10 - 2 * BATCH
    assert await _count(db, Reminder) == 0
    assert set(STEPS) == {
        "idempotency_keys",
        "sms_codes",
        "sessions",
        "reminders",
        "meal_reminders",
    }


def test_every_step_has_a_test() -> None:
    tested = {"idempotency_keys", "sms_codes", "sessions", "reminders", "meal_reminders"}
    assert set(STEPS) == tested
