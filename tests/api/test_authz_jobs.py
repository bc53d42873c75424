"""Authorization matrix of the background jobs' admin routes: admins only."""

from __future__ import annotations

import httpx
import pytest

from tests.authz import ROLES
from tests.conftest import problem
from tests.factories import MakeUser

ENDPOINTS = [
    ("GET", "/api/v1/admin/jobs"),
    ("POST", "/api/v1/admin/jobs/{jobId:int}/retry"),
]


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_on_each_endpoint(
    client: httpx.AsyncClient, make_user: MakeUser, role: str
) -> None:
    headers = {} if role == "anonymous" else (await make_user(role)).headers
    listed = await client.get("/api/v1/admin/jobs", headers=headers)
    retried = await client.post("/api/v1/admin/jobs/1/retry", headers=headers)
    if role == "anonymous":
        assert (listed.status_code, retried.status_code) == (401, 401)
        assert problem(listed)["code"] == "unauthorized"
    elif role == "admin":
        assert listed.status_code == 200, listed.text
        assert listed.json() == {"items": [], "nextCursor": None}
        assert retried.status_code == 404
        assert problem(retried)["code"] == "job_not_found"
    else:
        assert (listed.status_code, retried.status_code) == (403, 403), role
        assert problem(listed)["code"] == "forbidden"
