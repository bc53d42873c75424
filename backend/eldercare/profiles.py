"""Elders' care profiles, kept by their household, and the subsidy a community worker sets.

Who is an elder: a household member whose age group is ``elder`` (60 or over, from the birth
date the household gave), or the resident themself once real-name verification has shown them
to be 60 or over. Another household's member is a 404: its existence is not confirmed.
"""

from __future__ import annotations

from datetime import datetime, time
from uuid import UUID

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.clock import local_date_of
from backend.core.errors import AppError, FieldError
from backend.core.security import encrypt
from backend.eldercare import allowance, wire
from backend.eldercare.models import CareProfile
from backend.identity import lookup
from backend.identity.members import ELDER_AGE, age_on
from backend.identity.models import HouseholdMember, User
from backend.identity.service import clean_text, normalize_phone
from schemas.eldercare import CareProfileIn, CareProfileOut, SubsidyIn

SELF = "self"


def parse_subject(raw: str) -> UUID | None:
    """The path's ``memberId``: a member's id, or ``self`` (None). Anything else is a 404."""
    if raw == SELF:
        return None
    try:
        return UUID(raw)
    except ValueError:
        raise AppError(404, "not_found") from None


async def elder_name(
    session: AsyncSession, owner_id: UUID, member_id: UUID | None, *, data_key: bytes, now: datetime
) -> str:
    """The elder's name, once they are shown to be an elder of ``owner_id``'s household."""
    today = local_date_of(now)
    if member_id is None:
        resident = await lookup.resident_info(session, owner_id, data_key=data_key)
        if resident is None:
            raise AppError(401, "unauthorized")
        birth = resident.verified_birth_date
        if birth is None or age_on(birth, today) < ELDER_AGE:
            raise AppError(422, "not_an_elder")
        return resident.display_name
    members = await lookup.members_of(session, owner_id, [member_id])
    if not members:
        raise AppError(404, "not_found")
    if age_on(members[0].birth_date, today) < ELDER_AGE:
        raise AppError(422, "not_an_elder")
    return members[0].name


def subject(owner_id: UUID, member_id: UUID | None) -> ColumnElement[bool]:
    member = CareProfile.member_id
    return and_(
        CareProfile.owner_id == owner_id,
        member.is_(None) if member_id is None else member == member_id,
    )


async def profile_of(
    session: AsyncSession, owner_id: UUID, member_id: UUID | None
) -> CareProfile | None:
    """The elder's profile, if the household has made one (orders need it)."""
    found = await session.execute(select(CareProfile).where(subject(owner_id, member_id)))
    return found.scalar_one_or_none()


async def _out(
    session: AsyncSession,
    row: CareProfile,
    name: str,
    *,
    data_key: bytes,
    now: datetime,
    full: bool,
) -> CareProfileOut:
    left = await allowance.left_this_month(session, [row], now=now)
    return wire.care_profile(
        row, name=name, allowance_left=left[row.id], data_key=data_key, full=full
    )


async def get_profile(
    session: AsyncSession, owner_id: UUID, member_id: UUID | None, *, data_key: bytes, now: datetime
) -> CareProfileOut:
    name = await elder_name(session, owner_id, member_id, data_key=data_key, now=now)
    row = (
        await session.execute(select(CareProfile).where(subject(owner_id, member_id)))
    ).scalar_one_or_none()
    if row is None:
        raise AppError(404, "not_found")
    return await _out(session, row, name, data_key=data_key, now=now, full=True)


def clean_notes(raw: str | None, *, field: str) -> str | None:
    """Free text (tabs and line breaks allowed, no other control character), stripped; None
    when blank."""
    text = (raw or "").strip()
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text) or "\x7f" in text:
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError(field, "must not contain control characters")],
        )
    return text or None


def _contacts(data: CareProfileIn) -> list[dict[str, str]]:
    return [
        {
            "name": clean_text(c.name, field=f"emergencyContacts[{i}].name", max_length=50),
            "phone": normalize_phone(c.phone, field=f"emergencyContacts[{i}].phone"),
            "relation": clean_text(
                c.relation, field=f"emergencyContacts[{i}].relation", max_length=20
            ),
        }
        for i, c in enumerate(data.emergency_contacts)
    ]


async def put_profile(
    session: AsyncSession,
    owner_id: UUID,
    member_id: UUID | None,
    data: CareProfileIn,
    *,
    data_key: bytes,
    now: datetime,
) -> CareProfileOut:
    """Create or replace the elder's care profile (the subsidy, a worker's, is kept)."""
    name = await elder_name(session, owner_id, member_id, data_key=data_key, now=now)
    address = clean_text(data.address, field="address", max_length=200)
    notes = clean_notes(data.health_notes, field="healthNotes")
    hour, minute = (int(part) for part in data.daily_check_in.due_by.split(":"))
    values = {
        "address_enc": encrypt(data_key, wire.ADDRESS, address),
        "address_masked": wire.mask_address(address),
        "lat": data.location.lat,
        "lng": data.location.lng,
        "lives_alone": data.lives_alone,
        "care_level": data.care_level,
        "emergency_contacts": _contacts(data),
        "health_notes_enc": encrypt(data_key, wire.HEALTH_NOTES, notes) if notes else None,
        "check_in_enabled": data.daily_check_in.enabled,
        "check_in_due_by": time(hour, minute),
        "updated_at": now,
    }
    enabled = data.daily_check_in.enabled
    statement = pg_insert(CareProfile).values(
        owner_id=owner_id,
        member_id=member_id,
        created_at=now,
        check_in_since=now if enabled else None,
        **values,
    )
    # Switched on now, or on already since earlier: days due before then are never missing.
    replaced = {
        **values,
        "check_in_since": func.coalesce(CareProfile.check_in_since, now) if enabled else None,
    }
    # The partial unique index that holds one profile per elder (models.CareProfile).
    if member_id is None:
        upsert = statement.on_conflict_do_update(
            index_elements=[CareProfile.owner_id],
            index_where=CareProfile.member_id.is_(None),
            set_=replaced,
        )
    else:
        upsert = statement.on_conflict_do_update(
            index_elements=[CareProfile.member_id],
            index_where=CareProfile.member_id.is_not(None),
            set_=replaced,
        )
    row = (
        await session.scalars(
            upsert.returning(CareProfile), execution_options={"populate_existing": True}
        )
    ).one()
    return await _out(session, row, name, data_key=data_key, now=now, full=True)


async def set_subsidy(
    session: AsyncSession, profile_id: UUID, data: SubsidyIn, *, data_key: bytes, now: datetime
) -> CareProfileOut:
    """A community worker's (or an admin's) decision: the elder's subsidy tier and monthly
    allowance, from this month on. The answer is the profile as a worker may read it: the
    address masked, no health notes."""
    row = (
        await session.execute(
            select(CareProfile).where(CareProfile.id == profile_id).with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        raise AppError(404, "not_found")
    row.subsidy_tier = data.tier
    row.monthly_allowance = data.monthly_allowance
    row.updated_at = now
    await session.flush()
    await allowance.reset_allowance(session, row.id, data.monthly_allowance, now=now)
    # The row as stored (an earlier upsert in this session may have left attributes expired).
    await session.refresh(row)
    if row.member_id is None:
        name_query = select(User.display_name).where(User.id == row.owner_id)
    else:
        name_query = select(HouseholdMember.name).where(HouseholdMember.id == row.member_id)
    name = (await session.execute(name_query)).scalar_one()
    return await _out(session, row, name, data_key=data_key, now=now, full=False)
