"""The care orders' arithmetic, case by case: the request window, the subsidy, the household's
cancellation window and the local day (backend/eldercare/order_rules.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from backend.core.errors import AppError
from backend.eldercare import order_rules

CST = timezone(timedelta(hours=8))
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=CST)


@pytest.mark.parametrize(
    ("ahead", "code"),
    [
        (timedelta(minutes=-5), "too_soon"),
        (timedelta(0), "too_soon"),
        (timedelta(minutes=29, seconds=59), "too_soon"),
        (timedelta(minutes=30), None),
        (timedelta(hours=5), None),
        (timedelta(days=60), None),
        (timedelta(days=60, seconds=1), "too_far"),
        (timedelta(days=400), "too_far"),
    ],
)
def test_the_request_window(ahead: timedelta, code: str | None) -> None:
    if code is None:
        order_rules.check_start(NOW + ahead, NOW)
        return
    with pytest.raises(AppError) as refused:
        order_rules.check_start(NOW + ahead, NOW)
    assert (refused.value.status, refused.value.code) == (422, code)
    assert refused.value.errors
    assert refused.value.errors[0].field == "startsAt"


def test_the_window_compares_instants_not_wall_clocks() -> None:
    # 08:29 in Shanghai is 00:29 UTC: 29 minutes ahead whatever the offset it is written in.
    order_rules.check_start(datetime(2027, 3, 1, 0, 30, tzinfo=UTC), NOW)
    with pytest.raises(AppError):
        order_rules.check_start(datetime(2027, 3, 1, 0, 29, tzinfo=UTC), NOW)


@pytest.mark.parametrize(
    ("price", "percent", "subsidised", "left", "subsidy"),
    [
        # No tier: no subsidy, whatever the allowance.
        (8000, 50, False, 100_000, 0),
        # The rate's share when the allowance covers it.
        (8000, 50, True, 100_000, 4000),
        (3000, 80, True, 2400, 2400),
        (12000, 40, True, 10_000, 4800),
        # Capped by what is left; nothing left, nothing.
        (8000, 50, True, 3000, 3000),
        (8000, 50, True, 0, 0),
        # Never negative, even from a ledger that somehow overran.
        (8000, 50, True, -100, 0),
        # Rounded down to the fen.
        (1999, 50, True, 100_000, 999),
        (1001, 33, True, 100_000, 330),
        # The rate's edges.
        (6000, 0, True, 100_000, 0),
        (6000, 100, True, 100_000, 6000),
        (0, 50, True, 100_000, 0),
    ],
)
def test_the_subsidy(price: int, percent: int, subsidised: bool, left: int, subsidy: int) -> None:
    got = order_rules.subsidy_of(price, percent, subsidised=subsidised, allowance_left=left)
    assert got == subsidy
    assert 0 <= got <= price
    assert price - got >= 0


STARTS = datetime(2027, 3, 1, 14, 0, tzinfo=CST)


@pytest.mark.parametrize(
    ("status", "now", "allowed"),
    [
        ("requested", STARTS - timedelta(days=3), True),
        ("assigned", STARTS - timedelta(hours=2, minutes=1), True),
        ("assigned", STARTS - timedelta(hours=2), True),
        ("requested", STARTS - timedelta(hours=1, minutes=59, seconds=59), False),
        ("assigned", STARTS, False),
        ("requested", STARTS + timedelta(hours=1), False),
        # Started, over or off: never, however early.
        ("in_progress", STARTS - timedelta(days=1), False),
        ("awaiting_confirmation", STARTS - timedelta(days=1), False),
        ("completed", STARTS - timedelta(days=1), False),
        ("disputed", STARTS - timedelta(days=1), False),
        ("cancelled", STARTS - timedelta(days=1), False),
        ("missed", STARTS - timedelta(days=1), False),
    ],
)
def test_the_households_cancellation_window(status: str, now: datetime, allowed: bool) -> None:
    assert order_rules.household_may_cancel(status, STARTS, now) is allowed
    until = order_rules.cancellable_until(status, STARTS, now)
    assert until == (STARTS - timedelta(hours=2) if allowed else None)


@pytest.mark.parametrize(
    ("day", "start_utc"),
    [
        (date(2027, 3, 1), datetime(2027, 2, 28, 16, 0, tzinfo=UTC)),
        (date(2027, 1, 1), datetime(2026, 12, 31, 16, 0, tzinfo=UTC)),
    ],
)
def test_a_local_day_is_midnight_to_midnight_in_shanghai(day: date, start_utc: datetime) -> None:
    start, end = order_rules.day_bounds(day)
    assert start == start_utc
    assert end - start == timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "ok"),
    [
        (date(1999, 12, 31), False),
        (date(2000, 1, 1), True),
        (date(2199, 12, 31), True),
        (date(2200, 1, 1), False),
    ],
)
def test_a_day_outside_two_centuries_is_refused(day: date, ok: bool) -> None:
    if ok:
        order_rules.check_day(day)
    else:
        with pytest.raises(AppError):
            order_rules.check_day(day)
