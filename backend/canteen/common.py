"""What the parts of the canteen share: loading a canteen, the one authorization rule of a
canteen's management (its venue's workers, and admins), local times and pickup codes."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.canteen.messages import meal_label
from backend.canteen.models import Canteen
from backend.core.auth import AuthUser, Role
from backend.core.clock import LOCAL_TZ
from backend.core.errors import AppError, invalid_field
from backend.core.security import SealedCode, code_digest, new_token, open_code, seal_code
from backend.hub import service as hub

# What a pickup code's hash and encryption are bound to.
PICKUP_PURPOSE = "meal-pickup-code"
# 10 random bytes = 80 bits: read off a phone at the counter, never guessable.
PICKUP_BYTES = 10


def new_pickup_code(data_key: bytes) -> SealedCode:
    return seal_code(data_key, PICKUP_PURPOSE, new_token(PICKUP_BYTES))


def pickup_digest(data_key: bytes, code: str) -> str:
    return code_digest(data_key, PICKUP_PURPOSE, code)


def pickup_code_of(data_key: bytes, sealed: bytes) -> str:
    return open_code(data_key, PICKUP_PURPOSE, sealed)


def local_moment(day: date, hhmm: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)


def hhmm(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%H:%M")


async def load_canteen(session: AsyncSession, canteen_id: UUID) -> Canteen:
    canteen = await session.get(Canteen, canteen_id)
    if canteen is None:
        raise AppError(404, "not_found")
    return canteen


async def manages_canteen(session: AsyncSession, actor: AuthUser, venue_id: UUID | None) -> bool:
    """Admins manage every canteen; a worker the canteens of the venues assigned to them (the
    hub's rule, asked of the hub); a canteen with no venue, admins alone."""
    if actor.role == Role.ADMIN:
        return True
    if venue_id is None or actor.role != Role.WORKER:
        return False
    return await hub.manages_venue(session, actor, venue_id)


async def require_manager(session: AsyncSession, actor: AuthUser, venue_id: UUID | None) -> None:
    if not await manages_canteen(session, actor, venue_id):
        raise AppError(403, "forbidden")


async def venue_of(session: AsyncSession, canteen_id: UUID) -> UUID | None:
    found = (
        await session.execute(select(Canteen.venue_id).where(Canteen.id == canteen_id))
    ).one_or_none()
    if found is None:
        raise AppError(404, "not_found")
    return found[0]


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def notice(meal: Any, canteen_name: str) -> dict[str, Any]:
    """The data an inbox message about a meal carries (ids to deep-link, text to render)."""
    return {
        "mealId": str(meal.id),
        "canteen": canteen_name,
        "date": meal.date.isoformat(),
        "meal": meal.meal,
        "mealZh": meal_label(meal.meal, "zh-CN"),
        "mealEn": meal_label(meal.meal, "en"),
    }


def check_day(day: date | None, field: str) -> date | None:
    """A date a canteen can serve on: typing errors far outside the years would overflow the
    date arithmetic further on (a 500), so they are refused here."""
    if day is not None and not 2000 <= day.year < 2200:
        raise invalid_field(field, "a date from 2000 to 2199")
    return day
