"""Ordering a meal, for oneself or a household member, dine-in or delivered; cancelling before
the cutoff; the resident's orders and their month.

Portions are taken by one conditional ``UPDATE`` of the meal row (``ordered + n <=
portions``): parallel orders queue on that row and the later ones find fewer portions, so
nothing is oversold whatever the concurrency. One active order per diner and meal is a partial
unique index. The subsidy is decided here and stored with the order: a later change of the
canteen's subsidies or the elder's tier does not move it.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import Select, Uuid, and_, bindparam, func, insert, select, true, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.canteen import wire
from backend.canteen.common import new_pickup_code, notice, yuan
from backend.canteen.models import Canteen, CanteenSubsidy, Meal, MealOrder
from backend.core.base import new_id
from backend.core.errors import AppError, invalid_field
from backend.core.geo import distance_metres
from backend.core.i18n import Language
from backend.core.months import month_of
from backend.core.pagination import Keyset
from backend.core.reads import Attributes, Query, Reader
from backend.core.violations import violated_constraint
from backend.eldercare import service as eldercare
from backend.identity import lookup
from backend.notifications.service import notify
from schemas.canteen import MealOrderIn, MealOrderOut, MealOrderStatement

# Delivery is for elders who cannot come: a care profile at care level 2 ("needs help") or
# higher, as the household and the community worker recorded it (docs/canteen.md).
DELIVERY_CARE_LEVEL = 2
MY_ORDERS = Keyset("my-meal-orders", (UUID,))


def order_query() -> Select[*tuple[Any, ...]]:
    """An order with what its owner reads of its meal and canteen."""
    return (
        select(
            MealOrder,
            Meal.date,
            Meal.meal,
            Meal.order_cutoff,
            Meal.canteen_id,
            Canteen.name.label("canteen_name"),
        )
        .join(Meal, Meal.id == MealOrder.meal_id)
        .join(Canteen, Canteen.id == Meal.canteen_id)
    )


def _flat(row: Any) -> SimpleNamespace:
    order: MealOrder = row[0]
    values = {c.key: getattr(order, c.key) for c in MealOrder.__table__.columns}
    return SimpleNamespace(
        **values,
        date=row.date,
        meal=row.meal,
        order_cutoff=row.order_cutoff,
        canteen_id=row.canteen_id,
        canteen_name=row.canteen_name,
    )


async def _refusal(session: AsyncSession, meal_id: UUID, portions: int, now: datetime) -> None:
    """Raise what refuses the order on the meal as it stands (closed or too few portions)."""
    state = (
        await session.execute(
            select(Meal.status, Meal.order_cutoff, Meal.portions - Meal.ordered).where(
                Meal.id == meal_id
            )
        )
    ).one()
    if state[0] != "open" or state[1] <= now:
        raise AppError(422, "order_closed")
    if state[2] < portions:
        raise AppError(409, "sold_out")


# --- ordering ----------------------------------------------------------------------------------
#
# Everything the order needs before its deciding UPDATE is one statement, built and compiled once
# (as the events' registration): the meal and its canteen, the diner's name (identity's), their
# own care profile (eldercare's) and the canteen's subsidy for its tier. The same statement
# decides a refusal of a meal closed or sold out when read.

_MEAL_ID = bindparam("meal", type_=Uuid)
_USER_ID = bindparam("user", type_=Uuid)
_MEMBER_ID = bindparam("member", type_=Uuid)


def _first_read(*, for_member: bool) -> Select[*tuple[Any, ...]]:
    """``for_member``: the order is for a member of the caller's household (``member``); the
    diner's name is NULL when it is none. Otherwise for the caller (NULL: no such account)."""
    profile = eldercare.meal_profile_select(_USER_ID, _MEMBER_ID if for_member else None)
    mine = profile.subquery("profile")
    diner = (
        lookup.member_name_of(_MEMBER_ID, owner_id=_USER_ID)
        if for_member
        else lookup.display_name_of(_USER_ID)
    )
    return (
        select(
            Meal.id,
            Meal.date,
            Meal.meal,
            Meal.price,
            Meal.canteen_id,
            Meal.order_cutoff,
            Meal.status,
            (Meal.portions - Meal.ordered).label("left"),
            Canteen.name.label("canteen_name"),
            Canteen.lat,
            Canteen.lng,
            Canteen.delivery_radius_m,
            diner.label("diner_name"),
            mine.c.profile_id,
            mine.c.subsidy_tier,
            mine.c.care_level,
            mine.c.lat.label("home_lat"),
            mine.c.lng.label("home_lng"),
            CanteenSubsidy.amount.label("subsidy_amount"),
        )
        .select_from(Meal)
        .join(Canteen, Canteen.id == Meal.canteen_id)
        .outerjoin(mine, true())
        .outerjoin(
            CanteenSubsidy,
            and_(
                CanteenSubsidy.canteen_id == Meal.canteen_id,
                CanteenSubsidy.tier == mine.c.subsidy_tier,
            ),
        )
        .where(Meal.id == _MEAL_ID)
    )


