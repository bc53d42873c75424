"""HTTP routes of assisted residents, one Controller per audience:

- ``AssistedResidentsController``: create, find and act for assisted residents (workers, admins);
- ``EldersController``: the elders with a care profile (workers, admins);
- ``MyActedForController``: what workers did for the caller or their assisted relative;
- ``ActedForAuditController``: the admins' audit list of everything done by acting.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.assisted import service
from backend.config import Settings
from backend.core.auth import AuthUser, admin_only, resident_only, worker_or_admin
from backend.core.clock import Clock
from backend.core.errors import problem_responses
from backend.core.idempotency import IdempotencyKeyHeader, idempotent
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from schemas.assisted import (
    ActedForOut,
    ActingToken,
    AssistedResidentIn,
    AssistedResidentOut,
    ElderOut,
)
from schemas.common import Page

TAG = "assisted"
UserId = Annotated[UUID, PathParameter(name="userId", description="the assisted resident")]
Query = Annotated[
    str | None,
    QueryParameter(name="q", max_length=50, description="part of the elder's name"),
]
ActorId = Annotated[UUID | None, QueryParameter(name="actorId", description="only this worker's")]
SubjectId = Annotated[
    UUID | None, QueryParameter(name="subjectId", description="only those for this resident")
]


class AssistedResidentsController(Controller):
    path = "/manage/assisted-residents"
    tags = (TAG,)
    guards = (worker_or_admin,)

    @post(
        "/",
        operation_id="createAssistedResident",
        summary="Create an account for an elder without a phone",
        status_code=201,
        responses=problem_responses(
            codes={
                409: ("id_number_registered",),
                422: ("invalid_id_number", "invalid_real_name", "invalid_phone"),
            }
        ),
    )
    async def create_assisted_resident(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[AssistedResidentIn],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[AssistedResidentOut]:
        """Community workers and admins. A resident account with no phone and no password
        (nobody can log in to it), real-name verified from the ID number (check digit, birth
        date), for an elder the worker then acts for (`actForAssistedResident`). One account per
        ID number: one already bound → 409 `id_number_registered`. `contactPhone` is a
        relative's mobile or a landline; a relative who has an account with that mobile sees
        what is done for the elder (`listMyActedFor`). The address is stored encrypted and
        answered masked. A retry with the same `Idempotency-Key` and body replays the first
        answer."""
        now = clock.now()

        async def handler() -> tuple[int, AssistedResidentOut]:
            created = await service.create(
                db_session, user.id, data, data_key=settings.data_key, now=now
            )
            return 201, created

        return await idempotent(request, db_session, user.id, now, handler)

    @get("/", operation_id="listAssistedResidents", summary="Assisted residents")
    async def list_assisted_residents(
        self,
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[AssistedResidentOut]:
        """Community workers and admins. Every assisted resident in the order they were
        created: ID number and address masked, the contact in full."""
        return await service.list_assisted(
            db_session, data_key=settings.data_key, now=clock.now(), limit=limit, cursor=cursor
        )

    @get(
        "/{userId:uuid}",
        operation_id="getAssistedResident",
        summary="An assisted resident",
        responses=problem_responses(404),
    )
    async def get_assisted_resident(
        self,
        user_id: UserId,
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> AssistedResidentOut:
        """Community workers and admins. As in the list; an account that is no assisted
        resident: 404."""
        return await service.get(db_session, user_id, data_key=settings.data_key, now=clock.now())

    @post(
        "/{userId:uuid}/act",
        operation_id="actForAssistedResident",
        summary="Get a short-lived token to act for an assisted resident",
        status_code=200,
        responses=problem_responses(404),
    )
    async def act_for_assisted_resident(
        self,
        request: Request[Any, Any, Any],
        user_id: UserId,
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
    ) -> ActingToken:
        """Community workers and admins. An access token (15 minutes, no refresh token) whose
        subject is the assisted resident and whose `act` claim names the caller (RFC 8693).
        With it, call the ordinary resident endpoints for the elder: care profile, care
        orders, registrations, household members. It is a resident's token: `/manage` and
        `/admin` answer it 403. Every request it makes that may change something is recorded
        with who acted for whom, as is this call. It dies with the caller's own login session
        (logout, revocation, role change). Any account that is no assisted resident: 404."""
        return await service.act_for(
            db_session,
            settings,
            user,
            user_id,
            now=clock.now(),
            request_id=request.scope.get("state", {}).get("request_id"),
            path=request.url.path,
        )


class EldersController(Controller):
    path = "/manage/elders"
    tags = ("eldercare",)
    guards = (worker_or_admin,)

    @get("/", operation_id="listElders", summary="Elders with a care profile")
    async def list_elders(
        self,
        db_session: NamedDependency[AsyncSession],
        q: Query = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[ElderOut]:
        """Community workers and admins. Every elder with a care profile, or those whose name
        contains `q`: the `careProfileId` (for `setElderSubsidy`), the name, the address
        masked, the subsidy tier, whether the elder lives alone, and whether the elder is an
        assisted resident (then `ownerId` is the account to act for)."""
        return await service.list_elders(db_session, q=q, limit=limit, cursor=cursor)


class MyActedForController(Controller):
    path = "/me/acted-for"
    tags = (TAG,)
    guards = (resident_only,)

    @get("/", operation_id="listMyActedFor", summary="What community workers did for you")
    async def list_my_acted_for(
        self,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[ActedForOut]:
        """Residents. Newest first, every request a community worker made acting for the
        caller (an assisted resident), and for every assisted resident whose contact phone is
        the caller's mobile: who acted, for whom, the operation and its answer's status
        (refusals too)."""
        return await service.acted_for_me(db_session, user.id, limit=limit, cursor=cursor)


class ActedForAuditController(Controller):
    path = "/admin/acted-for"
    tags = (TAG,)
    guards = (admin_only,)

    @get("/", operation_id="listActedFor", summary="The audit list of acting for residents")
    async def list_acted_for(
        self,
        db_session: NamedDependency[AsyncSession],
        actor_id: ActorId = None,
        subject_id: SubjectId = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[ActedForOut]:
        """Admins. Newest first, everything done with acting tokens, narrowed to one worker
        (`actorId`) or one resident (`subjectId`)."""
        return await service.acted_for_all(
            db_session, actor_id=actor_id, subject_id=subject_id, limit=limit, cursor=cursor
        )


ROUTES = [
    AssistedResidentsController,
    EldersController,
    MyActedForController,
    ActedForAuditController,
]
