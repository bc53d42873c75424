"""Applications, enrolments and offers.

A program's places are its ``enrolled`` counter (enrolled children and open offers), changed
only under the program row's lock: an application, an acceptance, a decline, a withdrawal and
an expiry each lock the program first, then the application. A place that frees up passes to
the next on the waitlist in the same transaction (``pass_on``), so no freed place waits for a
job and the counter never exceeds ``capacity`` (the table's CHECK holds it too).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy import ColumnElement, and_, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.childcare import wire
from backend.childcare.models import Application, Program
from backend.childcare.programs import locked_program
from backend.core.base import new_id
from backend.core.clock import local_date_of
from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.core.violations import violated_constraint
from backend.identity import lookup
from backend.identity.members import age_group
from backend.notifications.service import notify
from schemas.childcare import LIVE_STATUSES, ApplicationOut, ApplicationStatus
from schemas.common import Page

# Statuses that hold one of the program's places.
HOLDS_PLACE: tuple[ApplicationStatus, ...] = ("enrolled", "offered")


def age_in_months(birth: date, on: date) -> int:
    """Whole months from ``birth`` to ``on`` (negative before birth); a month is complete on
    the same day of the month, or on the month's last day when it has no such day."""
    months = (on.year - birth.year) * 12 + on.month - birth.month
    month_end = (on + timedelta(days=1)).day == 1
    if on.day < birth.day and not month_end:
        months -= 1
    return months


def _outs(
    rows: Sequence[Application], programs: dict[UUID, str], names: dict[UUID, str],
    positions: dict[UUID, int],
) -> list[ApplicationOut]:  # fmt: skip
    return [
        wire.application_out(
            r,
            program_name=programs.get(r.program_id, ""),
            child_name=names.get(r.child_id, ""),
            waitlist_position=positions.get(r.id),
        )
        for r in rows
    ]


async def _render(session: AsyncSession, rows: Sequence[Application]) -> list[ApplicationOut]:
    if not rows:
        return []
    program_ids = list({r.program_id for r in rows})
    programs = dict(
        (
            await session.execute(
                select(Program.id, Program.name).where(Program.id.in_(program_ids))
            )
        ).all()
    )
    names = await lookup.member_names(session, [r.child_id for r in rows])
    waiting = [r for r in rows if r.status == "waitlisted"]
    positions: dict[UUID, int] = {}
    if waiting:
        # A position is the rank among those still waiting: a departure moves everyone up.
        ahead = Application.__table__.alias("ahead")
        ranks = await session.execute(
            select(Application.id, func.count())
            .join(
                ahead,
                and_(
                    ahead.c.program_id == Application.program_id,
                    ahead.c.status == "waitlisted",
                    ahead.c.queue_seq <= Application.queue_seq,
                ),
            )
            .where(Application.id.in_([r.id for r in waiting]))
            .group_by(Application.id)
        )
        positions = {row[0]: row[1] for row in ranks}
    return _outs(rows, programs, names, positions)


async def _one(session: AsyncSession, row: Application) -> ApplicationOut:
    return (await _render(session, [row]))[0]


async def apply(
    session: AsyncSession, user_id: UUID, program_id: UUID, child_id: UUID, *, now: datetime
) -> ApplicationOut:
    """A verified guardian applies for a child of their household. First come: enrolled while
    places last, else waitlisted in arrival order; lottery: ``applied`` until the draw."""
    if not await lookup.is_verified(session, user_id):
        raise AppError(403, "verification_required")
    program = await session.get(Program, program_id)
    if program is None or program.status != "published":
        raise AppError(404, "not_found")
    members = await lookup.members_of(session, user_id, [child_id])
    if not members:
        raise AppError(404, "not_found")
    birth = members[0].birth_date
    if age_group(birth, local_date_of(now)) != "child":
        raise AppError(422, "not_a_child")
    months = age_in_months(birth, program.age_on)
    if not program.min_age_months <= months <= program.max_age_months:
        raise AppError(422, "age_not_eligible")
    if now < program.application_opens_at:
        raise AppError(422, "applications_not_open")
    if now >= program.application_closes_at:
        raise AppError(422, "applications_closed")
    # The lottery's priority group: a brother or sister already enrolled in a program.
    sibling_enrolled = await session.execute(
        select(Application.id).where(
            Application.household_id == user_id,
            Application.child_id != child_id,
            Application.status == "enrolled",
        )
    )
    row = Application(
        id=new_id(),
        program_id=program_id,
        child_id=child_id,
        household_id=user_id,
        status="applied",
        priority=sibling_enrolled.first() is not None,
        created_at=now,
        updated_at=now,
    )
    values = {c: getattr(row, c) for c in _INSERTED}
    try:
        if program.allocation == "lottery":
            await session.execute(
                insert(Application).values(**values, status="applied", updated_at=now)
            )
        else:
            decided = (await session.execute(_FIRST_COME, {**values, "now": now})).one_or_none()
            if decided is None:
                raise AppError(404, "not_found")  # no longer published
            row.status, row.queue_seq = decided.status, decided.queue_seq
            row.decided_at = now if row.status == "enrolled" else None
    except IntegrityError as exc:
        if violated_constraint(exc) == "uq_childcare_applications_one_live":
            raise AppError(409, "already_applied") from exc
        raise
    position = None
    if row.status == "waitlisted":
        position = await session.scalar(
            select(func.count()).where(
                Application.program_id == program_id,
                Application.status == "waitlisted",
                Application.queue_seq <= row.queue_seq,
            )
        )
    return wire.application_out(
        row, program_name=program.name, child_name=members[0].name, waitlist_position=position
    )


