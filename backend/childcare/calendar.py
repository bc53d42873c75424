"""Which days a program meets: its weekly schedule over its term, without Chinese public
holidays, plus the make-up workdays (调休) on which schools and offices work a weekend day.

The holiday data is the ``holidays`` package's (``holidays.China``). The State Council
publishes each year's schedule, with its make-up days, late in the year before; the package
carries it from the release after. For a year whose schedule the package does not carry yet,
the statutory holidays come from the rules (New Year, the Spring Festival by the lunar
calendar, …) and no make-up day is known: sessions on those days are skipped, none is added
(``schedule_known`` says which years are which). Pure functions, tested in
tests/unit/test_childcare_calendar.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

from holidays.countries.china import China
from holidays.holiday_base import HolidayBase

from backend.core.clock import LOCAL_TZ


@dataclass(frozen=True, slots=True)
class Slot:
    weekday: int  # 1 Monday … 7 Sunday
    starts: time
    ends: time


@dataclass(frozen=True, slots=True)
class Day:
    date: date
    starts_at: datetime
    ends_at: datetime


def parse_slots(schedule: Sequence[dict[str, object]]) -> list[Slot]:
    return [
        Slot(
            int(str(s["weekday"])),
            time.fromisoformat(str(s["starts"])),
            time.fromisoformat(str(s["ends"])),
        )
        for s in schedule
    ]


@cache
def _china(year: int) -> HolidayBase:
    return China(years=year)  # type: ignore[no-untyped-call]


def is_public_holiday(day: date) -> bool:
    return day in _china(day.year)


def is_makeup_workday(day: date) -> bool:
    """A weekend day worked in exchange for a holiday (调休上班)."""
    return day in _china(day.year).weekend_workdays


def schedule_known(year: int) -> bool:
    """Whether the package carries ``year``'s announced schedule (its make-up days); a year
    without a single make-up day is one whose schedule has not been added yet."""
    return any(d.year == year for d in _china(year).weekend_workdays)


def _makeup_slot(slots: Sequence[Slot]) -> Slot | None:
    # A make-up day is a working day, so a program that meets on working days meets then too,
    # on the times of its first working weekday; a weekend-only program does not.
    weekdays = sorted((s for s in slots if s.weekday <= 5), key=lambda s: (s.weekday, s.starts))
    return weekdays[0] if weekdays else None


def program_days(slots: Sequence[Slot], term_starts: date, term_ends: date) -> Iterator[Day]:
    """Each day the program meets, in order: a day of the term whose weekday the schedule
    names, unless a public holiday; a make-up workday takes the first working weekday's times.
    One session a day: two slots on one weekday take the first."""
    by_weekday: dict[int, Slot] = {}
    for each in sorted(slots, key=lambda s: (s.weekday, s.starts)):
        by_weekday.setdefault(each.weekday, each)
    makeup = _makeup_slot(slots)
    day = term_starts
    while day <= term_ends:
        slot: Slot | None = makeup if is_makeup_workday(day) else by_weekday.get(day.isoweekday())
        if slot is not None and not is_public_holiday(day):
            yield Day(
                date=day,
                starts_at=datetime.combine(day, slot.starts, tzinfo=LOCAL_TZ),
                ends_at=datetime.combine(day, slot.ends, tzinfo=LOCAL_TZ),
            )
        day += timedelta(days=1)
