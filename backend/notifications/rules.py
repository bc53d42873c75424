"""Whether, and when, a notification is pushed: the user's settings and the safety kinds.

Pure functions of their arguments, tested case by case in tests/unit/test_quiet_hours.py.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, time, timedelta

from backend.core.clock import LOCAL_TZ

# Safety alerts: pushed at once whatever the quiet hours (never muted by quiet hours; a kind the
# user muted explicitly stays muted). The one place that names them; the eldercare and
# childcare domains send these kinds.
SAFETY_KINDS = frozenset(
    {
        "care_check_in_missed",
        "care_check_in_escalated",
        # The elder waited for a visit that did not come: someone must act today (for an elder
        # living alone, a missed meal delivery or bathing visit is the check-in's worry).
        "care_order_missed",
        "childcare_late_pickup",
        "childcare_pickup_failures",
        "pickup_not_authorized",
    }
)


def is_safety(kind: str) -> bool:
    return kind in SAFETY_KINDS


def quiet_until(now: datetime, quiet_from: time | None, quiet_to: time | None) -> datetime | None:
    """The end of the quiet hours ``now`` is inside of (an aware UTC time), or None.

    Quiet hours are local (Asia/Shanghai) wall-clock times, ``[from, to)``; ``from`` later than
    ``to`` spans midnight (22:00-07:00). ``from == to`` is no quiet hours at all.
    """
    if quiet_from is None or quiet_to is None or quiet_from == quiet_to:
        return None
    local = now.astimezone(LOCAL_TZ)
    clock = local.time().replace(tzinfo=None)
    if quiet_from < quiet_to:
        inside = quiet_from <= clock < quiet_to
        ends_on = local.date()
    else:
        inside = clock >= quiet_from or clock < quiet_to
        ends_on = local.date() + timedelta(days=1) if clock >= quiet_from else local.date()
    if not inside:
        return None
    ends = datetime.combine(ends_on, quiet_to, tzinfo=LOCAL_TZ)
    return ends.astimezone(now.tzinfo)


def wants_push(kind: str, *, push: bool, muted_kinds: Collection[str]) -> bool:
    """Push off, or the kind muted: the inbox only."""
    return push and kind not in muted_kinds


def push_after(
    kind: str, *, now: datetime, quiet_from: time | None, quiet_to: time | None
) -> datetime | None:
    """When a push that is wanted waits until: None (now), or the end of the quiet hours.
    Safety alerts never wait."""
    if is_safety(kind):
        return None
    return quiet_until(now, quiet_from, quiet_to)
