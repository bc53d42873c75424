"""Authorization matrix of the catalog: public for everyone, personal parts only for a caller."""

from __future__ import annotations

import httpx
import pytest

from tests.authz import ROLES
from tests.factories import MakeUser

ENDPOINTS = [
    ("GET", "/api/v1/programs"),
    ("GET", "/api/v1/programs/{code:str}"),
    ("GET", "/api/v1/home"),
]


@pytest.mark.parametrize("role", ROLES)
async def test_every_role_reads_the_catalog_and_home(
    client: httpx.AsyncClient, make_user: MakeUser, role: str
) -> None:
    headers = {} if role == "anonymous" else (await make_user(role)).headers
    for path in ("/api/v1/programs", "/api/v1/programs/eldercare"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, (role, path, response.text)
    home = await client.get("/api/v1/home", headers=headers)
    assert home.status_code == 200, (role, home.text)
    assert home.json()["unreadCount"] == (None if role == "anonymous" else 0)
