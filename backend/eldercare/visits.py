"""A visit at the elder's home: the assigned caregiver checks in and out.

Each change locks the order row first (``FOR UPDATE``) and decides under that lock, so a
check-in racing another check-in, a cancellation or the missed-visit job finds the status the
winner left: one of them wins, the others are refused. The visit record (``care_visits``,
keyed by the order) is written in the same transaction, and the household is told in it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, Role
from backend.core.clock import to_local
from backend.core.errors import AppError, FieldError
from backend.core.geo import distance_metres
from backend.core.security import decrypt, encrypt
from backend.eldercare import visit_rules as rules
from backend.eldercare.models import CareOrder, CareProfile, CareService, CareVisit
from backend.eldercare.order_views import visible_to
from backend.eldercare.orders import message_data
from backend.eldercare.visit_rules import CheckInTime
from backend.identity.service import clean_text
from backend.notifications.service import notify
from schemas.care_visits import CareVisitOut, VisitCheckIn, VisitCheckOut

VISIT_NOTES = "care-visit-notes"
# Statuses an order reaches only through a check-in.
_CHECKED_IN = ("in_progress", "awaiting_confirmation", "completed", "disputed")


async def locked_order(session: AsyncSession, order_id: UUID) -> CareOrder | None:
    return (
        await session.execute(
            select(CareOrder)
            .where(CareOrder.id == order_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def _caregivers_order(session: AsyncSession, caregiver_id: UUID, order_id: UUID) -> CareOrder:
    """The order, locked, if ``caregiver_id`` is its assigned caregiver; 404 otherwise, so a
    caregiver learns nothing of other caregivers' visits."""
    order = await locked_order(session, order_id)
    if order is None or order.caregiver_id != caregiver_id:
        raise AppError(404, "not_found")
    return order


async def service_of(session: AsyncSession, code: str) -> CareService:
    return (await session.execute(select(CareService).where(CareService.code == code))).scalar_one()


async def service_names(session: AsyncSession) -> dict[str, str]:
    """Each service's Chinese name (messages and exports name services as staff say them)."""
    rows = await session.execute(select(CareService.code, CareService.name_zh))
    return {row[0]: row[1] for row in rows}


def add_flag(order: CareOrder, flag: str) -> None:
    if flag not in order.flags:
        order.flags = [*order.flags, flag]  # type: ignore[list-item]


def visit_out(
    order: CareOrder, visit: CareVisit, *, data_key: bytes, notes: bool = True
) -> CareVisitOut:
    return CareVisitOut(
        order_id=order.id,
        status=order.status,
        flags=list(order.flags),
        check_in_at=to_local(visit.check_in_at),
        check_in_distance_m=visit.check_in_distance_m,
        elder_code_matched=visit.elder_code_matched,
        tasks=list(visit.tasks),
        check_out_at=to_local(visit.check_out_at),
        notes=(
            decrypt(data_key, VISIT_NOTES, visit.notes_enc) if notes and visit.notes_enc else None
        ),
    )


async def get_visit(
    session: AsyncSession, actor: AuthUser, order_id: UUID, *, data_key: bytes
) -> CareVisitOut:
    """The visit record of an order the actor may read (``order_views.visible_to``); 404 for
    any other order and for one not checked in yet. The caregiver's notes may describe the
    elder's health: the household and the caregiver read them, a dispatcher does not."""
    row = (
        await session.execute(
            select(CareOrder, CareVisit)
            .join(CareVisit, CareVisit.order_id == CareOrder.id)
            .where(CareOrder.id == order_id, visible_to(actor))
        )
    ).one_or_none()
    if row is None:
        raise AppError(404, "not_found")
    order, visit = row
    return visit_out(order, visit, data_key=data_key, notes=actor.role != Role.DISPATCHER)


