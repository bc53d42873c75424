"""What is stored of an ID number leaves at least 10,000 numbers to guess, in the worst case.

The worst case gives the guesser more than we store: the exact area code (six digits: a phone
number's prefix or a home address can give it away), for every area code's weighted sum and every
check character, on the first day this service could have verified anyone. See docs/identity.md,
"What is stored of an ID number, and why".
"""

from __future__ import annotations

from datetime import date

import pytest

from backend.identity.verification import PROVINCES, mask_id_number
from tests.id_candidates import (
    CHECK,
    THRESHOLD,
    WEIGHTS,
    count_candidates,
    days,
    known_characters,
)

EARLIEST = date(1900, 1, 1)
FIRST_DAY = date(2026, 1, 1)  # no verification can be older than the service
# An area code for each residue of its weighted sum: knowing the code exactly, each of these is
# the worst a guesser can start from.
AREA_FOR_RESIDUE = {
    sum(int(d) * w for d, w in zip(f"3304{n:02d}", WEIGHTS[:6], strict=True)) % 11: f"3304{n:02d}"
    for n in range(100)
}
# The county-level codes of Jiaxing (GB/T 2260) under 3304: what a guesser knows of the area
# when a mask shows "3304".
JIAXING = ("330402", "330411", "330421", "330424", "330481", "330482", "330483")


def test_every_residue_has_an_area_code() -> None:
    assert sorted(AREA_FOR_RESIDUE) == list(range(11))


def _worst(*, births: tuple[date, ...], sex: str | None) -> int:
    counts = []
    for area in AREA_FOR_RESIDUE.values():
        for check in CHECK:
            # What the mask shows: the first character (the area's, known anyway) and the last.
            known = known_characters(mask_id_number(area + "0" * 11 + check))
            counts.append(count_candidates(areas=[area], births=births, known=known, sex=sex))
    return min(counts)


def test_the_stored_mask_leaves_millions_even_with_the_area_known() -> None:
    worst = _worst(births=days(EARLIEST, FIRST_DAY), sex=None)
    assert worst >= THRESHOLD
    assert worst > 4_000_000


@pytest.mark.parametrize("year", [1900, 1960, 2000, 2024, 2025])
def test_even_a_birth_year_and_sex_learned_elsewhere_leave_more_than_10000(year: int) -> None:
    # Not stored by us; the margin if a guesser learns them from another source.
    births = days(date(year, 1, 1), date(year, 12, 31))
    assert _worst(births=births, sex="female") >= THRESHOLD
    assert _worst(births=births, sex="male") >= THRESHOLD


def test_the_mask_shows_the_first_and_last_character_only() -> None:
    assert mask_id_number("330402199003011234") == "3****************4"
    assert set(known_characters(mask_id_number("11010519491231002X"))) == {0, 17}


# What was stored before migration 0007, for one man of Jiaxing: the 4 + 4 mask, the birth date,
# the sex. Kept here to show why it changed.
OLD_MASK = "3304**********1234"


def _old_candidates(areas: list[str]) -> int:
    return count_candidates(
        areas=areas,
        births=[date(1990, 3, 1)],
        known=known_characters(OLD_MASK),
        sex="male",
    )


def test_the_old_plaintext_left_a_handful_and_with_the_county_list_one() -> None:
    every_code = [f"{p}{n:04d}" for p in sorted(PROVINCES) for n in range(10_000)]
    assert _old_candidates(every_code) < 20
    assert _old_candidates(list(JIAXING)) == 1