FIRST_READ = {"self": _first_read(for_member=False), "member": _first_read(for_member=True)}
_FIRST_READ_SQL = {way: Query.compile(statement) for way, statement in FIRST_READ.items()}


async def _read_first(
    session: AsyncSession, reader: Reader | None, user_id: UUID, data: MealOrderIn
) -> Any:
    way = "self" if data.member_id is None else "member"
    params: dict[str, Any] = {"meal": data.meal_id, "user": user_id}
    if data.member_id is not None:
        params["member"] = data.member_id
    if reader is not None:
        record = await reader.fetchrow(_FIRST_READ_SQL[way], **params)
        return Attributes(record) if record is not None else None
    return (await session.execute(FIRST_READ[way], params)).one_or_none()


async def place_order(
    session: AsyncSession,
    user_id: UUID,
    data: MealOrderIn,
    *,
    now: datetime,
    data_key: bytes,
    language: Language,
    reader: Reader | None = None,
) -> MealOrderOut:
    """Everything the order needs is read (one statement) and written first; the deciding
    ``UPDATE`` of the meal row comes last, so its lock is held from that statement to the
    commit right after it (a rush queues on that lock). If it refuses, the transaction rolls
    back what came before. A meal already closed or sold out when first read is refused at
    once: it was so at that moment, and the rush's refusals then cost one read instead of a
    wait for the lock.

    ``reader``: the caller has no other business in the session before the order (no
    ``Idempotency-Key`` answer to look up), so the first read runs on the reads' pool, outside
    any transaction; a refusal is then answered without one ever being opened. The reads are
    not made consistent with the writes by the session's transaction anyway (READ COMMITTED):
    only the deciding ``UPDATE`` decides."""
    meal = await _read_first(session, reader, user_id, data)
    if meal is None:
        raise AppError(404, "not_found")
    if meal.status != "open" or meal.order_cutoff <= now:
        raise AppError(422, "order_closed")
    if meal.left < data.portions:
        raise AppError(409, "sold_out")
    diner_name = meal.diner_name
    if diner_name is None:
        if data.member_id is not None:
            raise invalid_field("memberId", "not a member of your household", "unknown_member")
        # A token outliving its account.
        raise AppError(401, "unauthorized")
    profile_id = meal.profile_id
    if data.delivery:
        if profile_id is None or meal.care_level < DELIVERY_CARE_LEVEL:
            raise AppError(422, "delivery_not_allowed")
        if (
            meal.delivery_radius_m == 0
            or meal.lat is None
            or distance_metres(meal.lat, meal.lng, meal.home_lat, meal.home_lng)
            > meal.delivery_radius_m
        ):
            raise AppError(422, "outside_delivery_area")
    tier = meal.subsidy_tier
    # One portion is the elder's own; further portions are at full price.
    subsidy = min(meal.subsidy_amount or 0, meal.price) if tier is not None else 0
    price = meal.price * data.portions
    code = new_pickup_code(data_key)
    values = {
        "id": new_id(),
        "meal_id": data.meal_id,
        "user_id": user_id,
        "member_id": data.member_id,
        "diner_id": data.member_id or user_id,
        "diner_name": diner_name,
        "portions": data.portions,
        "delivery": data.delivery,
        "care_profile_id": profile_id,
        "status": "confirmed",
        "price": price,
        "subsidy": subsidy,
        "payable": price - subsidy,
        "subsidy_tier": tier if subsidy > 0 else None,
        "pickup_hash": code.digest,
        "pickup_code_enc": code.sealed,
        "created_at": now,
    }
    try:
        await session.execute(insert(MealOrder).values(values))
    except IntegrityError as exc:
        if violated_constraint(exc) == "uq_meal_orders_one_per_diner":
            raise AppError(409, "already_ordered") from exc
        raise
    await notify(
        session,
        user_id=user_id,
        kind="meal_order_confirmed",
        data={
            **notice(meal, meal.canteen_name),
            "orderId": str(values["id"]),
            "dinerName": diner_name,
            "portions": data.portions,
            "payableYuan": yuan(price - subsidy),
        },
    )
    # The decision: the portions are taken here or not at all (and then nothing above stays).
    taken = (
        await session.execute(
            update(Meal)
            .where(
                Meal.id == data.meal_id,
                Meal.status == "open",
                Meal.order_cutoff > now,
                Meal.ordered + data.portions <= Meal.portions,
            )
            .values(ordered=Meal.ordered + data.portions)
            .returning(Meal.id)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if taken is None:
        await _refusal(session, data.meal_id, data.portions, now)
        # Portions were freed between the refusal and its explanation: try again.
        raise AppError(409, "sold_out")
    row = SimpleNamespace(
        **values,
        collected_at=None,
        delivered_at=None,
        cancelled_at=None,
        date=meal.date,
        meal=meal.meal,
        order_cutoff=meal.order_cutoff,
        canteen_id=meal.canteen_id,
        canteen_name=meal.canteen_name,
    )
    return wire.order(row, language, data_key=data_key)


async def get_order(
    session: AsyncSession, order_id: UUID, user_id: UUID, *, data_key: bytes, language: Language
) -> MealOrderOut:
    row = (
        await session.execute(
            order_query().where(MealOrder.id == order_id, MealOrder.user_id == user_id)
        )
    ).one_or_none()
    if row is None:
        raise AppError(404, "not_found")
    return wire.order(_flat(row), language, data_key=data_key)


async def cancel_order(
    session: AsyncSession,
    order_id: UUID,
    user_id: UUID,
    *,
    now: datetime,
    data_key: bytes,
    language: Language,
) -> MealOrderOut:
    """The owner cancels before the cutoff; the portions go back to the meal in the same
    transaction. Lock order: the meal row first (as placing an order and cancelling the meal),
    then the order, by a conditional UPDATE that a parallel check-in cannot slip past."""
    meal_id = await session.scalar(
        select(MealOrder.meal_id).where(MealOrder.id == order_id, MealOrder.user_id == user_id)
    )
    if meal_id is None:
        raise AppError(404, "not_found")
    meal = (
        await session.scalars(
            select(Meal)
            .where(Meal.id == meal_id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    ).one()
    status = await session.scalar(select(MealOrder.status).where(MealOrder.id == order_id))
    if status == "cancelled":
        raise AppError(409, "order_already_cancelled")
    if status != "confirmed":
        raise AppError(409, "order_not_cancellable")
    if now >= meal.order_cutoff or meal.status != "open":
        raise AppError(422, "order_closed")
    portions = await session.scalar(
        update(MealOrder)
        .where(MealOrder.id == order_id, MealOrder.status == "confirmed")
        .values(status="cancelled", cancelled_at=now, cancel_reason="owner")
        .returning(MealOrder.portions)
        .execution_options(synchronize_session=False)
    )
    if portions is None:
        raise AppError(409, "order_not_cancellable")
    meal.ordered -= portions
    meal.updated_at = now
    await session.flush()
    return await get_order(session, order_id, user_id, data_key=data_key, language=language)


async def my_orders(
    session: AsyncSession,
    user_id: UUID,
    *,
    month: str | None,
    now: datetime,
    data_key: bytes,
    language: Language,
    limit: int,
    cursor: str | None,
) -> MealOrderStatement:
    """The resident's orders for meals of one Asia/Shanghai month, newest first, and the
    month's totals (orders not cancelled)."""
    chosen = month_of(month, now)
    in_month = (
        MealOrder.user_id == user_id,
        Meal.date >= chosen.first,
        Meal.date < chosen.following,
    )
    after = MY_ORDERS.decode(cursor)
    query = order_query().where(*in_month)
    if after is not None:
        query = query.where(tuple_(MealOrder.id) < tuple_(after[0]))
    rows = (await session.execute(query.order_by(MealOrder.id.desc()).limit(limit + 1))).all()
    page, next_cursor = MY_ORDERS.paginate(rows, limit, lambda r: [r[0].id])
    totals = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(MealOrder.portions), 0),
                func.coalesce(func.sum(MealOrder.price), 0),
                func.coalesce(func.sum(MealOrder.subsidy), 0),
                func.coalesce(func.sum(MealOrder.payable), 0),
            )
            .join(Meal, Meal.id == MealOrder.meal_id)
            .where(*in_month, MealOrder.status != "cancelled")
        )
    ).one()
    return MealOrderStatement(
        items=[wire.order(_flat(r), language, data_key=data_key) for r in page],
        next_cursor=next_cursor,
        month=chosen.label,
        orders=totals[0],
        portions=totals[1],
        price=totals[2],
        subsidy=totals[3],
        payable=totals[4],
    )
