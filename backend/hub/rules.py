"""The time rules of the hub, as pure functions: opening hours, the slot grid, booking checks.

Opening hours and "today" are Asia/Shanghai; instants are compared as aware datetimes, so a
request in any offset means the same instant. Shanghai has no daylight saving, so a local day is
always 24 hours and minute arithmetic from local midnight is exact.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from backend.core.clock import LOCAL_TZ
from backend.core.errors import AppError, FieldError

MINUTES_PER_DAY = 24 * 60
# Instants and dates the hub accepts. Far outside, local-time arithmetic would overflow Python's
# datetime (year 9999 + 8 hours) and answer 500 instead of a clear 422.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_HHMM = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$")


@dataclass(frozen=True, slots=True)
class Hours:
    """One opening interval of a weekday, in minutes from local midnight."""

    weekday: int  # ISO: Monday 1 … Sunday 7
    opens: int
    closes: int


@dataclass(frozen=True, slots=True)
class RoomRules:
    slot_minutes: int
    min_minutes: int
    max_minutes: int
    bookable_days_ahead: int
    capacity: int


def check_instants(**instants: datetime) -> None:
    """422 ``validation_error`` naming each instant outside the years 2000 to 2199."""
    errors = [
        FieldError(field=name, message="must lie between the years 2000 and 2199")
        for name, moment in instants.items()
        if not EARLIEST <= moment < LATEST
    ]
    if errors:
        raise AppError(422, "validation_error", errors=errors)


def check_day(day: date, field: str = "date") -> None:
    if not EARLIEST.date() <= day < LATEST.date():
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError(field=field, message="must lie between the years 2000 and 2199")],
        )


def parse_hhmm(text: str) -> int:
    match = _HHMM.match(text)
    if not match:
        raise ValueError(f"not a time of day: {text!r}")
    hours, minutes = (match.group(1), match.group(2)) if match.group(1) else ("24", "00")
    return int(hours) * 60 + int(minutes)


def format_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def validate_hours(entries: Sequence[Any]) -> list[Hours]:
    """Opening hours from the wire (objects with weekday/opens/closes): each interval opens
    before it closes and no two intervals of one weekday overlap. 422 ``invalid_opening_hours``
    naming every bad entry."""
    errors: list[FieldError] = []
    parsed: list[tuple[int, Hours]] = []
    for index, entry in enumerate(entries):
        field = f"openingHours[{index}]"
        try:
            opens = parse_hhmm(entry.opens)
            closes = parse_hhmm(entry.closes)
        except ValueError:
            errors.append(FieldError(field=field, message="times are HH:MM, 00:00 to 24:00"))
            continue
        if opens >= closes:
            errors.append(FieldError(field=field, message="opens must be before closes"))
            continue
        parsed.append((index, Hours(entry.weekday, opens, closes)))
    by_day: dict[int, list[tuple[int, Hours]]] = {}
    for index, hours in parsed:
        by_day.setdefault(hours.weekday, []).append((index, hours))
    for items in by_day.values():
        items.sort(key=lambda item: item[1].opens)
        for (_, before), (index, after) in itertools.pairwise(items):
            if after.opens < before.closes:
                errors.append(
                    FieldError(
                        field=f"openingHours[{index}]",
                        message="overlaps another interval of the same weekday",
                    )
                )
    if errors:
        raise AppError(422, "invalid_opening_hours", errors=errors)
    return sorted((h for _, h in parsed), key=lambda h: (h.weekday, h.opens))


def hours_from_json(stored: Iterable[dict[str, Any]]) -> list[Hours]:
    return [
        Hours(int(item["weekday"]), parse_hhmm(item["opens"]), parse_hhmm(item["closes"]))
        for item in stored
    ]


def hours_to_json(hours: Iterable[Hours]) -> list[dict[str, Any]]:
    return [
        {"weekday": h.weekday, "opens": format_hhmm(h.opens), "closes": format_hhmm(h.closes)}
        for h in hours
    ]


def validate_room_rules(
    *, slot_minutes: int, min_minutes: int, max_minutes: int
) -> list[FieldError]:
    """A room's durations must sit on its own slot grid, or no booking could satisfy them."""
    errors: list[FieldError] = []
    if min_minutes % slot_minutes:
        errors.append(FieldError("minMinutes", "must be a multiple of slotMinutes"))
    if max_minutes % slot_minutes:
        errors.append(FieldError("maxMinutes", "must be a multiple of slotMinutes"))
    if min_minutes < slot_minutes:
        errors.append(FieldError("minMinutes", "must be at least slotMinutes"))
    if max_minutes < min_minutes:
        errors.append(FieldError("maxMinutes", "must be at least minMinutes"))
    return errors


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL_TZ)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The instants a local calendar day spans, half-open."""
    start = local_midnight(day)
    return start, start + timedelta(days=1)


def hours_on(hours: Iterable[Hours], day: date) -> list[Hours]:
    weekday = day.isoweekday()
    return sorted((h for h in hours if h.weekday == weekday), key=lambda h: h.opens)


def slot_grid(
    hours: Iterable[Hours], day: date, slot_minutes: int
) -> list[tuple[datetime, datetime]]:
    """The room's slots on ``day``: each opening interval cut into whole slots from its opening
    time; a remainder shorter than a slot at the end of an interval is not offered."""
    midnight = local_midnight(day)
    slots: list[tuple[datetime, datetime]] = []
    for interval in hours_on(hours, day):
        start = interval.opens
        while start + slot_minutes <= interval.closes:
            slots.append(
                (
                    midnight + timedelta(minutes=start),
                    midnight + timedelta(minutes=start + slot_minutes),
                )
            )
            start += slot_minutes
    return slots


def last_bookable_day(today: date, days_ahead: int) -> date:
    return today + timedelta(days=days_ahead)


def check_time_range(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise AppError(422, "invalid_time_range")


def check_opening_hours(
    hours: Iterable[Hours], starts_at: datetime, ends_at: datetime, slot_minutes: int
) -> None:
    """The booking lies in one opening interval of its local day, on that interval's grid."""
    day = starts_at.astimezone(LOCAL_TZ).date()
    midnight = local_midnight(day)
    start_s = (starts_at - midnight).total_seconds()
    end_s = (ends_at - midnight).total_seconds()
    containing = next(
        (h for h in hours_on(hours, day) if h.opens * 60 <= start_s and end_s <= h.closes * 60),
        None,
    )
    if containing is None:
        raise AppError(422, "outside_opening_hours")
    step = slot_minutes * 60
    if (start_s - containing.opens * 60) % step or (end_s - containing.opens * 60) % step:
        raise AppError(422, "slot_misaligned", {"slotMinutes": slot_minutes})


