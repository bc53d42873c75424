"""A resident's registrations: registering for an event, reading and cancelling their own, and
feedback after an event they attended. Residents only (``resident_only``, declared once)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.auth import AuthUser, resident_only
from backend.core.clock import Clock, clock_of
from backend.core.errors import problem_responses
from backend.core.idempotency import IdempotencyKeyHeader, idempotent
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.core.reads import autocommit_writer_of
from backend.events import service
from backend.events.routes import TAG, EventId, RegistrationId
from schemas.common import Page
from schemas.events import (
    FeedbackCreate,
    FeedbackOut,
    RegistrationCreate,
    RegistrationOut,
    RegistrationStatus,
)

StatusFilter = Annotated[
    RegistrationStatus | None, QueryParameter(description="only registrations in this status")
]


class ResidentController(Controller):
    # The resident's paths share no prefix: the event's registrations and feedback, and their
    # own registrations under /me and /registrations.
    path = "/"
    tags = (TAG,)
    guards = (resident_only,)

    @post(
        "/events/{eventId:uuid}/registrations",
        operation_id="registerForEvent",
        summary="Register for an event (confirmed or waitlisted)",
        description=(
            "Registers the caller and the household members named in `memberIds` (`seats` "
            "counts everyone; when it exceeds the members named, the caller comes too). "
            "Confirmed with a ticket while seats last and nobody waits, otherwise waitlisted "
            "with a position. Refused outside the registration window, above "
            "`maxSeatsPerRegistration`, or when nobody coming fits the event's audience. One "
            "active registration per resident and event. Residents only. Honours "
            "`Idempotency-Key`: a retry returns the first answer."
        ),
        status_code=201,
        responses=problem_responses(
            codes={
                409: ("already_registered",),
                422: (
                    "registration_closed",
                    "too_many_seats",
                    "unknown_member",
                    "audience_mismatch",
                ),
            }
        ),
    )
    async def register(
        self,
        request: Request[AuthUser, Any, Any],
        event_id: EventId,
        data: JSONBody[RegistrationCreate],
        db_session: NamedDependency[AsyncSession],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[RegistrationOut]:
        # The caller and the clock come from the request, not as dependencies: with the session
        # they made a batch that Litestar resolves in an anyio task group on every request, a
        # measurable share of the rush. The guard has already admitted only residents.
        user = request.user
        now = clock_of(request).now()
        # Without a key nothing else joins the registration's transaction: its deciding
        # statement may commit on its own (see service.register).
        autocommit = autocommit_writer_of(request) if idempotency_key is None else None

        async def handler() -> tuple[int, RegistrationOut]:
            registered = await service.register(
                db_session,
                event_id,
                user.id,
                data,
                now=now,
                data_key=request.app.state.settings.data_key,
                autocommit=autocommit,
            )
            return 201, registered

        return await idempotent(request, db_session, user.id, now, handler)

    @get(
        "/me/registrations",
        operation_id="listMyRegistrations",
        summary="The caller's event registrations, newest first",
        description=(
            "The caller's registrations of every status (or of `status`), newest first, each "
            "with its event, its ticket while confirmed and its waitlist position while "
            "waiting. Residents only."
        ),
    )
    async def list_my_registrations(
        self,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        status: StatusFilter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[RegistrationOut]:
        return await service.my_registrations(
            db_session,
            user.id,
            status=status,
            limit=limit,
            cursor=cursor,
            data_key=settings.data_key,
        )

    @get(
        "/registrations/{registrationId:uuid}",
        operation_id="getMyRegistration",
        summary="One of the caller's registrations, with its ticket",
        description=(
            "One of the caller's registrations: its ticket while confirmed, its current "
            "waitlist position while waiting. Another resident's registration is a 404. "
            "Residents only."
        ),
    )
    async def get_my_registration(
        self,
        registration_id: RegistrationId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
    ) -> RegistrationOut:
        return await service.my_registration(
            db_session, registration_id, user.id, data_key=settings.data_key
        )

    @post(
        "/registrations/{registrationId:uuid}/cancel",
        operation_id="cancelMyRegistration",
        summary="Cancel the caller's registration (frees seats for the waitlist)",
        description=(
            "Cancels one of the caller's registrations, until the event starts and unless it "
            "was checked in. Freed seats go to the waitlist in order, in the same transaction, "
            "as far as the head of the queue fits. Residents only; another resident's "
            "registration is a 404."
        ),
        status_code=200,
        responses=problem_responses(
            codes={
                409: ("registration_already_cancelled",),
                422: ("registration_not_cancellable",),
            }
        ),
    )
    async def cancel_my_registration(
        self,
        registration_id: RegistrationId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        settings: NamedDependency[Settings],
    ) -> RegistrationOut:
        return await service.cancel_registration(
            db_session, registration_id, user.id, now=clock.now(), data_key=settings.data_key
        )

    @post(
        "/events/{eventId:uuid}/feedback",
        operation_id="giveEventFeedback",
        summary="Rate an event you checked in to, after it ended",
        description=(
            "A rating from 1 to 5 and an optional comment, once per event, from a resident "
            "whose ticket was checked in, after the event ended. Residents only. Honours "
            "`Idempotency-Key`: a retry returns the first answer."
        ),
        status_code=201,
        responses=problem_responses(
            codes={
                409: ("feedback_already_given",),
                422: ("feedback_not_allowed", "feedback_not_open"),
            }
        ),
    )
    async def give_feedback(
        self,
        request: Request[AuthUser, Any, Any],
        event_id: EventId,
        data: JSONBody[FeedbackCreate],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[FeedbackOut]:
        now = clock.now()

        async def handler() -> tuple[int, FeedbackOut]:
            return 201, await service.give_feedback(db_session, event_id, user.id, data, now=now)

        return await idempotent(request, db_session, user.id, now, handler)
