"""The rules of a home visit that need no database: where a check-in counts as at home, the
elder's per-visit code, when a check-in is open, and what a short visit is
(tests/unit/test_care_visit_rules.py, case by case)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from backend.core.security import constant_time_equal, keyed_hash

# A phone's fix indoors is often 20-50 m off, and a tower block's door can be 100 m from the
# pin the household dropped on the map; 200 m is the contract's line (API.md).
NEAR_HOME_METRES = 200.0
CHECK_IN_OPENS_BEFORE = timedelta(minutes=60)
MISSED_AFTER = timedelta(minutes=30)
ELDER_CODE_DIGITS = 6
_ELDER_CODE_PURPOSE = "care-elder-code"


def far_from_home(distance: float) -> bool:
    """Exactly 200 m is still at home: the flag is for "beyond 200 m"."""
    return distance > NEAR_HOME_METRES


def elder_code(data_key: bytes, order_id: UUID) -> str:
    """The six digits the elder shows the caregiver at the door. Derived, not stored: a keyed
    hash of the order, so each visit has its own and nobody without the data key (a copy of
    the database included) can compute one. The slight bias of a 256-bit number taken modulo
    10⁶ is far below what a guess at the door could use."""
    digest = keyed_hash(data_key, _ELDER_CODE_PURPOSE, str(order_id))
    return str(int(digest, 16) % 10**ELDER_CODE_DIGITS).zfill(ELDER_CODE_DIGITS)


def elder_code_matches(data_key: bytes, order_id: UUID, given: str | None) -> bool:
    """Compared in constant time; no code given is no match."""
    if not given:
        return False
    return constant_time_equal(elder_code(data_key, order_id), given)


class CheckInTime(StrEnum):
    TOO_EARLY = "too_early"
    OPEN = "open"
    MISSED = "missed"


def check_in_time(starts_at: datetime, now: datetime) -> CheckInTime:
    """A check-in opens 60 minutes before the start and closes when the visit counts as
    missed, 30 minutes after it — whether or not the missed-visit job has run yet, so the
    answer never depends on a worker's timing."""
    if now < starts_at - CHECK_IN_OPENS_BEFORE:
        return CheckInTime.TOO_EARLY
    if now >= starts_at + MISSED_AFTER:
        return CheckInTime.MISSED
    return CheckInTime.OPEN


def short_visit(check_in_at: datetime, check_out_at: datetime, planned_minutes: int) -> bool:
    """Under half the service's planned minutes between check-in and check-out; exactly half
    is not short."""
    return (check_out_at - check_in_at) * 2 < timedelta(minutes=planned_minutes)


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes delivered (the statistics' unit), never negative."""
    return max(0, int((end - start).total_seconds() // 60))
