"""The month every statement, statistic and attendance report takes: the default, the bounds
and the refusals (backend/core/months.py)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from backend.core.errors import AppError
from backend.core.months import MONTH_PATTERN, month_of

NOW = datetime(2027, 3, 31, 17, 0, tzinfo=UTC)  # 1 April 01:00 in Asia/Shanghai
CST = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("raw", "first", "following"),
    [
        (None, date(2027, 4, 1), date(2027, 5, 1)),  # the local month, not UTC's March
        ("", date(2027, 4, 1), date(2027, 5, 1)),
        ("2027-03", date(2027, 3, 1), date(2027, 4, 1)),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        ("2027-11", date(2027, 11, 1), date(2027, 12, 1)),
        ("2000-01", date(2000, 1, 1), date(2000, 2, 1)),
        ("2099-12", date(2099, 12, 1), date(2100, 1, 1)),
    ],
)
def test_a_month_and_its_bounds(raw: str | None, first: date, following: date) -> None:
    month = month_of(raw, NOW)
    assert (month.first, month.following) == (first, following)
    assert month.label == f"{first:%Y-%m}"
    assert month.start == datetime(first.year, first.month, 1, tzinfo=CST)
    assert month.end == datetime(following.year, following.month, 1, tzinfo=CST)


@pytest.mark.parametrize(
    "raw", ["2027-13", "2027-00", "march", "2027/03", "1999-12", "2100-01", "0000-01", "2027-3-1"]
)
def test_a_month_that_is_none_is_refused_as_the_pattern_would(raw: str) -> None:
    with pytest.raises(AppError) as refused:
        month_of(raw, NOW)
    assert refused.value.status == 422
    assert refused.value.code == "validation_error"
    assert re.fullmatch(MONTH_PATTERN.strip("^$"), raw) is None
