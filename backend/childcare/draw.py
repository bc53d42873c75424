"""The lottery: after applications close, a draw orders the applications by a function of a
published seed and their ids, so that anyone holding the seed and the list can recompute it.

``draw_order`` is the whole algorithm (docs/childcare.md has a worked example):

1. the seed is 32 bytes, written as 64 lower-case hex digits;
2. each application's ticket is HMAC-SHA256(key = the seed's bytes, message = the
   application id as its 36-character lower-case text, ASCII), as 64 hex digits;
3. priority applications (a brother or sister was enrolled in a childcare program when
   they applied) come first, then the rest; within each group, tickets in ascending order.

The first ``capacity − places taken`` are offered a place, the others wait in that order.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.childcare import wire
from backend.childcare.models import Application, Draw, Program
from backend.childcare.programs import locked_program
from backend.core.errors import AppError
from backend.identity import lookup
from backend.notifications.service import notify
from schemas.childcare import DrawOut

ALGORITHM = "hmac-sha256-v1"


def ticket(seed: str, application_id: UUID) -> str:
    key = bytes.fromhex(seed)
    return hmac.new(key, str(application_id).encode("ascii"), hashlib.sha256).hexdigest()


def draw_order(seed: str, applications: Sequence[tuple[UUID, bool]]) -> list[UUID]:
    """The draw's order of ``applications`` (id, priority) under ``seed``."""
    return [
        app_id
        for _, _, app_id in sorted(
            (not priority, ticket(seed, app_id), app_id) for app_id, priority in applications
        )
    ]


def new_seed() -> str:
    return secrets.token_hex(32)


async def run_draw(
    session: AsyncSession, program_id: UUID, *, by: UUID, seed: str | None, now: datetime
) -> DrawOut:
    """Draw a lottery program once its applications have closed (409 ``not_a_lottery``,
    ``applications_still_open``, ``already_drawn``); offers go out with their deadline and the
    families are told, in this transaction."""
    program = await locked_program(session, program_id)
    if program.allocation != "lottery":
        raise AppError(409, "not_a_lottery")
    if program.drawn_at is not None:
        raise AppError(409, "already_drawn")
    if program.status != "published" or now < program.application_closes_at:
        raise AppError(409, "applications_still_open")
    seed = seed or new_seed()
    rows = (
        await session.execute(
            select(Application.id, Application.priority, Application.child_id)
            .where(Application.program_id == program.id, Application.status == "applied")
            .with_for_update()
        )
    ).all()
    order = draw_order(seed, [(r.id, r.priority) for r in rows])
    free = max(program.capacity - program.enrolled, 0)
    offered, waitlisted = order[:free], order[free:]
    deadline = now + timedelta(hours=program.offer_hours)
    changes = [
        {"id": app_id, "status": "offered", "draw_rank": rank, "offer_expires_at": deadline}
        for rank, app_id in enumerate(offered, start=1)
    ] + [
        {
            "id": app_id,
            "status": "waitlisted",
            "draw_rank": len(offered) + i,
            "queue_seq": program.queue_seq + i,
        }
        for i, app_id in enumerate(waitlisted, start=1)
    ]
    for change in changes:
        change["decided_at"] = change["updated_at"] = now
    if changes:
        await session.execute(update(Application), changes)
    program.enrolled += len(offered)
    program.queue_seq += len(waitlisted)
    program.drawn_at = program.updated_at = now
    record = Draw(
        program_id=program.id,
        seed=seed,
        algorithm=ALGORITHM,
        priority=[str(r.id) for r in rows if r.priority],
        offered=[str(i) for i in offered],
        waitlisted=[str(i) for i in waitlisted],
        drawn_by=by,
        drawn_at=now,
    )
    session.add(record)
    by_id = {r.id: r for r in rows}
    households = dict(
        (
            await session.execute(
                select(Application.id, Application.household_id).where(
                    Application.id.in_(list(by_id))
                )
            )
        ).all()
    )
    names = await lookup.member_names(session, [r.child_id for r in rows])
    for app_id in offered:
        await notify(
            session,
            user_id=households[app_id],
            kind="childcare_offer_made",
            data={
                "applicationId": app_id,
                "programId": program.id,
                "programName": program.name,
                "childName": names.get(by_id[app_id].child_id, ""),
                "offerExpiresAt": deadline,
            },
        )
    for position, app_id in enumerate(waitlisted, start=1):
        await notify(
            session,
            user_id=households[app_id],
            kind="childcare_waitlisted",
            data={
                "applicationId": app_id,
                "programId": program.id,
                "programName": program.name,
                "childName": names.get(by_id[app_id].child_id, ""),
                "position": position,
            },
        )
    await session.flush()
    return wire.draw_out(record)


async def get_draw(session: AsyncSession, program_id: UUID, *, published_only: bool) -> DrawOut:
    """The draw's record (404 before the draw, or for a program the caller cannot see)."""
    program = await session.get(Program, program_id)
    if program is None or (published_only and program.status != "published"):
        raise AppError(404, "not_found")
    record = await session.get(Draw, program_id)
    if record is None:
        raise AppError(404, "not_found")
    return wire.draw_out(record)
