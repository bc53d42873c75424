"""HTTP routes of the daily check-in (平安报), one Controller per audience:

- ``CheckInsController``: the household checks in for an elder (residents);
- ``MyCheckInsController``: the household's recent check-ins (residents);
- ``MissedCheckInsController``: the day's missed check-ins and "reached" (workers, admins).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.auth import AuthUser, resident_only, worker_or_admin
from backend.core.clock import Clock, local_date_of
from backend.core.errors import problem_responses
from backend.core.idempotency import IdempotencyKeyHeader, idempotent
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.eldercare import service
from schemas.common import Page
from schemas.eldercare import CareCheckInIn, CareCheckInOut, CareReachedIn, MissedCareCheckInOut

TAG = "eldercare"
AlertId = Annotated[UUID, PathParameter(name="alertId", description="the missed check-in")]
MemberFilter = Annotated[
    str | None,
    QueryParameter(
        name="memberId",
        description='only this elder: a household member\'s id, or "self"; all by default',
    ),
]
Day = Annotated[
    date | None,
    QueryParameter(name="date", description="the local day (Asia/Shanghai); today by default"),
]


class CheckInsController(Controller):
    path = "/care/check-ins"
    tags = (TAG,)
    guards = (resident_only,)

    @post(
        "/",
        operation_id="createCareCheckIn",
        summary='The daily "I am safe" (平安报) of an elder',
        status_code=201,
        responses={
            HTTP_200_OK: ResponseSpec(
                CareCheckInOut,
                description="Already checked in today: the day's first check-in.",
                generate_examples=False,
            ),
            **problem_responses(404, codes={422: ("not_an_elder", "check_in_not_enabled")}),
        },
    )
    async def create_care_check_in(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        data: JSONBody[CareCheckInIn | None] = None,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[CareCheckInOut]:
        """Residents, for an elder of their household (`memberId`, or none for themself)
        whose care profile has `dailyCheckIn` on (otherwise 422 `check_in_not_enabled`; not an
        elder: 422 `not_an_elder`; another household's member: 404). One check-in per elder
        and Asia/Shanghai day: the first answers 201, any later tap that day 200 with the
        first. A check-in after `dueBy` (`late`) closes the day's missed-check-in alert. A
        retry with the same `Idempotency-Key` and body replays the first answer."""
        now = clock.now()
        member_id = data.member_id if data is not None else None

        async def handler() -> tuple[int, CareCheckInOut]:
            return await service.daily_check_in(
                db_session, user.id, member_id, data_key=settings.data_key, now=now
            )

        return await idempotent(request, db_session, user.id, now, handler)


class MyCheckInsController(Controller):
    path = "/me/care/check-ins"
    tags = (TAG,)
    guards = (resident_only,)

    @get(
        "/",
        operation_id="listMyCareCheckIns",
        summary="The household's daily check-ins",
        responses=problem_responses(404),
    )
    async def list_my_care_check_ins(
        self,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        member_id: MemberFilter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[CareCheckInOut]:
        """Residents. The check-ins of the household's elders, newest first; with `memberId`
        (a member's id, or `self`) one elder's. Another household's member: 404."""
        return await service.list_my_check_ins(
            db_session,
            user.id,
            None if member_id is None else service.parse_subject(member_id),
            every_elder=member_id is None,
            data_key=settings.data_key,
            limit=limit,
            cursor=cursor,
        )


class MissedCheckInsController(Controller):
    path = "/manage/care/check-ins"
    tags = (TAG,)
    guards = (worker_or_admin,)

    @get("/missing", operation_id="listMissedCareCheckIns", summary="A day's missed check-ins")
    async def list_missed_care_check_ins(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        day: Day = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[MissedCareCheckInOut]:
        """Community workers and admins. The elders whose daily check-in was missing at their
        `dueBy` on the day (today by default), missing longest first: the masked address, lives
        alone, the emergency contacts to call, since when (`dueAt`), whether the workers were
        told (`escalated`, two hours after `dueBy`), and `status`: `open`, `checked_in` (a
        late check-in came) or `reached` (a worker recorded reaching the elder)."""
        return await service.list_missed(
            db_session,
            day if day is not None else local_date_of(clock.now()),
            limit=limit,
            cursor=cursor,
        )

    @post(
        "/{alertId:uuid}/reached",
        operation_id="recordCareCheckInReached",
        summary="Record that a worker reached the elder",
        status_code=HTTP_200_OK,
        responses=problem_responses(404, codes={409: ("already_reached",)}),
    )
    async def record_care_check_in_reached(
        self,
        alert_id: AlertId,
        data: JSONBody[CareReachedIn],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
    ) -> MissedCareCheckInOut:
        """Community workers and admins. The caller reached the elder of a missed check-in
        (by phone or at the door): who, when and a note are recorded, the household is told,
        and the alert is no longer escalated. Once per alert: a second record 409
        `already_reached`."""
        return await service.record_reached(
            db_session, alert_id, user.id, data.note, now=clock.now()
        )


ROUTES = [CheckInsController, MyCheckInsController, MissedCheckInsController]
