"""Push providers behind one interface: APNs, JPush and ``log`` (development).

A provider answers each push with an :class:`Outcome`, or raises :class:`RetryLater` for a
failure worth trying again (a 5xx, 429, a timeout, a connection that broke): the delivery job
then releases its claim and fails, and the queue retries it with exponential backoff.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import httpx
import jwt
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.base import new_id
from backend.notifications.models import LoggedPush

log = logging.getLogger("qiyou.push")

# Provider tokens of APNs are valid for an hour and must not be renewed more often than every
# 20 minutes (Apple: TooManyProviderTokenUpdates); 50 minutes stays inside both.
APNS_TOKEN_LIFETIME = 50 * 60
# A push that could not be delivered within a day is no longer worth showing.
TIME_TO_LIVE = 24 * 3600


class Outcome(StrEnum):
    SENT = "sent"
    # The provider says the token is no longer valid: the device is removed.
    GONE = "gone"
    # Refused for a reason a retry would not change (a payload too large, say): logged, kept.
    REJECTED = "rejected"


class RetryLater(Exception):  # noqa: N818  (a signal, not an error of ours)
    """The provider failed in a way a later attempt may not: 5xx, 429, timeouts."""


@dataclass(frozen=True, slots=True)
class PushMessage:
    kind: str
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)
    safety: bool = False


class PushProvider(ABC):
    name: str

    @abstractmethod
    async def send(self, token: str, message: PushMessage, *, now: datetime) -> Outcome: ...

    async def aclose(self) -> None:
        return None


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    return str(body.get("reason", "")) if isinstance(body, dict) else ""


class ApnsProvider(PushProvider):
    """Apple Push Notification service over HTTP/2 with token (JWT, ES256) authentication."""

    name = "apns"
    GONE_REASONS = frozenset({"BadDeviceToken", "Unregistered", "DeviceTokenNotForTopic"})
    STALE_TOKEN_REASONS = frozenset({"ExpiredProviderToken", "InvalidProviderToken"})

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.client = client or httpx.AsyncClient(http2=True, timeout=settings.push_timeout_seconds)
        self._token: tuple[str, float] | None = None

    def provider_token(self) -> str:
        issued = time.time()
        if self._token is not None and issued - self._token[1] < APNS_TOKEN_LIFETIME:
            return self._token[0]
        token = jwt.encode(
            {"iss": self.settings.apns_team_id, "iat": int(issued)},
            self.settings.apns_private_key,
            algorithm="ES256",
            headers={"kid": self.settings.apns_key_id},
        )
        self._token = (token, issued)
        return token

    async def send(self, token: str, message: PushMessage, *, now: datetime) -> Outcome:
        payload = {
            "aps": {
                "alert": {"title": message.title, "body": message.body},
                "sound": "default",
                # Safety alerts break through Focus modes (the app holds the entitlement).
                "interruption-level": "time-sensitive" if message.safety else "active",
            },
            "kind": message.kind,
            "data": message.data,
        }
        headers = {
            "authorization": f"bearer {self.provider_token()}",
            "apns-topic": self.settings.apns_topic,
            "apns-push-type": "alert",
            "apns-priority": "10",
            "apns-expiration": str(int(now.timestamp()) + TIME_TO_LIVE),
        }
        url = f"{self.settings.apns_url.rstrip('/')}/3/device/{token}"
        try:
            response = await self.client.post(url, json=payload, headers=headers)
        except httpx.HTTPError as exc:  # timeouts, refused or broken connections
            raise RetryLater(f"APNs: {type(exc).__name__}") from exc
        if response.status_code == 200:
            return Outcome.SENT
        reason = _reason(response)
        if response.status_code == 410 or reason in self.GONE_REASONS:
            return Outcome.GONE
        if response.status_code == 403 and reason in self.STALE_TOKEN_REASONS:
            self._token = None
            raise RetryLater(f"APNs: {reason}")
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryLater(f"APNs: {response.status_code} {reason}")
        log.warning("APNs refused a push: %s %s", response.status_code, reason)
        return Outcome.REJECTED

    async def aclose(self) -> None:
        await self.client.aclose()


class JPushProvider(PushProvider):
    """JPush (极光推送) REST API v3, basic auth ``appKey:masterSecret``."""

    name = "jpush"
    # "cannot find user by this audience": the registration id is unknown or expired.
    GONE_CODES = frozenset({1011})

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.client = client or httpx.AsyncClient(timeout=settings.push_timeout_seconds)
        secret = f"{settings.jpush_app_key}:{settings.jpush_master_secret}"
        self.authorization = "Basic " + base64.b64encode(secret.encode()).decode()

    async def send(self, token: str, message: PushMessage, *, now: datetime) -> Outcome:
        extras = {"kind": message.kind, "data": message.data}
        payload = {
            "platform": "all",
            "audience": {"registration_id": [token]},
            "notification": {
                "alert": message.body,
                "android": {
                    "alert": message.body,
                    "title": message.title,
                    "priority": 2 if message.safety else 0,
                    "extras": extras,
                },
                "ios": {
                    "alert": {"title": message.title, "body": message.body},
                    "sound": "default",
                    "extras": extras,
                },
                "hmos": {"alert": message.body, "title": message.title, "extras": extras},
            },
            "options": {
                "time_to_live": TIME_TO_LIVE,
                "apns_production": self.settings.jpush_apns_production,
            },
        }
        try:
            response = await self.client.post(
                self.settings.jpush_url,
                json=payload,
                headers={"Authorization": self.authorization},
            )
        except httpx.HTTPError as exc:
            raise RetryLater(f"JPush: {type(exc).__name__}") from exc
        if response.status_code == 200:
            return Outcome.SENT
        code = _jpush_code(response)
        if code in self.GONE_CODES:
            return Outcome.GONE
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryLater(f"JPush: {response.status_code} {code}")
        log.warning("JPush refused a push: %s %s", response.status_code, code)
        return Outcome.REJECTED

    async def aclose(self) -> None:
        await self.client.aclose()


def _jpush_code(response: httpx.Response) -> int | None:
    try:
        body = response.json()
        code = body["error"]["code"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
        return None
    return int(code) if isinstance(code, int | str) and str(code).isdigit() else None


class LogProvider(PushProvider):
    """Development and tests: keeps every push in ``logged_pushes`` for ``GET /dev/pushes``."""

    name = "log"

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def send(self, token: str, message: PushMessage, *, now: datetime) -> Outcome:
        log.info("push to %s…: %s", token[:8], message.kind)
        async with self.sessions() as session, session.begin():
            await session.execute(
                insert(LoggedPush).values(
                    id=new_id(),
                    token=token,
                    kind=message.kind,
                    title=message.title[:200],
                    body=message.body[:2000],
                    data=message.data,
                    sent_at=now,
                )
            )
        return Outcome.SENT


def build_providers(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> dict[str, PushProvider]:
    """The providers this server pushes through (those with credentials; ``log`` outside
    production)."""
    providers: dict[str, PushProvider] = {}
    if settings.apns_configured:
        providers["apns"] = ApnsProvider(settings)
    if settings.jpush_configured:
        providers["jpush"] = JPushProvider(settings)
    if settings.push_provider_available("log"):
        providers["log"] = LogProvider(sessions)
    return providers
