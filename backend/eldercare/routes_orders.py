"""HTTP routes of care orders for the household and everyone who may read an order:

- ``HouseholdCareOrdersController``: request a visit, list the household's orders (residents);
- ``CareOrderController``: one order (its household, the provider's dispatchers, its caregiver);
- ``CareOrderCancelController``: cancel (the household, the provider's dispatchers).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.auth import AuthUser, Role, requires, resident_only
from backend.core.clock import Clock, clock_of
from backend.core.errors import problem_responses
from backend.core.idempotency import IdempotencyKeyHeader, idempotent
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.core.reads import reader_of
from backend.eldercare import service
from schemas.common import Page
from schemas.eldercare import CareOrderCancel, CareOrderIn, CareOrderOut

TAG = "eldercare"
OrderId = Annotated[UUID, PathParameter(name="orderId", description="the care order")]


class HouseholdCareOrdersController(Controller):
    # The household's paths share no prefix: requesting under /care, its list under /me.
    path = "/"
    tags = (TAG,)
    guards = (resident_only,)

    @post(
        "/care/orders",
        operation_id="createCareOrder",
        summary="Request a home-care visit (honours Idempotency-Key)",
        status_code=201,
        responses=problem_responses(
            404,
            codes={
                422: (
                    "not_an_elder",
                    "care_profile_missing",
                    "too_soon",
                    "too_far",
                    "unknown_care_provider",
                    "service_not_offered",
                    "no_care_provider",
                ),
            },
        ),
    )
    async def create_care_order(
        self,
        request: Request[AuthUser, Any, Any],
        data: JSONBody[CareOrderIn],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        settings: NamedDependency[Settings],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[CareOrderOut]:
        """Residents, for an elder of their household (`memberId`, or themself without it;
        rules as `getCareProfile`: 404 another household's member, 422 `not_an_elder`) who has
        a care profile (422 `care_profile_missing`). `startsAt` at least 30 minutes (422
        `too_soon`) and at most 60 days ahead (422 `too_far`). A named `providerId` must offer
        the service (422 `service_not_offered`, `unknown_care_provider`); without one, of the
        providers offering it the one with the fewest orders that day takes it (422
        `no_care_provider` when none does). `price` is the catalogue's; `subsidy` the
        service's rate of it, capped by the elder's allowance left, when the elder has a
        subsidy tier (0 otherwise); `payable` the rest. The allowance is debited only when the
        household confirms the visit. The provider's dispatchers are told. A retry with the
        same `Idempotency-Key` and body replays the first answer."""
        user = request.user
        now = clock.now()

        async def handler() -> tuple[int, CareOrderOut]:
            order = await service.create_order(
                db_session, user, data, data_key=settings.data_key, now=now
            )
            return 201, order

        return await idempotent(request, db_session, user.id, now, handler)

    @get("/me/care/orders", operation_id="listMyCareOrders", summary="The household's care orders")
    async def list_my_care_orders(
        self,
        request: Request[AuthUser, Any, Any],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[CareOrderOut]:
        """Residents. The orders of the caller's household in every status, the latest visit
        first; each says until when the household may cancel it (`cancellableUntil`)."""
        # A hot read (docs/architecture.md, "Performance idioms"): the user, the clock and the
        # reader from the request, no dependency to resolve.
        return await service.my_orders(
            reader_of(request),
            request.user.id,
            now=clock_of(request).now(),
            limit=limit,
            cursor=cursor,
        )


class CareOrderController(Controller):
    path = "/care/orders/{orderId:uuid}"
    tags = (TAG,)
    guards = (requires(Role.RESIDENT, Role.DISPATCHER, Role.CAREGIVER),)

    @get("/", operation_id="getCareOrder", summary="A care order", responses=problem_responses(404))
    async def get_care_order(
        self,
        order_id: OrderId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
    ) -> CareOrderOut:
        """Its household, the dispatchers of its provider and its assigned caregiver; to
        anyone else it does not exist (404). The address is the masked one."""
        return await service.get_order(db_session, user, order_id, now=clock.now())


class CareOrderCancelController(Controller):
    path = "/care/orders/{orderId:uuid}/cancel"
    tags = (TAG,)
    guards = (requires(Role.RESIDENT, Role.DISPATCHER),)

    @post(
        "/",
        operation_id="cancelCareOrder",
        summary="Cancel a care order",
        status_code=200,
        responses=problem_responses(
            404, codes={409: ("cancel_too_late", "care_order_invalid_status")}
        ),
    )
    async def cancel_care_order(
        self,
        order_id: OrderId,
        data: JSONBody[CareOrderCancel],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
    ) -> CareOrderOut:
        """The household until 2 hours before `startsAt` (later: 409 `cancel_too_late`, the
        provider can still cancel), the dispatchers of its provider until the visit starts.
        A visit under way or over: 409 `care_order_invalid_status`. The household, the
        provider's dispatchers and an assigned caregiver are told, except whoever cancelled."""
        return await service.cancel_order(db_session, user, order_id, data.reason, now=clock.now())


ROUTES = [HouseholdCareOrdersController, CareOrderController, CareOrderCancelController]
