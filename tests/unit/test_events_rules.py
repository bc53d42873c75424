"""The small pure rules of the events domain."""

from __future__ import annotations

from datetime import date

import pytest

from backend.events.service import age_on, csv_cell, like_pattern


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(1966, 5, 20), date(2026, 5, 19), 59),
        (date(1966, 5, 20), date(2026, 5, 20), 60),  # a birthday counts from its morning
        (date(2008, 12, 1), date(2026, 11, 30), 17),
        (date(2008, 12, 1), date(2026, 12, 1), 18),
        (date(1964, 2, 29), date(2024, 2, 28), 59),  # a leap-day birthday
        (date(1964, 2, 29), date(2024, 2, 29), 60),
        (date(1964, 2, 29), date(2025, 3, 1), 61),
    ],
)
def test_age_on_the_events_day(birth: date, day: date, age: int) -> None:
    assert age_on(birth, day) == age


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("越剧", "%越剧%"),
        ("100%", "%100\\%%"),
        ("a_b", "%a\\_b%"),
        ("C:\\", "%C:\\\\%"),
    ],
)
def test_search_text_is_matched_literally(text: str, pattern: str) -> None:
    assert like_pattern(text) == pattern


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        ("张伟", "张伟"),
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+86", "'+86"),
        ("-1", "'-1"),
        ("@sum", "'@sum"),
        ("", ""),
    ],
)
def test_csv_cells_never_become_formulas(name: str, cell: str) -> None:
    assert csv_cell(name) == cell
