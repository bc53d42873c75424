"""The canteen's staff routes: its workers (the workers of its hub venue) and admins. The role
is the guard's (``worker_or_admin``, declared once per controller); which canteen a worker may
run is the service's one rule (``common.manages_canteen``): another venue's worker gets 403."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.canteen import service
from backend.canteen.common import check_day
from backend.canteen.routes import TAG, CanteenId, MealId, OrderId
from backend.config import Settings
from backend.core.auth import AuthUser, worker_or_admin
from backend.core.clock import Clock
from backend.core.errors import problem_responses
from backend.core.i18n import Language
from backend.core.idempotency import IdempotencyKeyHeader, idempotent
from backend.core.months import MonthQuery
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.core.spreadsheets import csv_answer
from schemas.canteen import (
    CanteenIn,
    CanteenOut,
    CanteenStatement,
    CopyWeekIn,
    CopyWeekOut,
    CounterOut,
    DeliveryOut,
    MealCancelIn,
    MealCancelOut,
    MealIn,
    MealOut,
    PickupIn,
)
from schemas.common import Page

Day = Annotated[
    date | None, QueryParameter(name="date", description="a local date (default: today)")
]


class ManagedCanteensController(Controller):
    path = "/manage/canteens"
    tags = (TAG,)
    guards = (worker_or_admin,)

    @post(
        "/",
        operation_id="createCanteen",
        summary="Open a canteen",
        status_code=201,
        responses=problem_responses(codes={422: ("unknown_venue",)}),
    )
    async def create_canteen(
        self,
        request: Request[AuthUser, Any, Any],
        data: JSONBody[CanteenIn],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[CanteenOut]:
        """Workers, for a hub venue assigned to them (its workers then run the canteen), and
        admins, for any venue or none. `deliveryArea` (a centre and a radius in metres) is
        where the canteen delivers; `subsidies` what it takes off one portion for an elder of
        each subsidy tier (fen). Honours `Idempotency-Key`."""
        now = clock.now()
        user = request.user

        async def create() -> tuple[int, CanteenOut]:
            return 201, await service.create_canteen(db_session, user, data, now=now)

        return await idempotent(request, db_session, user.id, now, create)

    @post(
        "/{canteenId:uuid}/meals",
        operation_id="createMeal",
        summary="Publish a meal",
        status_code=201,
        responses=problem_responses(404, codes={409: ("meal_exists",), 422: ("meal_in_past",)}),
    )
    async def create_meal(
        self,
        request: Request[AuthUser, Any, Any],
        canteen_id: CanteenId,
        data: JSONBody[MealIn],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        language: NamedDependency[Language],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[MealOut]:
        """The canteen's workers and admins. A lunch or dinner on `date`: dishes, price (fen),
        portions, `orderCutoff` and `servingUntil` (local HH:MM of that day; serving ends at
        13:00 for lunch and 19:00 for dinner unless given). One open lunch and one open
        dinner per canteen and day (409 `meal_exists`); a cutoff already past: 422
        `meal_in_past`. Honours `Idempotency-Key`."""
        now = clock.now()
        user = request.user
        check_day(data.date, "date")

        async def create() -> tuple[int, MealOut]:
            created = await service.create_meal(
                db_session, user, canteen_id, data, now=now, language=language
            )
            return 201, created

        return await idempotent(request, db_session, user.id, now, create)

    @post(
        "/{canteenId:uuid}/meals/copy-week",
        operation_id="copyLastWeeksMeals",
        summary="Copy last week's menu into a week",
        status_code=201,
        responses=problem_responses(404),
    )
    async def copy_last_weeks_meals(
        self,
        request: Request[AuthUser, Any, Any],
        canteen_id: CanteenId,
        data: JSONBody[CopyWeekIn],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        language: NamedDependency[Language],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[CopyWeekOut]:
        """The canteen's workers and admins. The open meals of the week before `week`'s
        (Monday to Sunday) again, seven days later: same dishes, price, portions and times,
        nothing ordered. Meals the week already has, and meals whose cutoff would be past,
        are skipped (`skipped`). Honours `Idempotency-Key`."""
        now = clock.now()
        user = request.user
        week = check_day(data.week, "week")
        assert week is not None

        async def create() -> tuple[int, CopyWeekOut]:
            copied = await service.copy_last_week(
                db_session, user, canteen_id, week, now=now, language=language
            )
            return 201, copied

        return await idempotent(request, db_session, user.id, now, create)

    @get(
        "/{canteenId:uuid}/deliveries",
        operation_id="listCanteenDeliveries",
        summary="The canteen's deliveries of a day",
        responses=problem_responses(404),
    )
    async def list_canteen_deliveries(
        self,
        canteen_id: CanteenId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        settings: NamedDependency[Settings],
        date: Day = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[DeliveryOut]:
        """The canteen's workers (and admins). The orders to deliver on `date` (default
        today) for elders who cannot come. The home address is shown in full only to the
        canteen's workers and only on that day; otherwise masked (`masked: true`)."""
        return await service.deliveries(
            db_session,
            user,
            canteen_id,
            check_day(date, "date"),
            now=clock.now(),
            data_key=settings.data_key,
            limit=limit,
            cursor=cursor,
        )

    @get(
        "/{canteenId:uuid}/statement",
        operation_id="getCanteenStatement",
        summary="A canteen's month: orders, portions, subsidy by tier",
        responses=problem_responses(404),
    )
    async def get_canteen_statement(
        self,
        canteen_id: CanteenId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        month: MonthQuery = None,
    ) -> CanteenStatement:
        """The canteen's workers and admins, for the sub-district's accounts. Orders not
        cancelled for meals of `month` (default: this month): their number, portions, price,
        subsidy owed and payable (fen), in total and by subsidy tier."""
        return await service.canteen_statement(db_session, user, canteen_id, month, now=clock.now())

    @get(
        "/{canteenId:uuid}/statement.csv",
        operation_id="downloadCanteenStatement",
        summary="A canteen's month as a CSV file (UTF-8 with BOM, for Excel)",
        media_type="text/csv; charset=utf-8",
        responses=problem_responses(404),
    )
    async def download_canteen_statement(
        self,
        canteen_id: CanteenId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        month: MonthQuery = None,
    ) -> Response[bytes]:
        """The canteen's workers and admins. Every order for meals of `month`, cancelled ones
        marked, one line each, amounts in fen and times local."""
        return csv_answer(
            *await service.canteen_statement_csv(
                db_session, user, canteen_id, month, now=clock.now()
            )
        )


