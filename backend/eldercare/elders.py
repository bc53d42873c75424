"""A community worker's way to find an elder: the care profiles with the elder's name, the
masked address and the subsidy, searchable by name. Nothing a worker has no need for: no door
number, no health notes, no emergency contacts."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.pagination import Keyset
from backend.eldercare.models import CareProfile
from backend.identity.models import HouseholdMember, User
from schemas.eldercare import SubsidyTier

ELDERS = Keyset("elders", (UUID,))


@dataclass(frozen=True, slots=True)
class ElderRow:
    care_profile_id: UUID
    owner_id: UUID
    member_id: UUID | None
    name: str
    address_masked: str
    subsidy_tier: SubsidyTier | None
    lives_alone: bool


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_elders(
    session: AsyncSession, *, q: str | None, limit: int, cursor: str | None
) -> tuple[list[ElderRow], str | None]:
    """Care profiles in the order they were made, those whose elder's name contains ``q``."""
    after = ELDERS.decode(cursor)
    name = func.coalesce(HouseholdMember.name, User.display_name)
    query = (
        select(
            CareProfile.id,
            CareProfile.owner_id,
            CareProfile.member_id,
            name.label("name"),
            CareProfile.address_masked,
            CareProfile.subsidy_tier,
            CareProfile.lives_alone,
        )
        .join(User, User.id == CareProfile.owner_id)
        .outerjoin(HouseholdMember, HouseholdMember.id == CareProfile.member_id)
    )
    text = (q or "").strip()
    if text:
        pattern = _like(text)
        query = query.where(
            or_(
                HouseholdMember.name.ilike(pattern, escape="\\"),
                (CareProfile.member_id.is_(None)) & User.display_name.ilike(pattern, escape="\\"),
            )
        )
    if after is not None:
        query = query.where(CareProfile.id > after[0])
    rows = (await session.execute(query.order_by(CareProfile.id).limit(limit + 1))).all()
    page, next_cursor = ELDERS.paginate(rows, limit, lambda row: [row.id])
    return [
        ElderRow(
            care_profile_id=r.id,
            owner_id=r.owner_id,
            member_id=r.member_id,
            name=r.name,
            address_masked=r.address_masked,
            subsidy_tier=r.subsidy_tier,
            lives_alone=r.lives_alone,
        )
        for r in page
    ], next_cursor