async def check_in(
    session: AsyncSession,
    caregiver_id: UUID,
    order_id: UUID,
    data: VisitCheckIn,
    *,
    data_key: bytes,
    now: datetime,
) -> CareVisitOut:
    """``assigned`` → ``in_progress`` from 60 minutes before the start until the visit counts
    as missed. Beyond 200 m of the elder's home the order is flagged ``far_from_home`` unless
    the elder's code matches; a wrong code is no error (the caregiver is at a door, and the
    visit must go on): it only earns no exemption, and the answer says it did not match."""
    order = await _caregivers_order(session, caregiver_id, order_id)
    if order.status in _CHECKED_IN:
        raise AppError(409, "visit_already_checked_in")
    if order.status == "missed":
        raise AppError(409, "visit_missed", {"minutes": rules.MISSED_AFTER.seconds // 60})
    if order.status != "assigned":
        raise AppError(409, "care_order_invalid_status", {"status": order.status})
    timing = rules.check_in_time(order.starts_at, now)
    if timing is CheckInTime.TOO_EARLY:
        minutes = rules.CHECK_IN_OPENS_BEFORE.seconds // 60
        raise AppError(422, "too_early_to_check_in", {"minutes": minutes})
    if timing is CheckInTime.MISSED:
        raise AppError(409, "visit_missed", {"minutes": rules.MISSED_AFTER.seconds // 60})
    profile = await session.get_one(CareProfile, order.care_profile_id)
    distance = distance_metres(profile.lat, profile.lng, data.lat, data.lng)
    matched = rules.elder_code_matches(data_key, order.id, data.elder_code)
    visit = CareVisit(
        order_id=order.id,
        caregiver_id=caregiver_id,
        check_in_at=now,
        check_in_lat=data.lat,
        check_in_lng=data.lng,
        check_in_distance_m=round(distance),
        elder_code_matched=matched,
        tasks=[],
    )
    session.add(visit)
    order.status = "in_progress"
    if rules.far_from_home(distance) and not matched:
        add_flag(order, "far_from_home")
    order.updated_at = now
    await session.flush()
    await notify(
        session,
        user_id=order.household_id,
        kind="care_caregiver_arrived",
        data=await message_data(session, order.id, checkedInAt=now),
    )
    return visit_out(order, visit, data_key=data_key)


def _tasks(raw: list[str]) -> list[str]:
    return [clean_text(t, field=f"tasks[{i}]", max_length=100) for i, t in enumerate(raw)]


def clean_notes(raw: str | None, field: str) -> str | None:
    """Free text that may hold tabs and line breaks, no other control characters."""
    text = (raw or "").strip()
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text) or "\x7f" in text:
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError(field, "must not contain control characters")],
        )
    return text or None


async def check_out(
    session: AsyncSession,
    caregiver_id: UUID,
    order_id: UUID,
    data: VisitCheckOut,
    *,
    data_key: bytes,
    now: datetime,
) -> CareVisitOut:
    """``in_progress`` → ``awaiting_confirmation``, flagged ``short_visit`` when the visit
    lasted under half the service's planned minutes; the household is asked to confirm."""
    tasks, notes = _tasks(data.tasks), clean_notes(data.notes, "notes")
    order = await _caregivers_order(session, caregiver_id, order_id)
    if order.status in ("awaiting_confirmation", "completed", "disputed"):
        raise AppError(409, "visit_already_checked_out")
    if order.status != "in_progress":
        raise AppError(409, "care_order_invalid_status", {"status": order.status})
    visit = await session.get_one(CareVisit, order.id)
    service = await service_of(session, order.service_code)
    visit.check_out_at, visit.check_out_lat, visit.check_out_lng = now, data.lat, data.lng
    visit.tasks = tasks
    visit.notes_enc = encrypt(data_key, VISIT_NOTES, notes) if notes else None
    order.status = "awaiting_confirmation"
    if rules.short_visit(visit.check_in_at, now, service.minutes):
        add_flag(order, "short_visit")
    order.updated_at = now
    await session.flush()
    await notify(
        session,
        user_id=order.household_id,
        kind="care_visit_completed",
        data=await message_data(session, order.id),
    )
    return visit_out(order, visit, data_key=data_key)
