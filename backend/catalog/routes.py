"""HTTP routes of the catalog and the home screen; all public."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.params import FromPath

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


class CatalogController(Controller):
    """What anyone may read: the seven programs and the home screen.

    These are hot routes (docs/architecture.md): they take the ``Request`` and read the reader
    and the clock from the app instead of declaring dependencies.
    """

    path = "/"
    tags = ("catalog",)
    # Public: the JWT middleware lets these through without a token.
    opt = {"exclude_from_auth": True}  # noqa: RUF012  (Litestar copies it per handler)

    @get("/programs", operation_id="listPrograms", summary="The seven programs", **_CACHEABLE)
    async def list_programs(self, request: Request[Any, Any, Any]) -> list[ProgramOut]:
        """Anyone. The seven programs (七优) in the order of the design, each with its services,
        named in the caller's language (`Accept-Language`)."""
        return await service.list_programs(reader_of(request), request_language(request))

    @get(
        "/programs/{code:str}",
        operation_id="getProgram",
        summary="One program",
        responses=problem_responses(404, codes={404: ("program_not_found",)}),
        **_CACHEABLE,
    )
    async def get_program(self, request: Request[Any, Any, Any], code: FromPath[str]) -> ProgramOut:
        """Anyone. One program by its code (`education`, `medical`, `agriculture`, `eldercare`,
        `safety`, `talent`, `integrity`); another code is 404 `program_not_found`."""
        return await service.get_program(reader_of(request), code, request_language(request))

    @get(
        "/home",
        operation_id="getHome",
        summary="The home screen",
        responses=problem_responses(
            401,
            describe={401: "A bearer token was sent but is not valid; send none to be anonymous."},
        ),
        security=[{}, {BEARER_SCHEME: []}],
    )
    async def home(self, request: Request[Any, Any, Any]) -> HomeOut:
        """Anyone; with a bearer token it adds the caller's parts (unread count, next booking).
        The programs, the next published events and, for a signed-in caller, their next
        booking and unread count, in one call."""
        # Everything from the request rather than from dependencies: Litestar resolves two or
        # more dependencies in a task group per request, and this is the screen every phone
        # opens with.
        viewer = await optional_user(request, request.app.state.settings)
        return await service.home(
            reader_of(request),
            request_language(request),
            viewer.id if viewer is not None else None,
            clock_of(request).now(),
            request.app.state.settings.data_key,
        )


ROUTES: list[Any] = [CatalogController]
