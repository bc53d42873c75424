"""HTTP routes the guardians use for a child's safety: the people who may (or must never) take
the child home, and the child's allergies and health notes."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from backend.childcare import service
from backend.config import Settings
from backend.core.auth import AuthUser, resident_only
from backend.core.clock import Clock
from backend.core.errors import problem_responses
from backend.core.idempotency import IdempotencyKeyHeader, idempotent
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from schemas.childcare_pickup import (
    ChildcareProfileIn,
    ChildcareProfileOut,
    PickupIn,
    PickupOut,
)
from schemas.common import Page

TAG = "childcare"
ChildId = Annotated[UUID, PathParameter(name="childId", description="a child of the household")]
PickupId = Annotated[UUID, PathParameter(name="pickupId", description="a person on the list")]


class ChildPickupsController(Controller):
    path = "/me/members/{childId:uuid}/pickups"
    tags = (TAG,)
    guards = (resident_only,)

    @get(
        "/",
        operation_id="listChildPickups",
        summary="The people who may, or must never, take a child home",
        responses=problem_responses(404, codes={422: ("not_a_child",)}),
    )
    async def list_child_pickups(
        self,
        child_id: ChildId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[PickupOut]:
        """The guardians (the household the child is a member of). In the order added; the
        last four of an ID are never answered (`hasIdLast4` says one is kept). Another
        household's member: 404; a member aged 18 or over: 422 `not_a_child`."""
        return await service.list_pickups(
            db_session, user.id, child_id, now=clock.now(), limit=limit, cursor=cursor
        )

    @post(
        "/",
        operation_id="addChildPickup",
        summary="Add a trusted or a blocked person for a child",
        status_code=201,
        responses=problem_responses(
            404,
            codes={409: ("pickup_limit_reached",), 422: ("not_a_child", "invalid_phone")},
        ),
    )
    async def add_child_pickup(
        self,
        request: Request[Any, Any, Any],
        child_id: ChildId,
        data: JSONBody[PickupIn],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[PickupOut]:
        """The guardians. A trusted person proves the last four characters of their resident
        ID at pickup (`idLast4`, required; stored only as a keyed hash); `blocked: true` is
        someone who must never take the child: the teachers see them on the roster, a
        check-out naming them is refused and the guardians alerted. At most 10 people per
        child (409 `pickup_limit_reached`)."""
        now = clock.now()

        async def handler() -> tuple[int, PickupOut]:
            return 201, await service.add_pickup(
                db_session, user.id, child_id, data, data_key=settings.data_key, now=now
            )

        return await idempotent(request, db_session, user.id, now, handler)

    @delete(
        "/{pickupId:uuid}",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="removeChildPickup",
        summary="Take a person off a child's list",
        responses=problem_responses(404, codes={422: ("not_a_child",)}),
    )
    async def remove_child_pickup(
        self,
        child_id: ChildId,
        pickup_id: PickupId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
    ) -> None:
        """The guardians. From now on they can no longer prove themselves at check-out (a
        blocked person taken off is no longer refused by name). Not on this child's list: 404."""
        await service.remove_pickup(db_session, user.id, child_id, pickup_id, now=clock.now())


class ChildcareProfileController(Controller):
    path = "/me/members/{childId:uuid}/childcare-profile"
    tags = (TAG,)
    guards = (resident_only,)

    @get(
        "/",
        operation_id="getChildcareProfile",
        summary="A child's allergies and health notes",
        responses=problem_responses(404, codes={422: ("not_a_child",)}),
    )
    async def get_childcare_profile(
        self,
        child_id: ChildId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> ChildcareProfileOut:
        """The guardians, in full (empty fields until written). Teachers read the same notes
        on the roster of a program the child is enrolled in; nobody else reads them."""
        return await service.get_child_profile(
            db_session, user.id, child_id, data_key=settings.data_key, now=clock.now()
        )

    @put(
        "/",
        operation_id="putChildcareProfile",
        summary="Write a child's allergies and health notes",
        responses=problem_responses(404, codes={422: ("not_a_child",)}),
    )
    async def put_childcare_profile(
        self,
        child_id: ChildId,
        data: JSONBody[ChildcareProfileIn],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> ChildcareProfileOut:
        """The guardians. Both fields are replaced (absent or blank: none); stored only
        encrypted."""
        return await service.put_child_profile(
            db_session, user.id, child_id, data, data_key=settings.data_key, now=clock.now()
        )


ROUTES = [ChildPickupsController, ChildcareProfileController]