class ManagedMealsController(Controller):
    path = "/manage/meals"
    tags = (TAG,)
    guards = (worker_or_admin,)

    @post(
        "/{mealId:uuid}/cancel",
        operation_id="cancelMeal",
        summary="Cancel a meal and every order of it",
        status_code=200,
        responses=problem_responses(
            404, codes={409: ("meal_already_cancelled",), 422: ("meal_served",)}
        ),
    )
    async def cancel_meal(
        self,
        meal_id: MealId,
        data: JSONBody[MealCancelIn],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        language: NamedDependency[Language],
    ) -> MealCancelOut:
        """The canteen's workers and admins, until serving ends. Every order not yet handed
        over is cancelled with it (nothing paid, no subsidy) and its owner told, with the
        `reason`."""
        return await service.cancel_meal(
            db_session, user, meal_id, data.reason, now=clock.now(), language=language
        )


class ManagedMealOrdersController(Controller):
    path = "/manage/meal-orders"
    tags = (TAG,)
    guards = (worker_or_admin,)

    @post(
        "/check-in",
        operation_id="checkInMealOrder",
        summary="Hand an order over at the counter (once)",
        status_code=200,
        responses=problem_responses(
            describe={404: "No order has this pickup code (`pickup_code_not_found`)."},
            codes={
                404: ("pickup_code_not_found",),
                409: ("already_collected", "order_cancelled"),
                422: ("not_meal_day",),
            },
        ),
    )
    async def check_in_meal_order(
        self,
        data: JSONBody[PickupIn],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        settings: NamedDependency[Settings],
    ) -> CounterOut:
        """The canteen's workers and admins, on the meal's date (422 `not_meal_day`). A
        pickup code hands its order over once: a second scan, even a simultaneous one, is 409
        `already_collected`."""
        return await service.check_in(
            db_session, user, data.pickup_code, now=clock.now(), data_key=settings.data_key
        )

    @post(
        "/{orderId:uuid}/delivered",
        operation_id="markMealDelivered",
        summary="Mark a delivery delivered (once)",
        status_code=200,
        responses=problem_responses(
            404,
            codes={
                409: ("already_collected", "order_cancelled"),
                422: ("not_meal_day", "not_a_delivery"),
            },
        ),
    )
    async def mark_meal_delivered(
        self,
        order_id: OrderId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
    ) -> CounterOut:
        """The canteen's workers and admins, on the meal's date: a delivery order handed over
        at the elder's door, once."""
        return await service.mark_delivered(db_session, user, order_id, now=clock.now())


STAFF_ROUTES: list[Any] = [
    ManagedCanteensController,
    ManagedMealsController,
    ManagedMealOrdersController,
]
