"""What other domains may read of an elder's care profile for a meal (the canteen): the
subsidy tier, the care level and the home's location, and the address for the day's delivery.
Nothing else of the profile leaves eldercare this way."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.security import decrypt
from backend.eldercare import wire
from backend.eldercare.models import CareProfile
from schemas.eldercare import SubsidyTier


@dataclass(frozen=True, slots=True)
class MealProfile:
    profile_id: UUID
    subsidy_tier: SubsidyTier | None
    care_level: int
    lat: float
    lng: float


def meal_profile_select(owner_id: Any, member_id: Any | None) -> Select[*tuple[Any, ...]]:
    """What :func:`meal_profile` reads, as a statement another domain's statement can join
    (at most one row: ``profile_id``, ``subsidy_tier``, ``care_level``, ``lat``, ``lng``). The
    canteen's order reads it in the statement that reads the meal. ``owner_id`` and
    ``member_id`` are values or bound parameters; ``member_id`` None: the resident themself."""
    member = CareProfile.member_id
    return select(
        CareProfile.id.label("profile_id"),
        CareProfile.subsidy_tier,
        CareProfile.care_level,
        CareProfile.lat,
        CareProfile.lng,
    ).where(
        CareProfile.owner_id == owner_id,
        member.is_(None) if member_id is None else member == member_id,
    )


async def meal_profile(
    session: AsyncSession, owner_id: UUID, member_id: UUID | None
) -> MealProfile | None:
    """The care profile of ``owner_id``'s elder (``member_id``; None: the resident themself),
    or None when there is none (not an elder, or no profile yet)."""
    row = (await session.execute(meal_profile_select(owner_id, member_id))).one_or_none()
    if row is None:
        return None
    return MealProfile(row.profile_id, row.subsidy_tier, row.care_level, row.lat, row.lng)


async def delivery_addresses(
    session: AsyncSession, profile_ids: Collection[UUID], *, data_key: bytes, full: bool
) -> dict[UUID, str]:
    """The home addresses of these profiles: decrypted when ``full`` (the caller has decided
    that the reader needs them today), masked otherwise."""
    if not profile_ids:
        return {}
    rows = await session.execute(
        select(CareProfile.id, CareProfile.address_enc, CareProfile.address_masked).where(
            CareProfile.id.in_(profile_ids)
        )
    )
    return {
        row.id: decrypt(data_key, wire.ADDRESS, row.address_enc) if full else row.address_masked
        for row in rows
    }
