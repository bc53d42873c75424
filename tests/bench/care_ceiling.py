"""The ceiling's elderly-care reads (see ``ceiling.py``): one SQL statement each, answered with
the same JSON as Qiyou's ``listMyCareOrders`` and ``getCareBoard``, built from the same
``schemas`` Structs and times as Qiyou builds them (issue 17: the ceiling shapes no answer
slower than it must). Self-contained like the ceiling: nothing from ``backend``."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from uuid import UUID

import asyncpg
import msgspec

from schemas.eldercare import (
    CareBoardColumn,
    CareBoardGroup,
    CareBoardOut,
    CaregiverVisitOut,
    CareOrderOut,
    Location,
)
from tests.bench.shaping import LOCAL_TZ
from tests.bench.shaping import local as _local

_encode = msgspec.json.Encoder().encode
# As schemas.eldercare.CareOrderStatus, in its order (the board's columns).
STATUSES = (
    "requested", "assigned", "in_progress", "awaiting_confirmation", "completed", "disputed",
    "cancelled", "missed",
)  # fmt: skip
OPEN = ("requested", "assigned")
CANCEL_BEFORE = timedelta(hours=2)

# The masked address looked up per order, as Qiyou's statement does (joined, the generic plan
# hashed every care profile for each board).
_ROWS = """
SELECT o.*, coalesce(m.name, h.display_name) AS elder_name,
       (SELECT p.address_masked FROM care_profiles p WHERE p.id = o.care_profile_id)
           AS address_masked,
       pr.name AS provider_name, c.display_name AS caregiver_name
FROM care_orders o
JOIN care_providers pr ON pr.id = o.provider_id
LEFT JOIN household_members m ON m.id = o.member_id
LEFT JOIN users h ON h.id = o.household_id
LEFT JOIN users c ON c.id = o.caregiver_id
"""
MY_ORDERS = _ROWS + "WHERE o.household_id = $1 ORDER BY o.starts_at DESC, o.id DESC LIMIT $2"
BOARD = (
    _ROWS
    + "WHERE o.provider_id IN (SELECT provider_id FROM care_provider_staff WHERE user_id = $1) "
    "AND o.starts_at >= $2 AND o.starts_at < $3 ORDER BY o.starts_at, o.id"
)


def _cursor(kind: str, *values: Any) -> str:
    tagged = [{"t": v.isoformat()} if isinstance(v, datetime) else {"u": str(v)} for v in values]
    return base64.urlsafe_b64encode(msgspec.json.encode([kind, *tagged])).decode().rstrip("=")


def _order(row: asyncpg.Record, now: datetime, *, household: bool) -> CareOrderOut:
    starts_at = row["starts_at"]
    until = None
    if household and row["status"] in OPEN and now <= (deadline := starts_at - CANCEL_BEFORE):
        until = deadline
    return CareOrderOut(
        id=row["id"],
        status=row["status"],
        service_code=row["service_code"],
        care_profile_id=row["care_profile_id"],
        member_id=row["member_id"],
        elder_name=row["elder_name"],
        address=row["address_masked"],
        provider_id=row["provider_id"],
        provider_name=row["provider_name"],
        caregiver_id=row["caregiver_id"],
        caregiver_name=row["caregiver_name"],
        starts_at=_local(starts_at),
        ends_at=_local(row["ends_at"]),
        note=row["note"],
        price=row["price"],
        subsidy=row["subsidy"],
        payable=row["payable"],
        flags=list(row["flags"]),
        created_at=_local(row["created_at"]),
        cancellable_until=_local(until),
        assigned_at=_local(row["assigned_at"]),
        cancelled_at=_local(row["cancelled_at"]),
        cancel_reason=row["cancel_reason"],
        completed_at=_local(row["completed_at"]),
        rating=row["rating"],
        comment=row["comment"],
        dispute_reason=row["dispute_reason"],
        missed_at=_local(row["missed_at"]),
        on_the_way_at=_local(row["on_the_way_at"]),
    )


async def my_orders(pool: asyncpg.Pool, user_id: UUID, limit: int) -> bytes:
    now = datetime.now(UTC)
    rows = await pool.fetch(MY_ORDERS, user_id, limit + 1)
    page = rows[:limit]
    cursor = (
        _cursor("my-care-orders", page[-1]["starts_at"], page[-1]["id"])
        if len(rows) > limit
        else None
    )
    items = [_order(row, now, household=True) for row in page]
    return _encode({"items": items, "nextCursor": cursor})


async def board(pool: asyncpg.Pool, user_id: UUID, day: date) -> bytes:
    now = datetime.now(UTC)
    start = datetime.combine(day, time(0), LOCAL_TZ)
    rows = await pool.fetch(BOARD, user_id, start, start + timedelta(days=1))
    orders = [_order(row, now, household=False) for row in rows]
    by_status: dict[str, list[CareOrderOut]] = {status: [] for status in STATUSES}
    for order in orders:
        by_status[order.status].append(order)
    unassigned = by_status["requested"]
    flagged = [o for o in orders if o.flags]
    return _encode(
        CareBoardOut(
            date=day,
            columns=[
                CareBoardColumn(status=status, count=len(items), orders=items)
                for status, items in by_status.items()
            ],
            unassigned=CareBoardGroup(count=len(unassigned), orders=unassigned),
            flagged=CareBoardGroup(count=len(flagged), orders=flagged),
        )
    )


# --- a caregiver's day (issue 17) ---------------------------------------------------------------

# The visits starting on the day, in visiting order. The address, the household's phone and the
# health notes leave the database only for a visit of the caregiver's today that is assigned or
# under way ($4): what Qiyou shows a caregiver (docs/eldercare.md, data protection).
_ON_DUTY = "$4 AND o.status IN ('assigned', 'in_progress')"
CAREGIVER_DAY = f"""
SELECT o.id, o.status, o.service_code, coalesce(m.name, h.display_name) AS elder_name,
       o.starts_at, o.ends_at, o.note, o.flags, p.address_masked, p.lat, p.lng,
       CASE WHEN {_ON_DUTY} THEN p.address_enc END AS address_enc,
       CASE WHEN {_ON_DUTY} THEN h.phone END AS contact_phone,
       CASE WHEN {_ON_DUTY} THEN p.health_notes_enc END AS health_notes_enc
