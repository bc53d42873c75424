"""HTTP routes of the staff's monthly home-care views: statistics per provider and service,
the same as CSV, and the visit-verification (EVV) export. Dispatchers see their own provider,
community workers and admins every provider."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, Role, requires
from backend.core.clock import Clock
from backend.core.months import MonthQuery
from backend.core.spreadsheets import csv_answer
from backend.eldercare import service
from schemas.care_visits import CareStatisticsOut

TAG = "eldercare"
_NO_PROVIDER = UUID(int=0)


class CareStatisticsController(Controller):
    path = "/manage/care"
    tags = (TAG,)
    guards = (requires(Role.DISPATCHER, Role.WORKER, Role.ADMIN),)

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
        return csv_answer(filename, content)

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
        return csv_answer(filename, content)


ROUTES = [CareStatisticsController]
