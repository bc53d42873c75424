"""HTTP routes of a childcare session's day, one Controller per audience:

- ``SessionDoorController``: the roster, check-in and check-out (the program's teachers;
  admins read the roster);
- ``AttendanceRecordsController``: a month's attendance and its CSV (staff, admins, the
  program's teachers);
- ``EnrollmentAbsencesController``: an absence reported in advance (the guardian).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.childcare import service
from backend.config import Settings
from backend.core.auth import AuthUser, Role, requires, resident_only
from backend.core.clock import Clock
from backend.core.errors import problem_responses
from backend.core.idempotency import IdempotencyKeyHeader, idempotent
from backend.core.months import RequiredMonthQuery
from backend.core.reads import reader_of
from backend.core.spreadsheets import csv_answer
from schemas.childcare_pickup import (
    AbsenceIn,
    AbsenceOut,
    AttendanceOut,
    CheckInIn,
    CheckInOut,
    CheckOutIn,
    CheckOutOut,
    RosterOut,
)

TAG = "childcare"
ProgramId = Annotated[UUID, PathParameter(name="programId", description="the program")]
SessionDate = Annotated[
    date, PathParameter(name="date", description="the session's day (Asia/Shanghai)")
]
EnrollmentId = Annotated[
    UUID, PathParameter(name="enrollmentId", description="the enrolment (an application's id)")
]
_DOOR_CODES = {409: ("childcare_session_cancelled",), 422: ("session_not_today",)}


class SessionDoorController(Controller):
    path = "/manage/childcare/programs/{programId:uuid}/sessions/{date:date}"
    tags = (TAG,)

    @get(
        "/",
        operation_id="getSessionRoster",
        summary="A session's roster: who is present, absent, excused or picked up",
        guards=[requires(Role.WORKER, Role.ADMIN)],
        responses=problem_responses(404),
    )
    async def get_session_roster(
        self,
        request: Request[AuthUser, Any, Any],
        program_id: ProgramId,
        session_date: SessionDate,
    ) -> RosterOut:
        """The program's teachers (a worker who does not teach it: 403) and admins. Every
        enrolled child with their status, who brought and took them, the people the guardians
        named (blocked ones marked), and, to the teachers only (not to admins), the absence
        reason and the allergies and health notes for the day's care. No session that day:
        404."""
        # A hot read (docs/architecture.md, "Performance idioms"): the user, the settings and
        # the reader from the request, no dependency to resolve.
        return await service.roster(
            reader_of(request),
            request.user,
            program_id,
            session_date,
            data_key=request.app.state.settings.data_key,
        )

    @post(
        "/check-in",
        operation_id="checkInChild",
        summary="Check a child in and issue the pickup code",
        status_code=200,
        guards=[requires(Role.WORKER)],
        responses=problem_responses(
            404,
            codes={
                409: ("child_already_checked_in", "childcare_session_cancelled"),
                422: ("session_not_today", "child_not_enrolled"),
            },
        ),
    )
    async def check_in_child(
        self,
        program_id: ProgramId,
        session_date: SessionDate,
        data: JSONBody[CheckInIn],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> CheckInOut:
        """The program's teachers, on the session's day (Asia/Shanghai). Records who brought
        the child; the answer's `securityCode` is new at every check-in and is sent to the
        guardians (inbox and push). A second check-in of the child: 409."""
        return await service.check_in(
            db_session,
            user,
            program_id,
            session_date,
            data,
            data_key=settings.data_key,
            now=clock.now(),
        )

    @post(
        "/check-out",
        operation_id="checkOutChild",
        summary="Hand a child over to the code holder or a trusted person",
        status_code=200,
        guards=[requires(Role.WORKER)],
        responses=problem_responses(
            404,
            codes={
                403: ("security_code_mismatch", "pickup_id_mismatch", "pickup_not_authorized"),
                409: (
                    "child_not_checked_in",
                    "child_already_checked_out",
                    "childcare_session_cancelled",
                ),
                422: ("session_not_today", "unknown_pickup", "pickup_proof_required"),
            },
        ),
    )
    async def check_out_child(
        self,
        program_id: ProgramId,
        session_date: SessionDate,
        data: JSONBody[CheckOutIn],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> CheckOutOut:
        """The program's teachers, on the session's day. A person the guardians blocked
        (`pickupId`) is refused whatever they bring: 403 `pickup_not_authorized`, and the
        guardians are alerted at once. Otherwise the `securityCode` of this check-in (wrong:
        403 `security_code_mismatch`), or a trusted person of the child (`pickupId`) with the
        last four of their ID (wrong: 403 `pickup_id_mismatch`); the third wrong try for a
        check-in alerts the guardians. Records who took the child and when, and tells the
        guardians. Not checked in, or already out: 409."""
        return await service.check_out(
            db_session,
            user,
            program_id,
            session_date,
            data,
            data_key=settings.data_key,
            now=clock.now(),
        )


class AttendanceRecordsController(Controller):
    path = "/manage/childcare/programs/{programId:uuid}"
    tags = (TAG,)
    guards = (requires(Role.WORKER, Role.STAFF, Role.ADMIN),)

    @get(
        "/attendance",
        operation_id="getProgramAttendance",
        summary="A program's attendance in a month, per session and per child",
        responses=problem_responses(404),
    )
    async def get_program_attendance(
        self,
        program_id: ProgramId,
        month: RequiredMonthQuery,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
    ) -> AttendanceOut:
        """Staff, admins and the program's teachers (another worker: 403). Sessions that have
        started, counted over the children enrolled now: present, absent, excused and late
        pickups (taken more than 15 minutes after the end, or still not)."""
        return await service.month_attendance(db_session, user, program_id, month, now=clock.now())

    @get(
        "/attendance.csv",
        operation_id="downloadProgramAttendance",
        summary="A program's attendance in a month as a CSV file (UTF-8 with BOM, for Excel)",
        media_type="text/csv; charset=utf-8",
        responses=problem_responses(404),
    )
    async def download_program_attendance(
        self,
        program_id: ProgramId,
        month: RequiredMonthQuery,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
    ) -> Response[bytes]:
        """As `getProgramAttendance`, one row per session and child: the day, the child, the
        status, check-in and check-out times (Asia/Shanghai), who brought and who took the
        child, and whether the pickup was late."""
        return csv_answer(
            *await service.month_attendance_csv(
                db_session, user, program_id, month, now=clock.now()
            )
        )


class EnrollmentAbsencesController(Controller):
    path = "/childcare/enrollments/{enrollmentId:uuid}/absences"
    tags = (TAG,)
    guards = (resident_only,)

    @post(
        "/",
        operation_id="reportAbsence",
        summary="Report a child's absence from a coming session",
        status_code=201,
        responses=problem_responses(
            404, codes={409: ("absence_already_reported",), 422: ("absence_date_invalid",)}
        ),
    )
    async def report_absence(
        self,
        request: Request[Any, Any, Any],
        enrollment_id: EnrollmentId,
        data: JSONBody[AbsenceIn],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[AbsenceOut]:
        """The guardian of the enrolled child (another household's enrolment: 404). For a
        session of the program that has not started (422 `absence_date_invalid`); once per
        session (409). The child shows as excused on the roster; the reason is stored
        encrypted and shown to the program's teachers."""
        now = clock.now()

        async def handler() -> tuple[int, AbsenceOut]:
            return 201, await service.report_absence(
                db_session, user.id, enrollment_id, data, data_key=settings.data_key, now=now
            )

        return await idempotent(request, db_session, user.id, now, handler)


ROUTES = [SessionDoorController, AttendanceRecordsController, EnrollmentAbsencesController]
