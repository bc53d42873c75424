"""The elders a community worker can find, with whether each is an assisted resident."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from backend.assisted.accounts import assisted_among
from backend.eldercare import service as eldercare
from schemas.assisted import ElderOut
from schemas.common import Page


async def list_elders(
    session: AsyncSession, *, q: str | None, limit: int, cursor: str | None
) -> Page[ElderOut]:
    rows, next_cursor = await eldercare.list_elders(session, q=q, limit=limit, cursor=cursor)
    # Only an elder who is the account (no household member) can be an assisted resident.
    assisted = await assisted_among(session, [r.owner_id for r in rows if r.member_id is None])
    return Page(
        items=[
            ElderOut(
                care_profile_id=r.care_profile_id,
                name=r.name,
                address=r.address_masked,
                subsidy_tier=r.subsidy_tier,
                lives_alone=r.lives_alone,
                assisted=r.member_id is None and r.owner_id in assisted,
                owner_id=r.owner_id,
                member_id=r.member_id,
            )
            for r in rows
        ],
        next_cursor=next_cursor,
    )
