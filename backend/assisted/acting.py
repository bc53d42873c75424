"""A community worker acting for an assisted resident, and the record of what was done.

The worker asks for an acting token (``act_for``): an access token whose subject is the
assisted resident (role ``resident``) and whose ``act`` claim names the worker (RFC 8693). Every
resident endpoint then works for the elder unchanged; ``audit.record`` writes what was done.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.assisted import accounts
from backend.assisted.models import ActedFor, AssistedResident
from backend.config import Settings
from backend.core.auth import AuthUser, issue_acting_token
from backend.core.clock import to_local
from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.identity.models import User
from schemas.assisted import ActedForOut, ActingToken
from schemas.common import Page

ACTED_FOR = Keyset("acted_for", (UUID,))
# Long enough for a home visit's paperwork, short enough that a lost phone matters little.
ACTING_SECONDS = 15 * 60
ACT_OPERATION = "actForAssistedResident"


async def act_for(
    session: AsyncSession,
    settings: Settings,
    worker: AuthUser,
    subject_id: UUID,
    *,
    now: datetime,
    request_id: str | None,
    path: str,
) -> ActingToken:
    """An acting token for an assisted resident; any other account (or none) is a 404."""
    if not await accounts.is_assisted(session, subject_id):
        raise AppError(404, "not_found")
    ttl = min(ACTING_SECONDS, settings.access_token_ttl_seconds)
    token = issue_acting_token(
        settings,
        subject_id=subject_id,
        actor_id=worker.id,
        actor_session_id=worker.session_id,
        now=now,
        ttl_seconds=ttl,
    )
    # Taking up the elder's account is itself on the record, beside what is then done with it.
    session.add(
        ActedFor(
            actor_id=worker.id,
            subject_id=subject_id,
            operation=ACT_OPERATION,
            method="POST",
            path=path[:300],
            status=200,
            request_id=request_id,
            created_at=now,
        )
    )
    await session.flush()
    return ActingToken(
        access_token=token,
        expires_at=to_local(now + timedelta(seconds=ttl)),
        expires_in=ttl,
        subject_id=subject_id,
    )


async def _page(
    session: AsyncSession, where: ColumnElement[bool], *, limit: int, cursor: str | None
) -> Page[ActedForOut]:
    after = ACTED_FOR.decode(cursor)
    actor, subject = aliased(User), aliased(User)
    query = (
        select(ActedFor, actor.display_name, subject.display_name)
        .join(actor, actor.id == ActedFor.actor_id)
        .join(subject, subject.id == ActedFor.subject_id)
        .where(where)
    )
    if after is not None:
        query = query.where(ActedFor.id < after[0])
    rows = (await session.execute(query.order_by(ActedFor.id.desc()).limit(limit + 1))).all()
    page, next_cursor = ACTED_FOR.paginate(rows, limit, lambda r: [r[0].id])
    return Page(
        items=[
            ActedForOut(
                id=row.id,
                actor_id=row.actor_id,
                actor_name=actor_name,
                subject_id=row.subject_id,
                subject_name=subject_name,
                operation=row.operation,
                method=row.method,
                path=row.path,
                status=row.status,
                request_id=row.request_id,
                at=to_local(row.created_at),
            )
            for row, actor_name, subject_name in page
        ],
        next_cursor=next_cursor,
    )


async def acted_for_me(
    session: AsyncSession, user_id: UUID, *, limit: int, cursor: str | None
) -> Page[ActedForOut]:
    """What was done for the caller, and for every assisted resident whose contact phone is
    the caller's own (a relative who has an account): newest first."""
    my_phone = select(User.phone).where(User.id == user_id).scalar_subquery()
    relatives = select(AssistedResident.user_id).where(AssistedResident.contact_phone == my_phone)
    where = or_(ActedFor.subject_id == user_id, ActedFor.subject_id.in_(relatives))
    return await _page(session, where, limit=limit, cursor=cursor)


async def acted_for_all(
    session: AsyncSession,
    *,
    actor_id: UUID | None,
    subject_id: UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[ActedForOut]:
    """The admins' audit list, newest first, narrowed to one worker or one elder."""
    conditions: list[ColumnElement[bool]] = [ActedFor.id.is_not(None)]
    if actor_id is not None:
        conditions.append(ActedFor.actor_id == actor_id)
    if subject_id is not None:
        conditions.append(ActedFor.subject_id == subject_id)

    return await _page(session, and_(*conditions), limit=limit, cursor=cursor)
