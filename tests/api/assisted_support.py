"""Helpers the assisted-residents tests share: a valid body, creating one, acting for one."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from tests.factories import Account, id_number

# Born 1940: an elder on any date these tests run. Every test has a database of its own.
_serials = itertools.count(100)


def new_id_number() -> str:
    return id_number(f"33040219400101{next(_serials):03d}")


def body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "王秀兰",
        "idNumber": new_id_number(),
        "address": "嘉兴市南湖区高照街道红旗路12号3幢201室",
        "contactPhone": "13912340000",
        "contactName": "王强",
        "relation": "son",
        **overrides,
    }


async def create(client: httpx.AsyncClient, worker: Account, **overrides: Any) -> dict[str, Any]:
    created = await client.post(
        "/api/v1/manage/assisted-residents", json=body(**overrides), headers=worker.headers
    )
    assert created.status_code == 201, created.text
    answer: dict[str, Any] = created.json()
    return answer


async def act(client: httpx.AsyncClient, worker: Account, user_id: str) -> dict[str, str]:
    """The headers of an acting token for ``user_id``."""
    acted = await client.post(
        f"/api/v1/manage/assisted-residents/{user_id}/act", headers=worker.headers
    )
    assert acted.status_code == 200, acted.text
    return {"Authorization": f"Bearer {acted.json()['accessToken']}"}
