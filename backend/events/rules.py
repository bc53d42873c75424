"""The registration rules, each written once, as a condition in SQL on the event row.

A registration is decided by one statement (``registering``): the event row's conditional
``UPDATE`` holds when every rule here holds. Both ways of registering put all of ``RULES`` in
that ``WHERE`` — the resident alone in one round trip, and the long way with household members
— and when the statement refuses, the long way selects the same conditions as named booleans to
say which rule refused (``explain``). So a rule added here binds both ways at once, and there is
no second copy in Python to drift from it.

The conditions read the request's values as bound parameters: ``at`` (the time of the request),
``party`` (seats asked for) and ``eldest``/``youngest``: the birth dates of the oldest and the
youngest attendee whose age is known (NULL when none is: the resident alone, whose birth date is
known only from their encrypted ID number, is first asked without it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    case,
    false,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy import (
    cast as sql_cast,
)

from backend.core.clock import LOCAL_TZ
from backend.core.errors import AppError
from backend.events.common import PUBLIC
from backend.events.models import Event

ELDER_AGE = 60
ADULT_AGE = 18

AT = bindparam("at", type_=DateTime(timezone=True))
PARTY = bindparam("party", type_=Integer)
ELDEST = bindparam("eldest", type_=Date)
YOUNGEST = bindparam("youngest", type_=Date)

_E = cast(Table, Event.__table__).c


# The event's date where it happens: ages count on it.
EVENT_DAY = sql_cast(func.timezone(LOCAL_TZ.key, _E.starts_at), Date)


def born_by(years: int, day: ColumnElement[Any] = EVENT_DAY) -> ColumnElement[Any]:
    """The last birth date of someone ``years`` old on ``day``: an age counts from the morning
    of the birthday, and a 29 February birthday from 1 March in other years (PostgreSQL's date
    arithmetic takes 29 February back to 28 February in a common year)."""
    return day - literal_column(f"interval '{years} years'")


# Who must come, per audience: an audience without an entry refuses everyone, so a new audience
# cannot slip through unchecked (tests/unit/test_events_rules.py holds the keys to the Literal).
AUDIENCE_RULES: Mapping[str, ColumnElement[bool]] = {
    "all": true(),
    "families": true(),
    "elderly": born_by(ELDER_AGE) >= ELDEST,
    "children": born_by(ADULT_AGE) < YOUNGEST,
}


def window_open(at: Any) -> ColumnElement[bool]:
    """Registration is open at ``at``: inside [opens, closes) of a published event (a cancelled
    one is closed). The reads select it as ``registrationOpen`` for the time they are made."""
    return and_(
        _E.status == "published",
        _E.registration_opens_at <= at,
        _E.registration_closes_at > at,
    )


@dataclass(frozen=True, slots=True)
class Rule:
    """``holds`` on the event row, or ``refusal(row)`` — ``row`` the event as ``explain``
    selects it — is the problem the resident gets."""

    name: str
    holds: ColumnElement[bool]
    refusal: Callable[[Any], AppError]


def _too_many_seats(event: Any) -> AppError:
    most = event.max_seats_per_registration
    return AppError(422, "too_many_seats", {"max": most}, extra={"maxSeatsPerRegistration": most})


RULES: tuple[Rule, ...] = (
    Rule(
        "registration_open",
        window_open(AT),
        lambda _: AppError(422, "registration_closed"),
    ),
    Rule(
        "seats_allowed",
        _E.max_seats_per_registration >= PARTY,
        _too_many_seats,
    ),
    Rule(
        "audience_met",
        case(
            *((_E.audience == audience, rule) for audience, rule in AUDIENCE_RULES.items()),
            else_=false(),
        ),
        lambda event: AppError(422, "audience_mismatch", extra={"audience": event.audience}),
    ),
)


def all_hold() -> list[ColumnElement[bool]]:
    """The ``WHERE`` of every deciding statement."""
    return [rule.holds for rule in RULES]


# An unknown age is NULL in a comparison: that rule does not hold.
EXPLAIN: Select[Any] = select(
    _E.max_seats_per_registration,
    _E.audience,
    *(func.coalesce(rule.holds, false(), type_=Boolean).label(rule.name) for rule in RULES),
).where(Event.id == bindparam("event"), PUBLIC)


def refusal(explained: Any) -> AppError:
    """The problem of the first rule that does not hold on the ``EXPLAIN``ed row (``None``: no
    such public event)."""
    if explained is None:
        return AppError(404, "not_found")
    for rule in RULES:
        if not getattr(explained, rule.name):
            return rule.refusal(explained)
    # Every rule holds again: the event changed between the refusal and its explanation (a
    # staff member reopened it). The resident may simply try again.
    return AppError(422, "registration_closed")
