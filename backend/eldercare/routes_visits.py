"""HTTP routes of home visits, one Controller per audience:

- ``CaregiverVisitController``: check-in and check-out (the assigned caregiver);
- ``HouseholdVisitController``: the elder's code, confirm and dispute (the household);
- ``CareVisitRecordController``: the visit's record (whoever reads the order);
- ``CareStatisticsController``: monthly statistics and the EVV export (dispatchers for their
  provider, community workers and admins for all).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.auth import AuthUser, Role, requires, resident_only
from backend.core.clock import Clock
from backend.core.errors import problem_responses
from backend.core.responses import Answer
from backend.eldercare import service
from schemas.care_visits import (
    CareConfirmIn,
    CareDisputeIn,
    CareStatisticsOut,
    CareVisitOut,
    ElderCodeOut,
    VisitCheckIn,
    VisitCheckOut,
)
from schemas.eldercare import CareOrderOut

TAG = "eldercare"
OrderId = Annotated[UUID, PathParameter(name="orderId", description="the care order")]
MonthQuery = Annotated[
    str | None,
    QueryParameter(
        pattern=r"^(?:19|20)\d\d-(?:0[1-9]|1[0-2])$",
        description="YYYY-MM (1900-2099), an Asia/Shanghai month; this month when omitted",
    ),
]
caregiver_only = requires(Role.CAREGIVER)
care_overseers = requires(Role.DISPATCHER, Role.WORKER, Role.ADMIN)
_NO_PROVIDER = UUID(int=0)


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
        return await service.check_in(
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
        return await service.check_out(
            db_session, user.id, order_id, data, data_key=settings.data_key, now=clock.now()
        )


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


class CareStatisticsController(Controller):
    path = "/manage/care"
    tags = (TAG,)
    guards = (care_overseers,)

    @staticmethod
    async def _scope(session: AsyncSession, user: AuthUser) -> UUID | None:
        # A dispatcher sees their own provider; one without a provider sees nothing.
        if user.role == Role.DISPATCHER:
            return await service.provider_of(session, user.id) or _NO_PROVIDER
        return None

    @get(
        "/statistics",
        operation_id="getCareStatistics",
        summary="Monthly home-care statistics per provider and service",
    )
    async def get_care_statistics(
        self,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        month: MonthQuery = None,
    ) -> CareStatisticsOut:
        """Dispatchers (their own provider), community workers and admins (every provider).
        Per provider and service, the orders whose visit starts in the month: counts by
        outcome, completion rate, average rating, minutes delivered, subsidy spent, and how
        many were flagged `far_from_home` or `short_visit`."""
        provider_id = await self._scope(db_session, user)
        return await service.statistics(
            db_session, month=month, provider_id=provider_id, now=clock.now()
        )

    @get(
        "/statistics.csv",
        operation_id="downloadCareStatistics",
        summary="Monthly home-care statistics as a CSV file (UTF-8 with BOM, for Excel)",
        media_type="text/csv; charset=utf-8",
    )
    async def download_care_statistics(
        self,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        month: MonthQuery = None,
    ) -> Response[bytes]:
        """As `getCareStatistics`, one line per provider and service, with Chinese headers."""
        provider_id = await self._scope(db_session, user)
        filename, content = await service.statistics_csv(
            db_session, month=month, provider_id=provider_id, now=clock.now()
        )
        return _csv_answer(filename, content)

    @get(
        "/visits.csv",
        operation_id="downloadCareVisits",
        summary="The month's visit-verification records as a CSV file",
        media_type="text/csv; charset=utf-8",
    )
    async def download_care_visits(
        self,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        month: MonthQuery = None,
    ) -> Response[bytes]:
        """Same callers and scope as `getCareStatistics`. Every visit checked in, of orders
        starting in the month, with the six facts of electronic visit verification (service,
        recipient, caregiver, date, place, start and end), the distance from home, whether the
        elder's code matched, the status and the flags. Times are Asia/Shanghai; the place is
        the phone's position, never the elder's address."""
        provider_id = await self._scope(db_session, user)
        filename, content = await service.visits_csv(
            db_session, month=month, provider_id=provider_id, now=clock.now()
        )
        return _csv_answer(filename, content)


def _csv_answer(filename: str, content: bytes) -> Response[bytes]:
    return Answer(
        content=content,
        # The encoding adds "; charset=utf-8" to a text/ type.
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


ROUTES = [
    CaregiverVisitController,
    HouseholdVisitController,
    CareVisitRecordController,
    CareStatisticsController,
]
