"""A household requests a care visit, and the household or the provider's dispatcher cancels it.

Requesting checks, in this order: the elder (``profiles``: 404 another household's member,
422 ``not_an_elder``), their care profile (422 ``care_profile_missing``), the time (422
``too_soon``, ``too_far``), then the provider (422 ``unknown_care_provider``,
``service_not_offered``, ``no_care_provider``). The price, subsidy and payable are fixed here.

A cancellation is one conditional UPDATE carrying every rule, so nothing that changes the order
in between (an assignment, a check-in) can slip past it; only when it changes nothing does a
second read say which rule refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, Role
from backend.core.clock import local_date_of
from backend.core.errors import AppError, FieldError
from backend.eldercare import allowance, order_rules, order_views
from backend.eldercare.models import (
    CareOrder,
    CareProviderService,
    CareProviderStaff,
    CareService,
)
from backend.eldercare.profiles import elder_name, profile_of
from backend.eldercare.providers import provider_exists
from backend.identity.models import User
from backend.identity.service import clean_text
from backend.notifications.service import notify_many
from schemas.eldercare import CareOrderIn, CareOrderOut


def _note(raw: str) -> str:
    text = raw.strip()
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text) or "\x7f" in text:
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError("note", "must not contain control characters")],
        )
    return text


async def _choose_provider(
    session: AsyncSession, code: str, wanted: UUID | None, starts_at: datetime
) -> UUID:
    """The named provider if it offers the service; otherwise the provider offering it that
    has the fewest live orders on the visit's day (ties: the longest-registered), so requests
    spread over the contracted providers instead of all going to the first."""
    if wanted is not None:
        offers = await session.scalar(
            select(CareProviderService.provider_id).where(
                CareProviderService.provider_id == wanted, CareProviderService.service_code == code
            )
        )
        if offers is not None:
            return wanted
        if not await provider_exists(session, wanted):
            raise AppError(
                422,
                "unknown_care_provider",
                errors=[FieldError("providerId", "no such care provider")],
            )
        raise AppError(422, "service_not_offered")
    start, end = order_rules.day_bounds(local_date_of(starts_at))
    load = (
        select(func.count())
        .where(
            CareOrder.provider_id == CareProviderService.provider_id,
            CareOrder.starts_at >= start,
            CareOrder.starts_at < end,
            CareOrder.status != "cancelled",
        )
        .scalar_subquery()
    )
    chosen = await session.scalar(
        select(CareProviderService.provider_id)
        .where(CareProviderService.service_code == code)
        .order_by(load, CareProviderService.provider_id)
        .limit(1)
    )
    if chosen is None:
        raise AppError(422, "no_care_provider")
    return chosen


async def dispatcher_ids(session: AsyncSession, provider_id: UUID) -> list[UUID]:
    rows = await session.scalars(
        select(CareProviderStaff.user_id)
        .join(User, User.id == CareProviderStaff.user_id)
        .where(CareProviderStaff.provider_id == provider_id, User.role == Role.DISPATCHER.value)
    )
    return list(rows)


async def message_data(session: AsyncSession, order_id: UUID, **extra: Any) -> dict[str, Any]:
    """What every care-order notification says: the order, the elder, the service in both
    languages (the text is rendered in the reader's), the time, the caregiver."""
    row = (
        await session.execute(
            order_views.order_rows()
            .add_columns(CareService.name_zh, CareService.name_en)
            .join(CareService, CareService.code == CareOrder.service_code)
            .where(CareOrder.id == order_id)
        )
    ).one()
    return {
        "orderId": str(order_id),
        "elderName": row.elder_name,
        "serviceName": row.name_zh,
        "serviceNameEn": row.name_en,
        "startsAt": row.starts_at,
        "caregiverName": row.caregiver_name or "",
        **extra,
    }


async def create_order(
    session: AsyncSession, actor: AuthUser, data: CareOrderIn, *, data_key: bytes, now: datetime
) -> CareOrderOut:
    await elder_name(session, actor.id, data.member_id, data_key=data_key, now=now)
    profile = await profile_of(session, actor.id, data.member_id)
    if profile is None:
        raise AppError(422, "care_profile_missing")
    order_rules.check_start(data.starts_at, now)
    note = _note(data.note)
    provider_id = await _choose_provider(
        session, data.service_code, data.provider_id, data.starts_at
    )
    catalogue = (
        await session.execute(select(CareService).where(CareService.code == data.service_code))
    ).scalar_one()
    left = await allowance.left_this_month(session, [profile], now=data.starts_at)
    subsidy = order_rules.subsidy_of(
        catalogue.price,
        catalogue.subsidy_percent,
        subsidised=profile.subsidy_tier is not None,
        allowance_left=left[profile.id],
    )
    order = CareOrder(
        household_id=actor.id,
        care_profile_id=profile.id,
        member_id=data.member_id,
        service_code=data.service_code,
        provider_id=provider_id,
        status="requested",
        starts_at=data.starts_at,
        ends_at=data.starts_at + timedelta(minutes=catalogue.minutes),
        note=note,
        price=catalogue.price,
        subsidy=subsidy,
        payable=catalogue.price - subsidy,
        # A community worker acting for an assisted elder is who asked (RFC 8693 ``act``).
        requested_by=actor.actor or actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    await session.flush()
    await notify_many(
        session,
        user_ids=await dispatcher_ids(session, provider_id),
        kind="care_order_requested",
        data=await message_data(session, order.id),
    )
    return await order_views.get_order(session, actor, order.id, now=now)


async def cancel_order(
    session: AsyncSession, actor: AuthUser, order_id: UUID, reason: str, *, now: datetime
) -> CareOrderOut:
    """The household until ``startsAt`` − 2 h, the provider's dispatcher until the visit
    starts; the other side (and an assigned caregiver) is told in this transaction."""
    reason = clean_text(reason, field="reason", max_length=200)
    visible = order_views.visible_to(actor)
    rule: ColumnElement[bool] = CareOrder.status.in_(order_rules.OPEN_STATUSES)
    if actor.role == Role.RESIDENT:
        deadline = CareOrder.starts_at - literal(order_rules.HOUSEHOLD_CANCEL_BEFORE)
        rule = and_(rule, literal(now) <= deadline)
    cancelled = await session.scalar(
        update(CareOrder)
        .where(CareOrder.id == order_id, visible, rule)
        .values(
            status="cancelled",
            cancelled_by=actor.id,
            cancel_reason=reason,
            cancelled_at=now,
            updated_at=now,
        )
        .returning(CareOrder)
        .execution_options(populate_existing=True)
    )
    if cancelled is None:
        current = (
            await session.execute(select(CareOrder.status).where(CareOrder.id == order_id, visible))
        ).scalar_one_or_none()
        if current is None:
            raise AppError(404, "not_found")
        if current in order_rules.OPEN_STATUSES:
            raise AppError(409, "cancel_too_late")
        raise AppError(409, "care_order_invalid_status", {"status": current})
    told = set(await dispatcher_ids(session, cancelled.provider_id))
    told.add(cancelled.household_id)
    if cancelled.caregiver_id is not None:
        told.add(cancelled.caregiver_id)
    told.discard(actor.id)
    await notify_many(
        session,
        user_ids=sorted(told),
        kind="care_order_cancelled",
        data=await message_data(session, order_id, reason=reason),
    )
    return await order_views.get_order(session, actor, order_id, now=now)
