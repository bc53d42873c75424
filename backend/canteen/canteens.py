"""Canteens and their meals: a canteen tied to a hub venue (its workers run it), meals per day
with dishes, price, portions and an order cutoff, last week's menu copied, a meal cancelled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy import select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.canteen import wire
from backend.canteen.common import (
    load_canteen,
    local_moment,
    notice,
    require_manager,
)
from backend.canteen.models import Canteen, CanteenSubsidy, Meal, MealOrder
from backend.core.auth import AuthUser
from backend.core.clock import local_date_of
from backend.core.errors import AppError, invalid_field
from backend.core.i18n import Language
from backend.core.pagination import Keyset
from backend.core.violations import violated_constraint
from backend.hub import service as hub
from backend.identity.service import clean_text
from backend.notifications.service import notify_many
from schemas.canteen import (
    CanteenIn,
    CanteenOut,
    CopyWeekOut,
    MealCancelOut,
    MealIn,
    MealOut,
)
from schemas.common import Page

CANTEENS = Keyset("canteens", (UUID,))
MEALS = Keyset("canteen-meals", (datetime, UUID))
# Where a meal's serving ends when the canteen does not say.
SERVING_UNTIL = {"lunch": "13:00", "dinner": "19:00"}
# The reads' default span: today and the next fortnight.
DEFAULT_SPAN = timedelta(days=13)
MAX_SPAN = timedelta(days=62)


async def _subsidies(
    session: AsyncSession, canteen_ids: Sequence[UUID]
) -> dict[UUID, list[CanteenSubsidy]]:
    rows = (
        await session.scalars(
            select(CanteenSubsidy)
            .where(CanteenSubsidy.canteen_id.in_(canteen_ids))
            .order_by(CanteenSubsidy.canteen_id, CanteenSubsidy.tier)
        )
    ).all()
    found: dict[UUID, list[CanteenSubsidy]] = {i: [] for i in canteen_ids}
    for row in rows:
        found[row.canteen_id].append(row)
    return found


async def create_canteen(
    session: AsyncSession, actor: AuthUser, data: CanteenIn, *, now: datetime
) -> CanteenOut:
    """A worker creates a canteen for a venue they manage; a canteen without a venue, or any
    venue's, is an admin's."""
    name = clean_text(data.name, field="name", max_length=100)
    if data.venue_id is not None:
        try:
            await hub.get_venue(session, data.venue_id)
        except AppError:
            raise invalid_field("venueId", "no such venue", "unknown_venue") from None
    await require_manager(session, actor, data.venue_id)
    tiers = [s.tier for s in data.subsidies]
    if len(set(tiers)) != len(tiers):
        raise invalid_field("subsidies", "names a tier twice")
    area = data.delivery_area
    row = Canteen(
        name=name,
        venue_id=data.venue_id,
        lat=area.lat if area else None,
        lng=area.lng if area else None,
        delivery_radius_m=area.radius_meters if area else 0,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    subsidies = [
        CanteenSubsidy(canteen_id=row.id, tier=s.tier, amount=s.amount) for s in data.subsidies
    ]
    session.add_all(subsidies)
    await session.flush()
    return wire.canteen(row, sorted(subsidies, key=lambda s: s.tier))


async def get_canteen(session: AsyncSession, canteen_id: UUID) -> CanteenOut:
    row = await load_canteen(session, canteen_id)
    return wire.canteen(row, (await _subsidies(session, [row.id]))[row.id])


async def list_canteens(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> Page[CanteenOut]:
    after = CANTEENS.decode(cursor)
    query = select(Canteen)
    if after is not None:
        query = query.where(Canteen.id > after[0])
    rows = (await session.scalars(query.order_by(Canteen.id).limit(limit + 1))).all()
    page, next_cursor = CANTEENS.paginate(rows, limit, lambda row: [row.id])
    subsidies = await _subsidies(session, [c.id for c in page])
    return Page(items=[wire.canteen(c, subsidies[c.id]) for c in page], next_cursor=next_cursor)


def _meal_times(data: MealIn) -> tuple[datetime, datetime]:
    cutoff = local_moment(data.date, data.order_cutoff)
    ends = local_moment(data.date, data.serving_until or SERVING_UNTIL[data.meal])
    if cutoff >= ends:
        raise invalid_field("orderCutoff", "must be before the end of serving")
    return cutoff, ends


async def create_meal(
    session: AsyncSession,
    actor: AuthUser,
    canteen_id: UUID,
    data: MealIn,
    *,
    now: datetime,
    language: Language,
) -> MealOut:
    canteen = await load_canteen(session, canteen_id)
    await require_manager(session, actor, canteen.venue_id)
    cutoff, ends = _meal_times(data)
    if cutoff <= now:
        raise AppError(422, "meal_in_past")
    dishes = [
        {
            "name": clean_text(d.name, field=f"dishes[{i}].name", max_length=50),
            "note": d.note.strip(),
        }
        for i, d in enumerate(data.dishes)
    ]
    row = Meal(
        canteen_id=canteen_id,
        date=data.date,
        meal=data.meal,
        dishes=dishes,
        price=data.price,
        portions=data.portions,
        ordered=0,
        order_cutoff=cutoff,
        serving_ends_at=ends,
        status="open",
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        if violated_constraint(exc) == "uq_canteen_meals_open":
            raise AppError(409, "meal_exists") from exc
        raise
    return wire.meal(row, language, now)


async def list_meals(
    session: AsyncSession,
    canteen_id: UUID,
    *,
    start: date | None,
    end: date | None,
    now: datetime,
    language: Language,
    limit: int,
    cursor: str | None,
) -> Page[MealOut]:
    """The canteen's meals from ``start`` (default today) to ``end`` (default two weeks on), in
    the order their ordering closes."""
    await load_canteen(session, canteen_id)
    start = start or local_date_of(now)
    end = end or start + DEFAULT_SPAN
    if end < start:
        raise invalid_field("to", "must not be before from")
    if end - start > MAX_SPAN:
        raise invalid_field("to", "at most 62 days after from")
    after = MEALS.decode(cursor)
    query = select(Meal).where(Meal.canteen_id == canteen_id, Meal.date.between(start, end))
    if after is not None:
        query = query.where(tuple_(Meal.order_cutoff, Meal.id) > tuple_(after[0], after[1]))
    rows = (
        await session.scalars(query.order_by(Meal.order_cutoff, Meal.id).limit(limit + 1))
    ).all()
    page, next_cursor = MEALS.paginate(rows, limit, lambda m: [m.order_cutoff, m.id])
    return Page(items=[wire.meal(m, language, now) for m in page], next_cursor=next_cursor)


async def copy_last_week(
    session: AsyncSession,
    actor: AuthUser,
    canteen_id: UUID,
    week: date,
    *,
    now: datetime,
    language: Language,
) -> CopyWeekOut:
    """Last week's open meals again in the week of ``week`` (Monday to Sunday), same dishes,
    price, portions, cutoff and serving times, nothing ordered. A meal the week already has, or
    whose cutoff would be past, is skipped."""
    canteen = await load_canteen(session, canteen_id)
    await require_manager(session, actor, canteen.venue_id)
    monday = week - timedelta(days=week.weekday())
    source = (
        await session.scalars(
            select(Meal)
            .where(
                Meal.canteen_id == canteen_id,
                Meal.status == "open",
                Meal.date.between(monday - timedelta(days=7), monday - timedelta(days=1)),
            )
            .order_by(Meal.order_cutoff)
        )
    ).all()
    week_later = timedelta(days=7)
    rows = [
        {
            "canteen_id": canteen_id,
            "date": m.date + week_later,
            "meal": m.meal,
            "dishes": m.dishes,
            "price": m.price,
            "portions": m.portions,
            "ordered": 0,
            "order_cutoff": m.order_cutoff + week_later,
            "serving_ends_at": m.serving_ends_at + week_later,
            "status": "open",
            "created_at": now,
            "updated_at": now,
        }
        for m in source
        if m.order_cutoff + week_later > now
    ]
    created: list[Meal] = []
    if rows:
        created = list(
            (
                await session.scalars(
                    pg_insert(Meal)
                    .values(rows)
                    .on_conflict_do_nothing(
                        index_elements=["canteen_id", "date", "meal"],
                        index_where=Meal.status == "open",
                    )
                    .returning(Meal)
                )
            ).all()
        )
    created.sort(key=lambda m: m.order_cutoff)
    return CopyWeekOut(
        created=[wire.meal(m, language, now) for m in created],
        skipped=len(source) - len(created),
    )


async def cancel_meal(
    session: AsyncSession,
    actor: AuthUser,
    meal_id: UUID,
    reason: str,
    *,
    now: datetime,
    language: Language,
) -> MealCancelOut:
    """The canteen calls a meal off: every order not yet handed over is cancelled, its
    portions and subsidy returned, and its owner told — one statement for all of them, in the
    transaction that cancels the meal. Lock order: the meal row, then its orders."""
    meal = (
        await session.scalars(
            select(Meal)
            .where(Meal.id == meal_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one_or_none()
    if meal is None:
        raise AppError(404, "not_found")
    canteen = await load_canteen(session, meal.canteen_id)
    await require_manager(session, actor, canteen.venue_id)
    if meal.status == "cancelled":
        raise AppError(409, "meal_already_cancelled")
    if now >= meal.serving_ends_at:
        raise AppError(422, "meal_served")
    reason = clean_text(reason, field="reason", max_length=200)
    cancelled = (
        await session.execute(
            update(MealOrder)
            .where(MealOrder.meal_id == meal_id, MealOrder.status == "confirmed")
            .values(status="cancelled", cancelled_at=now, cancel_reason="meal_cancelled")
            .returning(MealOrder.user_id, MealOrder.portions)
            .execution_options(synchronize_session=False)
        )
    ).all()
    meal.status, meal.cancelled_at, meal.cancel_reason = "cancelled", now, reason
    meal.ordered -= sum(row.portions for row in cancelled)
    meal.updated_at = now
    await session.flush()
    owners = list(dict.fromkeys(row.user_id for row in cancelled))
    await notify_many(
        session,
        user_ids=owners,
        kind="meal_cancelled",
        data={**notice(meal, canteen.name), "reason": reason},
    )
    return MealCancelOut(meal=wire.meal(meal, language, now), orders_cancelled=len(cancelled))
