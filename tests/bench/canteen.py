"""The meal-order rush (the 09:29 rush at the canteen): its seed, the ceiling's handler and the
check of the database afterwards.

The ceiling does the work Qiyou does for one order, with the same guarantees, in the fewest
round trips asyncpg allows: read the caller's name and care profile and the canteen's subsidy
for their tier, take the portions by the meal row's conditional ``UPDATE`` (never oversold),
insert the order with its sealed pickup code and the inbox message, and queue the message's
push job in the same transaction (procrastinate's own function, as ``notify`` does).
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import uuid_utils.compat

from backend.core.clock import LOCAL_TZ

PICKUP = "meal-pickup-code"
PICKUP_BYTES = 10
PUSH_TASK = "notifications.push"


async def seed_meals(dsn: str, portions: int) -> dict[str, UUID]:
    """A canteen with a subsidy for ``age_80_plus`` and its lunch, for Qiyou's rush and for the
    ceiling's, the day after tomorrow (ordering open for the whole run)."""
    day = datetime.now(LOCAL_TZ).date() + timedelta(days=2)
    conn = await asyncpg.connect(dsn)
    meals: dict[str, UUID] = {}
    try:
        # A canteen each: one open lunch per canteen and day.
        for which in ("ours", "ceiling"):
            canteen_id = uuid_utils.compat.uuid7()
            await conn.execute(
                "INSERT INTO canteens (id, name, lat, lng, delivery_radius_m) "
                "VALUES ($1, $2, 30.752, 120.755, 3000)",
                canteen_id,
                f"高照长者食堂 ({which})",
            )
            await conn.execute(
                "INSERT INTO canteen_subsidies (canteen_id, tier, amount) "
                "VALUES ($1, 'age_80_plus', 500)",
                canteen_id,
            )
            meals[which] = uuid_utils.compat.uuid7()
            await conn.execute(
                "INSERT INTO canteen_meals (id, canteen_id, date, meal, dishes, price, portions, "
                "order_cutoff, serving_ends_at) VALUES ($1, $2, $3, 'lunch', $4::jsonb, 1500, "
                "$5, $6, $7)",
                meals[which],
                canteen_id,
                day,
                msgspec.json.encode([{"name": "嘉兴粽子", "note": ""}]).decode(),
                portions,
                _at(day, time(9, 30)),
                _at(day, time(13, 0)),
            )
    finally:
        await conn.close()
    return meals


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=LOCAL_TZ)


async def meal_check(dsn: str, meal_id: UUID) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            """
            SELECT m.portions, m.ordered,
                   count(o.id) AS orders,
                   coalesce(sum(o.portions) FILTER (WHERE o.status <> 'cancelled'), 0) AS held,
                   count(DISTINCT o.diner_id) AS diners,
                   count(DISTINCT o.pickup_hash) AS codes,
                   (SELECT count(*) FROM notifications AS n
                    WHERE n.kind = 'meal_order_confirmed' AND n.data ->> 'mealId' = m.id::text)
                       AS told
            FROM canteen_meals AS m LEFT JOIN meal_orders AS o ON o.meal_id = m.id
            WHERE m.id = $1
            GROUP BY m.id
            """,
            meal_id,
        )
    finally:
        await conn.close()
    check = dict(row)
    check["oversold"] = max(0, check["held"] - check["portions"])
    check["correct"] = bool(
        check["held"] == check["ordered"] == check["portions"] == check["orders"]
        and check["diners"] == check["codes"] == check["told"] == check["orders"]
    )
    return check


# --- the ceiling's handler ----------------------------------------------------------------------

