"""Quiet hours and safety kinds: when a wanted push goes out (backend/notifications/rules.py)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from backend.core.clock import LOCAL_TZ
from backend.notifications import rules


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """2026-12-<day> <hour>:<minute> in Shanghai, as UTC (as the clock gives it)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=LOCAL_TZ).astimezone(UTC)


NIGHT = (time(22, 0), time(7, 0))  # spans midnight
NAP = (time(13, 0), time(14, 30))  # within one day


@pytest.mark.parametrize(
    ("now", "quiet", "expected"),
    [
        # spanning midnight: before, at the start, late evening, after midnight, at the end
        (local(3, 21, 59), NIGHT, None),
        (local(3, 22, 0), NIGHT, local(4, 7, 0)),
        (local(3, 23, 30), NIGHT, local(4, 7, 0)),
        (local(4, 0, 0), NIGHT, local(4, 7, 0)),
        (local(4, 6, 59), NIGHT, local(4, 7, 0)),
        (local(4, 7, 0), NIGHT, None),
        (local(4, 12, 0), NIGHT, None),
        # within one day
        (local(3, 12, 59), NAP, None),
        (local(3, 13, 0), NAP, local(3, 14, 30)),
        (local(3, 14, 29), NAP, local(3, 14, 30)),
        (local(3, 14, 30), NAP, None),
        (local(3, 23, 0), NAP, None),
        # none, or an empty span
        (local(3, 23, 0), (None, None), None),
        (local(3, 23, 0), (time(8, 0), time(8, 0)), None),
        # the month turns over midnight (local day 31 → 1), UTC is still on the 31st
        (
            datetime(2026, 12, 31, 23, 0, tzinfo=LOCAL_TZ).astimezone(UTC),
            NIGHT,
            datetime(2027, 1, 1, 7, 0, tzinfo=LOCAL_TZ).astimezone(UTC),
        ),
    ],
)
def test_quiet_until(
    now: datetime, quiet: tuple[time | None, time | None], expected: datetime | None
) -> None:
    assert rules.quiet_until(now, *quiet) == expected


def test_the_end_is_read_in_shanghai_not_utc() -> None:
    # 23:30 in Shanghai is 15:30 UTC: a rule read in UTC would find no quiet hours at all.
    now = local(3, 23, 30)
    assert now.hour == 15
    until = rules.quiet_until(now, *NIGHT)
    assert until is not None
    assert until.astimezone(LOCAL_TZ).hour == 7
    assert until.tzinfo == UTC


@pytest.mark.parametrize("kind", sorted(rules.SAFETY_KINDS))
def test_safety_kinds_never_wait(kind: str) -> None:
    assert (
        rules.push_after(kind, now=local(3, 23, 0), quiet_from=NIGHT[0], quiet_to=NIGHT[1]) is None
    )


def test_ordinary_kinds_wait_for_the_morning() -> None:
    assert rules.push_after(
        "booking_cancelled", now=local(3, 23, 0), quiet_from=NIGHT[0], quiet_to=NIGHT[1]
    ) == local(4, 7, 0)


def test_the_safety_kinds_are_the_alerts_of_the_contract() -> None:
    # API.md names the elder's missed check-in and the late pickup; the blocked pickup alerts
    # the guardians at once too.
    assert {"care_check_in_missed", "childcare_late_pickup"} <= rules.SAFETY_KINDS


def test_a_missed_care_visit_is_a_safety_alert() -> None:
    # The elder waited for a visit that did not come (issue 14); living alone, nobody else may
    # notice before morning. A visit's reminder, or its being on the way, can wait.
    assert rules.is_safety("care_order_missed")
    assert (
        rules.push_after(
            "care_order_missed", now=local(3, 23, 0), quiet_from=NIGHT[0], quiet_to=NIGHT[1]
        )
        is None
    )
    assert not rules.is_safety("care_caregiver_on_the_way")
    assert not rules.is_safety("care_visit_reminder")


@pytest.mark.parametrize(
    ("kind", "push", "muted", "expected"),
    [
        ("booking_cancelled", True, [], True),
        ("booking_cancelled", False, [], False),
        ("booking_cancelled", True, ["booking_cancelled"], False),
        ("booking_cancelled", True, ["event_cancelled"], True),
        # a safety kind muted on purpose stays muted; push off is off
        ("care_check_in_missed", True, ["care_check_in_missed"], False),
        ("care_check_in_missed", False, [], False),
    ],
)
def test_wants_push(kind: str, push: bool, muted: list[str], expected: bool) -> None:
    assert rules.wants_push(kind, push=push, muted_kinds=muted) is expected
