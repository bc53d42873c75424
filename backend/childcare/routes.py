"""HTTP routes of childcare, one Controller per audience:

- ``ChildcareProgramsController``: published programs and their draws (anyone);
- ``ChildcareApplicationsController``: applying, accepting, declining, withdrawing (residents);
- ``MyChildcareApplicationsController``: the household's applications (residents);
- ``ManagedChildcareProgramsController``: programs, teachers, the draw, applications (staff).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.childcare import service
from backend.config import Settings
from backend.core.auth import AuthUser, resident_only, staff_or_admin
from backend.core.clock import Clock
from backend.core.errors import problem_responses
from backend.core.idempotency import IdempotencyKeyHeader, idempotent
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from schemas.childcare import (
    ApplicationIn,
    ApplicationOut,
    ApplicationStatus,
    DrawIn,
    DrawOut,
    ProgramIn,
    ProgramOut,
    ProgramPatch,
    TeachersIn,
)
from schemas.common import Page

TAG = "childcare"
ProgramId = Annotated[UUID, PathParameter(name="programId", description="the program")]
ApplicationId = Annotated[
    UUID, PathParameter(name="applicationId", description="the application (or enrolment)")
]
StatusFilter = Annotated[
    ApplicationStatus | None, QueryParameter(description="only applications in this status")
]
_OFFER = {409: ("not_offered", "offer_expired")}


class ChildcareProgramsController(Controller):
    path = "/childcare/programs"
    tags = (TAG,)
    opt = {"exclude_from_auth": True}  # noqa: RUF012  (Litestar copies it per handler)

    @get("/", operation_id="listChildcarePrograms", summary="Published childcare programs")
    async def list_childcare_programs(
        self,
        db_session: NamedDependency[AsyncSession],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[ProgramOut]:
        """Anyone. Published programs in the order they were created, each with its sessions
        and `placesLeft` (places not taken by an enrolled child or an open offer)."""
        return await service.list_programs(
            db_session, published_only=True, limit=limit, cursor=cursor
        )

    @get(
        "/{programId:uuid}",
        operation_id="getChildcareProgram",
        summary="A published childcare program",
        responses=problem_responses(404),
    )
    async def get_childcare_program(
        self, program_id: ProgramId, db_session: NamedDependency[AsyncSession]
    ) -> ProgramOut:
        """Anyone. A published program with its sessions (public holidays skipped, make-up
        workdays added; cancelled ones say so) and `placesLeft`. A draft: 404."""
        return await service.get_program(db_session, program_id, published_only=True)

    @get(
        "/{programId:uuid}/draw",
        operation_id="getChildcareDraw",
        summary="A lottery's published result",
        responses=problem_responses(404),
    )
    async def get_childcare_draw(
        self, program_id: ProgramId, db_session: NamedDependency[AsyncSession]
    ) -> DrawOut:
        """Anyone. The seed and the order the draw gave (application ids: offered, then
        waitlisted; `priority` those drawn first), so that anyone can recompute it with the
        algorithm of docs/childcare.md. Before the draw: 404."""
        return await service.get_draw(db_session, program_id, published_only=True)


class ChildcareApplicationsController(Controller):
    path = "/childcare"
    tags = (TAG,)
    guards = (resident_only,)

    @post(
        "/programs/{programId:uuid}/applications",
        operation_id="applyForChildcareProgram",
        summary="Apply for a place for a child",
        status_code=201,
        responses=problem_responses(
            404,
            codes={
                403: ("verification_required",),
                409: ("already_applied",),
                422: (
                    "not_a_child",
                    "age_not_eligible",
                    "applications_not_open",
                    "applications_closed",
                ),
            },
        ),
    )
    async def apply_for_childcare_program(
        self,
        request: Request[AuthUser, Any, Any],
        program_id: ProgramId,
        data: JSONBody[ApplicationIn],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ApplicationOut]:
        """Verified residents (403 `verification_required`), for a member of their household
        under 18 (`not_a_child`; another household's member: 404) whose age in whole months
        on the program's `ageOn` is within its range (`age_not_eligible`), inside the
        application window. One live application per child and program (409
        `already_applied`). First come: `enrolled` while places last, else `waitlisted` in
        arrival order; lottery: `applied` until the draw. Honours `Idempotency-Key`."""
        now = clock.now()

        async def handler() -> tuple[int, ApplicationOut]:
            return 201, await service.apply(db_session, user.id, program_id, data.child_id, now=now)

        return await idempotent(request, db_session, user.id, now, handler)

    @post(
        "/applications/{applicationId:uuid}/accept",
        operation_id="acceptChildcareOffer",
        summary="Accept an offered place",
        status_code=200,
        responses=problem_responses(404, codes=_OFFER),
    )
    async def accept_childcare_offer(
        self,
        application_id: ApplicationId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
    ) -> ApplicationOut:
        """The guardian, before the offer's deadline (after it: 409 `offer_expired`; no
        offer: 409 `not_offered`): the child is `enrolled`. Another household's: 404."""
        return await service.accept(db_session, user.id, application_id, now=clock.now())

    @post(
        "/applications/{applicationId:uuid}/decline",
        operation_id="declineChildcareOffer",
        summary="Decline an offered place",
        status_code=200,
        responses=problem_responses(404, codes={409: ("not_offered",)}),
    )
    async def decline_childcare_offer(
        self,
        application_id: ApplicationId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
    ) -> ApplicationOut:
        """The guardian declines an open offer (409 `not_offered` otherwise); the place is
        offered to the next on the waitlist at once, and that family told."""
        return await service.decline(db_session, user.id, application_id, now=clock.now())

    @post(
        "/applications/{applicationId:uuid}/withdraw",
        operation_id="withdrawChildcareApplication",
        summary="Withdraw an application or an enrolment",
        status_code=200,
        responses=problem_responses(404, codes={409: ("cannot_withdraw",)}),
    )
    async def withdraw_childcare_application(
        self,
        application_id: ApplicationId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
    ) -> ApplicationOut:
        """The guardian withdraws a live application, offer or enrolment (an ended one: 409
        `cannot_withdraw`); a place it held is offered to the next on the waitlist at once."""
        return await service.withdraw(db_session, user.id, application_id, now=clock.now())


