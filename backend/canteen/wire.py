"""Rows → the wire types of schemas/canteen.py (nothing else constructs them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from backend.canteen.common import hhmm, pickup_code_of
from backend.canteen.messages import meal_label
from backend.canteen.models import Canteen, CanteenSubsidy, Meal
from backend.core.clock import to_local
from backend.core.i18n import Language
from schemas.canteen import (
    CanteenOut,
    DeliveryArea,
    Dish,
    MealOrderOut,
    MealOut,
    TierSubsidy,
)


def canteen(row: Canteen, subsidies: Sequence[CanteenSubsidy]) -> CanteenOut:
    area = None
    if row.lat is not None and row.lng is not None and row.delivery_radius_m > 0:
        area = DeliveryArea(lat=row.lat, lng=row.lng, radius_meters=row.delivery_radius_m)
    return CanteenOut(
        id=row.id,
        name=row.name,
        venue_id=row.venue_id,
        delivery_area=area,
        subsidies=[TierSubsidy(tier=s.tier, amount=s.amount) for s in subsidies],
        created_at=to_local(row.created_at),
    )


def meal(row: Meal, language: Language, now: datetime) -> MealOut:
    """``portionsLeft`` and ``orderingOpen`` computed here once, for the time of the read."""
    return MealOut(
        id=row.id,
        canteen_id=row.canteen_id,
        date=row.date,
        meal=row.meal,
        meal_label=meal_label(row.meal, language),
        dishes=[Dish(name=d["name"], note=d.get("note", "")) for d in row.dishes],
        price=row.price,
        portions=row.portions,
        portions_left=row.portions - row.ordered,
        order_cutoff=hhmm(row.order_cutoff),
        orders_close_at=to_local(row.order_cutoff),
        serving_until=hhmm(row.serving_ends_at),
        ordering_open=row.status == "open" and now < row.order_cutoff,
        status=row.status,
        cancel_reason=row.cancel_reason,
    )


def order(row: Any, language: Language, *, data_key: bytes) -> MealOrderOut:
    """An order as its owner reads it (``row``: the order's columns with its meal's ``date``,
    ``meal``, ``order_cutoff``, ``canteen_id`` and ``canteen_name``). The pickup code is shown
    while it can still be used."""
    code = pickup_code_of(data_key, row.pickup_code_enc) if row.status == "confirmed" else None
    return MealOrderOut(
        id=row.id,
        meal_id=row.meal_id,
        canteen_id=row.canteen_id,
        canteen_name=row.canteen_name,
        date=row.date,
        meal=row.meal,
        meal_label=meal_label(row.meal, language),
        diner_name=row.diner_name,
        member_id=row.member_id,
        portions=row.portions,
        delivery=row.delivery,
        status=row.status,
        price=row.price,
        subsidy=row.subsidy,
        payable=row.payable,
        subsidy_tier=row.subsidy_tier,
        orders_close_at=to_local(row.order_cutoff),
        created_at=to_local(row.created_at),
        pickup_code=code,
        collected_at=to_local(row.collected_at),
        delivered_at=to_local(row.delivered_at),
        cancelled_at=to_local(row.cancelled_at),
    )
