"""Helpers the identity tests share: codes through the dev outbox, registration, ID numbers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar import Litestar

from tests.conftest import running
from tests.factories import new_phone

PASSWORD = "Canal-walk-2026"


async def send_code(client: httpx.AsyncClient, phone: str, purpose: str = "register") -> str:
    sent = await client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": purpose})
    assert sent.status_code == 202, sent.text
    latest = await client.get("/api/v1/dev/sms-codes/latest", params={"phone": phone})
    assert latest.status_code == 200, latest.text
    code: str = latest.json()["code"]
    return code


async def register(
    client: httpx.AsyncClient,
    phone: str | None = None,
    *,
    password: str = PASSWORD,
    display_name: str = "居民",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    phone = phone or new_phone()
    code = await send_code(client, phone)
    response = await client.post(
        "/api/v1/auth/register",
        json={"phone": phone, "smsCode": code, "password": password, "displayName": display_name},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['accessToken']}"}


def wrong(code: str) -> str:
    """A six-digit code that is certainly not ``code``."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


@asynccontextmanager
async def serve(app: Litestar, peer: str = "203.0.113.10") -> AsyncIterator[httpx.AsyncClient]:
    """A client for an app built inside a test (other settings), from the given peer address."""
    async with running(app):
        transport = httpx.ASGITransport(app=app, client=(peer, 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", timeout=60
        ) as http:
            yield http
