"""Wire times are the same instant as stored, shown at the offset Shanghai had at that moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.core.clock import LOCAL_TZ, to_local


@pytest.mark.parametrize(
    ("moment", "offset_hours"),
    [
        (datetime(2026, 11, 25, 16, 0, tzinfo=UTC), 8),
        (datetime(2026, 7, 1, 0, 0, tzinfo=UTC), 8),
        (datetime(1992, 1, 1, 0, 0, tzinfo=UTC), 8),
        # China observed daylight saving time from 1986 to 1991.
        (datetime(1988, 6, 1, 0, 0, tzinfo=UTC), 9),
        (datetime(1988, 12, 1, 0, 0, tzinfo=UTC), 8),
    ],
)
def test_to_local_keeps_the_instant_and_uses_shanghai_offset(
    moment: datetime, offset_hours: int
) -> None:
    local = to_local(moment)
    assert local == moment
    assert local.utcoffset() == timedelta(hours=offset_hours)
    assert local.utcoffset() == moment.astimezone(LOCAL_TZ).utcoffset()
    assert local.replace(tzinfo=None) == moment.astimezone(LOCAL_TZ).replace(tzinfo=None)


def test_to_local_of_nothing_is_nothing() -> None:
    assert to_local(None) is None
