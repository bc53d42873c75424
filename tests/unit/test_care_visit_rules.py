"""The rules of a home visit (backend/eldercare/visit_rules.py): distance and the 200 m line,
the elder's per-visit code, the check-in window, the short visit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from backend.core.geo import distance_metres
from backend.eldercare.visit_rules import (
    CheckInTime,
    check_in_time,
    elder_code,
    elder_code_matches,
    far_from_home,
    minutes_between,
    short_visit,
)

HOME = (30.8703, 120.0933)
KEY = b"k" * 32
ORDER = UUID("0190f9a0-0000-7000-8000-000000000001")
START = datetime(2027, 3, 15, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def test_distance_of_a_point_to_itself_is_zero() -> None:
    assert distance_metres(*HOME, *HOME) == 0.0


@pytest.mark.parametrize(
    ("a", "b", "metres", "tolerance"),
    [
        # One thousandth of a degree of latitude: 2πR/360/1000.
        ((0.0, 0.0), (0.001, 0.0), 111.195, 0.01),
        # Along the equator, the same for longitude.
        ((0.0, 0.0), (0.0, 0.001), 111.195, 0.01),
        # At 60° north a degree of longitude is half as long.
        ((60.0, 10.0), (60.0, 10.002), 111.195, 0.05),
        # Paris to London, the textbook example: 343.6 km on the mean sphere.
        ((48.8566, 2.3522), (51.5074, -0.1278), 343_556, 500),
        # Across the antimeridian: short, not round the world.
        ((0.0, 179.9995), (0.0, -179.9995), 111.195, 0.01),
    ],
)
def test_distances(
    a: tuple[float, float], b: tuple[float, float], metres: float, tolerance: float
) -> None:
    assert distance_metres(*a, *b) == pytest.approx(metres, abs=tolerance)
    assert distance_metres(*b, *a) == pytest.approx(metres, abs=tolerance)


@pytest.mark.parametrize(
    ("north_degrees", "far"),
    [(0.0, False), (0.0017, False), (0.0017986, False), (0.0018, True), (0.01, True)],
)
def test_the_200_metre_line(north_degrees: float, far: bool) -> None:
    distance = distance_metres(*HOME, HOME[0] + north_degrees, HOME[1])
    assert far_from_home(distance) is far


def test_exactly_200_metres_is_at_home() -> None:
    assert not far_from_home(200.0)
    assert far_from_home(200.01)


def test_the_elder_code_is_six_digits_and_stable_per_order() -> None:
    code = elder_code(KEY, ORDER)
    assert len(code) == 6
    assert code.isdigit()
    assert elder_code(KEY, ORDER) == code
    assert elder_code_matches(KEY, ORDER, code)


def test_the_elder_code_changes_per_visit_and_per_key() -> None:
    orders = [UUID(int=ORDER.int + i) for i in range(200)]
    codes = {elder_code(KEY, o) for o in orders}
    # Six digits for 200 orders: a collision or two is possible, a constant is not.
    assert len(codes) >= 195
    assert elder_code(b"x" * 32, ORDER) != elder_code(KEY, ORDER)


@pytest.mark.parametrize("given", [None, "", "12345", "1234567", "abcdef"])
def test_a_missing_or_malformed_elder_code_never_matches(given: str | None) -> None:
    assert not elder_code_matches(KEY, ORDER, given)


def test_a_wrong_elder_code_does_not_match() -> None:
    right = elder_code(KEY, ORDER)
    wrong = str((int(right) + 1) % 10**6).zfill(6)
    assert not elder_code_matches(KEY, ORDER, wrong)
    # Another order's code is no key to this one.
    other = elder_code(KEY, UUID(int=ORDER.int + 1))
    assert other == right or not elder_code_matches(KEY, ORDER, other)


@pytest.mark.parametrize(
    ("offset_minutes", "answer"),
    [
        (-61, CheckInTime.TOO_EARLY),
        (-60, CheckInTime.OPEN),
        (0, CheckInTime.OPEN),
        (29, CheckInTime.OPEN),
        (30, CheckInTime.MISSED),
        (240, CheckInTime.MISSED),
    ],
)
def test_the_check_in_window(offset_minutes: int, answer: CheckInTime) -> None:
    assert check_in_time(START, START + timedelta(minutes=offset_minutes)) is answer


@pytest.mark.parametrize(
    ("stayed", "planned", "short"),
    [
        (timedelta(minutes=29, seconds=59), 60, True),
        (timedelta(minutes=30), 60, False),
        (timedelta(minutes=45), 90, False),
        (timedelta(minutes=44), 90, True),
        (timedelta(0), 30, True),
        (timedelta(minutes=7, seconds=30), 15, False),
    ],
)
def test_a_short_visit_is_under_half_the_planned_minutes(
    stayed: timedelta, planned: int, short: bool
) -> None:
    assert short_visit(START, START + stayed, planned) is short


def test_minutes_delivered_are_whole_and_never_negative() -> None:
    assert minutes_between(START, START + timedelta(minutes=59, seconds=59)) == 59
    assert minutes_between(START, START - timedelta(minutes=5)) == 0
