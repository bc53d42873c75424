"""A retry of a request whose worker was killed mid-request is not refused as "in progress"."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from sqlalchemy import func, make_url, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.database import plain_url
from backend.identity.models import HouseholdMember
from tests.conftest import ROOT, TEST_DATA_KEY, TEST_JWT_SECRET, problem
from tests.factories import MakeUser

URL = "/api/v1/me/members"


@dataclass
class Worker:
    base_url: str
    process: subprocess.Popen[bytes]


MEMBER = {"name": "张建国", "relation": "father", "birthDate": "1948-03-12"}


@pytest.fixture
def worker(database_url: str, tmp_path: os.PathLike[str]) -> Iterator[Worker]:
    """A real app worker in a process of its own (so it can be killed), on a loopback socket
    this test bound."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    env = {
        **os.environ,
        "QIYOU_ENV": "test",
        "QIYOU_DATABASE_URL": database_url,
        "QIYOU_DATA_DIR": str(tmp_path),
        "QIYOU_JWT_SECRET": TEST_JWT_SECRET,
        "QIYOU_DATA_KEY": base64.urlsafe_b64encode(TEST_DATA_KEY).decode(),
        "QIYOU_ACCESS_LOG": "false",
        "QIYOU_REDIS_URL": "",
        # The test holds the request inside its transaction on purpose until it kills the
        # worker; on a loaded machine that outlasts the default statement timeout, which would
        # answer the request (503) before the kill.
        "QIYOU_DB_STATEMENT_TIMEOUT": "600",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "backend.asgi:create",
            "--factory",
            "--fd",
            str(listener.fileno()),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        pass_fds=[listener.fileno()],
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                    break
            assert process.poll() is None, "the worker did not start"
            assert time.monotonic() < deadline, "the worker did not answer"
            time.sleep(0.1)
        yield Worker(base_url=base, process=process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        listener.close()


async def _backend_waiting_for_a_lock(
    admin: asyncpg.Connection, database: str, request: asyncio.Task[httpx.Response]
) -> int:
    for _ in range(200):
        if request.done():
            raise AssertionError(f"the request was answered: {request.result().text}")
        pid = await admin.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'qiyou'"
            " AND wait_event_type = 'Lock'",
            database,
        )
        if pid is not None:
            return int(pid)
        await asyncio.sleep(0.05)
    raise AssertionError("the worker's request never reached the blocked statement")


async def _gone(admin: asyncpg.Connection, pid: int) -> None:
    for _ in range(200):
        if not await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("PostgreSQL kept the dead worker's backend")


async def test_a_retry_after_the_worker_died_runs_instead_of_waiting(
    worker: Worker,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    database_url: str,
    db: async_sessionmaker[AsyncSession],
) -> None:
    account = await make_user()
    headers = {**account.headers, "Idempotency-Key": "killed-mid-request"}
    # Two connections: pg_stat_activity is read once per transaction, so the one holding the
    # lock cannot watch the others.
    admin = await asyncpg.connect(plain_url(database_url))
    watcher = await asyncpg.connect(plain_url(database_url))
    try:
        # Hold the household's row, so the worker's request stops inside its transaction.
        blocker = admin.transaction()
        await blocker.start()
        await admin.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", account.id)
        async with httpx.AsyncClient(base_url=worker.base_url, timeout=30) as remote:
            first = asyncio.create_task(remote.post(URL, json=MEMBER, headers=headers))
            stuck = await _backend_waiting_for_a_lock(
                watcher, str(make_url(database_url).database), first
            )

            # The first attempt is alive: a retry is told to wait.
            meanwhile = await client.post(URL, json=MEMBER, headers=headers)
            assert meanwhile.status_code == 409, meanwhile.text
            assert problem(meanwhile)["code"] == "idempotency_request_in_progress"

            # The worker is killed mid-request.
            worker.process.send_signal(signal.SIGKILL)
            with pytest.raises(httpx.HTTPError):
                await first
        await blocker.rollback()
        await _gone(watcher, stuck)
    finally:
        await admin.close()
        await watcher.close()

    retry = await client.post(URL, json=MEMBER, headers=headers)
    assert retry.status_code == 201, retry.text
    again = await client.post(URL, json=MEMBER, headers=headers)
    assert again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == retry.json()
    async with db() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(HouseholdMember)
            .where(HouseholdMember.owner_id == account.id)
        )
    assert count == 1
