"""The services catalogue: fixed reference data, seeded by migration 0013."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.eldercare import wire
from backend.eldercare.models import CareService
from schemas.eldercare import CareServiceOut


async def list_services(session: AsyncSession, language: str) -> list[CareServiceOut]:
    rows = (await session.execute(select(CareService).order_by(CareService.position))).scalars()
    return [wire.service(row, language) for row in rows]
