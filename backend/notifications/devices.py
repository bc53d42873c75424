"""Devices that receive pushes, and each user's notification settings.

A token belongs to one user at a time: registered by another user (a phone handed on, another
account logged in), the row moves to them in one statement, so two users registering one token
at once leave it with exactly one of them.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from uuid import UUID

from sqlalchemy import delete, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.base import new_id
from backend.core.clock import to_local
from backend.core.errors import AppError, FieldError
from backend.notifications.models import Device, LoggedPush, NotificationPreference
from schemas.notifications import (
    DeviceIn,
    DeviceOut,
    DevPush,
    DevPushes,
    NotificationSettings,
    QuietHours,
)

MAX_DEVICES_PER_USER = 20


def _out(row: Device) -> DeviceOut:
    return DeviceOut(
        id=row.id,
        platform=row.platform,  # type: ignore[arg-type]  # held by a CHECK constraint
        provider=row.provider,  # type: ignore[arg-type]
        created_at=to_local(row.created_at),
    )


async def register_device(
    session: AsyncSession, settings: Settings, user_id: UUID, data: DeviceIn
) -> tuple[DeviceOut, bool]:
    """The device and whether it is new (201) rather than known and now this user's (200).

    Production refuses a provider it does not push through (``log``, or one without
    credentials), so no device exists there that nothing would ever push to."""
    if not settings.accepts_devices_of(data.provider):
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError("provider", "this server does not push through this provider")],
        )
    statement: Any = (
        insert(Device)
        .values(
            id=new_id(),
            user_id=user_id,
            platform=data.platform,
            provider=data.provider,
            token=data.token,
        )
        .on_conflict_do_update(
            index_elements=[Device.provider, Device.token],
            set_={"user_id": user_id, "platform": data.platform},
        )
        # xmax is 0 on a row this statement inserted, the locking transaction's id on one it
        # updated: the documented way to tell the two apart in one round trip.
        .returning(Device, literal_column("xmax = 0").label("inserted"))
    )
    row = (await session.execute(statement)).one()
    device, inserted = row[0], bool(row[1])
    # A user who collects devices (a test farm, a leaked token list) keeps the newest ones.
    stale = (
        select(Device.id)
        .where(Device.user_id == user_id)
        .order_by(Device.created_at.desc(), Device.id.desc())
        .offset(MAX_DEVICES_PER_USER)
    )
    await session.execute(delete(Device).where(Device.id.in_(stale.scalar_subquery())))
    return _out(device), inserted


async def list_devices(session: AsyncSession, user_id: UUID) -> list[DeviceOut]:
    rows = await session.scalars(
        select(Device).where(Device.user_id == user_id).order_by(Device.created_at, Device.id)
    )
    return [_out(row) for row in rows]


async def remove_device(session: AsyncSession, user_id: UUID, device_id: UUID) -> None:
    """Another user's device is "not found", never "forbidden"."""
    removed = await session.scalar(
        delete(Device).where(Device.id == device_id, Device.user_id == user_id).returning(Device.id)
    )
    if removed is None:
        raise AppError(404, "not_found")


def _hhmm(moment: time) -> str:
    return moment.strftime("%H:%M")


def _settings_out(row: NotificationPreference | None) -> NotificationSettings:
    if row is None:
        return NotificationSettings(push=True, quiet_hours=None, muted_kinds=[])
    quiet = (
        QuietHours(from_=_hhmm(row.quiet_from), to=_hhmm(row.quiet_to))
        if row.quiet_from is not None and row.quiet_to is not None
        else None
    )
    return NotificationSettings(push=row.push, quiet_hours=quiet, muted_kinds=list(row.muted_kinds))


async def get_settings(session: AsyncSession, user_id: UUID) -> NotificationSettings:
    return _settings_out(await session.get(NotificationPreference, user_id))


async def put_settings(
    session: AsyncSession, user_id: UUID, data: NotificationSettings, *, now: datetime
) -> NotificationSettings:
    quiet_from = quiet_to = None
    if data.quiet_hours is not None:
        quiet_from = time.fromisoformat(data.quiet_hours.from_)
        quiet_to = time.fromisoformat(data.quiet_hours.to)
    muted = sorted(set(data.muted_kinds))
    values = {
        "push": data.push,
        "quiet_from": quiet_from,
        "quiet_to": quiet_to,
        "muted_kinds": muted,
        "updated_at": now,
    }
    row = await session.scalar(
        insert(NotificationPreference)
        .values(user_id=user_id, **values)
        .on_conflict_do_update(index_elements=[NotificationPreference.user_id], set_=values)
        .returning(NotificationPreference),
        execution_options={"populate_existing": True},
    )
    return _settings_out(row)


async def logged_pushes(session: AsyncSession, token: str, *, limit: int = 100) -> DevPushes:
    """What the ``log`` provider sent to ``token``, oldest first (the last ``limit``)."""
    rows = list(
        await session.scalars(
            select(LoggedPush)
            .where(LoggedPush.token == token)
            .order_by(LoggedPush.id.desc())
            .limit(limit)
        )
    )
    return DevPushes(
        items=[
            DevPush(
                kind=row.kind,
                title=row.title,
                body=row.body,
                data=row.data,
                sent_at=to_local(row.sent_at),
            )
            for row in reversed(rows)
        ]
    )
