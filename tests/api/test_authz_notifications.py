"""Authorization matrix of the inbox: every signed-in role has its own; nobody sees another's."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.notifications import service
from backend.notifications.messages import register_kinds
from tests.authz import ROLES
from tests.conftest import problem
from tests.factories import Account, MakeUser

ENDPOINTS = [
    ("GET", "/api/v1/me/notifications"),
    ("GET", "/api/v1/me/notifications/unread-count"),
    ("POST", "/api/v1/me/notifications/{notificationId:uuid}/read"),
    ("POST", "/api/v1/me/notifications/read-all"),
    ("POST", "/api/v1/me/devices"),
    ("GET", "/api/v1/me/devices"),
    ("DELETE", "/api/v1/me/devices/{deviceId:uuid}"),
    ("GET", "/api/v1/me/notification-settings"),
    ("PUT", "/api/v1/me/notification-settings"),
    # development only: anyone, no token needed (tests/api/test_push.py)
    ("GET", "/api/v1/dev/pushes"),
]
SETTINGS = {"push": True, "quietHours": None, "mutedKinds": []}

register_kinds(
    {
        "test_authz": {
            "zh-CN": ("权限测试", "权限测试消息。"),
            "en": ("Authorization test", "A message for the authorization matrix."),
        }
    }
)

Sessions = async_sessionmaker[AsyncSession]


async def _message_for(db: Sessions, client: httpx.AsyncClient, who: Account) -> str:
    async with db() as session, session.begin():
        await service.notify(session, user_id=who.id, kind="test_authz")
    listed = await client.get("/api/v1/me/notifications", headers=who.headers)
    ident: str = listed.json()["items"][0]["id"]
    return ident


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_on_each_endpoint(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, role: str
) -> None:
    if role == "anonymous":
        for method, template in ENDPOINTS:
            path = template.replace("{notificationId:uuid}", str(UUID(int=1)))
            path = path.replace("{deviceId:uuid}", str(UUID(int=1)))
            if path.startswith("/api/v1/dev/"):
                response = await client.get(path, params={"token": "x"})
                assert response.status_code == 200, path
                continue
            response = await client.request(method, path, json=SETTINGS)
            assert response.status_code == 401, (method, path)
            assert problem(response)["code"] == "unauthorized"
        return
    who = await make_user(role)
    ident = await _message_for(db, client, who)
    calls = [
        ("GET", "/api/v1/me/notifications"),
        ("GET", "/api/v1/me/notifications/unread-count"),
        ("POST", f"/api/v1/me/notifications/{ident}/read"),
        ("POST", "/api/v1/me/notifications/read-all"),
    ]
    for method, path in calls:
        response = await client.request(method, path, headers=who.headers)
        assert response.status_code == 200, (role, method, path, response.text)

    device = {"platform": "android", "provider": "log", "token": f"authz-{role}-{who.id}"}
    created = await client.post("/api/v1/me/devices", json=device, headers=who.headers)
    assert created.status_code == 201, (role, created.text)
    listed = await client.get("/api/v1/me/devices", headers=who.headers)
    assert [d["id"] for d in listed.json()] == [created.json()["id"]]
    read = await client.get("/api/v1/me/notification-settings", headers=who.headers)
    assert read.status_code == 200
    written = await client.put(
        "/api/v1/me/notification-settings", json=SETTINGS, headers=who.headers
    )
    assert written.status_code == 200, written.text
    deleted = await client.delete(f"/api/v1/me/devices/{created.json()['id']}", headers=who.headers)
    assert deleted.status_code == 204
    pushes = await client.get("/api/v1/dev/pushes", params={"token": device["token"]})
    assert pushes.status_code == 200


@pytest.mark.parametrize(
    ("owner_role", "intruder_role"),
    [("resident", "resident")]
    + [("resident", role) for role in ROLES if role not in ("anonymous", "resident")]
    + [("worker", "resident")],
)
async def test_nobody_reads_or_marks_anothers_message(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    db: Sessions,
    owner_role: str,
    intruder_role: str,
) -> None:
    owner, intruder = await make_user(owner_role), await make_user(intruder_role)
    ident = await _message_for(db, client, owner)

    marked = await client.post(f"/api/v1/me/notifications/{ident}/read", headers=intruder.headers)
    assert marked.status_code == 404
    assert problem(marked)["code"] == "notification_not_found"

    listed = await client.get("/api/v1/me/notifications", headers=intruder.headers)
    assert listed.json()["items"] == []
    await client.post("/api/v1/me/notifications/read-all", headers=intruder.headers)
    count = await client.get("/api/v1/me/notifications/unread-count", headers=owner.headers)
    assert count.json() == {"count": 1}


@pytest.mark.parametrize(
    ("owner_role", "intruder_role"),
    [("resident", "resident"), ("resident", "admin"), ("worker", "resident")],
)
async def test_nobody_sees_or_removes_anothers_device(
    client: httpx.AsyncClient, make_user: MakeUser, owner_role: str, intruder_role: str
) -> None:
    owner, intruder = await make_user(owner_role), await make_user(intruder_role)
    device = {"platform": "ios", "provider": "log", "token": f"own-{owner.id}"}
    created = await client.post("/api/v1/me/devices", json=device, headers=owner.headers)
    ident = created.json()["id"]

    removed = await client.delete(f"/api/v1/me/devices/{ident}", headers=intruder.headers)
    assert removed.status_code == 404
    assert problem(removed)["code"] == "not_found"
    assert (await client.get("/api/v1/me/devices", headers=intruder.headers)).json() == []
    owned = await client.get("/api/v1/me/devices", headers=owner.headers)
    assert [d["id"] for d in owned.json()] == [ident]
