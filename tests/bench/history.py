"""``--scale N``: the same live data with N times the history (issue 17, "Flat with history").

A district's database grows by what is over — finished events and their registrations, past
bookings, old messages — while what a phone reads (the events not over yet, a room's day, the
next booking) stays the same size. This copies the history already seeded ``N - 1`` times into
the past, each copy shifted back by whole weeks beyond the oldest row, so copies never overlap
the original or each other (the exclusion constraint holds) and weekdays stay as they were.

Everything happens in the database (``INSERT … SELECT`` over ``generate_series``): a million
bookings take seconds, not the minutes a row-by-row load would. Ids are UUIDv7 of the shifted
creation time, so lists ordered by id see the copies as older, as they would be.
"""

from __future__ import annotations

import time as clock
from datetime import datetime, timedelta

import asyncpg

# A UUIDv7 whose time is ``ts`` and whose other bits come from ``salt`` (unique per copy).
_UUID7 = """
CREATE FUNCTION pg_temp.uuid7_at(ts timestamptz, salt text) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$
  SELECT (lpad(to_hex(floor(extract(epoch FROM ts) * 1000)::bigint), 12, '0')
          || '7' || substr(md5(salt), 1, 3) || '8' || substr(md5(salt), 4, 15))::uuid
$$"""

_STATEMENTS = (
    # Finished events (published or cancelled alike), their room holds left out for now.
    """
    INSERT INTO events (id, title, summary, body, category, audience, location, room_id,
        room_hold_id, starts_at, ends_at, registration_opens_at, registration_closes_at,
        capacity, max_seats_per_registration, status, confirmed_seats, waitlisted_count,
        waitlist_seq, created_by, published_at, cancelled_at, cancel_reason, created_at,
        updated_at)
    SELECT pg_temp.uuid7_at(e.created_at - s.shift, e.id::text || s.k), e.title, e.summary,
        e.body, e.category, e.audience, e.location, e.room_id, NULL, e.starts_at - s.shift,
        e.ends_at - s.shift, e.registration_opens_at - s.shift,
        e.registration_closes_at - s.shift, e.capacity, e.max_seats_per_registration, e.status,
        e.confirmed_seats, e.waitlisted_count, e.waitlist_seq, e.created_by,
        e.published_at - s.shift, e.cancelled_at - s.shift, e.cancel_reason,
        e.created_at - s.shift, e.updated_at - s.shift
    FROM events e, shifts s
    WHERE e.ends_at <= $1 AND e.created_at > $2""",
    # Past bookings, holds of finished events included (pointing at the copied event).
    """
    INSERT INTO bookings (id, room_id, user_id, kind, starts_at, ends_at, status, purpose,
        attendees, contact_name, check_in_hash, check_in_code_enc, series_id, event_id,
        decided_by, decided_at, reason, checked_in_at, cancelled_at, created_at, updated_at)
    SELECT pg_temp.uuid7_at(b.created_at - s.shift, b.id::text || s.k), b.room_id, b.user_id,
        b.kind, b.starts_at - s.shift, b.ends_at - s.shift, b.status, b.purpose, b.attendees,
        b.contact_name, md5(b.check_in_hash || s.k), b.check_in_code_enc, NULL,
        CASE WHEN e.id IS NOT NULL
             THEN pg_temp.uuid7_at(e.created_at - s.shift, e.id::text || s.k) END,
        b.decided_by, b.decided_at - s.shift, b.reason, b.checked_in_at - s.shift,
        b.cancelled_at - s.shift, b.created_at - s.shift, b.updated_at - s.shift
    FROM bookings b CROSS JOIN shifts s LEFT JOIN events e ON e.id = b.event_id
    WHERE b.ends_at <= $1 AND b.created_at > $2""",
    """
    UPDATE events c SET room_hold_id = pg_temp.uuid7_at(b.created_at - s.shift, b.id::text || s.k)
    FROM events e, bookings b, shifts s
    WHERE b.id = e.room_hold_id AND e.ends_at <= $1 AND e.created_at > $2
      AND c.id = pg_temp.uuid7_at(e.created_at - s.shift, e.id::text || s.k)""",
    # The registrations of finished events, each with a ticket code of its own.
    """
    INSERT INTO event_registrations (id, event_id, user_id, status, seats, attendees,
        waitlist_seq, ticket_hash, ticket_code_enc, confirmed_at, checked_in_at, checked_in_by,
        cancelled_at, cancel_reason, created_at)
    SELECT pg_temp.uuid7_at(r.created_at - s.shift, r.id::text || s.k),
        pg_temp.uuid7_at(e.created_at - s.shift, e.id::text || s.k), r.user_id, r.status,
        r.seats, r.attendees, r.waitlist_seq, md5(r.ticket_hash || s.k), r.ticket_code_enc,
        r.confirmed_at - s.shift, r.checked_in_at - s.shift, r.checked_in_by,
        r.cancelled_at - s.shift, r.cancel_reason, r.created_at - s.shift
    FROM event_registrations r JOIN events e ON e.id = r.event_id, shifts s
    WHERE e.ends_at <= $1 AND e.created_at > $2""",
    # Old messages, read or not as the originals were.
    """
    INSERT INTO notifications (id, user_id, kind, data, read_at, created_at)
    SELECT pg_temp.uuid7_at(n.created_at - s.shift, n.id::text || s.k), n.user_id, n.kind,
        n.data, n.read_at - s.shift, n.created_at - s.shift
    FROM notifications n, shifts s
    WHERE n.created_at <= $1 AND n.created_at > $2""",
)


async def multiply(dsn: str, factor: int, now: datetime) -> float:
    """Add ``factor - 1`` shifted copies of the history to the seeded database at ``dsn``."""
    if factor <= 1:
        return 0.0
    started = clock.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        oldest = await conn.fetchval(
            "SELECT least((SELECT min(created_at) FROM bookings),"
            " (SELECT min(created_at) FROM events),"
            " (SELECT min(created_at) FROM event_registrations),"
            " (SELECT min(created_at) FROM notifications))"
        )
        weeks = (now - oldest).days // 7 + 1
        async with conn.transaction():
            await conn.execute(_UUID7)
            await conn.execute(
                "CREATE TEMP TABLE shifts ON COMMIT DROP AS"
                " SELECT k, make_interval(days => 7 * $1 * k) AS shift"
                " FROM generate_series(1, $2 - 1) AS k",
                weeks,
                factor,
            )
            # Only the rows seeded before (created after the oldest original): a copy is never
            # copied again.
            floor = oldest - timedelta(microseconds=1)
            for statement in _STATEMENTS:
                await conn.execute(statement, now, floor)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return clock.perf_counter() - started
