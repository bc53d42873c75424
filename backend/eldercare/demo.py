"""Demo data of elderly care: two providers, each with a dispatcher and two caregivers, and
care profiles for the elders of the demo households. Safe to run twice: nothing is added twice."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.eldercare import profiles, providers
from backend.eldercare.models import CareProfile, CareProvider, CareProviderService
from backend.identity import service as identity
from backend.identity.demo import DEMO_PASSWORD
from backend.identity.models import HouseholdMember
from schemas.eldercare import (
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
            user_id, _ = await identity.upsert_staff_account(
                session,
                phone=staff_phone,
                password=DEMO_PASSWORD,
                role=role,
                display_name=display_name,
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
    return [
        f"care providers: {len(PROVIDERS)}, with their dispatchers and caregivers "
        f"(password {DEMO_PASSWORD})",
        *staff_lines,
        f"care profiles: {made} new",
    ]
