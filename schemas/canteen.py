"""Wire types of the elders' canteen (长者食堂): canteens, their meals, meal orders, the counter
and the deliveries, the monthly statements and the resident's cutoff reminder."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from msgspec import Meta

from schemas import patterns
from schemas.common import Page, Wire
from schemas.eldercare import Fen, Latitude, Longitude, SubsidyTier
from schemas.identity import single_line

MealKind = Literal["lunch", "dinner"]
MealStatus = Literal["open", "cancelled"]
MealOrderStatus = Literal["confirmed", "collected", "delivered", "uncollected", "cancelled"]

CanteenName = Annotated[str, single_line(100)]
DishName = Annotated[str, single_line(50)]
DishNote = Annotated[
    str,
    Meta(
        max_length=100,
        description="one line of text, may be empty",
        extra_json_schema={"pattern": patterns.SINGLE_LINE_TEXT + "|^$"},
    ),
]
Reason = Annotated[str, single_line(200)]
ClockTime = Annotated[
    str, Meta(pattern=r"^(?:[01]\d|2[0-3]):[0-5]\d$", description="HH:MM in Asia/Shanghai")
]
Portions = Annotated[int, Meta(ge=1, le=5, description="portions in one order (at most 5)")]
MealPortions = Annotated[int, Meta(ge=1, le=5000)]
RadiusMeters = Annotated[int, Meta(ge=0, le=20_000, description="0: no delivery")]
PickupCode = Annotated[str, Meta(min_length=1, max_length=64)]
MinutesBefore = Annotated[int, Meta(ge=15, le=720)]


class Dish(Wire):
    name: DishName
    note: DishNote = ""


class DeliveryArea(Wire):
    """The canteen delivers to elders within ``radiusMeters`` of this point."""

    lat: Latitude
    lng: Longitude
    radius_meters: RadiusMeters


class TierSubsidy(Wire):
    """What the canteen takes off one portion for an elder of this subsidy tier (fen)."""

    tier: SubsidyTier
    amount: Fen


class CanteenIn(Wire):
    name: CanteenName
    venue_id: UUID | None = None
    delivery_area: DeliveryArea | None = None
    subsidies: Annotated[list[TierSubsidy], Meta(max_length=5)] = []  # noqa: RUF012  (msgspec copies it)


class CanteenOut(Wire):
    id: UUID
    name: str
    venue_id: UUID | None
    delivery_area: DeliveryArea | None
    subsidies: list[TierSubsidy]
    created_at: dt.datetime


class MealIn(Wire):
    date: dt.date
    meal: MealKind
    dishes: Annotated[list[Dish], Meta(min_length=1, max_length=12)]
    price: Fen
    portions: MealPortions
    order_cutoff: ClockTime
    serving_until: ClockTime | None = None


class MealOut(Wire):
    id: UUID
    canteen_id: UUID
    date: dt.date
    meal: MealKind
    meal_label: str
    dishes: list[Dish]
    price: int
    portions: int
    portions_left: int
    order_cutoff: str
    orders_close_at: dt.datetime
    serving_until: str
    ordering_open: bool
    status: MealStatus
    cancel_reason: str | None = None


class MealCancelIn(Wire):
    reason: Reason


class MealCancelOut(Wire):
    meal: MealOut
    orders_cancelled: int


class CopyWeekIn(Wire):
    week: Annotated[dt.date, Meta(description="any day of the week to fill; last week is copied")]


class CopyWeekOut(Wire):
    created: list[MealOut]
    skipped: int


class MealOrderIn(Wire):
    meal_id: UUID
    portions: Portions = 1
    delivery: bool = False
    member_id: UUID | None = None


class MealOrderOut(Wire):
    id: UUID
    meal_id: UUID
    canteen_id: UUID
    canteen_name: str
    date: dt.date
    meal: MealKind
    meal_label: str
    diner_name: str
    member_id: UUID | None
    portions: int
    delivery: bool
    status: MealOrderStatus
    price: int
    subsidy: int
    payable: int
    subsidy_tier: SubsidyTier | None
    orders_close_at: dt.datetime
    created_at: dt.datetime
    pickup_code: str | None = None
    collected_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None


class MealOrderStatement(Page[MealOrderOut], kw_only=True):
    """A resident's month: the orders, newest first, and the month's totals of the orders not
    cancelled (cancelled orders cost nothing and are subsidised nothing)."""

    month: str
    orders: int
    portions: int
    price: int
    subsidy: int
    payable: int


class PickupIn(Wire):
    pickup_code: PickupCode


class CounterOut(Wire):
    """An order handed over at the counter or at the door."""

    order_id: UUID
    diner_name: str
    portions: int
    meal: MealKind
    date: dt.date
    delivery: bool
    status: MealOrderStatus
    collected_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None


class DeliveryOut(Wire):
    """One delivery of the day. ``address`` is in full for the canteen's workers on the meal's
    day, masked otherwise (``masked: true``)."""

    order_id: UUID
    meal_id: UUID
    meal: MealKind
    date: dt.date
    diner_name: str
    portions: int
    status: MealOrderStatus
    address: str
    masked: bool
    delivered_at: dt.datetime | None = None


class TierTotals(Wire):
    tier: SubsidyTier | None
    orders: int
    portions: int
    subsidy: int


class CanteenStatement(Wire):
    """A canteen's month for the sub-district: orders not cancelled, portions, what residents
    paid and the subsidy the sub-district owes, by tier (``tier: null``: unsubsidised)."""

    canteen_id: UUID
    month: str
    orders: int
    portions: int
    price: int
    subsidy: int
    payable: int
    by_tier: list[TierTotals]


class MealReminderIn(Wire):
    enabled: bool
    canteen_id: UUID | None = None
    minutes_before: MinutesBefore = 60


class MealReminderOut(Wire):
    enabled: bool
    canteen_id: UUID | None
    minutes_before: int