FROM care_orders o
JOIN care_profiles p ON p.id = o.care_profile_id
LEFT JOIN household_members m ON m.id = o.member_id
LEFT JOIN users h ON h.id = o.household_id
WHERE o.caregiver_id = $1 AND o.starts_at >= $2 AND o.starts_at < $3
ORDER BY o.starts_at, o.id
LIMIT $5
"""
# The purposes Qiyou encrypts them under (backend.eldercare.wire).
ADDRESS = "care-address"
HEALTH_NOTES = "care-health-notes"


class Opener(Protocol):
    def open(self, purpose: str, sealed: bytes) -> str: ...


async def caregiver_day(
    pool: asyncpg.Pool, codes: Opener, user_id: UUID, day: date | None, limit: int
) -> bytes:
    now = datetime.now(UTC)
    today = now.astimezone(LOCAL_TZ).date()
    day = day or today
    start = datetime.combine(day, time(0), LOCAL_TZ)
    rows = await pool.fetch(
        CAREGIVER_DAY, user_id, start, start + timedelta(days=1), day == today, limit + 1
    )
    page = rows[:limit]
    cursor = (
        _cursor("caregiver-visits", page[-1]["starts_at"], page[-1]["id"])
        if len(rows) > limit
        else None
    )
    items = []
    for row in page:
        full = row["address_enc"] is not None
        notes = row["health_notes_enc"]
        items.append(
            CaregiverVisitOut(
                id=row["id"],
                status=row["status"],
                service_code=row["service_code"],
                elder_name=row["elder_name"],
                starts_at=_local(row["starts_at"]),
                ends_at=_local(row["ends_at"]),
                address=(
                    codes.open(ADDRESS, row["address_enc"]) if full else row["address_masked"]
                ),
                location=Location(lat=row["lat"], lng=row["lng"]),
                contact_phone=row["contact_phone"],
                note=row["note"],
                flags=list(row["flags"]),
                masked=not full,
                health_notes=codes.open(HEALTH_NOTES, notes) if notes is not None else None,
            )
        )
    return _encode({"items": items, "nextCursor": cursor})
