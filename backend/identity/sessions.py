"""Login sessions: refresh-token rotation with reuse detection, logout, the devices list.

A login session is one device's family of refresh tokens. Every refresh spends the presented
token with one conditional UPDATE, so of many concurrent refreshes with one token exactly one
wins. A spent token presented again means two parties hold the family (a stolen token, or a
replay): the whole session is revoked, committed before the error is answered, and its access
tokens are refused at once.

Ending a session sets ``auth_sessions.revoked_at``; that is what keeps it ended across
restarts, workers and hosts (``core.revocations``). The ``Revoker`` only lets the revoking
process refuse the tokens without waiting for the database's notification.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.batches import delete_batch
from backend.core.clock import to_local
from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.core.revocations import MARGIN_SECONDS
from backend.core.security import token_hash
from backend.identity.models import AuthSession, RefreshToken, User
from backend.identity.service import ClientInfo, Revoker, issue_pair
from schemas.common import Page
from schemas.identity import SessionOut, TokenPair


async def _end_sessions(
    session: AsyncSession, ids: list[UUID], *, user_id: UUID | None, now: datetime, reason: str
) -> list[UUID]:
    statement = (
        update(AuthSession)
        .where(AuthSession.id.in_(ids), AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .returning(AuthSession.id)
        .execution_options(synchronize_session=False)
    )
    if user_id is not None:
        statement = statement.where(AuthSession.user_id == user_id)
    return list((await session.execute(statement)).scalars())


async def refresh(
    session: AsyncSession,
    settings: Settings,
    revoke: Revoker,
    refresh_token: str,
    *,
    client: ClientInfo,
    now: datetime,
) -> TokenPair:
    digest = token_hash(refresh_token)
    won = (
        await session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.token_hash == digest,
                RefreshToken.spent_at.is_(None),
                RefreshToken.expires_at > now,
            )
            .values(spent_at=now)
            .returning(RefreshToken.session_id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if won is None:
        known = (
            await session.execute(
                select(RefreshToken.session_id, RefreshToken.spent_at).where(
                    RefreshToken.token_hash == digest
                )
            )
        ).first()
        if known is not None and known.spent_at is not None:
            await _end_sessions(
                session, [known.session_id], user_id=None, now=now, reason="refresh_reused"
            )
            await revoke([known.session_id])
            # Committed here: the error answer below rolls the request's transaction back.
            await session.commit()
            raise AppError(401, "refresh_token_reused")
        raise AppError(401, "refresh_token_invalid")

    login = (
        await session.execute(
            select(AuthSession).where(AuthSession.id == won.session_id).with_for_update()
        )
    ).scalar_one()
    user = await session.get(User, login.user_id)
    if (
        login.revoked_at is not None
        or login.expires_at <= now
        or user is None
        or not user.is_active
    ):
        raise AppError(401, "refresh_token_invalid")
    # Sliding expiry: a phone that keeps using the app stays logged in; one idle for the whole
    # refresh lifetime has to log in again.
    login.last_used_at = now
    login.expires_at = now + timedelta(seconds=settings.refresh_token_ttl_seconds)
    if client.address:
        login.client_ip = client.address[:64]
    # Spent tokens are kept for reuse detection only while they could still have been valid.
    await session.execute(
        delete(RefreshToken).where(
            RefreshToken.session_id == login.id, RefreshToken.expires_at <= now
        )
    )
    return await issue_pair(session, settings, user, login, now=now)


async def logout(
    session: AsyncSession,
    revoke: Revoker,
    *,
    user_id: UUID,
    current_session_id: UUID,
    refresh_token: str,
    now: datetime,
) -> None:
    """End the caller's current login and the one the refresh token belongs to, if theirs.

    Always succeeds: a phone logging out must not be left holding a session because its
    refresh token was already rotated or expired.
    """
    ids = {current_session_id}
    owned = (
        await session.execute(
            select(RefreshToken.session_id)
            .join(AuthSession, AuthSession.id == RefreshToken.session_id)
            .where(RefreshToken.token_hash == token_hash(refresh_token))
            .where(AuthSession.user_id == user_id)
        )
    ).scalar_one_or_none()
    if owned is not None:
        ids.add(owned)
    await _end_sessions(session, sorted(ids), user_id=user_id, now=now, reason="logout")
    await revoke(sorted(ids))


def _active(user_id: UUID, now: datetime) -> list[ColumnElement[bool]]:
    return [
        AuthSession.user_id == user_id,
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > now,
    ]


SESSIONS = Keyset("sessions", (UUID,))


async def list_sessions(
    session: AsyncSession,
    *,
    user_id: UUID,
    current_session_id: UUID,
    now: datetime,
    limit: int,
    cursor: str | None,
) -> Page[SessionOut]:
    """The devices logged in, newest login first."""
    after = SESSIONS.decode(cursor)
    query = select(AuthSession).where(*_active(user_id, now))
    if after is not None:
        query = query.where(AuthSession.id < after[0])
    rows = (
        (await session.execute(query.order_by(AuthSession.id.desc()).limit(limit + 1)))
        .scalars()
        .all()
    )
    page, next_cursor = SESSIONS.paginate(rows, limit, lambda row: [row.id])
    return Page(
        items=[
            SessionOut(
                id=row.id,
                device_name=row.device_name,
                client_ip=row.client_ip,
                created_at=to_local(row.created_at),
                last_used_at=to_local(row.last_used_at),
                current=row.id == current_session_id,
            )
            for row in page
        ],
        next_cursor=next_cursor,
    )


async def end_session(
    session: AsyncSession,
    revoke: Revoker,
    *,
    user_id: UUID,
    session_id: UUID,
    now: datetime,
) -> None:
    """Log one of the caller's devices out; someone else's or an ended session is 404."""
    ended = await _end_sessions(session, [session_id], user_id=user_id, now=now, reason="revoked")
    if not ended:
        raise AppError(404, "not_found")
    await revoke(ended)


async def delete_ended_sessions(
    session: AsyncSession, settings: Settings, *, now: datetime, limit: int
) -> int:
    """Housekeeping (a periodic job, ``backend.jobs.housekeeping``): drop up to ``limit`` login
    sessions that ended — revoked, or expired — more than ``session_retention_days`` ago, with
    their refresh tokens (cascade).

    Never one the revocation list still loads: it reads the sessions revoked within the last
    access-token lifetime plus a margin (``core.revocations``), so the cut-off is never later
    than that, whatever the setting.
    """
    keep = max(
        timedelta(days=settings.session_retention_days),
        timedelta(seconds=settings.access_token_ttl_seconds + MARGIN_SECONDS),
    )
    cutoff = now - keep
    ended = or_(AuthSession.revoked_at < cutoff, AuthSession.expires_at < cutoff)
    return await delete_batch(session, AuthSession, (AuthSession.id,), ended, limit=limit)
