"""Small rules of elderly care: the masked address, the month of a moment, the path subject."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from backend.core.errors import AppError
from backend.eldercare.allowance import month_of
from backend.eldercare.profiles import parse_subject
from backend.eldercare.wire import mask_address


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("浙江省湖州市吴兴区朝阳街道红旗路12号3幢201室", "浙江省湖州市吴兴****"),
        ("红旗路12号", "红旗****"),
        ("12号", "12号"[:1] + "****"),
        ("a", "****"),
        ("x" * 200, "x" * 10 + "****"),
    ],
)
def test_a_masked_address_keeps_at_most_a_third_and_ten_characters(
    address: str, masked: str
) -> None:
    assert mask_address(address) == masked
    assert "201" not in mask_address(address)


@pytest.mark.parametrize(
    ("moment", "month"),
    [
        (datetime(2027, 1, 31, 15, 59, tzinfo=UTC), date(2027, 1, 1)),
        (datetime(2027, 1, 31, 16, 0, tzinfo=UTC), date(2027, 2, 1)),
        (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), date(2027, 1, 1)),
    ],
)
def test_the_month_is_the_one_in_shanghai(moment: datetime, month: date) -> None:
    assert month_of(moment) == month


def test_the_subject_of_a_profile_path() -> None:
    assert parse_subject("self") is None
    ident = UUID("01890000-0000-7000-8000-000000000000")
    assert parse_subject(str(ident)) == ident
    for raw in ("Self", "", "me", "123"):
        with pytest.raises(AppError):
            parse_subject(raw)
