"""Care providers and the dispatchers and caregivers who work for them."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.errors import AppError, FieldError
from backend.core.pagination import Keyset
from backend.eldercare import wire
from backend.eldercare.models import CareProvider, CareProviderService, CareProviderStaff
from backend.identity.models import User
from backend.identity.service import clean_text, normalize_phone
from schemas.common import Page
from schemas.eldercare import CareProviderIn, CareProviderOut, CareStaffOut

CARE_STAFF_ROLES = ("dispatcher", "caregiver")
PROVIDERS = Keyset("care-providers", (UUID,))


async def _codes_of(session: AsyncSession, provider_ids: list[UUID]) -> dict[UUID, list[str]]:
    rows = await session.execute(
        select(CareProviderService.provider_id, CareProviderService.service_code)
        .where(CareProviderService.provider_id.in_(provider_ids))
        .order_by(CareProviderService.provider_id, CareProviderService.service_code)
    )
    codes: dict[UUID, list[str]] = {i: [] for i in provider_ids}
    for provider_id, code in rows:
        codes[provider_id].append(code)
    return codes


async def create_provider(session: AsyncSession, data: CareProviderIn) -> CareProviderOut:
    name = clean_text(data.name, field="name", max_length=100)
    phone = normalize_phone(data.phone)
    if len(set(data.service_codes)) != len(data.service_codes):
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError(field="serviceCodes", message="names a service twice")],
        )
    provider = CareProvider(name=name, phone=phone)
    session.add(provider)
    await session.flush()
    await session.execute(
        insert(CareProviderService),
        [{"provider_id": provider.id, "service_code": c} for c in data.service_codes],
    )
    return wire.provider(provider, sorted(data.service_codes))


async def list_providers(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> Page[CareProviderOut]:
    """Providers in the order they were registered."""
    after = PROVIDERS.decode(cursor)
    query = select(CareProvider)
    if after is not None:
        query = query.where(CareProvider.id > after[0])
    rows = (await session.execute(query.order_by(CareProvider.id).limit(limit + 1))).scalars().all()
    page, next_cursor = PROVIDERS.paginate(rows, limit, lambda row: [row.id])
    codes = await _codes_of(session, [p.id for p in page])
    return Page(items=[wire.provider(p, codes[p.id]) for p in page], next_cursor=next_cursor)


async def provider_exists(session: AsyncSession, provider_id: UUID) -> bool:
    found = await session.execute(select(CareProvider.id).where(CareProvider.id == provider_id))
    return found.first() is not None


async def set_care_provider(
    session: AsyncSession, user_id: UUID, provider_id: UUID
) -> CareStaffOut:
    """Make ``user_id`` (a dispatcher or caregiver) work for ``provider_id``; a new provider
    replaces the old one. Any other account: 409 ``not_care_staff``; an unknown provider: 422
    ``unknown_care_provider``; an unknown account: 404."""
    role = (
        await session.execute(select(User.role).where(User.id == user_id).with_for_update())
    ).scalar_one_or_none()
    if role is None:
        raise AppError(404, "not_found")
    if role not in CARE_STAFF_ROLES:
        raise AppError(409, "not_care_staff")
    if not await provider_exists(session, provider_id):
        raise AppError(
            422,
            "unknown_care_provider",
            errors=[FieldError(field="providerId", message="no such care provider")],
        )
    statement = pg_insert(CareProviderStaff).values(user_id=user_id, provider_id=provider_id)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[CareProviderStaff.user_id],
            set_={"provider_id": statement.excluded.provider_id},
        )
    )
    return CareStaffOut(user_id=user_id, role=role, provider_id=provider_id)  # type: ignore[arg-type]


async def provider_of(session: AsyncSession, user_id: UUID) -> UUID | None:
    """The provider a dispatcher or caregiver works for (the orders slice scopes by it)."""
    found = await session.execute(
        select(CareProviderStaff.provider_id).where(CareProviderStaff.user_id == user_id)
    )
    return found.scalar_one_or_none()
