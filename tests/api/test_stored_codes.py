"""Ticket and check-in codes are stored as keyed hashes (looked up at the door) and encrypted
(shown to their owner again), never in plaintext: a copy of the database opens no door."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.core.security import decrypt, keyed_hash
from tests.api.events_support import register
from tests.api.hub_support import API, TUESDAY, at, booked, make_hub
from tests.factories import MakeUser, published


async def _row(db: async_sessionmaker[AsyncSession], table: str, row_id: str) -> dict[str, Any]:
    async with db() as session:
        row: dict[str, Any] = (
            await session.execute(
                text(f"SELECT to_jsonb(t) FROM {table} AS t WHERE id = :id"),
                {"id": UUID(row_id)},
            )
        ).scalar_one()
    return row


async def _sealed(
    db: async_sessionmaker[AsyncSession], table: str, row_id: str, column: str
) -> bytes:
    async with db() as session:
        value: bytes = (
            await session.execute(
                text(f"SELECT {column} FROM {table} WHERE id = :id"),
                {"id": UUID(row_id)},
            )
        ).scalar_one()
    return value


async def test_a_ticket_is_stored_as_its_keyed_hash_and_encrypted(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    staff, resident = await make_user("staff"), await make_user()
    event = await published(client, staff.headers, clock)
    registration = (await register(client, event["id"], resident.headers)).json()
    ticket = registration["ticketCode"]
    row = await _row(db, "event_registrations", registration["id"])
    assert ticket not in str(row)
    assert row["ticket_hash"] == keyed_hash(settings.data_key, "ticket-code", ticket)
    sealed = await _sealed(db, "event_registrations", registration["id"], "ticket_code_enc")
    assert decrypt(settings.data_key, "ticket-code", sealed) == ticket
    # The owner still sees it, and the door still knows it.
    mine = await client.get("/api/v1/me/registrations", headers=resident.headers)
    assert mine.json()["items"][0]["ticketCode"] == ticket
    clock.advance(days=3, minutes=-30)
    scanned = await client.post(
        f"/api/v1/manage/events/{event['id']}/check-in",
        json={"ticketCode": ticket},
        headers=staff.headers,
    )
    assert scanned.status_code == 200, scanned.text
    # The hash is no ticket: scanning it finds nothing.
    forged = await client.post(
        f"/api/v1/manage/events/{event['id']}/check-in",
        json={"ticketCode": row["ticket_hash"][:32]},
        headers=staff.headers,
    )
    assert forged.status_code == 404


async def test_a_check_in_code_is_stored_as_its_keyed_hash_and_encrypted(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    hub = await make_hub(client, make_user, clock)
    resident = await make_user()
    booking = await booked(client, resident, hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    code = booking["checkInCode"]
    row = await _row(db, "bookings", booking["id"])
    assert code not in str(row)
    assert row["check_in_hash"] == keyed_hash(settings.data_key, "check-in-code", code)
    sealed = await _sealed(db, "bookings", booking["id"], "check_in_code_enc")
    assert decrypt(settings.data_key, "check-in-code", sealed) == code
    mine = await client.get(f"{API}/me/bookings", headers=resident.headers)
    assert mine.json()["items"][0]["checkInCode"] == code
    clock.set(at(TUESDAY, 9) - timedelta(minutes=10))
    scanned = await client.post(
        f"{API}/manage/bookings/check-in",
        json={"checkInCode": code},
        headers=hub.worker.headers,
    )
    assert scanned.status_code == 200, scanned.text
    assert scanned.json()["status"] == "checked_in"
    assert scanned.json()["checkInCode"] is None  # the worker's view
