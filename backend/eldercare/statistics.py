"""The staff's monthly views of home care: statistics per provider and service, the same as a
CSV file, and the month's electronic-visit-verification (EVV) records as a CSV file.

A month is an Asia/Shanghai month, and an order belongs to the month its visit starts in. A
dispatcher sees their own provider's orders only; workers and admins every provider's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, FunctionFilter, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.core.clock import LOCAL_TZ
from backend.core.months import month_of
from backend.core.spreadsheets import csv_cell, csv_file
from backend.eldercare.models import CareOrder, CareProvider, CareService, CareVisit
from backend.eldercare.visits import service_names
from backend.identity.models import HouseholdMember, User
from schemas.care_visits import CareStatisticsOut, CareStatisticsRow


def _in_month(
    start: datetime, end: datetime, provider_id: UUID | None
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [CareOrder.starts_at >= start, CareOrder.starts_at < end]
    if provider_id is not None:
        where.append(CareOrder.provider_id == provider_id)
    return where


def _count(condition: ColumnElement[bool]) -> FunctionFilter[int]:
    return func.count().filter(condition)


async def statistics(
    session: AsyncSession, *, month: str | None, provider_id: UUID | None, now: datetime
) -> CareStatisticsOut:
    chosen = month_of(month, now)
    label, start, end = chosen.label, chosen.start, chosen.end
    completed = CareOrder.status == "completed"
    minutes = func.floor(func.extract("epoch", CareVisit.check_out_at - CareVisit.check_in_at) / 60)
    query = (
        select(
            CareOrder.provider_id,
            CareProvider.name,
            CareOrder.service_code,
            func.count().label("orders"),
            _count(completed).label("completed"),
            _count(CareOrder.status == "missed").label("missed"),
            _count(CareOrder.status == "disputed").label("disputed"),
            _count(CareOrder.status == "cancelled").label("cancelled"),
            func.avg(CareOrder.rating).label("rating"),
            func.coalesce(func.sum(minutes).filter(completed), 0).label("minutes"),
            func.coalesce(func.sum(CareOrder.subsidy).filter(completed), 0).label("subsidy"),
            _count(CareOrder.flags.contains(["far_from_home"])).label("far"),
            _count(CareOrder.flags.contains(["short_visit"])).label("short"),
        )
        .join(CareProvider, CareProvider.id == CareOrder.provider_id)
        .join(CareService, CareService.code == CareOrder.service_code)
        .outerjoin(CareVisit, CareVisit.order_id == CareOrder.id)
        .where(*_in_month(start, end, provider_id))
        .group_by(
            CareOrder.provider_id, CareProvider.name, CareOrder.service_code, CareService.position
        )
        .order_by(CareProvider.name, CareOrder.provider_id, CareService.position)
    )
    rows = []
    for r in await session.execute(query):
        ended = r.completed + r.missed + r.disputed
        rows.append(
            CareStatisticsRow(
                provider_id=r.provider_id,
                provider_name=r.name,
                service_code=r.service_code,
                orders=r.orders,
                completed=r.completed,
                missed=r.missed,
                disputed=r.disputed,
                cancelled=r.cancelled,
                completion_rate=round(r.completed / ended, 4) if ended else None,
                average_rating=round(float(r.rating), 2) if r.rating is not None else None,
                minutes_delivered=int(r.minutes),
                subsidy_spent=int(r.subsidy),
                far_from_home=r.far,
                short_visit=r.short,
            )
        )
    return CareStatisticsOut(month=label, rows=rows)


STATISTICS_HEADER = (
    "月份", "服务机构", "服务", "订单数", "已完成", "未到", "申诉", "已取消", "完成率",
    "平均评分", "服务分钟", "补贴支出（分）", "距家过远", "服务过短",
)  # fmt: skip


async def statistics_csv(
    session: AsyncSession, *, month: str | None, provider_id: UUID | None, now: datetime
) -> tuple[str, bytes]:
    found = await statistics(session, month=month, provider_id=provider_id, now=now)
    names = await service_names(session)
    lines: list[tuple[object, ...]] = [
        (
            found.month,
            csv_cell(r.provider_name),
            names[r.service_code],
            r.orders,
            r.completed,
            r.missed,
            r.disputed,
            r.cancelled,
            "" if r.completion_rate is None else f"{r.completion_rate:.4f}",
            "" if r.average_rating is None else f"{r.average_rating:.2f}",
            r.minutes_delivered,
            r.subsidy_spent,
            r.far_from_home,
            r.short_visit,
        )
        for r in found.rows
    ]
    return f"care-statistics-{found.month}.csv", csv_file(STATISTICS_HEADER, lines)


# The six facts of EVV — service, recipient, caregiver, date, place, start and end — and what
# the sub-district checks them by: the distance from home, the elder's code, the flags.
EVV_HEADER = (
    "订单编号", "服务机构", "服务", "服务对象", "护理员", "服务日期", "签到时间", "签到纬度",
    "签到经度", "距家（米）", "长者码核验", "签退时间", "签退纬度", "签退经度", "状态", "标记",
)  # fmt: skip


STATUS_LABELS = {
    "in_progress": "服务中",
    "awaiting_confirmation": "待确认",
    "completed": "已完成",
    "disputed": "申诉中",
}
FLAG_LABELS = {"far_from_home": "距家过远", "short_visit": "服务过短"}


def _evv_query(
    start: datetime, end: datetime, provider_id: UUID | None
) -> Select[*tuple[Any, ...]]:
    owner, caregiver = aliased(User), aliased(User)
    return (
        select(
            CareOrder.id,
            CareProvider.name.label("provider"),
            CareService.name_zh.label("service"),
            func.coalesce(HouseholdMember.name, owner.display_name).label("recipient"),
            caregiver.display_name.label("caregiver"),
            CareVisit.check_in_at,
            CareVisit.check_in_lat,
            CareVisit.check_in_lng,
            CareVisit.check_in_distance_m,
            CareVisit.elder_code_matched,
            CareVisit.check_out_at,
            CareVisit.check_out_lat,
            CareVisit.check_out_lng,
            CareOrder.status,
            CareOrder.flags,
        )
        .join(CareOrder, CareOrder.id == CareVisit.order_id)
        .join(CareProvider, CareProvider.id == CareOrder.provider_id)
        .join(CareService, CareService.code == CareOrder.service_code)
        .join(owner, owner.id == CareOrder.household_id)
        .join(caregiver, caregiver.id == CareVisit.caregiver_id)
        .outerjoin(HouseholdMember, HouseholdMember.id == CareOrder.member_id)
        .where(*_in_month(start, end, provider_id))
        .order_by(CareVisit.check_in_at, CareOrder.id)
    )


def _local(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M:%S") -> str:
    return moment.astimezone(LOCAL_TZ).strftime(pattern) if moment else ""


async def visits_csv(
    session: AsyncSession, *, month: str | None, provider_id: UUID | None, now: datetime
) -> tuple[str, bytes]:
    """Every visit checked in during the month (by the order's start). The place is the
    check-in's and check-out's position and the distance from home — not the address, which
    stays encrypted and is not needed to verify a visit."""
    chosen = month_of(month, now)
    label, start, end = chosen.label, chosen.start, chosen.end
    lines: list[tuple[object, ...]] = [
        (
            str(r.id),
            csv_cell(r.provider),
            r.service,
            csv_cell(r.recipient),
            csv_cell(r.caregiver),
            _local(r.check_in_at, "%Y-%m-%d"),
            _local(r.check_in_at),
            f"{r.check_in_lat:.6f}",
            f"{r.check_in_lng:.6f}",
            r.check_in_distance_m,
            "是" if r.elder_code_matched else "否",
            _local(r.check_out_at),
            "" if r.check_out_lat is None else f"{r.check_out_lat:.6f}",
            "" if r.check_out_lng is None else f"{r.check_out_lng:.6f}",
            STATUS_LABELS.get(r.status, r.status),
            "、".join(FLAG_LABELS[f] for f in r.flags),
        )
        for r in await session.execute(_evv_query(start, end, provider_id))
    ]
    return f"care-visits-{label}.csv", csv_file(EVV_HEADER, lines)
