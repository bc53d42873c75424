"""Helpers of the push tests: devices straight in the database, a job context, APNs keys."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.base import new_id
from backend.core.clock import Clock
from backend.jobs import JobContext
from backend.notifications import push, service
from backend.notifications.messages import register_kinds
from backend.notifications.models import Device, Notification

Sessions = async_sessionmaker[AsyncSession]

register_kinds(
    {
        "test_push": {
            "zh-CN": ("推送测试", "给{name}的推送。"),
            "en": ("Push test", "A push for {name}."),
        }
    }
)


def apns_key() -> tuple[str, ec.EllipticCurvePublicKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


def with_apns(settings: Settings, pem: str, url: str) -> Settings:
    return replace(
        settings,
        apns_key_id="KEY1234567",
        apns_team_id="TEAM123456",
        apns_topic="cn.gaozhao.qiyou",
        apns_private_key=pem,
        apns_url=url,
        push_timeout_seconds=2.0,
    )


def with_jpush(settings: Settings, url: str) -> Settings:
    return replace(
        settings,
        jpush_app_key="appkey123",
        jpush_master_secret="secret456",
        jpush_url=url,
        push_timeout_seconds=2.0,
    )


async def add_device(db: Sessions, user_id: UUID, provider: str, token: str) -> UUID:
    ident = new_id()
    async with db() as session, session.begin():
        session.add(
            Device(id=ident, user_id=user_id, platform="ios", provider=provider, token=token)
        )
    return ident


async def device_ids(db: Sessions, user_id: UUID) -> list[UUID]:
    async with db() as session:
        return list(await session.scalars(select(Device.id).where(Device.user_id == user_id)))


async def notify(
    db: Sessions, user_ids: list[UUID], kind: str = "test_push", **data: Any
) -> list[UUID]:
    """Notify and return the ids of the notifications written (newest last)."""
    async with db() as session, session.begin():
        await service.notify_many(session, user_ids=user_ids, kind=kind, data=data or {"name": "x"})
    async with db() as session:
        rows = await session.scalars(
            select(Notification.id)
            .where(Notification.user_id.in_(user_ids), Notification.kind == kind)
            .order_by(Notification.id)
        )
        return list(rows)


async def run_push(
    settings: Settings, db: Sessions, clock: Clock, ids: list[UUID], attempt: int = 1
) -> None:
    """Run the push job directly, as the queue would."""
    ctx = JobContext(settings=settings, sessions=db, clock=clock, attempt=attempt)
    await push.deliver(ctx, {"notificationIds": [str(i) for i in ids]})
