"""Migrations are the only way the schema changes: they must build exactly the models' schema
from nothing, and take it all away again."""

from __future__ import annotations

import asyncio
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from backend.core import migrations
from backend.core.database import with_database
from backend.core.security import decrypt, keyed_hash
from backend.jobs.schema import is_ours
from backend.models import metadata
from tests.conftest import _admin_execute


async def test_upgrade_matches_models_and_downgrade_empties(pg_server_url: str) -> None:
    name = f"qiyou_mig_{os.getpid()}"
    await _admin_execute(
        pg_server_url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"
    )
    url = with_database(pg_server_url, name)
    try:
        await asyncio.to_thread(migrations.upgrade, url)
        engine = create_async_engine(url)
        async with engine.connect() as conn:

            def diff(sync_conn):  # type: ignore[no-untyped-def]
                context = MigrationContext.configure(
                    sync_conn, opts={"compare_type": True, "include_object": is_ours}
                )
                return compare_metadata(context, metadata)

            differences = await conn.run_sync(diff)
        assert differences == [], differences

        await asyncio.to_thread(migrations.downgrade, url, "base")
        async with engine.connect() as conn:
            tables = (
                (
                    await conn.execute(
                        text(
                            "SELECT table_name FROM information_schema.tables "
                            "WHERE table_schema = 'public' AND table_name <> 'alembic_version'"
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert tables == []
        # And back up again: a downgrade that leaves debris would make this fail.
        await asyncio.to_thread(migrations.upgrade, url)
        await engine.dispose()
    finally:
        await _admin_execute(pg_server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


_ROWS_AT_0005 = (
    "INSERT INTO users (id, phone, display_name, id_number_masked, birth_date, gender, "
    "verified_at) VALUES ('00000000-0000-7000-8000-000000000001', '13800000001', '张三', "
    "'3304**********1234', '1990-03-01', 'male', now())",
    "INSERT INTO venues (id, name, address) VALUES "
    "('00000000-0000-7000-8000-000000000002', '高照三合一', '高照街道')",
    "INSERT INTO rooms (id, venue_id, name, kind, capacity, slot_minutes, min_minutes, "
    "max_minutes, bookable_days_ahead, cancel_cutoff_minutes, max_active_bookings_per_user) "
    "VALUES ('00000000-0000-7000-8000-000000000003', '00000000-0000-7000-8000-000000000002', "
    "'活动室', 'activity', 20, 30, 30, 120, 7, 60, 2)",
    "INSERT INTO bookings (id, room_id, user_id, kind, starts_at, ends_at, status, purpose, "
    "attendees, contact_name, check_in_code) VALUES ('00000000-0000-7000-8000-000000000004', "
    "'00000000-0000-7000-8000-000000000003', '00000000-0000-7000-8000-000000000001', "
    "'resident', '2027-03-02 09:00+08', '2027-03-02 10:00+08', 'confirmed', '读书会', 4, "
    "'张三', 'old-check-in-code')",
    "INSERT INTO events (id, title, summary, body, category, audience, location, starts_at, "
    "ends_at, registration_opens_at, registration_closes_at, capacity, "
    "max_seats_per_registration, status, created_by) VALUES "
    "('00000000-0000-7000-8000-000000000005', '运河文化之夜', '', '', 'canal_culture', 'all', "
    "'礼堂', '2027-03-05 19:00+08', '2027-03-05 21:00+08', '2027-03-01 00:00+08', "
    "'2027-03-05 18:00+08', 50, 2, 'published', '00000000-0000-7000-8000-000000000001')",
    "INSERT INTO event_registrations (id, event_id, user_id, status, seats, ticket_code, "
    "confirmed_at) VALUES ('00000000-0000-7000-8000-000000000006', "
    "'00000000-0000-7000-8000-000000000005', '00000000-0000-7000-8000-000000000001', "
    "'confirmed', 1, 'old-ticket-code', now())",
)


async def test_0007_seals_existing_codes_and_shortens_masks(pg_server_url: str) -> None:
    """Codes written before 0007 keep working: hashed and encrypted under the data key (which
    the upgrade needs, and says so), and given back in plaintext by the downgrade."""
    name = f"qiyou_mig7_{os.getpid()}"
    await _admin_execute(
        pg_server_url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"
    )
    url = with_database(pg_server_url, name)
    key = bytes(range(32))
    engine = create_async_engine(url)
    try:
        await asyncio.to_thread(migrations.upgrade, url, "0005")
        async with engine.begin() as conn:
            for statement in _ROWS_AT_0005:
                await conn.execute(text(statement))
        with pytest.raises(RuntimeError, match="needs the data key"):
            await asyncio.to_thread(migrations.upgrade, url, "0007")
        await asyncio.to_thread(migrations.upgrade, url, "0007", data_key=key)
        async with engine.connect() as conn:
            booking = (
                await conn.execute(text("SELECT check_in_hash, check_in_code_enc FROM bookings"))
            ).one()
            ticket = (
                await conn.execute(
                    text("SELECT ticket_hash, ticket_code_enc FROM event_registrations")
                )
            ).one()
            mask = (await conn.execute(text("SELECT id_number_masked FROM users"))).scalar_one()
        assert booking.check_in_hash == keyed_hash(key, "check-in-code", "old-check-in-code")
        assert decrypt(key, "check-in-code", booking.check_in_code_enc) == "old-check-in-code"
        assert ticket.ticket_hash == keyed_hash(key, "ticket-code", "old-ticket-code")
        assert decrypt(key, "ticket-code", ticket.ticket_code_enc) == "old-ticket-code"
        assert mask == "3****************4"

        await asyncio.to_thread(migrations.downgrade, url, "0005", data_key=key)
        async with engine.connect() as conn:
            codes = (
                await conn.execute(
                    text(
                        "SELECT (SELECT check_in_code FROM bookings), "
                        "(SELECT ticket_code FROM event_registrations)"
                    )
                )
            ).one()
        assert tuple(codes) == ("old-check-in-code", "old-ticket-code")
    finally:
        await engine.dispose()
        await _admin_execute(pg_server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
