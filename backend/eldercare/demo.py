"""Demo data of elderly care: two providers, each with a dispatcher and two caregivers, care
profiles for the elders of the demo households, and a few care orders for them (one assigned).
Safe to run twice: nothing is added twice."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.auth import AuthUser, Role
from backend.core.clock import LOCAL_TZ, local_date_of
from backend.eldercare import demo_visits, dispatch, orders, profiles, providers
from backend.eldercare.models import CareOrder, CareProfile, CareProvider, CareProviderService
from backend.identity import service as identity
from backend.identity.demo import DEMO_PASSWORD, upsert_demo_account
from backend.identity.models import HouseholdMember
from schemas.eldercare import (
    CareOrderIn,
    CareProfileIn,
    DailyCheckIn,
    EmergencyContact,
    Location,
    SubsidyIn,
)

PROVIDERS = [
    (
        "安康居家养老服务中心",
        "0572-2100001",
        ["meal_delivery", "cleaning", "bathing", "visit_chat", "haircut"],
        [
            ("13900000101", "dispatcher", "安康 调度 周敏"),
            ("13900000102", "caregiver", "安康 护理员 吴秀兰"),
            ("13900000103", "caregiver", "安康 护理员 郑强"),
        ],
    ),
    (
        "仁和康复护理站",
        "0572-2100002",
        ["clinic_escort", "rehabilitation", "bathing", "visit_chat"],
        [
            ("13900000111", "dispatcher", "仁和 调度 孙丽"),
            ("13900000112", "caregiver", "仁和 护理员 钱伟"),
            ("13900000113", "caregiver", "仁和 护理员 冯婷"),
        ],
    ),
]

# (household phone, member name, address, lives alone, care level, subsidy or None)
PROFILES = [
    (
        "13900000011",
        "张建国",
        "浙江省湖州市吴兴区朝阳街道红旗路12号3幢201室",
        False,
        2,
        SubsidyIn(tier="age_80_plus", monthly_allowance=30000),
    ),
    ("13900000012", "陈桂英", "浙江省湖州市吴兴区爱山街道南街8号1单元502室", True, 1, None),
]


async def _provider(session: AsyncSession, name: str, phone: str, codes: list[str]) -> CareProvider:
    found = (
        await session.execute(select(CareProvider).where(CareProvider.name == name))
    ).scalar_one_or_none()
    if found is not None:
        return found
    provider = CareProvider(name=name, phone=phone.replace("-", ""))
    session.add(provider)
    await session.flush()
    await session.execute(
        insert(CareProviderService),
        [{"provider_id": provider.id, "service_code": c} for c in codes],
    )
    return provider


async def load(session: AsyncSession, settings: Settings) -> list[str]:
    now = datetime.now(UTC)
    staff_lines: list[str] = []
    for name, phone, codes, staff in PROVIDERS:
        provider = await _provider(session, name, phone, codes)
        for staff_phone, role, display_name in staff:
            user_id, _ = await upsert_demo_account(
                session, phone=staff_phone, role=role, display_name=display_name
            )
            await providers.set_care_provider(session, UUID(str(user_id)), provider.id)
            staff_lines.append(f"  {role:<10} {staff_phone}  {display_name}")
    made = 0
    for phone, member_name, address, alone, level, subsidy in PROFILES:
        owner = await identity.find_user_by_phone(session, phone)
        if owner is None:
            continue
        member_id = (
            await session.execute(
                select(HouseholdMember.id).where(
                    HouseholdMember.owner_id == owner.id, HouseholdMember.name == member_name
                )
            )
        ).scalar_one_or_none()
        if member_id is None:
            continue
        exists = await session.execute(
            select(CareProfile.id).where(CareProfile.member_id == member_id)
        )
        if exists.first() is not None:
            continue
        data = CareProfileIn(
            address=address,
            location=Location(lat=30.8703, lng=120.0933),
            lives_alone=alone,
            care_level=level,
            emergency_contacts=[
                EmergencyContact(name=owner.display_name, phone=phone, relation="child")
            ],
            daily_check_in=DailyCheckIn(enabled=alone, due_by="09:30"),
            health_notes="高血压，按时服药" if level > 1 else None,
        )
        profile = await profiles.put_profile(
            session, owner.id, member_id, data, data_key=settings.data_key, now=now
        )
        if subsidy is not None:
            await profiles.set_subsidy(
                session, profile.id, subsidy, data_key=settings.data_key, now=now
            )
        made += 1
    placed = await _orders(session, settings, now)
    visited = await demo_visits.load(session, settings, now)
    return [
        f"care providers: {len(PROVIDERS)}, with their dispatchers and caregivers "
        f"(password {DEMO_PASSWORD})",
        *staff_lines,
        f"care profiles: {made} new",
        f"care orders: {placed} new",
        f"care visits done (one confirmed, one awaiting confirmation): {visited} new",
    ]


# (household phone, member, service, days ahead, local time, assign to this caregiver's phone)
ORDERS = [
    ("13900000011", "张建国", "cleaning", 1, time(9, 0), "13900000102"),
    ("13900000011", "张建国", "visit_chat", 2, time(15, 0), None),
    ("13900000012", "陈桂英", "meal_delivery", 1, time(11, 30), None),
]
_DISPATCHER_OF = {"13900000102": "13900000101"}


def _acting(user_id: object, role: Role) -> AuthUser:
    # The demo acts through the services as these accounts would, without a login session.
    return AuthUser(id=UUID(str(user_id)), role=role, session_id=UUID(int=0))


async def _orders(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Orders through the services (their rules, prices and notifications), for households
    that have none yet; times are days ahead of today, so the demo stays current."""
    placed = 0
    # Households that had orders before this run get no more (the demo loads twice safely).
    had_orders = set(await session.scalars(select(CareOrder.household_id).distinct()))
    for phone, member_name, code, days, at, caregiver_phone in ORDERS:
        owner = await identity.find_user_by_phone(session, phone)
        if owner is None or owner.id in had_orders:
            continue
        member_id = await session.scalar(
            select(HouseholdMember.id).where(
                HouseholdMember.owner_id == owner.id, HouseholdMember.name == member_name
            )
        )
        if member_id is None:
            continue
        day = local_date_of(now) + timedelta(days=days)
        data = CareOrderIn(
            service_code=code,  # type: ignore[arg-type]
            starts_at=datetime.combine(day, at, tzinfo=LOCAL_TZ),
            note="",
            member_id=member_id,
        )
        order = await orders.create_order(
            session, _acting(owner.id, Role.RESIDENT), data, data_key=settings.data_key, now=now
        )
        placed += 1
        if caregiver_phone is None:
            continue
        caregiver = await identity.find_user_by_phone(session, caregiver_phone)
        dispatcher = await identity.find_user_by_phone(session, _DISPATCHER_OF[caregiver_phone])
        if (
            caregiver is None
            or dispatcher is None
            or order.provider_id != await providers.provider_of(session, dispatcher.id)
        ):
            continue
        await dispatch.assign_order(
            session, _acting(dispatcher.id, Role.DISPATCHER), order.id, caregiver.id, now=now
        )
    return placed