class MyChildcareApplicationsController(Controller):
    path = "/me/childcare/applications"
    tags = (TAG,)
    guards = (resident_only,)

    @get("/", operation_id="listMyChildcareApplications", summary="My children's applications")
    async def list_my_childcare_applications(
        self,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[ApplicationOut]:
        """Residents. The household's applications and enrolments, newest first, each with
        its `waitlistPosition` while waiting and `offerExpiresAt` while offered."""
        return await service.my_applications(db_session, user.id, limit=limit, cursor=cursor)


class ManagedChildcareProgramsController(Controller):
    path = "/manage/childcare/programs"
    tags = (TAG,)
    guards = (staff_or_admin,)

    @post(
        "/",
        operation_id="createChildcareProgram",
        summary="Draft a childcare program",
        status_code=201,
    )
    async def create_childcare_program(
        self,
        request: Request[AuthUser, Any, Any],
        data: JSONBody[ProgramIn],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ProgramOut]:
        """Staff and admins. A draft program; its sessions are generated from the weekly
        schedule over the term (Chinese public holidays skipped, make-up workdays added with
        the first working weekday's times). The room must be the venue's; ages and term and
        window ordered (422 `validation_error` naming each field). Honours
        `Idempotency-Key`."""
        now = clock.now()

        async def handler() -> tuple[int, ProgramOut]:
            return 201, await service.create_program(db_session, user.id, data, now=now)

        return await idempotent(request, db_session, user.id, now, handler)

    @get("/", operation_id="listManagedChildcarePrograms", summary="All childcare programs")
    async def list_managed_childcare_programs(
        self,
        db_session: NamedDependency[AsyncSession],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[ProgramOut]:
        """Staff and admins. Every program, drafts included, in the order created."""
        return await service.list_programs(
            db_session, published_only=False, limit=limit, cursor=cursor
        )

    @get(
        "/{programId:uuid}",
        operation_id="getManagedChildcareProgram",
        summary="A childcare program, draft or not",
        responses=problem_responses(404),
    )
    async def get_managed_childcare_program(
        self, program_id: ProgramId, db_session: NamedDependency[AsyncSession]
    ) -> ProgramOut:
        """Staff and admins. Any program with its sessions and teachers."""
        return await service.get_program(db_session, program_id, published_only=False)

    @patch(
        "/{programId:uuid}",
        operation_id="updateChildcareProgram",
        summary="Change a childcare program",
        responses=problem_responses(404, codes={409: ("program_not_draft",)}),
    )
    async def update_childcare_program(
        self,
        program_id: ProgramId,
        data: JSONBody[ProgramPatch],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> ProgramOut:
        """Staff and admins. A draft changes freely (a new schedule or term regenerates its
        sessions); once published only `name`, `description`, `fee` and `offerHours` (409
        `program_not_draft` otherwise)."""
        return await service.update_program(db_session, program_id, data, now=clock.now())

    @post(
        "/{programId:uuid}/publish",
        operation_id="publishChildcareProgram",
        summary="Publish a childcare program, holding its room for every session",
        status_code=200,
        responses=problem_responses(404, codes={409: ("program_not_draft", "booking_conflict")}),
    )
    async def publish_childcare_program(
        self,
        program_id: ProgramId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        settings: NamedDependency[Settings],
    ) -> ProgramOut:
        """Staff and admins. A draft becomes public and every session holds the program's
        hub room as a booking (409 `booking_conflict` when any clashes; nothing held). A
        session inside a closure is cancelled instead. A later closure of the room cancels
        the sessions it covers and tells the guardians of enrolled children."""
        return await service.publish_program(
            db_session, program_id, by=user.id, now=clock.now(), data_key=settings.data_key
        )

    @put(
        "/{programId:uuid}/teachers",
        operation_id="setChildcareTeachers",
        summary="Set a program's teachers",
        responses=problem_responses(404, codes={422: ("not_a_worker",)}),
    )
    async def set_childcare_teachers(
        self,
        program_id: ProgramId,
        data: JSONBody[TeachersIn],
        db_session: NamedDependency[AsyncSession],
    ) -> ProgramOut:
        """Staff and admins. The teachers become exactly `userIds`, community workers all
        (422 `not_a_worker`); only they take the program's attendance."""
        return await service.set_teachers(db_session, program_id, data.user_ids)

    @post(
        "/{programId:uuid}/draw",
        operation_id="drawChildcareProgram",
        summary="Run a lottery program's draw",
        status_code=200,
        responses=problem_responses(
            404, codes={409: ("not_a_lottery", "applications_still_open", "already_drawn")}
        ),
    )
    async def draw_childcare_program(
        self,
        program_id: ProgramId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        data: JSONBody[DrawIn | None] = None,
    ) -> DrawOut:
        """Staff and admins, once, after applications close. Without a `seed` a random one
        (32 bytes) is drawn; a seed may be given (from a public source drawn in front of the
        families). The order is a function of the seed and the application ids
        (docs/childcare.md); the first places are offered with a deadline, the rest wait in
        draw order, each family told; the record is kept and published."""
        seed = data.seed if data is not None and isinstance(data.seed, str) else None
        return await service.run_draw(
            db_session, program_id, by=user.id, seed=seed, now=clock.now()
        )

    @get(
        "/{programId:uuid}/draw",
        operation_id="getManagedChildcareDraw",
        summary="A program's draw record",
        responses=problem_responses(404),
    )
    async def get_managed_childcare_draw(
        self, program_id: ProgramId, db_session: NamedDependency[AsyncSession]
    ) -> DrawOut:
        """Staff and admins. The draw's record for audit: seed, algorithm, order, who drew
        it and when. Before the draw: 404."""
        return await service.get_draw(db_session, program_id, published_only=False)

    @get(
        "/{programId:uuid}/applications",
        operation_id="listChildcareProgramApplications",
        summary="A program's applications",
        responses=problem_responses(404),
    )
    async def list_childcare_program_applications(
        self,
        program_id: ProgramId,
        db_session: NamedDependency[AsyncSession],
        status: StatusFilter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[ApplicationOut]:
        """Staff and admins. The program's applications in the order they came, optionally
        of one `status`, with draw rank, waitlist position and offer deadline."""
        return await service.program_applications(
            db_session, program_id, status=status, limit=limit, cursor=cursor
        )


ROUTES = [
    ChildcareProgramsController,
    ChildcareApplicationsController,
    MyChildcareApplicationsController,
    ManagedChildcareProgramsController,
]
