"""What anyone may read: the published events, and one of them. No token needed.

Both are hot reads (the benchmark's ``listEvents`` and ``getEvent``): they take the request and
read the clock and the reader from the app (``clock_of``, ``reader_of``; docs/architecture.md,
"Performance idioms") instead of declaring dependencies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter

from backend.core.clock import clock_of
from backend.core.errors import AppError, FieldError
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.core.reads import reader_of
from backend.core.responses import Answer
from backend.events import service
from backend.events.routes import TAG, EventId, SearchText, search_words
from schemas.common import Page
from schemas.events import Audience, EventOut, EventSummary

# What ``_moment`` accepts, as the parameters' descriptions and its refusal state it.
_MOMENT_RULE = (
    "an RFC 3339 time with offset, e.g. +08:00, from 2000-01-01 to before 2200-01-01 (UTC)"
)


def _moment(text: str | None, field: str) -> datetime | None:
    """An RFC 3339 time with its offset. (A plain ``datetime`` parameter would also take a bare
    number as a Unix timestamp, and a time without offset, which means nothing here.)"""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if (
        moment is None
        or moment.tzinfo is None
        or "T" not in text.upper()
        or not service.in_range(moment)
    ):
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError(field=field, message=_MOMENT_RULE)],
        )
    return moment


From = Annotated[
    str | None,
    QueryParameter(
        name="from",
        max_length=64,
        description=f"events ending after this time (default: now); {_MOMENT_RULE}",
        schema_extra={"format": "date-time"},
    ),
]
To = Annotated[
    str | None,
    QueryParameter(
        max_length=64,
        description=f"events starting before this time; {_MOMENT_RULE}",
        schema_extra={"format": "date-time"},
    ),
]
CategoryParam = Annotated[
    str | None,
    QueryParameter(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="a category code"),
]
AudienceParam = Annotated[
    Audience | None, QueryParameter(description="only events for this audience")
]


class PublicEventsController(Controller):
    path = "/events"
    tags = (TAG,)
    opt = {"exclude_from_auth": True}  # noqa: RUF012  (Litestar reads it once)

    @get(
        "/",
        operation_id="listEvents",
        summary="Published events, by start",
        description=(
            "Published events overlapping [from, to) — by default those not over yet — ordered "
            "by start, with seatsLeft, waitlistLength and registrationOpen; list items omit "
            "`body`. `q` matches words of the title or summary. Anyone may call it, without a "
            "token."
        ),
    )
    async def list_events(
        self,
        request: Request[Any, Any, Any],
        from_: From = None,
        to: To = None,
        category: CategoryParam = None,
        audience: AudienceParam = None,
        q: SearchText = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[EventSummary]:
        return await service.list_events(
            reader_of(request),
            now=clock_of(request).now(),
            starts_from=_moment(from_, "from"),
            until=_moment(to, "to"),
            category=category,
            audience=audience,
            q=search_words(q),
            limit=limit,
            cursor=cursor,
        )

    @get(
        "/{eventId:uuid}",
        operation_id="getEvent",
        summary="A published event",
        description=(
            "One published event in full, with its room's name. An event cancelled after "
            "publication still answers (status `cancelled`, with `cancelReason`) so its "
            "registrants can read why; a draft is a 404. Anyone may call it, without a token."
        ),
    )
    async def get_event(
        self, request: Request[Any, Any, Any], event_id: EventId
    ) -> Answer[EventOut]:
        return Answer(
            await service.get_event(reader_of(request), event_id, now=clock_of(request).now())
        )
