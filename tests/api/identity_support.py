"""Helpers the identity tests share: codes through the dev outbox, registration, ID numbers."""

from __future__ import annotations

from typing import Any

import httpx

# ``serve`` lives in conftest with the other ways to run an app; the identity tests import it here.
from tests.conftest import serve as serve
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
