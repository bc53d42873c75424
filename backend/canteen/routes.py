"""HTTP routes of the canteen, one Controller per audience:

- ``PublicCanteensController``: canteens and their meals (anyone, no token);
- ``MealOrdersController``: a resident's orders and cutoff reminder (residents);
- ``routes_staff.py``: canteens, meals, the counter, deliveries and statements (the canteen's
  workers, admins).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.canteen import service
from backend.canteen.common import check_day
from backend.config import Settings
from backend.core.auth import AuthUser, resident_only
from backend.core.clock import Clock, clock_of
from backend.core.errors import problem_responses
from backend.core.i18n import Language, request_language
from backend.core.idempotency import IdempotencyKeyHeader, idempotent
from backend.core.months import MonthQuery
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.core.reads import reader_of
from schemas.canteen import (
    CanteenOut,
    MealOrderIn,
    MealOrderOut,
    MealOrderStatement,
    MealOut,
    MealReminderIn,
    MealReminderOut,
)
from schemas.common import Page

TAG = "canteen"
CanteenId = Annotated[UUID, PathParameter(name="canteenId", description="the canteen")]
MealId = Annotated[UUID, PathParameter(name="mealId", description="the meal")]
OrderId = Annotated[UUID, PathParameter(name="orderId", description="the meal order")]
FromDay = Annotated[
    date | None, QueryParameter(name="from", description="first local date (default: today)")
]
ToDay = Annotated[
    date | None,
    QueryParameter(name="to", description="last local date (default: 13 days after from)"),
]


class PublicCanteensController(Controller):
    path = "/canteens"
    tags = (TAG,)
    opt = {"exclude_from_auth": True}  # noqa: RUF012  (Litestar copies it per handler)

    @get("/", operation_id="listCanteens", summary="The elders' canteens")
    async def list_canteens(
        self,
        db_session: NamedDependency[AsyncSession],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[CanteenOut]:
        """Anyone. Every canteen, in the order they were opened, with its delivery area and
        what it takes off a portion for each subsidy tier (fen)."""
        return await service.list_canteens(db_session, limit=limit, cursor=cursor)

    @get(
        "/{canteenId:uuid}",
        operation_id="getCanteen",
        summary="One canteen",
        responses=problem_responses(404),
    )
    async def get_canteen(
        self, canteen_id: CanteenId, db_session: NamedDependency[AsyncSession]
    ) -> CanteenOut:
        """Anyone. A canteen, its delivery area and its subsidies per tier."""
        return await service.get_canteen(db_session, canteen_id)

    @get(
        "/{canteenId:uuid}/meals",
        operation_id="listCanteenMeals",
        summary="A canteen's meals with the portions left",
        responses=problem_responses(404),
    )
    async def list_canteen_meals(
        self,
        canteen_id: CanteenId,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        language: NamedDependency[Language],
        from_: FromDay = None,
        to: ToDay = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[MealOut]:
        """Anyone. The canteen's lunches and dinners from `from` to `to` (at most 62 days),
        in the order ordering closes: dishes (the canteen's own text), price in fen,
        `portionsLeft`, the cutoff, whether ordering is open; the meal's label follows
        `Accept-Language`. Cancelled meals stay listed with their reason."""
        return await service.list_meals(
            db_session,
            canteen_id,
            start=check_day(from_, "from"),
            end=check_day(to, "to"),
            now=clock.now(),
            language=language,
            limit=limit,
            cursor=cursor,
        )


class MealOrdersController(Controller):
    # The resident's paths share no prefix: orders under /meal-orders, their month and the
    # reminder under /me.
    path = "/"
    tags = (TAG,)
    guards = (resident_only,)

    @post(
        "/meal-orders",
        operation_id="orderMeal",
        summary="Order a meal (dine-in or delivered)",
        status_code=201,
        responses=problem_responses(
            404,
            codes={
                409: ("sold_out", "already_ordered"),
                422: (
                    "order_closed",
                    "unknown_member",
                    "delivery_not_allowed",
                    "outside_delivery_area",
                ),
            },
        ),
    )
    async def order_meal(
        self,
        request: Request[AuthUser, Any, Any],
        data: JSONBody[MealOrderIn],
        db_session: NamedDependency[AsyncSession],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[MealOrderOut]:
        """Residents. For the caller, or a member of their household (`memberId`), until the
        meal's cutoff (after it, or for a cancelled meal: 422 `order_closed`). Portions never
        exceed what the canteen offers: 409 `sold_out` when too few are left. One standing
        order per diner and meal (409 `already_ordered`). An elder with a subsidy tier gets the
        canteen's subsidy for that tier off one portion, fixed on the order (`price`,
        `subsidy`, `payable`, fen). `delivery` only for an elder whose care profile has care
        level 2 or more (422 `delivery_not_allowed`) and whose home is inside the canteen's
        delivery area (422 `outside_delivery_area`). The answer carries the `pickupCode`; the
        confirmation also reaches the inbox. Honours `Idempotency-Key`."""
        # The clock, the settings and the language come from the request, not as dependencies:
        # with the session they made a batch Litestar resolves in an anyio task group on every
        # request, a measurable share of the 09:29 rush (as events' registerForEvent found).
        now = clock_of(request).now()
        user = request.user
        settings: Settings = request.app.state.settings
        language = request_language(request)
        # Without a key nothing precedes the order in the session, so its first read (and the
        # rush's refusals, answered from it) runs on the reads' pool, before any transaction.
        # With a key the lock and the stored answer come first, in the session, and so does
        # the read.
        reader = reader_of(request) if idempotency_key is None else None

        async def create() -> tuple[int, MealOrderOut]:
            placed = await service.place_order(
                db_session,
                user.id,
                data,
                now=now,
                data_key=settings.data_key,
                language=language,
                reader=reader,
            )
            return 201, placed

        return await idempotent(request, db_session, user.id, now, create)

    @get(
        "/meal-orders/{orderId:uuid}",
        operation_id="getMealOrder",
        summary="One of the caller's meal orders, with its pickup code",
        responses=problem_responses(404),
    )
    async def get_meal_order(
        self,
        order_id: OrderId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        language: NamedDependency[Language],
    ) -> MealOrderOut:
        """Residents, their own orders (another resident's: 404). The pickup code is shown
        while the order waits to be collected."""
        return await service.get_order(
            db_session, order_id, user.id, data_key=settings.data_key, language=language
        )

    @post(
        "/meal-orders/{orderId:uuid}/cancel",
        operation_id="cancelMealOrder",
        summary="Cancel the caller's meal order before the cutoff",
        status_code=200,
        responses=problem_responses(
            404,
            codes={
                409: ("order_already_cancelled", "order_not_cancellable"),
                422: ("order_closed",),
            },
        ),
    )
    async def cancel_meal_order(
        self,
        order_id: OrderId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        settings: NamedDependency[Settings],
        language: NamedDependency[Language],
    ) -> MealOrderOut:
        """Residents, their own orders, until the meal's cutoff (then 422 `order_closed`):
        the portions go back to the meal at once, nothing is paid or subsidised."""
        return await service.cancel_order(
            db_session,
            order_id,
            user.id,
            now=clock.now(),
            data_key=settings.data_key,
            language=language,
        )

    @get(
        "/me/meal-orders",
        operation_id="listMyMealOrders",
        summary="The caller's meal orders of a month, with the month's totals",
    )
    async def list_my_meal_orders(
        self,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        settings: NamedDependency[Settings],
        language: NamedDependency[Language],
        month: MonthQuery = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> MealOrderStatement:
        """Residents. The orders for meals of `month` (default: this month), newest first,
        and the month's statement: orders, portions, price, subsidy and payable of the orders
        not cancelled (fen)."""
        return await service.my_orders(
            db_session,
            user.id,
            month=month,
            now=clock.now(),
            data_key=settings.data_key,
            language=language,
            limit=limit,
            cursor=cursor,
        )

    @get(
        "/me/meal-reminder",
        operation_id="getMealReminder",
        summary="The caller's reminder before meal cutoffs",
    )
    async def get_meal_reminder(
        self, db_session: NamedDependency[AsyncSession], user: NamedDependency[AuthUser]
    ) -> MealReminderOut:
        """Residents. Whether the caller is reminded before a canteen's cutoffs."""
        return await service.get_reminder(db_session, user.id)

    @put(
        "/me/meal-reminder",
        operation_id="putMealReminder",
        summary="Ask for (or stop) a reminder before meal cutoffs",
        responses=problem_responses(codes={422: ("unknown_canteen",)}),
    )
    async def put_meal_reminder(
        self,
        data: JSONBody[MealReminderIn],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
    ) -> MealReminderOut:
        """Residents. `enabled` with a `canteenId`: `minutesBefore` each meal's cutoff at that
        canteen, an inbox message if the caller has not ordered it yet (one per meal).
        `enabled: false` stops it."""
        return await service.put_reminder(db_session, user.id, data, now=clock.now())


# At the end: the staff controllers import what is above.
from backend.canteen.routes_staff import STAFF_ROUTES  # noqa: E402

ROUTES: list[Any] = [PublicCanteensController, MealOrdersController, *STAFF_ROUTES]
