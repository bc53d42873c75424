"""Demo visits that already took place, through the services as the people would have done
them at the time (each step at its own ``now``): 张建国's cleaning three days ago, checked in,
out and confirmed; and his visit and chat earlier today, checked out and awaiting the
household's confirmation (the automatic completion takes it 48 hours after the check-out).
Safe to run twice: a household with a visit record gets none."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from uuid import UUID

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.auth import AuthUser, Role
from backend.core.clock import LOCAL_TZ, local_date_of
from backend.eldercare import confirmation, dispatch, orders, providers, visit_rules, visits
from backend.eldercare.models import CareOrder, CareVisit
from backend.identity import service as identity
from backend.identity.models import HouseholdMember
from schemas.care_visits import CareConfirmIn, VisitCheckIn, VisitCheckOut
from schemas.eldercare import CareOrderIn

HOUSEHOLD, ELDER = "13900000011", "张建国"
CAREGIVER, DISPATCHER = "13900000102", "13900000101"
HOME = (30.8703, 120.0933)  # the demo profiles' location


def _acting(user_id: object, role: Role) -> AuthUser:
    return AuthUser(id=UUID(str(user_id)), role=role, session_id=UUID(int=0))


async def _visit(
    session: AsyncSession,
    settings: Settings,
    ids: tuple[UUID, UUID, UUID, UUID],
    code: str,
    starts_at: datetime,
    minutes: int,
) -> UUID:
    """Requested two days before, assigned the day before, checked in five minutes early with
    the elder's code, checked out ``minutes`` after the start."""
    owner, member, dispatcher, caregiver = ids
    data = CareOrderIn(service_code=code, starts_at=starts_at, note="", member_id=member)  # type: ignore[arg-type]
    order = await orders.create_order(
        session,
        _acting(owner, Role.RESIDENT),
        data,
        data_key=settings.data_key,
        now=starts_at - timedelta(days=2),
    )
    await dispatch.assign_order(
        session,
        _acting(dispatcher, Role.DISPATCHER),
        order.id,
        caregiver,
        now=starts_at - timedelta(days=1),
    )
    elder_code = visit_rules.elder_code(settings.data_key, order.id)
    await visits.check_in(
        session,
        caregiver,
        order.id,
        VisitCheckIn(lat=HOME[0], lng=HOME[1], elder_code=elder_code),
        data_key=settings.data_key,
        now=starts_at - timedelta(minutes=5),
    )
    await visits.check_out(
        session,
        caregiver,
        order.id,
        VisitCheckOut(lat=HOME[0], lng=HOME[1], tasks=["陪同聊天", "测量血压"], notes="精神很好"),
        data_key=settings.data_key,
        now=starts_at + timedelta(minutes=minutes),
    )
    return order.id


async def load(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """The two past visits, when the household, elder and staff exist; how many were made."""
    owner = await identity.find_user_by_phone(session, HOUSEHOLD)
    caregiver = await identity.find_user_by_phone(session, CAREGIVER)
    dispatcher = await identity.find_user_by_phone(session, DISPATCHER)
    if owner is None or caregiver is None or dispatcher is None:
        return 0
    visited = await session.scalar(
        select(
            exists().where(CareVisit.order_id == CareOrder.id, CareOrder.household_id == owner.id)
        )
    )
    member = await session.scalar(
        select(HouseholdMember.id).where(
            HouseholdMember.owner_id == owner.id, HouseholdMember.name == ELDER
        )
    )
    provider = await providers.provider_of(session, dispatcher.id)
    if visited or member is None or provider != await providers.provider_of(session, caregiver.id):
        return 0
    ids = (owner.id, member, dispatcher.id, caregiver.id)
    three_days_ago = local_date_of(now) - timedelta(days=3)
    start = datetime.combine(three_days_ago, time(9, 0), tzinfo=LOCAL_TZ)
    done = await _visit(session, settings, ids, "cleaning", start, 115)
    await confirmation.confirm(
        session,
        owner.id,
        done,
        CareConfirmIn(rating=5, comment="打扫得很干净"),
        now=start + timedelta(hours=4),
    )
    # Earlier today (to the minute), so the household sees a visit waiting for its word.
    recent = (now - timedelta(hours=3)).replace(second=0, microsecond=0)
    await _visit(session, settings, ids, "visit_chat", recent, 55)
    return 2
