"""A canteen's month for the sub-district: orders, portions, what residents paid and the
subsidy owed, by subsidy tier; and the same orders as a CSV file for Excel."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.canteen.common import require_manager, venue_of
from backend.canteen.models import Meal, MealOrder
from backend.core.auth import AuthUser
from backend.core.clock import LOCAL_TZ
from backend.core.months import month_of
from backend.core.spreadsheets import csv_cell, csv_file
from schemas.canteen import CanteenStatement, TierTotals

_CSV_HEADER = (
    "订单号 order",
    "日期 date",
    "餐次 meal",
    "用餐人 diner",
    "份数 portions",
    "送餐 delivery",
    "状态 status",
    "补贴档 tier",
    "金额 price (fen)",
    "补贴 subsidy (fen)",
    "实付 payable (fen)",
    "下单时间 ordered at",
)


async def canteen_statement(
    session: AsyncSession, actor: AuthUser, canteen_id: UUID, month: str | None, *, now: datetime
) -> CanteenStatement:
    await require_manager(session, actor, await venue_of(session, canteen_id))
    chosen = month_of(month, now)
    rows = (
        await session.execute(
            select(
                MealOrder.subsidy_tier,
                func.count(),
                func.sum(MealOrder.portions),
                func.sum(MealOrder.price),
                func.sum(MealOrder.subsidy),
                func.sum(MealOrder.payable),
            )
            .join(Meal, Meal.id == MealOrder.meal_id)
            .where(
                Meal.canteen_id == canteen_id,
                Meal.date >= chosen.first,
                Meal.date < chosen.following,
                MealOrder.status != "cancelled",
            )
            .group_by(MealOrder.subsidy_tier)
            .order_by(MealOrder.subsidy_tier.nulls_last())
        )
    ).all()
    return CanteenStatement(
        canteen_id=canteen_id,
        month=chosen.label,
        orders=sum(r[1] for r in rows),
        portions=sum(r[2] for r in rows),
        price=sum(r[3] for r in rows),
        subsidy=sum(r[4] for r in rows),
        payable=sum(r[5] for r in rows),
        by_tier=[TierTotals(tier=r[0], orders=r[1], portions=r[2], subsidy=r[4]) for r in rows],
    )


async def canteen_statement_csv(
    session: AsyncSession, actor: AuthUser, canteen_id: UUID, month: str | None, *, now: datetime
) -> tuple[str, bytes]:
    """Every order of the month's meals, cancelled ones too (their subsidy is 0 in the
    statement's sums: they are marked so), UTF-8 with BOM so Excel reads the names."""
    await require_manager(session, actor, await venue_of(session, canteen_id))
    chosen = month_of(month, now)
    rows = (
        await session.execute(
            select(MealOrder, Meal.date, Meal.meal)
            .join(Meal, Meal.id == MealOrder.meal_id)
            .where(
                Meal.canteen_id == canteen_id,
                Meal.date >= chosen.first,
                Meal.date < chosen.following,
            )
            .order_by(Meal.date, Meal.meal, MealOrder.id)
        )
    ).all()
    lines = [
        (
            str(order.id),
            day.isoformat(),
            meal,
            csv_cell(order.diner_name),
            order.portions,
            "yes" if order.delivery else "no",
            order.status,
            order.subsidy_tier or "",
            order.price,
            order.subsidy,
            order.payable,
            order.created_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
        )
        for order, day, meal in rows
    ]
    filename = f"canteen-{canteen_id}-{chosen.label}.csv"
    return filename, csv_file(_CSV_HEADER, lines)
