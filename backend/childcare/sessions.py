"""The sessions' room holds and what a closure of the room does to them: the sessions inside
it are cancelled and the guardians of the enrolled children told, in the closure's transaction
(the hub calls ``SessionHolds`` for bookings of kind ``childcare``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.childcare.models import Application, Program, Session
from backend.hub import service as hub
from backend.notifications.service import notify_many


class SessionHolds:
    async def lock(self, session: AsyncSession, booking_ids: Sequence[UUID]) -> None:
        """The programs of the sessions about to lose their room, in id order, as every
        childcare change locks them (program row, then the room)."""
        if not booking_ids:
            return
        program_ids = select(Session.program_id).where(Session.room_hold_id.in_(booking_ids))
        await session.execute(
            select(Program.id)
            .where(Program.id.in_(program_ids))
            .order_by(Program.id)
            .with_for_update()
        )

    async def lost(
        self, session: AsyncSession, holds: Sequence[hub.LostRoomHold], *, now: datetime
    ) -> None:
        by_booking = {h.booking_id: h for h in holds}
        cancelled = (
            await session.execute(
                select(Session.id, Session.program_id, Session.date, Session.room_hold_id)
                .where(Session.room_hold_id.in_(list(by_booking)), Session.status == "scheduled")
                .order_by(Session.date)
            )
        ).all()
        if not cancelled:
            return
        await session.execute(
            update(Session)
            .where(Session.id.in_([c.id for c in cancelled]))
            # One closure, one reason: every hold it reached carries the same.
            .values(status="cancelled", cancel_reason=holds[0].reason[:200], room_hold_id=None)
            .execution_options(synchronize_session=False)
        )
        programs = dict(
            (
                await session.execute(
                    select(Program.id, Program.name).where(
                        Program.id.in_({c.program_id for c in cancelled})
                    )
                )
            ).all()
        )
        for row in cancelled:
            guardians = (
                await session.scalars(
                    select(Application.household_id)
                    .where(
                        Application.program_id == row.program_id,
                        Application.status == "enrolled",
                    )
                    .distinct()
                )
            ).all()
            hold = by_booking[row.room_hold_id]
            await notify_many(
                session,
                user_ids=guardians,
                kind="childcare_session_cancelled",
                data={
                    "programId": row.program_id,
                    "programName": programs[row.program_id],
                    "sessionId": row.id,
                    "date": row.date.isoformat(),
                    "room": hold.room,
                    "reason": hold.reason,
                },
            )
