"""Demo data of safe drop-off and pickup: 张小雨's grandmother may take her home, a blocked
person may not, and her allergy is on the teachers' roster. Safe to run twice: a child whose
list is not empty is left as it is."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.childcare import pickups
from backend.childcare.models_pickup import Pickup
from backend.config import Settings
from backend.core.clock import LOCAL_TZ
from backend.identity import service as identity
from backend.identity.models import HouseholdMember
from schemas.childcare_pickup import ChildcareProfileIn, PickupIn

HOUSEHOLD, CHILD = "13900000011", "张小雨"
PEOPLE = [
    PickupIn(name="张奶奶", phone="13900000021", relation="奶奶", id_last4="2345"),
    PickupIn(name="赵某", phone="13900000022", relation="其他", blocked=True),
]


async def load(session: AsyncSession, settings: Settings) -> list[str]:
    owner = await identity.find_user_by_phone(session, HOUSEHOLD)
    if owner is None:
        return []
    child = await session.scalar(
        select(HouseholdMember.id).where(
            HouseholdMember.owner_id == owner.id, HouseholdMember.name == CHILD
        )
    )
    if child is None:
        return []
    listed = await session.scalar(
        select(func.count()).select_from(Pickup).where(Pickup.child_id == child)
    )
    if listed:
        return [f"childcare pickups: {CHILD}'s list kept"]
    now = datetime.now(LOCAL_TZ)
    for person in PEOPLE:
        await pickups.add_pickup(
            session, owner.id, child, person, data_key=settings.data_key, now=now
        )
    await pickups.put_profile(
        session,
        owner.id,
        child,
        ChildcareProfileIn(allergies="花生过敏"),
        data_key=settings.data_key,
        now=now,
    )
    return [f"childcare pickups: {len(PEOPLE)} people and notes for {CHILD}"]
