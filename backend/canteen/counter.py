"""At the counter and at the door: a pickup code checks an order in once, on the meal's day;
the canteen's deliveries of a day, each marked delivered once; and, at the end of service, the
orders nobody collected marked so (a periodic job).

Handing over changes one order by a conditional ``UPDATE`` (``status = 'confirmed'``): of two
scans racing, exactly one wins. It does not touch the meal's counter, so it takes no meal lock.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.canteen.common import pickup_digest, require_manager, venue_of
from backend.canteen.models import Canteen, Meal, MealOrder
from backend.core.auth import AuthUser, Role
from backend.core.clock import local_date_of, to_local
from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.eldercare import service as eldercare
from backend.jobs import JobContext, periodic
from schemas.canteen import CounterOut, DeliveryOut
from schemas.common import Page

DELIVERIES = Keyset("canteen-deliveries", (UUID,))
END_OF_SERVICE_CRON = "*/5 * * * *"


async def _hand_over(
    session: AsyncSession,
    actor: AuthUser,
    order_id: UUID,
    *,
    delivered: bool,
    now: datetime,
) -> CounterOut:
    found = (
        await session.execute(
            select(MealOrder.status, MealOrder.delivery, Meal.date, Canteen.venue_id)
            .join(Meal, Meal.id == MealOrder.meal_id)
            .join(Canteen, Canteen.id == Meal.canteen_id)
            .where(MealOrder.id == order_id)
        )
    ).one_or_none()
    if found is None:
        raise AppError(404, "not_found")
    await require_manager(session, actor, found.venue_id)
    if delivered and not found.delivery:
        raise AppError(422, "not_a_delivery")
    if local_date_of(now) != found.date:
        raise AppError(422, "not_meal_day")
    stamp = {"delivered_at": now} if delivered else {"collected_at": now}
    done = (
        await session.execute(
            update(MealOrder)
            .where(MealOrder.id == order_id, MealOrder.status == "confirmed")
            .values(
                status="delivered" if delivered else "collected", handed_over_by=actor.id, **stamp
            )
            .returning(
                MealOrder.id,
                MealOrder.diner_name,
                MealOrder.portions,
                MealOrder.delivery,
                MealOrder.status,
                MealOrder.collected_at,
                MealOrder.delivered_at,
            )
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if done is None:
        status = await session.scalar(select(MealOrder.status).where(MealOrder.id == order_id))
        if status == "cancelled":
            raise AppError(409, "order_cancelled")
        # Collected, delivered, or marked uncollected at the end of service: handed over or
        # given up once already.
        raise AppError(409, "already_collected")
    meal = (
        await session.execute(
            select(Meal.meal, Meal.date)
            .join(MealOrder, MealOrder.meal_id == Meal.id)
            .where(MealOrder.id == order_id)
        )
    ).one()
    return CounterOut(
        order_id=done.id,
        diner_name=done.diner_name,
        portions=done.portions,
        meal=meal.meal,
        date=meal.date,
        delivery=done.delivery,
        status=done.status,
        collected_at=to_local(done.collected_at),
        delivered_at=to_local(done.delivered_at),
    )


async def check_in(
    session: AsyncSession, actor: AuthUser, pickup_code: str, *, now: datetime, data_key: bytes
) -> CounterOut:
    """The worker scans the diner's code. Codes are stored as keyed hashes only: the scanned
    one is looked up by its hash; an unknown code is a 404."""
    order_id = await session.scalar(
        select(MealOrder.id).where(MealOrder.pickup_hash == pickup_digest(data_key, pickup_code))
    )
    if order_id is None:
        raise AppError(404, "pickup_code_not_found")
    return await _hand_over(session, actor, order_id, delivered=False, now=now)


async def mark_delivered(
    session: AsyncSession, actor: AuthUser, order_id: UUID, *, now: datetime
) -> CounterOut:
    return await _hand_over(session, actor, order_id, delivered=True, now=now)


async def deliveries(
    session: AsyncSession,
    actor: AuthUser,
    canteen_id: UUID,
    day: date | None,
    *,
    now: datetime,
    data_key: bytes,
    limit: int,
    cursor: str | None,
) -> Page[DeliveryOut]:
    """The day's deliveries (not cancelled), in the order they were placed. The address is
    decrypted only for the canteen's own workers and only on the day itself; an admin, or any
    other day, reads it masked."""
    await require_manager(session, actor, await venue_of(session, canteen_id))
    today = local_date_of(now)
    day = day or today
    after = DELIVERIES.decode(cursor)
    query = (
        select(
            MealOrder.id,
            MealOrder.meal_id,
            MealOrder.diner_name,
            MealOrder.portions,
            MealOrder.status,
            MealOrder.care_profile_id,
            MealOrder.delivered_at,
            Meal.meal,
            Meal.date,
        )
        .join(Meal, Meal.id == MealOrder.meal_id)
        .where(
            Meal.canteen_id == canteen_id,
            Meal.date == day,
            MealOrder.delivery.is_(True),
            MealOrder.status != "cancelled",
        )
    )
    if after is not None:
        query = query.where(MealOrder.id > after[0])
    rows = (await session.execute(query.order_by(MealOrder.id).limit(limit + 1))).all()
    page, next_cursor = DELIVERIES.paginate(rows, limit, lambda r: [r.id])
    full = actor.role == Role.WORKER and day == today
    addresses = await eldercare.delivery_addresses(
        session,
        [r.care_profile_id for r in page if r.care_profile_id is not None],
        data_key=data_key,
        full=full,
    )
    return Page(
        items=[
            DeliveryOut(
                order_id=r.id,
                meal_id=r.meal_id,
                meal=r.meal,
                date=r.date,
                diner_name=r.diner_name,
                portions=r.portions,
                status=r.status,
                address=addresses.get(r.care_profile_id, ""),
                masked=not full,
                delivered_at=to_local(r.delivered_at),
            )
            for r in page
        ],
        next_cursor=next_cursor,
    )


async def mark_uncollected(session: AsyncSession, *, now: datetime) -> int:
    """Orders still confirmed when their meal's serving has ended: nobody came (or the
    delivery was not made). Returns how many were marked."""
    ended = select(Meal.id).where(Meal.serving_ends_at <= now)
    result = await session.execute(
        update(MealOrder)
        .where(MealOrder.status == "confirmed", MealOrder.meal_id.in_(ended))
        .values(status="uncollected")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@periodic("canteen_end_of_service", cron=END_OF_SERVICE_CRON)
async def end_of_service(ctx: JobContext) -> None:
    async with ctx.sessions() as session, session.begin():
        await mark_uncollected(session, now=ctx.clock.now())
