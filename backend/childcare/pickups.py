"""A child's people (trusted to take them home, or never) and their allergies and health
notes, kept by the guardians: the household the child is a member of. Another household's
member, or an id that is no member, is a 404.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.childcare import checkout_rules, wire_pickup
from backend.childcare.models_pickup import ChildProfile, Pickup
from backend.core.base import new_id
from backend.core.clock import local_date_of
from backend.core.errors import AppError, FieldError
from backend.core.pagination import Keyset
from backend.core.security import constant_time_equal, encrypt, keyed_hash
from backend.identity import lookup
from backend.identity.members import age_group
from backend.identity.service import clean_text, normalize_phone
from schemas.childcare_pickup import (
    ChildcareProfileIn,
    ChildcareProfileOut,
    PickupIn,
    PickupOut,
)
from schemas.common import Page

MAX_PICKUPS = 10
ID_LAST4 = "childcare-pickup-id"
PICKUPS = Keyset("childcare_pickups", (UUID,))


async def guarded_child(
    session: AsyncSession, household_id: UUID, child_id: UUID, *, now: datetime
) -> str:
    """The child's name, once shown to be a child of the caller's household."""
    members = await lookup.members_of(session, household_id, [child_id])
    if not members:
        raise AppError(404, "not_found")
    if age_group(members[0].birth_date, local_date_of(now)) != "child":
        raise AppError(422, "not_a_child")
    return members[0].name


def id_digest(data_key: bytes, pickup_id: UUID, last4: str) -> str:
    """A keyed hash bound to the row: ten thousand candidates are nothing without the key,
    and the same four digits of two people never compare equal across rows."""
    normalized = checkout_rules.normalize_id_last4(last4)
    return keyed_hash(data_key, ID_LAST4, f"{pickup_id}:{normalized}")


def id_matches(data_key: bytes, pickup: Pickup, last4: str) -> bool:
    if pickup.id_last4_digest is None:
        return False
    return constant_time_equal(id_digest(data_key, pickup.id, last4), pickup.id_last4_digest)


def _lock_key(child_id: UUID) -> int:
    digest = hashlib.sha256(b"qiyou-childcare-pickups:" + child_id.bytes).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def add_pickup(
    session: AsyncSession,
    household_id: UUID,
    child_id: UUID,
    data: PickupIn,
    *,
    data_key: bytes,
    now: datetime,
) -> PickupOut:
    await guarded_child(session, household_id, child_id, now=now)
    if not data.blocked and data.id_last4 is None:
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError("idLast4", "required for a trusted person")],
        )
    name = clean_text(data.name, field="name", max_length=50)
    relation = clean_text(data.relation, field="relation", max_length=20)
    phone = normalize_phone(data.phone)
    # Additions for one child queue here, so two at once cannot both see nine and add a tenth.
    await session.execute(select(func.pg_advisory_xact_lock(_lock_key(child_id))))
    count = await session.scalar(
        select(func.count()).select_from(Pickup).where(Pickup.child_id == child_id)
    )
    if (count or 0) >= MAX_PICKUPS:
        raise AppError(409, "pickup_limit_reached", {"limit": MAX_PICKUPS})
    pickup_id = new_id()
    row = Pickup(
        id=pickup_id,
        child_id=child_id,
        household_id=household_id,
        name=name,
        phone=phone,
        relation=relation,
        blocked=data.blocked,
        id_last4_digest=(
            id_digest(data_key, pickup_id, data.id_last4) if data.id_last4 is not None else None
        ),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return wire_pickup.pickup(row)


async def list_pickups(
    session: AsyncSession,
    household_id: UUID,
    child_id: UUID,
    *,
    now: datetime,
    limit: int,
    cursor: str | None,
) -> Page[PickupOut]:
    await guarded_child(session, household_id, child_id, now=now)
    after = PICKUPS.decode(cursor)
    query = select(Pickup).where(Pickup.child_id == child_id)
    if after is not None:
        query = query.where(Pickup.id > after[0])
    rows = (await session.scalars(query.order_by(Pickup.id).limit(limit + 1))).all()
    page, next_cursor = PICKUPS.paginate(rows, limit, lambda row: (row.id,))
    return Page(items=[wire_pickup.pickup(r) for r in page], next_cursor=next_cursor)


async def remove_pickup(
    session: AsyncSession, household_id: UUID, child_id: UUID, pickup_id: UUID, *, now: datetime
) -> None:
    await guarded_child(session, household_id, child_id, now=now)
    gone = await session.execute(
        delete(Pickup)
        .where(
            Pickup.id == pickup_id,
            Pickup.child_id == child_id,
            Pickup.household_id == household_id,
        )
        .returning(Pickup.id)
    )
    if gone.first() is None:
        raise AppError(404, "not_found")


def _notes(raw: str | None, field: str) -> str | None:
    text = (raw or "").strip()
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text) or "\x7f" in text:
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError(field, "must not contain control characters")],
        )
    return text or None


async def get_profile(
    session: AsyncSession, household_id: UUID, child_id: UUID, *, data_key: bytes, now: datetime
) -> ChildcareProfileOut:
    """The guardians' view, in full. A child without one yet answers empty fields."""
    await guarded_child(session, household_id, child_id, now=now)
    row = await session.get(ChildProfile, child_id)
    return wire_pickup.profile(child_id, row, data_key=data_key)


async def put_profile(
    session: AsyncSession,
    household_id: UUID,
    child_id: UUID,
    data: ChildcareProfileIn,
    *,
    data_key: bytes,
    now: datetime,
) -> ChildcareProfileOut:
    await guarded_child(session, household_id, child_id, now=now)
    allergies = _notes(data.allergies, "allergies")
    notes = _notes(data.health_notes, "healthNotes")
    values = {
        "allergies_enc": encrypt(data_key, wire_pickup.ALLERGIES, allergies) if allergies else None,
        "health_notes_enc": encrypt(data_key, wire_pickup.HEALTH_NOTES, notes) if notes else None,
        "updated_at": now,
    }
    row = (
        await session.scalars(
            pg_insert(ChildProfile)
            .values(child_id=child_id, household_id=household_id, **values)
            .on_conflict_do_update(index_elements=[ChildProfile.child_id], set_=values)
            .returning(ChildProfile),
            execution_options={"populate_existing": True},
        )
    ).one()
    return wire_pickup.profile(child_id, row, data_key=data_key)