def check_booking(
    rules: RoomRules,
    hours: Iterable[Hours],
    *,
    starts_at: datetime,
    ends_at: datetime,
    attendees: int,
    now: datetime,
) -> None:
    """Every rule a resident's booking must meet that needs no database, in the documented
    order (docs/hub.md); the first breach raises its own 422."""
    check_time_range(starts_at, ends_at)
    if starts_at < now:
        raise AppError(422, "in_the_past")
    today = now.astimezone(LOCAL_TZ).date()
    last_day = last_bookable_day(today, rules.bookable_days_ahead)
    if starts_at.astimezone(LOCAL_TZ).date() > last_day:
        raise AppError(
            422,
            "too_far_ahead",
            {"days": rules.bookable_days_ahead, "lastDay": last_day.isoformat()},
        )
    minutes = (ends_at - starts_at).total_seconds() / 60
    if not rules.min_minutes <= minutes <= rules.max_minutes:
        raise AppError(
            422,
            "duration_out_of_range",
            {"minMinutes": rules.min_minutes, "maxMinutes": rules.max_minutes},
        )
    check_opening_hours(hours, starts_at, ends_at, rules.slot_minutes)
    if attendees > rules.capacity:
        raise AppError(422, "over_capacity", {"capacity": rules.capacity})


def weekly(starts_at: datetime, ends_at: datetime, count: int) -> list[tuple[datetime, datetime]]:
    """The same local time once a week, ``count`` times (no daylight saving to shift it)."""
    return [(starts_at + timedelta(weeks=n), ends_at + timedelta(weeks=n)) for n in range(count)]


def weeks_until(starts_at: datetime, until: date) -> int:
    """How many weekly occurrences from ``starts_at`` fall on or before the local date ``until``."""
    first = starts_at.astimezone(LOCAL_TZ).date()
    if until < first:
        return 0
    return (until - first).days // 7 + 1


def when_text(starts_at: datetime, ends_at: datetime) -> str:
    """``2026-12-01 09:00–10:00`` in local time, for messages (the same in both languages)."""
    start = starts_at.astimezone(LOCAL_TZ)
    end = ends_at.astimezone(LOCAL_TZ)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"
