"""The hub's time rules without a database: opening hours, the slot grid, booking checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from backend.core.errors import AppError
from backend.hub import rules

LOCAL = ZoneInfo("Asia/Shanghai")
TUESDAY = date(2027, 3, 2)
HOURS = [rules.Hours(2, 8 * 60, 12 * 60), rules.Hours(2, 13 * 60 + 30, 21 * 60)]
ROOM = rules.RoomRules(
    slot_minutes=30, min_minutes=30, max_minutes=120, bookable_days_ahead=7, capacity=10
)
NOW = datetime(2027, 3, 1, 7, tzinfo=LOCAL)


def at(hour: int, minute: int = 0, day: date = TUESDAY) -> datetime:
    return datetime.combine(day, time(hour, minute), LOCAL)


def entry(weekday: int, opens: str, closes: str) -> SimpleNamespace:
    return SimpleNamespace(weekday=weekday, opens=opens, closes=closes)


@pytest.mark.parametrize(
    ("text", "minutes"), [("00:00", 0), ("08:30", 510), ("23:59", 1439), ("24:00", 1440)]
)
def test_parse_hhmm(text: str, minutes: int) -> None:
    assert rules.parse_hhmm(text) == minutes
    assert rules.format_hhmm(minutes) == text


@pytest.mark.parametrize("text", ["8:00", "24:01", "12:60", "noon", ""])
def test_parse_hhmm_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        rules.parse_hhmm(text)


def test_validate_hours_sorts_and_round_trips() -> None:
    parsed = rules.validate_hours(
        [entry(2, "13:30", "21:00"), entry(1, "09:00", "17:00"), entry(2, "08:00", "12:00")]
    )
    assert parsed == [
        rules.Hours(1, 540, 1020),
        rules.Hours(2, 480, 720),
        rules.Hours(2, 810, 1260),
    ]
    assert rules.hours_from_json(rules.hours_to_json(parsed)) == parsed


@pytest.mark.parametrize(
    "entries",
    [
        [entry(1, "12:00", "12:00")],
        [entry(1, "12:00", "08:00")],
        [entry(1, "08:00", "12:00"), entry(1, "11:59", "13:00")],
        [entry(1, "8:00", "12:00")],
    ],
)
def test_validate_hours_refuses(entries: list[SimpleNamespace]) -> None:
    with pytest.raises(AppError) as error:
        rules.validate_hours(entries)
    assert error.value.code == "invalid_opening_hours"
    assert error.value.errors


def test_touching_intervals_are_allowed() -> None:
    assert len(rules.validate_hours([entry(1, "08:00", "12:00"), entry(1, "12:00", "13:00")])) == 2


def test_slot_grid_starts_at_each_opening() -> None:
    slots = rules.slot_grid(HOURS, TUESDAY, 60)
    starts = [s.astimezone(LOCAL).strftime("%H:%M") for s, _ in slots]
    # 08–12 gives four hours; 13:30–21:00 gives seven whole hours, the last half hour unused.
    assert starts == ["08:00", "09:00", "10:00", "11:00", *[f"{h}:30" for h in range(13, 20)]]
    assert all(e - s == timedelta(hours=1) for s, e in slots)
    assert rules.slot_grid(HOURS, TUESDAY + timedelta(days=1), 60) == []


def test_day_bounds_are_local_midnights() -> None:
    start, end = rules.day_bounds(TUESDAY)
    assert start == datetime(2027, 3, 1, 16, tzinfo=UTC)
    assert end - start == timedelta(days=1)


CASES = [
    ("ok", at(9), at(10), 4, None),
    ("ok in UTC", datetime(2027, 3, 2, 1, tzinfo=UTC), datetime(2027, 3, 2, 2, tzinfo=UTC), 4,
     None),
    ("reversed", at(10), at(9), 4, "invalid_time_range"),
    ("past", at(6, day=date(2027, 3, 1)), at(8), 4, "in_the_past"),
    ("far", at(9, day=date(2027, 3, 9)), at(10, day=date(2027, 3, 9)), 4, "too_far_ahead"),
    ("last day", at(9, day=date(2027, 3, 8)), at(10, day=date(2027, 3, 8)), 4,
     "outside_opening_hours"),
    ("short", at(9), at(9, 20), 4, "duration_out_of_range"),
    ("long", at(8), at(10, 30), 4, "duration_out_of_range"),
    ("early", at(7, 30), at(8, 30), 4, "outside_opening_hours"),
    ("lunch", at(11, 30), at(13, 30), 4, "outside_opening_hours"),
    ("late", at(20, 30), at(21, 30), 4, "outside_opening_hours"),
    ("grid", at(9, 15), at(9, 45), 4, "slot_misaligned"),
    ("afternoon grid", at(13, 45), at(14, 15), 4, "slot_misaligned"),
    ("seconds", at(9) + timedelta(seconds=1), at(10) + timedelta(seconds=1), 4, "slot_misaligned"),
    ("crowd", at(9), at(10), 11, "over_capacity"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("starts", "ends", "attendees", "code"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_check_booking(starts: datetime, ends: datetime, attendees: int, code: str | None) -> None:
    if code is None:
        rules.check_booking(
            ROOM, HOURS, starts_at=starts, ends_at=ends, attendees=attendees, now=NOW
        )
        return
    with pytest.raises(AppError) as error:
        rules.check_booking(
            ROOM, HOURS, starts_at=starts, ends_at=ends, attendees=attendees, now=NOW
        )
    assert error.value.code == code


def test_weekly_and_weeks_until() -> None:
    spans = rules.weekly(at(19), at(20), 3)
    assert [s.date() for s, _ in spans] == [TUESDAY + timedelta(weeks=n) for n in range(3)]
    assert rules.weeks_until(at(19), TUESDAY) == 1
    assert rules.weeks_until(at(19), TUESDAY + timedelta(days=13)) == 2
    assert rules.weeks_until(at(19), TUESDAY + timedelta(days=14)) == 3
    assert rules.weeks_until(at(19), TUESDAY - timedelta(days=1)) == 0


def test_when_text() -> None:
    assert rules.when_text(at(9), at(10)) == "2027-03-02 09:00–10:00"
    assert rules.when_text(at(22), at(1, day=date(2027, 3, 3))) == (
        "2027-03-02 22:00 – 2027-03-03 01:00"
    )


def test_room_rules_on_the_grid() -> None:
    assert rules.validate_room_rules(slot_minutes=30, min_minutes=60, max_minutes=120) == []
    fields = {
        e.field for e in rules.validate_room_rules(slot_minutes=30, min_minutes=45, max_minutes=20)
    }
    assert fields == {"minMinutes", "maxMinutes"}
