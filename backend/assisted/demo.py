"""Demo data of assisted residents: one elder without a phone, made by the demo community
worker, whose contact is the demo resident 张伟 (so his ``/me/acted-for`` shows what is done
for her). Safe to run twice: an ID number already bound is left as it is."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from backend.assisted import accounts
from backend.config import Settings
from backend.core.errors import AppError
from backend.identity import service as identity
from backend.identity.verification import check_character
from schemas.assisted import AssistedResidentIn

WORKER_PHONE = "13900000002"
# A made-up number with a valid check character (born 1938-06-15 in Huzhou's Wuxing district).
_FIRST17 = "33050219380615062"
ELDER = AssistedResidentIn(
    name="李阿婆",
    id_number=_FIRST17 + check_character(_FIRST17),
    address="浙江省湖州市吴兴区朝阳街道红旗路20号2幢101室",
    contact_phone="13900000011",
    contact_name="张伟",
    relation="邻居",
)


async def load(session: AsyncSession, settings: Settings) -> list[str]:
    worker = await identity.find_user_by_phone(session, WORKER_PHONE)
    if worker is None:
        return []
    try:
        async with session.begin_nested():
            await accounts.create(
                session, worker.id, ELDER, data_key=settings.data_key, now=datetime.now(UTC)
            )
    except AppError as exc:
        if exc.code != "id_number_registered":
            raise
        return ["assisted residents: 李阿婆 already there"]
    return [
        "assisted residents: 李阿婆 (no phone; the worker 13900000002 acts for her, "
        "her contact 13900000011 sees what is done)"
    ]
