"""The rules of a care order that are plain arithmetic on times and money, each written once
and tested case by case (tests/unit/test_care_order_rules.py). The statements that decide use
the same values: ``household_cancel_deadline`` is what the conditional UPDATE compares with."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from backend.core.clock import LOCAL_TZ
from backend.core.errors import AppError, FieldError

# A visit is asked for at least this far ahead: a provider needs the time to assign it.
MIN_NOTICE = timedelta(minutes=30)
# And at most this far: providers plan their caregivers' weeks, not their years.
MAX_AHEAD = timedelta(days=60)
# The household cancels until this long before the visit; later, only the dispatcher can.
HOUSEHOLD_CANCEL_BEFORE = timedelta(hours=2)
# Statuses an order can still be cancelled (or assigned) in: the visit has not started.
OPEN_STATUSES = ("requested", "assigned")


def check_start(starts_at: datetime, now: datetime) -> None:
    """422 ``too_soon`` under :data:`MIN_NOTICE` ahead, 422 ``too_far`` beyond
    :data:`MAX_AHEAD`."""
    if starts_at < now + MIN_NOTICE:
        raise AppError(
            422, "too_soon", errors=[FieldError("startsAt", "at least 30 minutes ahead")]
        )
    if starts_at > now + MAX_AHEAD:
        raise AppError(422, "too_far", errors=[FieldError("startsAt", "at most 60 days ahead")])


def subsidy_of(price: int, percent: int, *, subsidised: bool, allowance_left: int) -> int:
    """The subsidy of one order in fen: the service's share of the price (rounded down: the
    sub-district never pays a fraction of a fen more than its rate), capped by what the elder's
    allowance has left; nothing without a subsidy tier."""
    if not subsidised or price <= 0:
        return 0
    share = price * percent // 100
    return max(0, min(share, allowance_left))


def household_cancel_deadline(starts_at: datetime) -> datetime:
    return starts_at - HOUSEHOLD_CANCEL_BEFORE


def household_may_cancel(status: str, starts_at: datetime, now: datetime) -> bool:
    return status in OPEN_STATUSES and now <= household_cancel_deadline(starts_at)


def cancellable_until(status: str, starts_at: datetime, now: datetime) -> datetime | None:
    """What the household's view says: until when it may cancel (None once it cannot)."""
    return (
        household_cancel_deadline(starts_at)
        if household_may_cancel(status, starts_at, now)
        else None
    )


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The instants an Asia/Shanghai calendar day spans, half-open."""
    start = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)
    return start, start + timedelta(days=1)


def check_day(day: date) -> None:
    if not 2000 <= day.year < 2200:
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError("date", "must lie between the years 2000 and 2199")],
        )