_INSERTED = ("id", "program_id", "child_id", "household_id", "priority", "created_at")
# First come, decided in one statement: the program row's lock orders the arrivals (the queue
# is the order they get it in), and the lock is held for this statement and the commit only,
# so three hundred guardians at once queue for milliseconds each. ``took`` is read under the
# lock (FOR UPDATE returns the newest version of the row), so ``enrolled`` never passes
# ``capacity``; the table's CHECK would refuse it if it did.
_FIRST_COME = text(
    """
    WITH locked AS (
        SELECT id, enrolled < capacity AS took FROM childcare_programs
        WHERE id = :program_id AND status = 'published'
        FOR UPDATE
    ), program AS (
        UPDATE childcare_programs AS p
        SET queue_seq = p.queue_seq + 1,
            enrolled = p.enrolled + CASE WHEN locked.took THEN 1 ELSE 0 END,
            updated_at = :now
        FROM locked WHERE p.id = locked.id
        RETURNING p.queue_seq, locked.took
    )
    INSERT INTO childcare_applications (
        id, program_id, child_id, household_id, status, priority, queue_seq, decided_at,
        created_at, updated_at
    )
    SELECT :id, :program_id, :child_id, :household_id,
        CASE WHEN program.took THEN 'enrolled' ELSE 'waitlisted' END, :priority,
        program.queue_seq, CASE WHEN program.took THEN CAST(:now AS timestamptz) END,
        :created_at, :created_at
    FROM program
    RETURNING status, queue_seq
    """
)


