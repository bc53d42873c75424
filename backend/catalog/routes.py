"""HTTP routes of the catalog and the home screen; all public."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog import service
from backend.core.auth import AuthUser, optional_user
from backend.core.clock import Clock
from backend.core.errors import problem_responses
from backend.core.i18n import Language
from backend.events import service as events
from backend.hub import service as hub
from backend.notifications import service as notifications
from schemas.catalog import HomeOut, ProgramOut

# The catalog changes only with a release; phones and proxies may keep it a while, per language.
_CACHEABLE: dict[str, Any] = {
    "cache_control": CacheControlHeader(public=True, max_age=300),
    "response_headers": [ResponseHeader(name="Vary", value="Accept-Language")],
}


@get(
    "/programs",
    operation_id="listPrograms",
    tags=["catalog"],
    exclude_from_auth=True,
    **_CACHEABLE,
)
async def list_programs(db_session: AsyncSession, language: Language) -> list[ProgramOut]:
    """The seven programs (七优) in order, each with its services."""
    return await service.list_programs(db_session, language)


@get(
    "/programs/{code:str}",
    operation_id="getProgram",
    tags=["catalog"],
    exclude_from_auth=True,
    **_CACHEABLE,
)
async def get_program(db_session: AsyncSession, language: Language, code: str) -> ProgramOut:
    """One program by its code (``education``, ``medical``, ...)."""
    return await service.get_program(db_session, code, language)


@get(
    "/home",
    operation_id="getHome",
    tags=["catalog"],
    exclude_from_auth=True,
    dependencies={"viewer": Provide(optional_user)},
    responses=problem_responses(
        401, describe={401: "A bearer token was sent but is not valid; send none to be anonymous."}
    ),
)
async def home(
    db_session: AsyncSession, language: Language, viewer: AuthUser | None, clock: Clock
) -> HomeOut:
    """The home screen in one call. Public; with a bearer token it adds the caller's parts."""
    home = HomeOut(programs=await service.list_programs(db_session, language), unread_count=None)
    home.upcoming_events = await events.upcoming_events(db_session, clock.now(), 5)
    if viewer is not None:
        home.unread_count = await notifications.unread_count(db_session, viewer.id)
        home.next_booking = await hub.next_booking_for(db_session, viewer.id, clock.now())
    return home


ROUTES: list[Any] = [list_programs, get_program, home]
