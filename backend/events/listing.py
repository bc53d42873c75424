"""What anyone may read: the published events by start (with search), the home screen's
upcoming ones, and one published event in full.

These are the reads every phone makes, so they run outside the ORM session (see
``backend.core.reads``): one compiled statement each, no transaction."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, func, literal_column, select, tuple_
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter

from backend.core.clock import to_local
from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.core.reads import Query, Reader, Record, param
from backend.events.common import PUBLIC, like_pattern, text_match
from backend.events.models import Event
from backend.events.rules import window_open
from backend.events.wire import public_event
from backend.hub import service as hub
from schemas.common import Page
from schemas.events import EventOut, EventSummary

_SUMMARY_COLUMNS = (
    Event.id,
    Event.title,
    Event.summary,
    Event.category,
    Event.audience,
    Event.location,
    Event.starts_at,
    Event.ends_at,
    Event.registration_opens_at,
    Event.registration_closes_at,
    Event.capacity,
    Event.max_seats_per_registration,
    Event.status,
    Event.confirmed_seats,
    Event.waitlisted_count,
    Event.room_id,
)


def _open_at(now: Any) -> ColumnElement[bool]:
    return window_open(now).label("registration_open")


# The table under its own name inside the bound, so it never correlates with the outer query.
_live = aliased(Event, name="live")
# Written out, not a parameter: the indexes these reads walk are partial on it, and PostgreSQL
# cannot match a partial index to ``status = $1`` in the generic plan that asyncpg's prepared
# statements may switch to after five runs (it would then scan the table).
_PUBLISHED: ColumnElement[str] = literal_column("'published'")


def live_from(starts_from: Any) -> ColumnElement[bool]:
    """Start the walk by start time at the first published event not over at ``starts_from``.

    Implied by ``ends_at > starts_from`` (the earliest start among the events satisfying it is
    a lower bound of their starts), so it changes no answer; but the index by start can begin
    there instead of walking every finished event before it, which grows with the history
    (issue 17). The bound comes from ``ix_events_live_from``, whose range past
    ``starts_from`` holds only the live events. No live event: NULL, and rightly no rows."""
    earliest = (
        # The FILTER repeats the WHERE so that PostgreSQL does not turn min() into "the first
        # by start" (planagg.c skips aggregates with a FILTER), which would walk the finished
        # events again; it reads the range of the ends_at index instead.
        select(func.min(_live.starts_at).filter(_live.ends_at > starts_from))
        .where(
            _live.status == _PUBLISHED,
            _live.ends_at > starts_from,
            # Always true (a CHECK), and the index's predicate: said here only, so that the
            # outer statement cannot use that index. Otherwise, not knowing the bound when it
            # plans, PostgreSQL guesses that a third of the events lie past it and prefers
            # reading every live event there and sorting them to the walk by start — one page
            # per live event instead of one per event shown (seen at 10x the history).
            _live.ends_at > _live.starts_at,
        )
        .scalar_subquery()
    )
    return Event.starts_at >= earliest


@functools.cache
def _list_query(*, until: bool, category: bool, audience: bool, search: bool, after: bool) -> Query:
    """The events page for one combination of filters, compiled the first time it is asked."""
    starts_from: BindParameter[datetime] = param("starts_from")
    stmt = select(*_SUMMARY_COLUMNS, _open_at(param("now"))).where(
        Event.status == _PUBLISHED, Event.ends_at > starts_from, live_from(starts_from)
    )
    if until:
        stmt = stmt.where(Event.starts_at < param("until"))
    if category:
        stmt = stmt.where(Event.category == param("category"))
    if audience:
        stmt = stmt.where(Event.audience == param("audience"))
    if search:
        stmt = stmt.where(text_match(param("pattern")))
    if after:
        stmt = stmt.where(
            tuple_(Event.starts_at, Event.id) > tuple_(param("after_starts_at"), param("after_id"))
        )
    return Query.compile(stmt.order_by(Event.starts_at, Event.id).limit(param("limit")))


EVENTS = Keyset("events", (datetime, UUID))


async def list_events(
    reader: Reader,
    *,
    now: datetime,
    starts_from: datetime | None,
    until: datetime | None,
    category: str | None,
    audience: str | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> Page[EventSummary]:
    """Published events overlapping [from, to) — by default those not yet over — by start."""
    after = EVENTS.decode(cursor)
    query = _list_query(
        until=until is not None,
        category=bool(category),
        audience=bool(audience),
        search=bool(q),
        after=after is not None,
    )
    rows = await reader.fetch(
        query,
        now=now,
        starts_from=starts_from or now,
        until=until,
        category=category,
        audience=audience,
        pattern=like_pattern(q) if q else None,
        after_starts_at=after[0] if after else None,
        after_id=after[1] if after else None,
        limit=limit + 1,
    )
    page, next_cursor = EVENTS.paginate(rows, limit, lambda r: (r["starts_at"], r["id"]))
    return Page(items=[public_event(r, EventSummary) for r in page], next_cursor=next_cursor)


_SUMMARY_NAMES = (*(column.key for column in _SUMMARY_COLUMNS), "registration_open")


def upcoming_column(now: Any, limit: int) -> ColumnElement[Any]:
    """The next published events not over yet, as an array column of another statement (the
    home screen reads its parts in one statement); ``upcoming_from`` reads it back."""
    return func.array(
        select(tuple_(*_SUMMARY_COLUMNS, window_open(now)))
        .where(Event.status == _PUBLISHED, Event.ends_at > now, live_from(now))
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
        .scalar_subquery()
    )


def upcoming_from(records: Sequence[Record], now: datetime) -> list[EventSummary]:
    """The events of ``upcoming_column``. (``now`` is the time the column was read for; the
    column already carries whether registration is open then.)"""
    # Anonymous rows carry their fields by position only.
    return [
        public_event(dict(zip(_SUMMARY_NAMES, record, strict=True)), EventSummary)
        for record in records
    ]


# The event and its room's label in one statement; the label comes from the hub's service.
_EVENT = Query.compile(
    select(
        *_SUMMARY_COLUMNS,
        _open_at(param("now")),
        Event.body,
        Event.cancelled_at,
        Event.cancel_reason,
        hub.room_label_of(Event.room_id).label("room_name"),
    ).where(Event.id == param("event_id"), PUBLIC)
)


async def get_event(reader: Reader, event_id: UUID, *, now: datetime) -> EventOut:
    row = await reader.fetchrow(_EVENT, event_id=event_id, now=now)
    if row is None:
        raise AppError(404, "not_found")
    return public_event(
        row,
        EventOut,
        body=row["body"],
        room_name=row["room_name"],
        cancelled_at=to_local(row["cancelled_at"]),
        cancel_reason=row["cancel_reason"],
    )