async def _locked_own(
    session: AsyncSession, user_id: UUID, application_id: UUID
) -> tuple[Program, Application]:
    """The guardian's application under its program's lock; another household's: 404."""
    program_id = (
        await session.execute(
            select(Application.program_id).where(
                Application.id == application_id, Application.household_id == user_id
            )
        )
    ).scalar_one_or_none()
    if program_id is None:
        raise AppError(404, "not_found")
    program = await locked_program(session, program_id)
    row = (
        await session.execute(
            select(Application)
            .where(Application.id == application_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    return program, row


async def pass_on(session: AsyncSession, program: Program, *, now: datetime) -> int:
    """Offer the program's free places to the next on the waitlist, in queue order; the
    program row must be locked by the caller. Returns how many offers went out."""
    free = program.capacity - program.enrolled
    if free <= 0:
        return 0
    rows = (
        await session.scalars(
            select(Application)
            .where(Application.program_id == program.id, Application.status == "waitlisted")
            .order_by(Application.queue_seq)
            .limit(free)
            .with_for_update()
        )
    ).all()
    deadline = now + timedelta(hours=program.offer_hours)
    names = await lookup.member_names(session, [r.child_id for r in rows])
    for row in rows:
        row.status, row.offer_expires_at, row.decided_at, row.updated_at = (
            "offered", deadline, now, now,
        )  # fmt: skip
        program.enrolled += 1
        await notify(
            session,
            user_id=row.household_id,
            kind="childcare_waitlist_offer",
            data={
                "applicationId": row.id,
                "programId": program.id,
                "programName": program.name,
                "childName": names.get(row.child_id, ""),
                "offerExpiresAt": deadline,
            },
        )
    await session.flush()
    return len(rows)


async def accept(
    session: AsyncSession, user_id: UUID, application_id: UUID, *, now: datetime
) -> ApplicationOut:
    program, row = await _locked_own(session, user_id, application_id)
    if row.status != "offered":
        raise AppError(409, "not_offered")
    assert row.offer_expires_at is not None
    if now >= row.offer_expires_at:
        raise AppError(409, "offer_expired")
    row.status, row.decided_at, row.updated_at = "enrolled", now, now
    names = await lookup.member_names(session, [row.child_id])
    await notify(
        session,
        user_id=row.household_id,
        kind="childcare_enrolled",
        data={
            "applicationId": row.id,
            "programId": program.id,
            "programName": program.name,
            "childName": names.get(row.child_id, ""),
        },
    )
    await session.flush()
    return await _one(session, row)


async def decline(
    session: AsyncSession, user_id: UUID, application_id: UUID, *, now: datetime
) -> ApplicationOut:
    """Decline an open offer; the place passes to the next on the waitlist at once."""
    program, row = await _locked_own(session, user_id, application_id)
    if row.status != "offered":
        raise AppError(409, "not_offered")
    row.status, row.decided_at, row.updated_at = "declined", now, now
    program.enrolled -= 1
    await session.flush()
    await pass_on(session, program, now=now)
    return await _one(session, row)


async def withdraw(
    session: AsyncSession, user_id: UUID, application_id: UUID, *, now: datetime
) -> ApplicationOut:
    """Withdraw a live application or enrolment; a place it held passes on at once."""
    program, row = await _locked_own(session, user_id, application_id)
    if row.status not in LIVE_STATUSES:
        raise AppError(409, "cannot_withdraw")
    held = row.status in HOLDS_PLACE
    row.status, row.decided_at, row.updated_at = "withdrawn", now, now
    if held:
        program.enrolled -= 1
    await session.flush()
    if held:
        await pass_on(session, program, now=now)
    return await _one(session, row)


async def expire_offers(session: AsyncSession, program_id: UUID, *, now: datetime) -> int:
    """Expire the program's offers past their deadline and pass the places on (the periodic
    job, a transaction per program). Returns how many expired."""
    program = await locked_program(session, program_id)
    rows = (
        await session.scalars(
            select(Application)
            .where(
                Application.program_id == program.id,
                Application.status == "offered",
                Application.offer_expires_at <= now,
            )
            .with_for_update()
        )
    ).all()
    names = await lookup.member_names(session, [r.child_id for r in rows])
    for row in rows:
        row.status, row.decided_at, row.updated_at = "expired", now, now
        program.enrolled -= 1
        await notify(
            session,
            user_id=row.household_id,
            kind="childcare_offer_expired",
            data={
                "applicationId": row.id,
                "programId": program.id,
                "programName": program.name,
                "childName": names.get(row.child_id, ""),
            },
        )
    await session.flush()
    if rows:
        await pass_on(session, program, now=now)
    return len(rows)


async def programs_with_expired_offers(session: AsyncSession, *, now: datetime) -> list[UUID]:
    found = await session.scalars(
        select(Application.program_id)
        .where(Application.status == "offered", Application.offer_expires_at <= now)
        .distinct()
    )
    return sorted(found.all())


MY_APPLICATIONS = Keyset("my-childcare-applications", (UUID,))
PROGRAM_APPLICATIONS = Keyset("childcare-program-applications", (UUID,))


async def _page(
    session: AsyncSession, where: ColumnElement[bool], keyset: Keyset, *, newest_first: bool,
    limit: int, cursor: str | None,
) -> Page[ApplicationOut]:  # fmt: skip
    after = keyset.decode(cursor)
    query = select(Application).where(where)
    if after is not None:
        query = query.where(
            Application.id < after[0] if newest_first else Application.id > after[0]
        )
    order = Application.id.desc() if newest_first else Application.id
    rows = (await session.scalars(query.order_by(order).limit(limit + 1))).all()
    page, next_cursor = keyset.paginate(rows, limit, lambda r: [r.id])
    return Page(items=await _render(session, page), next_cursor=next_cursor)


async def my_applications(
    session: AsyncSession, user_id: UUID, *, limit: int, cursor: str | None
) -> Page[ApplicationOut]:
    """The household's applications, newest first."""
    return await _page(
        session, Application.household_id == user_id, MY_APPLICATIONS,
        newest_first=True, limit=limit, cursor=cursor,
    )  # fmt: skip


async def program_applications(
    session: AsyncSession,
    program_id: UUID,
    *,
    status: ApplicationStatus | None,
    limit: int,
    cursor: str | None,
) -> Page[ApplicationOut]:
    """A program's applications in the order they came, optionally of one status."""
    if await session.get(Program, program_id) is None:
        raise AppError(404, "not_found")
    where = Application.program_id == program_id
    if status is not None:
        where = and_(where, Application.status == status)
    return await _page(
        session, where, PROGRAM_APPLICATIONS, newest_first=False, limit=limit, cursor=cursor
    )
