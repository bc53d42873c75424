"""Concurrent requests against the places' invariant: never more enrolled children and open
offers than ``capacity``, the waitlist in arrival order, and a freed place passed on exactly
once. The client runs the app in this event loop, so gathered requests truly overlap."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.childcare.models import Application, Program
from backend.config import Settings
from backend.core.clock import FrozenClock
from tests.api.childcare_support import (
    APPLICATIONS,
    apply,
    guardians,
    make_complex,
    published_program,
)
from tests.factories import MakeUser

pytestmark = pytest.mark.storm


async def _statuses(db: async_sessionmaker[AsyncSession], program_id: str) -> Counter[str]:
    async with db() as session:
        rows = await session.execute(
            select(Application.status, func.count())
            .where(Application.program_id == program_id)
            .group_by(Application.status)
        )
        return Counter(dict(rows.all()))


async def _taken(db: async_sessionmaker[AsyncSession], program_id: str) -> int:
    async with db() as session:
        return int(await session.scalar(select(Program.enrolled).where(Program.id == program_id)))


async def test_three_hundred_guardians_for_forty_places(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
) -> None:
    where = await make_complex(client, make_user)
    program = await published_program(client, where, clock, capacity=40)
    families = await guardians(db, settings, clock, 300)
    responses = await asyncio.gather(
        *(apply(client, parent, program["id"], child) for parent, child in families)
    )
    assert Counter(r.status_code for r in responses) == {201: 300}, [
        r.text for r in responses if r.status_code != 201
    ][:3]
    answered = Counter(r.json()["status"] for r in responses)
    assert answered == {"enrolled": 40, "waitlisted": 260}
    assert await _statuses(db, program["id"]) == {"enrolled": 40, "waitlisted": 260}
    assert await _taken(db, program["id"]) == 40
    # Arrival order: every enrolled child came before every waiting one, and the positions
    # handed out are 1…260, each once.
    async with db() as session:
        rows = (
            await session.execute(
                select(Application.status, Application.queue_seq)
                .where(Application.program_id == program["id"])
                .order_by(Application.queue_seq)
            )
        ).all()
    assert [r.status for r in rows] == ["enrolled"] * 40 + ["waitlisted"] * 260
    assert [r.queue_seq for r in rows] == list(range(1, 301))
    positions = sorted(r.json()["waitlistPosition"] or 0 for r in responses)
    assert positions[40:] == list(range(1, 261))


async def test_concurrent_withdrawals_and_declines_never_over_enrol(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
) -> None:
    where = await make_complex(client, make_user)
    program = await published_program(client, where, clock, capacity=10)
    families = await guardians(db, settings, clock, 30)
    answers = [(await apply(client, p, program["id"], c)).json() for p, c in families]
    by_id = {a["id"]: p for a, (p, _) in zip(answers, families, strict=True)}
    enrolled = [a["id"] for a in answers if a["status"] == "enrolled"]
    assert len(enrolled) == 10
    withdrawals = await asyncio.gather(
        *(client.post(f"{APPLICATIONS}/{i}/withdraw", headers=by_id[i].headers) for i in enrolled)
    )
    assert {r.status_code for r in withdrawals} == {200}
    assert await _statuses(db, program["id"]) == {"withdrawn": 10, "offered": 10, "waitlisted": 10}
    assert await _taken(db, program["id"]) == 10
    async with db() as session:
        offered = list(
            await session.scalars(
                select(Application.id).where(
                    Application.program_id == program["id"], Application.status == "offered"
                )
            )
        )
    declines = await asyncio.gather(
        *(
            client.post(f"{APPLICATIONS}/{i}/decline", headers=by_id[str(i)].headers)
            for i in offered
        )
    )
    assert {r.status_code for r in declines} == {200}
    # Each decline passed its place to the next waiting family, exactly once.
    assert await _statuses(db, program["id"]) == {
        "withdrawn": 10, "declined": 10, "offered": 10,
    }  # fmt: skip
    assert await _taken(db, program["id"]) == 10
    # The same declines again: refused, nothing moves.
    repeats = await asyncio.gather(
        *(
            client.post(f"{APPLICATIONS}/{i}/decline", headers=by_id[str(i)].headers)
            for i in offered
        )
    )
    assert {r.status_code for r in repeats} == {409}
    assert await _taken(db, program["id"]) == 10
