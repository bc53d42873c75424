"""HTTP routes of elderly care, one Controller per audience:

- ``CareServicesController``: the services catalogue (anyone);
- ``CareProvidersController``: care providers (admins);
- ``CareStaffController``: which provider a dispatcher or caregiver works for (admins);
- ``CareProfilesController``: an elder's care profile (the household, residents);
- ``ElderSubsidyController``: an elder's subsidy (community workers, admins);
- the daily check-in's controllers, in ``routes_checkins``.
- care orders: ``routes_orders`` (the household's side) and ``routes_dispatch`` (the
  provider's), whose controllers ``ROUTES`` adds.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.auth import AuthUser, admin_only, resident_only, worker_or_admin
from backend.core.clock import Clock
from backend.core.errors import problem_responses
from backend.core.i18n import request_language
from backend.core.idempotency import IdempotencyKeyHeader, idempotent
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.eldercare import (
    routes_checkins,
    routes_dispatch,
    routes_orders,
    routes_statistics,
    routes_visits,
    service,
)
from schemas.common import Page
from schemas.eldercare import (
    CareProfileIn,
    CareProfileOut,
    CareProviderAssign,
    CareProviderIn,
    CareProviderOut,
    CareServiceOut,
    CareStaffOut,
    SubsidyIn,
)

TAG = "eldercare"
UserId = Annotated[UUID, PathParameter(name="userId", description="the account")]
CareProfileId = Annotated[UUID, PathParameter(name="careProfileId", description="the profile")]
MemberId = Annotated[
    str,
    PathParameter(
        name="memberId",
        description='a household member\'s id, or "self" for the resident themself',
        examples=[],
    ),
]


class CareServicesController(Controller):
    path = "/care/services"
    tags = (TAG,)
    opt = {"exclude_from_auth": True}  # noqa: RUF012  (Litestar copies it per handler)

    @get("/", operation_id="listCareServices", summary="The home-care services catalogue")
    async def list_care_services(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> list[CareServiceOut]:
        """Anyone. The home-care services in a fixed order, named and described in the
        caller's language (`Accept-Language`): minutes, price in fen, and `subsidyRate`, the
        share of the price a subsidised elder's allowance covers (0 to 1)."""
        return await service.list_services(db_session, request_language(request))


class CareProvidersController(Controller):
    path = "/admin/care-providers"
    tags = (TAG,)
    guards = (admin_only,)

    @post(
        "/",
        operation_id="createCareProvider",
        summary="Register a care provider",
        status_code=201,
        responses=problem_responses(codes={422: ("invalid_phone",)}),
    )
    async def create_care_provider(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[CareProviderIn],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[CareProviderOut]:
        """Admins. A home-care provider the sub-district contracts, with the services it
        offers (codes of `listCareServices`, each once). A retry with the same
        `Idempotency-Key` and body replays the first answer."""

        async def handler() -> tuple[int, CareProviderOut]:
            return 201, await service.create_provider(db_session, data)

        return await idempotent(request, db_session, user.id, clock.now(), handler)

    @get("/", operation_id="listCareProviders", summary="Care providers")
    async def list_care_providers(
        self,
        db_session: NamedDependency[AsyncSession],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[CareProviderOut]:
        """Admins. Every care provider, in the order they were registered."""
        return await service.list_providers(db_session, limit=limit, cursor=cursor)


class CareStaffController(Controller):
    path = "/admin/users/{userId:uuid}/care-provider"
    tags = (TAG,)
    guards = (admin_only,)

    @put(
        "/",
        operation_id="setUserCareProvider",
        summary="Set the care provider a dispatcher or caregiver works for",
        responses=problem_responses(
            404,
            codes={409: ("not_care_staff",), 422: ("unknown_care_provider",)},
        ),
    )
    async def set_user_care_provider(
        self,
        user_id: UserId,
        data: JSONBody[CareProviderAssign],
        db_session: NamedDependency[AsyncSession],
    ) -> CareStaffOut:
        """Admins. A dispatcher or caregiver works for one provider; a new one replaces the
        old. Another role's account: 409 `not_care_staff`; an unknown provider: 422
        `unknown_care_provider`; an unknown account: 404."""
        return await service.set_care_provider(db_session, user_id, data.provider_id)


class CareProfilesController(Controller):
    path = "/me/care-profiles/{memberId:str}"
    tags = (TAG,)
    guards = (resident_only,)

    @get(
        "/",
        operation_id="getCareProfile",
        summary="An elder's care profile",
        responses=problem_responses(404, codes={422: ("not_an_elder",)}),
    )
    async def get_care_profile(
        self,
        member_id: MemberId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> CareProfileOut:
        """Residents, for an elder of their household: a member aged 60 or over, or `self`
        once verified as aged 60 or over (otherwise 422 `not_an_elder`). In full: the
        household reads its own address and health notes. No profile yet, or another
        household's member: 404."""
        return await service.get_profile(
            db_session,
            user.id,
            service.parse_subject(member_id),
            data_key=settings.data_key,
            now=clock.now(),
        )

    @put(
        "/",
        operation_id="putCareProfile",
        summary="Create or replace an elder's care profile",
        responses=problem_responses(404, codes={422: ("not_an_elder", "invalid_phone")}),
    )
    async def put_care_profile(
        self,
        member_id: MemberId,
        data: JSONBody[CareProfileIn],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> CareProfileOut:
        """Residents, for an elder of their household (as `getCareProfile`). Every field is
        replaced; the subsidy, set by a community worker, is kept. The address and health
        notes are stored only encrypted."""
        return await service.put_profile(
            db_session,
            user.id,
            service.parse_subject(member_id),
            data,
            data_key=settings.data_key,
            now=clock.now(),
        )


class ElderSubsidyController(Controller):
    path = "/manage/elders/{careProfileId:uuid}/subsidy"
    tags = (TAG,)
    guards = (worker_or_admin,)

    @put(
        "/",
        operation_id="setElderSubsidy",
        summary="Set an elder's subsidy tier and monthly allowance",
        responses=problem_responses(404),
    )
    async def set_elder_subsidy(
        self,
        care_profile_id: CareProfileId,
        data: JSONBody[SubsidyIn],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> CareProfileOut:
        """Community workers and admins. The tier and the monthly allowance (fen) hold from
        this Asia/Shanghai month; what the month already spent stays spent. The answer is the
        profile as a worker reads it: address masked, no health notes (`masked: true`)."""
        return await service.set_subsidy(
            db_session, care_profile_id, data, data_key=settings.data_key, now=clock.now()
        )


ROUTES = [
    *routes_visits.ROUTES,
    *routes_statistics.ROUTES,
    CareServicesController,
    CareProvidersController,
    CareStaffController,
    CareProfilesController,
    ElderSubsidyController,
    *routes_checkins.ROUTES,
    *routes_orders.ROUTES,
    *routes_dispatch.ROUTES,
]
