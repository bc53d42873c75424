"""HTTP routes of the catalog and the home screen; all public."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.datastructures import CacheControlHeader, ResponseHeader

from backend.catalog import service
from backend.core.auth import BEARER_SCHEME, optional_user
from backend.core.clock import clock_of
from backend.core.errors import problem_responses
from backend.core.i18n import request_language
from backend.core.reads import reader_of
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
async def list_programs(request: Request[Any, Any, Any]) -> list[ProgramOut]:
    """The seven programs (七优) in order, each with its services."""
    return await service.list_programs(reader_of(request), request_language(request))


@get(
    "/programs/{code:str}",
    operation_id="getProgram",
    tags=["catalog"],
    exclude_from_auth=True,
    **_CACHEABLE,
)
async def get_program(request: Request[Any, Any, Any], code: str) -> ProgramOut:
    """One program by its code (``education``, ``medical``, ...)."""
    return await service.get_program(reader_of(request), code, request_language(request))


@get(
    "/home",
    operation_id="getHome",
    tags=["catalog"],
    exclude_from_auth=True,
    responses=problem_responses(
        401, describe={401: "A bearer token was sent but is not valid; send none to be anonymous."}
    ),
    security=[{}, {BEARER_SCHEME: []}],
)
async def home(request: Request[Any, Any, Any]) -> HomeOut:
    """The home screen in one call. Public; with a bearer token it adds the caller's parts."""
    # Everything from the request rather than from dependencies: Litestar resolves two or more
    # dependencies in a task group per request, and this is the screen every phone opens with.
    viewer = await optional_user(request, request.app.state.settings)
    return await service.home(
        reader_of(request),
        request_language(request),
        viewer.id if viewer is not None else None,
        clock_of(request).now(),
        request.app.state.settings.data_key,
    )


ROUTES: list[Any] = [list_programs, get_program, home]
