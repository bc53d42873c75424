"""A month as the API names it: ``YYYY-MM``, a calendar month in Asia/Shanghai.

Statements, statistics and attendance reports all take one. They used to parse it three ways
(with three patterns: 19xx–20xx, 20xx, any four digits) and answered a month the pattern let
through but the calendar did not differently; now the pattern, the default and the bounds are
here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from litestar.params import QueryParameter

from backend.core.clock import LOCAL_TZ, local_date_of
from backend.core.errors import invalid_field

MONTH_PATTERN = r"^20\d\d-(?:0[1-9]|1[0-2])$"

# The pattern sits on the parameter itself: Litestar drops a Meta's pattern inside ``| None``.
MonthQuery = Annotated[
    str | None,
    QueryParameter(
        pattern=MONTH_PATTERN,
        description="YYYY-MM (2000–2099), a month in Asia/Shanghai; this month when omitted",
    ),
]
RequiredMonthQuery = Annotated[
    str,
    QueryParameter(
        pattern=MONTH_PATTERN, description="YYYY-MM (2000–2099), a month in Asia/Shanghai"
    ),
]


@dataclass(frozen=True, slots=True)
class Month:
    first: date
    following: date  # the next month's first day

    @property
    def label(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def start(self) -> datetime:
        """The month's first instant, local midnight of its first day."""
        return datetime(self.first.year, self.first.month, 1, tzinfo=LOCAL_TZ)

    @property
    def end(self) -> datetime:
        """The next month's first instant (exclusive)."""
        return datetime(self.following.year, self.following.month, 1, tzinfo=LOCAL_TZ)


def month_of(text: str | None, now: datetime) -> Month:
    """``YYYY-MM``, or the local month of ``now`` when absent or empty. A month the route's
    pattern would refuse is refused here too (422 on ``month``), for callers without one."""
    if not text:
        first = local_date_of(now).replace(day=1)
    else:
        try:
            year, number = (int(part) for part in text.split("-"))
            first = date(year, number, 1)
        except ValueError:
            raise invalid_field("month", "YYYY-MM") from None
        if not 2000 <= year <= 2099:
            raise invalid_field("month", "YYYY-MM")
    return Month(first, date(first.year + first.month // 12, first.month % 12 + 1, 1))
