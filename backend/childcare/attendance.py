"""A session's day at the door: the teachers' roster, check-in with a fresh security code, and
check-out to someone the guardians trust — never to someone they blocked.

Lock order: the attendance row (``FOR UPDATE``) and nothing else; the notification is written
in the same transaction. A refused blocked person is the one refusal that leaves a trace: the
guardians' alert is committed before the 403 is raised (the request's rollback finds nothing
left to undo).
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Boolean, and_, case, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.childcare import checkout_rules, pickups, wire_pickup
from backend.childcare.checkout_rules import Verdict
from backend.childcare.models import Application, Program, ProgramTeacher, Session
from backend.childcare.models_pickup import Absence, Attendance, ChildProfile, Pickup
from backend.childcare.teaching import enrolled, require_program, session_on
from backend.core.auth import AuthUser, Role
from backend.core.clock import local_date_of, to_local
from backend.core.errors import AppError
from backend.core.reads import Query, Reader, param
from backend.core.security import code_digest, constant_time_equal, seal_code
from backend.identity import lookup
from backend.identity.service import clean_text
from backend.notifications.service import notify
from schemas.childcare_pickup import (
    CheckInIn,
    CheckInOut,
    CheckOutIn,
    CheckOutOut,
    PickupMethod,
    RosterChild,
    RosterOut,
    RosterPickup,
    RosterStatus,
)


@functools.cache
def _roster_query() -> Query:
    """A session's roster in one statement, compiled once: the program (no row: no such
    program), whether the caller teaches it, the day's session (NULL: none that day), and one
    row per enrolled child with the day's attendance and absence, their profile and the people
    the guardians named. The absence reason, the allergies and the health notes leave the
    database only for a teacher (``teacher``)."""
    teacher = param("teacher", type_=Boolean)
    pickups = (
        select(
            func.array_agg(
                aggregate_order_by(
                    tuple_(Pickup.id, Pickup.name, Pickup.relation, Pickup.blocked), Pickup.id
                )
            )
        )
        .where(Pickup.child_id == Application.child_id)
        .scalar_subquery()
    )
    teaches = (
        select(ProgramTeacher.user_id)
        .where(ProgramTeacher.program_id == Program.id, ProgramTeacher.user_id == param("user_id"))
        .exists()
    )
    return Query.compile(
        select(
            Session.id.label("session_id"),
            Session.status.label("session_status"),
            Session.starts_at,
            Session.ends_at,
            teaches.label("teaches"),
            Application.id.label("enrollment_id"),
            Application.child_id,
            lookup.member_name_of(Application.child_id).label("name"),
            Attendance.checked_in_at,
            Attendance.brought_by,
            Attendance.checked_out_at,
            Attendance.picked_up_by,
            Absence.id.is_not(None).label("excused"),
            case((teacher, Absence.reason_enc)).label("reason_enc"),
            case((teacher, ChildProfile.allergies_enc)).label("allergies_enc"),
            case((teacher, ChildProfile.health_notes_enc)).label("health_notes_enc"),
            pickups.label("pickups"),
        )
        .select_from(Program)
        .outerjoin(Session, and_(Session.program_id == Program.id, Session.date == param("day")))
        .outerjoin(
            Application,
            and_(
                Application.program_id == Program.id,
                Application.status == "enrolled",
                Session.id.is_not(None),
            ),
        )
        .outerjoin(
            Attendance,
            and_(Attendance.session_id == Session.id, Attendance.child_id == Application.child_id),
        )
        .outerjoin(
            Absence, and_(Absence.session_id == Session.id, Absence.enrollment_id == Application.id)
        )
        .outerjoin(ChildProfile, ChildProfile.child_id == Application.child_id)
        .where(Program.id == param("program_id"))
    )


async def roster(
    reader: Reader, actor: AuthUser, program_id: UUID, day: date, *, data_key: bytes
) -> RosterOut:
    """The enrolled children and where each stands, and the people the guardians named, in one
    statement read outside the session (a hot read, docs/architecture.md "Performance idioms").
    Who may read it is ``teaching.require_program``'s rule (a program that does not exist: 404;
    a worker who does not teach it: 403; admins: every program), then no session that day: 404.
    The allergies, health notes and absence reasons only to the program's teachers, who care for
    the children that day; an admin reads the roster without them."""
    teacher = actor.role == Role.WORKER
    rows = await reader.fetch(
        _roster_query(), program_id=program_id, day=day, user_id=actor.id, teacher=teacher
    )
    if not rows:
        raise AppError(404, "not_found")
    first = rows[0]
    if actor.role != Role.ADMIN and not first["teaches"]:
        raise AppError(403, "forbidden")
    if first["session_id"] is None:
        raise AppError(404, "not_found")
    out: list[RosterChild] = []
    for row in rows:
        if row["enrollment_id"] is None:
            continue
        status: RosterStatus
        if row["checked_in_at"] is not None:
            status = "picked_up" if row["checked_out_at"] is not None else "present"
        else:
            status = "excused" if row["excused"] else "absent"
        out.append(
            RosterChild(
                child_id=row["child_id"],
                enrollment_id=row["enrollment_id"],
                name=row["name"] or "",
                status=status,
                pickups=[
                    RosterPickup(id=p[0], name=p[1], relation=p[2], blocked=p[3])
                    for p in row["pickups"] or ()
                ],
                checked_in_at=to_local(row["checked_in_at"]),
                brought_by=row["brought_by"],
                checked_out_at=to_local(row["checked_out_at"]),
                picked_up_by=row["picked_up_by"],
                absence_reason=wire_pickup.opened(
                    data_key, wire_pickup.ABSENCE_REASON, row["reason_enc"]
                ),
                allergies=wire_pickup.opened(data_key, wire_pickup.ALLERGIES, row["allergies_enc"]),
                health_notes=wire_pickup.opened(
                    data_key, wire_pickup.HEALTH_NOTES, row["health_notes_enc"]
                ),
            )
        )
    out.sort(key=lambda c: (c.name, str(c.child_id)))
    return RosterOut(
        program_id=program_id,
        date=day,
        session_status=first["session_status"],
        starts_at=to_local(first["starts_at"]),
        ends_at=to_local(first["ends_at"]),
        children=out,
    )


async def _todays_session(
    session: AsyncSession, actor: AuthUser, program_id: UUID, day: date, now: datetime
) -> tuple[Program, Session]:
    program = await require_program(session, actor, program_id, others=())
    row = await session_on(session, program_id, day)
    if row.status == "cancelled":
        raise AppError(409, "childcare_session_cancelled")
    if local_date_of(now) != day:
        raise AppError(422, "session_not_today")
    return program, row


async def _child_name(session: AsyncSession, child_id: UUID) -> str:
    return (await lookup.member_names(session, [child_id])).get(child_id, "")


async def check_in(
    session: AsyncSession,
    actor: AuthUser,
    program_id: UUID,
    day: date,
    data: CheckInIn,
    *,
    data_key: bytes,
    now: datetime,
) -> CheckInOut:
    """A teacher of the program, on the session's day: the child arrives. A fresh code for the
    guardians; a second check-in of the child for the same session is a 409."""
    program, row = await _todays_session(session, actor, program_id, day, now)
    found = await enrolled(session, program_id, data.child_id)
    if not found:
        raise AppError(422, "child_not_enrolled")
    brought_by = (
        clean_text(data.brought_by, field="broughtBy", max_length=50) if data.brought_by else None
    )
    code = checkout_rules.new_security_code()
    sealed = seal_code(data_key, wire_pickup.SECURITY_CODE, code)
    # The (session, child) key decides a double check-in, not a look beforehand.
    inserted = await session.scalar(
        pg_insert(Attendance)
        .values(
            session_id=row.id,
            child_id=data.child_id,
            enrollment_id=found[0].enrollment_id,
            checked_in_at=now,
            checked_in_by=actor.id,
            brought_by=brought_by,
            code_digest=sealed.digest,
            code_sealed=sealed.sealed,
        )
        .on_conflict_do_nothing(index_elements=[Attendance.session_id, Attendance.child_id])
        .returning(Attendance.id)
    )
    if inserted is None:
        raise AppError(409, "child_already_checked_in")
    await notify(
        session,
        user_id=found[0].household_id,
        kind="childcare_checked_in",
        data={
            "childId": str(data.child_id),
            "childName": await _child_name(session, data.child_id),
            "programId": str(program.id),
            "programName": program.name,
            "securityCode": code,
            "checkedInAt": now,
        },
    )
    return CheckInOut(
        child_id=data.child_id, session_date=day, checked_in_at=to_local(now), security_code=code
    )


async def check_out(
    session: AsyncSession,
    actor: AuthUser,
    program_id: UUID,
    day: date,
    data: CheckOutIn,
    *,
    data_key: bytes,
    now: datetime,
) -> CheckOutOut:
    """A teacher of the program hands the child over (checkout_rules.decide_checkout)."""
    program, row = await _todays_session(session, actor, program_id, day, now)
    seen = (
        await session.execute(
            select(Attendance)
            .where(Attendance.session_id == row.id, Attendance.child_id == data.child_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if seen is None:
        raise AppError(409, "child_not_checked_in")
    if seen.checked_out_at is not None:
        raise AppError(409, "child_already_checked_out")
    person = None
    if data.pickup_id is not None:
        person = (
            await session.execute(
                select(Pickup).where(Pickup.id == data.pickup_id, Pickup.child_id == data.child_id)
            )
        ).scalar_one_or_none()
    code_matches = data.security_code is not None and constant_time_equal(
        code_digest(
            data_key, wire_pickup.SECURITY_CODE, checkout_rules.normalize_code(data.security_code)
        ),
        seen.code_digest,
    )
    verdict = checkout_rules.decide_checkout(
        code_given=data.security_code is not None,
        code_matches=code_matches,
        pickup_named=data.pickup_id is not None,
        pickup_found=person is not None,
        pickup_blocked=person is not None and person.blocked,
        id_given=data.id_last4 is not None,
        id_matches=(
            person is not None
            and data.id_last4 is not None
            and pickups.id_matches(data_key, person, data.id_last4)
        ),
    )
    child_name = await _child_name(session, data.child_id)
    guardian_id = await session.scalar(
        select(Application.household_id).where(Application.id == seen.enrollment_id)
    )
    about = {
        "childId": str(data.child_id),
        "childName": child_name,
        "programId": str(program.id),
        "programName": program.name,
    }
    if verdict is Verdict.BLOCKED:
        assert person is not None
        if guardian_id is not None:
            await notify(
                session,
                user_id=guardian_id,
                kind="pickup_not_authorized",
                data={**about, "personName": person.name, "attemptedAt": now},
            )
        # Committed here: the 403 below rolls the request's transaction back, and the alert
        # must reach the guardians whatever the answer.
        await session.commit()
        raise AppError(403, "pickup_not_authorized")
    if verdict is Verdict.WRONG_CODE or verdict is Verdict.WRONG_ID:
        failures = await session.scalar(
            update(Attendance)
            .where(Attendance.id == seen.id)
            .values(failed_checkouts=Attendance.failed_checkouts + 1)
            .returning(Attendance.failed_checkouts)
            .execution_options(synchronize_session=False)
        )
        if failures == checkout_rules.ALERT_AFTER_FAILURES and guardian_id is not None:
            await notify(
                session,
                user_id=guardian_id,
                kind="childcare_pickup_failures",
                data={**about, "failures": failures, "attemptedAt": now},
            )
        # Committed as the blocked person's alert is: the count outlives the 403.
        await session.commit()
        if verdict is Verdict.WRONG_CODE:
            raise AppError(403, "security_code_mismatch")
        raise AppError(403, "pickup_id_mismatch")
    if verdict is Verdict.UNKNOWN_PICKUP:
        raise AppError(422, "unknown_pickup")
    if verdict is Verdict.NO_PROOF:
        raise AppError(422, "pickup_proof_required")
    if person is not None:
        taker: str | None = person.name
    elif data.picked_up_by:
        taker = clean_text(data.picked_up_by, field="pickedUpBy", max_length=50)
    else:
        taker = None
    method: PickupMethod = "security_code" if verdict is Verdict.BY_CODE else "trusted_id"
    # Conditional on the row still in care: the lock above already holds it, and the
    # condition keeps the rule in the statement that writes it.
    done = await session.scalar(
        update(Attendance)
        .where(Attendance.id == seen.id, Attendance.checked_out_at.is_(None))
        .values(
            checked_out_at=now,
            checked_out_by=actor.id,
            pickup_method=method,
            pickup_id=person.id if person else None,
            picked_up_by=taker,
        )
        .returning(Attendance.id)
        .execution_options(synchronize_session=False)
    )
    if done is None:
        raise AppError(409, "child_already_checked_out")
    if guardian_id is not None:
        await notify(
            session,
            user_id=guardian_id,
            kind="childcare_checked_out",
            data={**about, "pickedUpBy": taker or "", "checkedOutAt": now},
        )
    return CheckOutOut(
        child_id=data.child_id,
        session_date=day,
        checked_out_at=to_local(now),
        method=method,
        picked_up_by=taker,
        pickup_id=person.id if person else None,
    )
