"""The canteen's rules with many cases: the distance that decides the delivery area and the
local times of a meal (the month of a statement: tests/unit/test_months.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backend.canteen.common import check_day, local_moment, yuan
from backend.core.errors import AppError
from backend.core.geo import distance_metres

NOW = datetime(2027, 3, 31, 17, 0, tzinfo=UTC)  # 1 April 01:00 in Asia/Shanghai


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [
        ((30.752, 120.755), (30.752, 120.755), 0),
        # One hundredth of a degree of latitude is 1,112 m everywhere.
        ((30.752, 120.755), (30.762, 120.755), 1112),
        # Of longitude at 30.75° N: cos(30.75°) of that.
        ((30.752, 120.755), (30.752, 120.765), 956),
        ((30.752, 120.755), (30.842, 120.755), 10008),
    ],
)
def test_distance_is_great_circle_metres(
    a: tuple[float, float], b: tuple[float, float], metres: int
) -> None:
    assert distance_metres(*a, *b) == pytest.approx(metres, abs=2)
    assert distance_metres(*b, *a) == pytest.approx(metres, abs=2)


def test_a_meals_times_are_local() -> None:
    cutoff = local_moment(date(2027, 3, 1), "09:30")
    assert cutoff.astimezone(UTC) == datetime(2027, 3, 1, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fen", "text"), [(0, "0.00"), (5, "0.05"), (1500, "15.00"), (2205, "22.05")]
)
def test_yuan(fen: int, text: str) -> None:
    assert yuan(fen) == text


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1999, 12, 31), date(2200, 1, 1)])
def test_days_outside_the_years_a_canteen_serves_are_refused(day: date) -> None:
    with pytest.raises(AppError):
        check_day(day, "date")
    assert check_day(date(2027, 3, 1), "date") == date(2027, 3, 1)
