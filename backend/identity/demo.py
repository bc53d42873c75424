"""Demo accounts: one of each role, and residents with households."""

from __future__ import annotations

import functools
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.security import hash_password
from backend.identity import service
from backend.identity.models import HouseholdMember

DEMO_PASSWORD = "Gaozhao-2026"


@functools.cache
def demo_password_hash() -> str:
    """One hash of the demo password for every demo account, made once per process.

    The password is printed by ``qiyou demo`` for everyone to use, so one salt for all the demo
    accounts reveals nothing; a hash per account cost argon2's ~0.2 s of CPU twelve times per
    load.
    """
    return hash_password(DEMO_PASSWORD)


async def upsert_demo_account(
    session: AsyncSession, *, phone: str, role: str, display_name: str
) -> tuple[str, bool]:
    """A demo account with the demo password (its hash made once per process): the account's
    id, and whether it is new. Every domain's demo makes its staff with this."""
    return await service.upsert_staff_account(
        session,
        phone=phone,
        password=DEMO_PASSWORD,
        password_hash=demo_password_hash(),
        role=role,
        display_name=display_name,
    )


ACCOUNTS = [
    ("13900000001", "admin", "高照管理员"),
    ("13900000002", "worker", "社区工作者 王芳"),
    ("13900000003", "staff", "艳阳高照 编辑 李明"),
    ("13900000011", "resident", "居民 张伟"),
    ("13900000012", "resident", "居民 陈静"),
    ("13900000013", "resident", "居民 刘洋"),
]

HOUSEHOLDS = {
    "13900000011": [
        ("张建国", "father", date(1948, 3, 12), "male"),
        ("张小雨", "daughter", date(2017, 9, 1), "female"),
    ],
    "13900000012": [
        ("陈桂英", "mother", date(1952, 11, 30), "female"),
    ],
    "13900000013": [
        ("刘子涵", "son", date(2019, 5, 20), "male"),
        ("刘子萱", "daughter", date(2015, 2, 14), "female"),
    ],
}


async def load(session: AsyncSession, settings: Settings) -> list[str]:
    created = 0
    for phone, role, name in ACCOUNTS:
        _, new = await upsert_demo_account(session, phone=phone, role=role, display_name=name)
        created += int(new)
    members = 0
    for phone, people in HOUSEHOLDS.items():
        owner = await service.find_user_by_phone(session, phone)
        assert owner is not None
        have = set(
            (
                await session.execute(
                    select(HouseholdMember.name).where(HouseholdMember.owner_id == owner.id)
                )
            ).scalars()
        )
        for member_name, relation, birth, gender in people:
            if member_name in have:
                continue
            session.add(
                HouseholdMember(
                    owner_id=owner.id,
                    name=member_name,
                    relation=relation,
                    birth_date=birth,
                    gender=gender,
                )
            )
            members += 1
    await session.flush()
    return [
        f"accounts: {len(ACCOUNTS)} ({created} new), password {DEMO_PASSWORD}",
        *(f"  {role:<9} {phone}  {name}" for phone, role, name in ACCOUNTS),
        f"household members: {members} new",
    ]
