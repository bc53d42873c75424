"""HTTP routes of the care provider's side:

- ``ManagedCareOrdersController``: the orders list and the day's board (dispatchers: their
  provider's; admins: every provider's);
- ``CareOrderAssignController``: assign an order to a caregiver (dispatchers);
- ``CaregiverVisitsController``: a caregiver's day (caregivers).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, Role, requires
from backend.core.clock import Clock, clock_of, local_date_of
from backend.core.errors import problem_responses
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.core.reads import reader_of
from backend.eldercare import service
from schemas.common import Page
from schemas.eldercare import (
    CareBoardOut,
    CaregiverVisitOut,
    CareOrderAssign,
    CareOrderOut,
    CareOrderStatus,
)

TAG = "eldercare"
OrderId = Annotated[UUID, PathParameter(name="orderId", description="the care order")]
Day = Annotated[
    date | None,
    QueryParameter(name="date", description="a local (Asia/Shanghai) date; today by default"),
]
DayFilter = Annotated[
    date | None,
    QueryParameter(name="date", description="only orders starting on this local date"),
]
StatusFilter = Annotated[
    CareOrderStatus | None, QueryParameter(description="only orders in this status")
]


class ManagedCareOrdersController(Controller):
    path = "/manage/care"
    tags = (TAG,)
    guards = (requires(Role.DISPATCHER, Role.ADMIN),)

    @get("/orders", operation_id="listManagedCareOrders", summary="Care orders to dispatch")
    async def list_managed_care_orders(
        self,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        status: StatusFilter = None,
        day: DayFilter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[CareOrderOut]:
        """Dispatchers: their provider's orders; admins: every provider's. By start time,
        narrowed to a status or a local date. Addresses masked."""
        return await service.manage_orders(
            db_session,
            user,
            status=status,
            day=day,
            now=clock.now(),
            limit=limit,
            cursor=cursor,
        )

    @get("/board", operation_id="getCareBoard", summary="The dispatcher's board of a day")
    async def get_care_board(
        self, request: Request[AuthUser, Any, Any], day: Day = None
    ) -> CareBoardOut:
        """Dispatchers (their provider's orders), admins (every provider's). The orders
        starting on the date, by start: one column per status with its count (every status,
        in the lifecycle's order), and the requested orders still without a caregiver and
        the flagged ones, with their counts."""
        # A hot read (docs/architecture.md, "Performance idioms"): the user, the clock and the
        # reader from the request, no dependency to resolve.
        now = clock_of(request).now()
        return await service.board(
            reader_of(request), request.user, day or local_date_of(now), now=now
        )


class CareOrderAssignController(Controller):
    path = "/manage/care/orders/{orderId:uuid}/assign"
    tags = (TAG,)
    guards = (requires(Role.DISPATCHER),)

    @post(
        "/",
        operation_id="assignCareOrder",
        summary="Assign a care order to a caregiver",
        status_code=200,
        responses=problem_responses(
            404,
            codes={
                409: ("caregiver_busy", "care_order_invalid_status", "visit_time_passed"),
                422: ("not_provider_caregiver",),
            },
        ),
    )
    async def assign_care_order(
        self,
        order_id: OrderId,
        data: JSONBody[CareOrderAssign],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
    ) -> CareOrderOut:
        """Dispatchers, for an order of their provider (another's: 404), requested or
        assigned, before it starts (409 `care_order_invalid_status`, `visit_time_passed`), to
        a caregiver of the same provider (422 `not_provider_caregiver`). A caregiver's visits
        never overlap, whatever the concurrency: 409 `caregiver_busy`. The caregiver and the
        household are told, and a caregiver the order is taken from. Assigning the same
        caregiver again changes nothing."""
        return await service.assign_order(
            db_session, user, order_id, data.caregiver_id, now=clock.now()
        )


class CaregiverVisitsController(Controller):
    path = "/caregiver/visits"
    tags = (TAG,)
    guards = (requires(Role.CAREGIVER),)

    @get("/", operation_id="listCaregiverVisits", summary="A caregiver's visits of a day")
    async def list_caregiver_visits(
        self,
        request: Request[AuthUser, Any, Any],
        day: Day = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[CaregiverVisitOut]:
        """Caregivers. Their visits starting on the date, in visiting order. On the day
        itself, a visit assigned or under way shows the full address and the household's
        phone; any other day, or a visit over or cancelled, the masked address
        (`masked: true`). The health notes follow the same rule."""
        # A hot read (docs/architecture.md, "Performance idioms"): the user, the clock, the
        # settings and the reader from the request, no dependency to resolve.
        now = clock_of(request).now()
        return await service.caregiver_visits(
            reader_of(request),
            request.user,
            day or local_date_of(now),
            now=now,
            data_key=request.app.state.settings.data_key,
            limit=limit,
            cursor=cursor,
        )


ROUTES = [
    ManagedCareOrdersController,
    CareOrderAssignController,
    CaregiverVisitsController,
]