# The caller's name and own care profile, the meal, the subsidy for the profile's tier; then the
# portions taken (the meal row's conditional UPDATE), the order and the inbox message inserted.
ORDER = """
WITH who AS (
    SELECT u.display_name, p.id AS profile_id, p.subsidy_tier
    FROM users AS u
    LEFT JOIN care_profiles AS p ON p.owner_id = u.id AND p.member_id IS NULL
    WHERE u.id = $2
), taken AS (
    UPDATE canteen_meals AS m SET ordered = m.ordered + $3
    FROM who
    WHERE m.id = $1 AND m.status = 'open' AND m.order_cutoff > $4
      AND m.ordered + $3 <= m.portions
    RETURNING m.id, m.date, m.meal, m.price, m.canteen_id, m.order_cutoff, who.display_name,
              who.profile_id, who.subsidy_tier
), priced AS (
    SELECT t.*, c.name AS canteen_name,
           least(coalesce(s.amount, 0), t.price) AS subsidy, t.price * $3 AS total
    FROM taken AS t
    JOIN canteens AS c ON c.id = t.canteen_id
    LEFT JOIN canteen_subsidies AS s ON s.canteen_id = t.canteen_id AND s.tier = t.subsidy_tier
), ordered AS (
    INSERT INTO meal_orders (id, meal_id, user_id, diner_id, diner_name, portions, delivery,
                             care_profile_id, status, price, subsidy, payable, subsidy_tier,
                             pickup_hash, pickup_code_enc, created_at)
    SELECT $5, p.id, $2, $2, p.display_name, $3, false, p.profile_id, 'confirmed', p.total,
           p.subsidy, p.total - p.subsidy,
           CASE WHEN p.subsidy > 0 THEN p.subsidy_tier END, $6, $7, $4
    FROM priced AS p
), told AS (
    INSERT INTO notifications (id, user_id, kind, data, created_at)
    SELECT $8, $2, 'meal_order_confirmed',
           jsonb_build_object('mealId', p.id::text, 'canteen', p.canteen_name,
                              'date', p.date::text, 'meal', p.meal,
                              'mealZh', CASE p.meal WHEN 'lunch' THEN '午餐' ELSE '晚餐' END,
                              'mealEn', CASE p.meal WHEN 'lunch' THEN 'Lunch' ELSE 'Dinner' END,
                              'orderId', $5::text, 'dinerName', p.display_name,
                              'portions', $3,
                              'payableYuan', to_char((p.total - p.subsidy) / 100.0, 'FM0.00')),
           $4
    FROM priced AS p
)
SELECT * FROM priced
"""
STATE = "SELECT status, order_cutoff, portions - ordered AS left FROM canteen_meals WHERE id = $1"
DEFER = (
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('qiyou', $1, 0, NULL, NULL, $2::jsonb, "
    "NULL)]::procrastinate_job_to_defer_v1[])"
)


def _refused(state: Any, portions: int, now: datetime) -> tuple[int, str] | None:
    if state is None:
        return 404, "not_found"
    if state["status"] != "open" or state["order_cutoff"] <= now:
        return 422, "order_closed"
    if state["left"] < portions:
        return 409, "sold_out"
    return None


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).isoformat()


async def order_meal(
    pool: asyncpg.Pool, codes: Any, user_id: UUID, body: bytes
) -> tuple[int, dict[str, Any] | str]:
    """The ceiling's ``POST /api/v1/meal-orders`` for the caller themself, dine-in: 201 and the
    answer, or the problem code."""
    data = msgspec.json.decode(body)
    meal_id, portions = UUID(data["mealId"]), int(data.get("portions", 1))
    now = datetime.now(UTC)
    order_id, note_id = uuid_utils.compat.uuid7(), uuid_utils.compat.uuid7()
    code = secrets.token_urlsafe(PICKUP_BYTES)
    digest, sealed = codes.seal(PICKUP, code)
    # As Qiyou: a meal closed or sold out when first read is refused from that read.
    refused = _refused(await pool.fetchrow(STATE, meal_id), portions, now)
    if refused is not None:
        return refused
    async with pool.acquire() as conn, conn.transaction():
        try:
            row = await conn.fetchrow(
                ORDER, meal_id, user_id, portions, now, order_id, digest, sealed, note_id
            )
        except asyncpg.UniqueViolationError:
            return 409, "already_ordered"
        if row is None:
            return _refused(await conn.fetchrow(STATE, meal_id), portions, now) or (
                409,
                "sold_out",
            )
        await conn.execute(
            DEFER, PUSH_TASK, msgspec.json.encode({"notificationIds": [str(note_id)]}).decode()
        )
    subsidy, total = row["subsidy"], row["total"]
    return 201, {
        "id": order_id,
        "mealId": meal_id,
        "canteenId": row["canteen_id"],
        "canteenName": row["canteen_name"],
        "date": row["date"].isoformat(),
        "meal": row["meal"],
        "mealLabel": "午餐" if row["meal"] == "lunch" else "晚餐",
        "dinerName": row["display_name"],
        "memberId": None,
        "portions": portions,
        "delivery": False,
        "status": "confirmed",
        "price": total,
        "subsidy": subsidy,
        "payable": total - subsidy,
        "subsidyTier": row["subsidy_tier"] if subsidy > 0 else None,
        "ordersCloseAt": _local(row["order_cutoff"]),
        "createdAt": _local(now),
        "pickupCode": code,
        "collectedAt": None,
        "deliveredAt": None,
        "cancelledAt": None,
    }
