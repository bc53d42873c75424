"""HTTP routes of home visits, one Controller per audience:

- ``CaregiverVisitController``: check-in and check-out (the assigned caregiver);
- ``HouseholdVisitController``: the elder's code, confirm and dispute (the household);
- ``CareVisitRecordController``: the visit's record (whoever reads the order);
(the staff's statistics and exports: ``routes_statistics``).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.auth import AuthUser, Role, requires, resident_only
from backend.core.clock import Clock
from backend.core.errors import problem_responses
from backend.eldercare import service
from schemas.care_visits import (
    CareConfirmIn,
    CareDisputeIn,
    CareVisitOut,
    ElderCodeOut,
    VisitCheckIn,
    VisitCheckOut,
)
from schemas.eldercare import CareOrderOut

TAG = "eldercare"
OrderId = Annotated[UUID, PathParameter(name="orderId", description="the care order")]
caregiver_only = requires(Role.CAREGIVER)


class CaregiverVisitController(Controller):
    path = "/caregiver/visits/{orderId:uuid}"
    tags = (TAG,)
    guards = (caregiver_only,)

    @post(
        "/check-in",
        operation_id="checkInCareVisit",
        summary="Check in at the elder's home",
        status_code=200,
        responses=problem_responses(
            404,
            codes={
                409: ("visit_already_checked_in", "visit_missed", "care_order_invalid_status"),
                422: ("too_early_to_check_in",),
            },
        ),
    )
    async def check_in_care_visit(
        self,
        order_id: OrderId,
        data: JSONBody[VisitCheckIn],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> CareVisitOut:
        """The assigned caregiver only (anyone else's order: 404). From 60 minutes before
        `startsAt` (earlier: 422 `too_early_to_check_in`) until 30 minutes after it (then the
        visit is missed: 409 `visit_missed`); `assigned` → `in_progress`, recording the time
        and place. Farther than 200 m from the elder's home the order gets the flag
        `far_from_home`, unless `elderCode` is the code the household shows for this visit; a
        wrong code is not refused, it only earns no exemption (`elderCodeMatched: false`).
        Once only: 409 `visit_already_checked_in`. The household is told."""
        return await service.visit_check_in(
            db_session, user.id, order_id, data, data_key=settings.data_key, now=clock.now()
        )

    @post(
        "/check-out",
        operation_id="checkOutCareVisit",
        summary="Check out with the tasks done",
        status_code=200,
        responses=problem_responses(
            404, codes={409: ("visit_already_checked_out", "care_order_invalid_status")}
        ),
    )
    async def check_out_care_visit(
        self,
        order_id: OrderId,
        data: JSONBody[VisitCheckOut],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> CareVisitOut:
        """The assigned caregiver, after checking in (before: 409 `care_order_invalid_status`):
        `in_progress` → `awaiting_confirmation`, with the tasks done and notes (stored
        encrypted). Under half the service's planned minutes after the check-in the order
        gets the flag `short_visit`. Once only: 409 `visit_already_checked_out`. The household
        is asked to confirm."""
        return await service.visit_check_out(
            db_session, user.id, order_id, data, data_key=settings.data_key, now=clock.now()
        )

    @post(
        "/on-the-way",
        operation_id="setOutForCareVisit",
        summary="Tell the household the caregiver is on the way",
        status_code=200,
        responses=problem_responses(
            404,
            codes={
                409: ("already_on_the_way", "visit_missed", "care_order_invalid_status"),
                422: ("too_early_to_set_out",),
            },
        ),
    )
    async def set_out_for_care_visit(
        self,
        order_id: OrderId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
    ) -> CareOrderOut:
        """The assigned caregiver only (anyone else's order: 404), on an `assigned` order
        (otherwise 409 `care_order_invalid_status`), from two hours before `startsAt` (earlier:
        422 `too_early_to_set_out`) until the visit counts as missed (409 `visit_missed`).
        Once per assignment: 409 `already_on_the_way`. The household is told
        (`care_caregiver_on_the_way`); the order answers `onTheWayAt` and stays `assigned`
        until the check-in."""
        return await service.set_out(db_session, user, order_id, now=clock.now())


class HouseholdVisitController(Controller):
    path = "/care/orders/{orderId:uuid}"
    tags = (TAG,)
    guards = (resident_only,)

    @get(
        "/elder-code",
        operation_id="getCareElderCode",
        summary="The elder's code for this visit",
        responses=problem_responses(404),
    )
    async def get_care_elder_code(
        self,
        order_id: OrderId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
    ) -> ElderCodeOut:
        """The household of the order only (anyone else's: 404). Six digits, different for
        every visit, that the elder shows the caregiver at the door: a caregiver who gives it
        at check-in is not flagged `far_from_home` when the phone's position is off."""
        return await service.elder_code(db_session, user.id, order_id, data_key=settings.data_key)

    @post(
        "/confirm",
        operation_id="confirmCareOrder",
        summary="Confirm and rate a visit",
        status_code=200,
        responses=problem_responses(404, codes={409: ("care_order_invalid_status",)}),
    )
    async def confirm_care_order(
        self,
        order_id: OrderId,
        data: JSONBody[CareConfirmIn],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
    ) -> CareOrderOut:
        """The household, once the caregiver checked out (otherwise 409
        `care_order_invalid_status`): `awaiting_confirmation` → `completed` with a rating of 1
        to 5. The subsidy is taken from the elder's allowance of the visit's month at once;
        when the allowance no longer covers it, it gives what is left and `payable` rises by
        the rest — the allowance never goes below zero."""
        return await service.confirm(db_session, user.id, order_id, data, now=clock.now())

    @post(
        "/dispute",
        operation_id="disputeCareOrder",
        summary="Dispute a visit",
        status_code=200,
        responses=problem_responses(404, codes={409: ("care_order_invalid_status",)}),
    )
    async def dispute_care_order(
        self,
        order_id: OrderId,
        data: JSONBody[CareDisputeIn],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
    ) -> CareOrderOut:
        """The household, instead of confirming (same states as `confirmCareOrder`):
        `awaiting_confirmation` → `disputed` with the reason; the provider's dispatchers are
        told. Nothing is taken from the allowance."""
        return await service.dispute(db_session, user.id, order_id, data, now=clock.now())


class CareVisitRecordController(Controller):
    path = "/care/orders/{orderId:uuid}/visit"
    tags = (TAG,)
    guards = (requires(Role.RESIDENT, Role.DISPATCHER, Role.CAREGIVER),)

    @get(
        "/",
        operation_id="getCareVisit",
        summary="A visit's record",
        responses=problem_responses(404),
    )
    async def get_care_visit(
        self,
        order_id: OrderId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
    ) -> CareVisitOut:
        """Who reads the order (`getCareOrder`): the household, the provider's dispatcher, the
        assigned caregiver. What the caregiver recorded: check-in time and distance from home,
        whether the elder's code matched, check-out time, the tasks done, and the notes — which
        a dispatcher does not read (they may describe the elder's health). Another's order, or
        one not checked in yet: 404."""
        return await service.get_visit(db_session, user, order_id, data_key=settings.data_key)


ROUTES = [
    CaregiverVisitController,
    HouseholdVisitController,
    CareVisitRecordController,
]
