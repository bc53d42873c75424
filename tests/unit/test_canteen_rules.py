"""The canteen's rules with many cases: the distance that decides the delivery area, the month
of a statement, and the local times of a meal."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backend.canteen.common import check_day, local_moment, yuan
from backend.canteen.ordering import next_month, parse_month
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


@pytest.mark.parametrize(
    ("raw", "first"),
    [
        (None, date(2027, 4, 1)),  # this month is the local one, not UTC's March
        ("", date(2027, 4, 1)),
        ("2027-03", date(2027, 3, 1)),
        ("2026-12", date(2026, 12, 1)),
    ],
)
def test_the_month_of_a_statement(raw: str | None, first: date) -> None:
    assert parse_month(raw, NOW) == first


@pytest.mark.parametrize("raw", ["2027-13", "2027-00", "march", "2027/03"])
def test_a_month_that_is_none_is_refused(raw: str) -> None:
    with pytest.raises(AppError) as refused:
        parse_month(raw, NOW)
    assert refused.value.code == "validation_error"


@pytest.mark.parametrize(
    ("first", "after"),
    [
        (date(2027, 1, 1), date(2027, 2, 1)),
        (date(2027, 11, 1), date(2027, 12, 1)),
        (date(2027, 12, 1), date(2028, 1, 1)),
    ],
)
def test_next_month_rolls_over_the_year(first: date, after: date) -> None:
    assert next_month(first) == after


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
