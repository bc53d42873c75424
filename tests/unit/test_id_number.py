"""GB 11643 resident ID numbers: check character, birth date, region — table-driven."""

from __future__ import annotations

from datetime import date

import pytest

from backend.core.errors import AppError
from backend.identity.verification import (
    check_character,
    clean_real_name,
    mask_id_number,
    mask_name,
    parse_id_number,
)

TODAY = date(2026, 11, 25)


def _complete(first17: str) -> str:
    """The check character computed independently: sum of digit × (2^(17-i) mod 11)."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    return first17 + "10X98765432"[total % 11]


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        # The standard's own examples.
        ("11010519491231002X", "X"),
        ("440524188001010014", "4"),
        # Every remainder maps to its character.
        *((_complete(f"3304021990030{n:04d}"), _complete(f"3304021990030{n:04d}")[-1])
          for n in range(0, 40, 3)),
    ],
)  # fmt: skip
def test_check_character(number: str, expected: str) -> None:
    assert check_character(number[:17]) == expected


def test_all_eleven_check_characters_occur() -> None:
    seen = {check_character(f"33040219900301{n:03d}") for n in range(1000)}
    assert seen == set("10X98765432")


@pytest.mark.parametrize(
    ("raw", "birth", "gender", "region"),
    [
        ("11010519491231002X", date(1949, 12, 31), "female", "110105"),
        ("11010519491231002x", date(1949, 12, 31), "female", "110105"),
        (" 110105 19491231 002X ", date(1949, 12, 31), "female", "110105"),
        (_complete("33040219900301123"), date(1990, 3, 1), "male", "330402"),
        (_complete("33040220000229124"), date(2000, 2, 29), "female", "330402"),
        (_complete("65010219000101001"), date(1900, 1, 1), "male", "650102"),
        (_complete("82000020261125001"), TODAY, "male", "820000"),  # born today, Macau
        (_complete("83000019800101002"), date(1980, 1, 1), "female", "830000"),
        # Full-width digits, as some Chinese keyboards type them.
        ("１１０１０５１９４９１２３１００２Ｘ", date(1949, 12, 31), "female", "110105"),
    ],
)
def test_valid_numbers(raw: str, birth: date, gender: str, region: str) -> None:
    parsed = parse_id_number(raw, today=TODAY)
    assert parsed.birth_date == birth
    assert parsed.gender == gender
    assert parsed.region == region
    assert len(parsed.number) == 18
    assert parsed.number == parsed.number.upper()


def _flip_check(number: str) -> str:
    characters = "10X98765432"
    return number[:17] + characters[(characters.index(number[17]) + 1) % 11]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "17 digits"),
        ("11010519491231002", "17 digits"),
        ("11010519491231002XX", "17 digits"),
        ("1101051949123100XX", "17 digits"),
        ("X10105194912310021", "17 digits"),
        ("110105194912310", "17 digits"),  # the old 15-digit numbers are not accepted
        ("11010519491231002Y", "17 digits"),
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "17 digits"),  # Arabic-Indic digits are digits, not ours
        ("110105\x0019491231002X", "17 digits"),
        (_flip_check("11010519491231002X"), "check digit"),
        (_flip_check(_complete("33040219900301123")), "check digit"),
        # Two digits swapped: the check character catches it.
        ("11010519491213002X", "check digit"),
        (_complete("00040219900301123"), "region"),
        (_complete("10040219900301123"), "region"),
        (_complete("39040219900301123"), "region"),
        (_complete("99040219900301123"), "region"),
        (_complete("33040219900230123"), "real date"),  # 30 February
        (_complete("33040219010229123"), "real date"),  # 1901 was no leap year
        (_complete("33040219901301123"), "real date"),
        (_complete("33040219900001123"), "real date"),
        (_complete("33040219900100123"), "real date"),
        (_complete("33040200000101123"), "real date"),  # year 0
        ("440524188001010014", "before 1900"),
        (_complete("33040218991231123"), "before 1900"),
        (_complete("33040220261126123"), "future"),  # tomorrow
        (_complete("33040230000101123"), "future"),
    ],
)
def test_invalid_numbers(raw: str, reason: str) -> None:
    with pytest.raises(AppError) as caught:
        parse_id_number(raw, today=TODAY)
    error = caught.value
    assert error.status == 422
    assert error.code == "invalid_id_number"
    assert error.errors is not None
    assert [e.field for e in error.errors] == ["idNumber"]
    assert reason in error.errors[0].message
    # The message names the rule and never repeats the number.
    if raw:
        assert raw.strip() not in error.errors[0].message


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("11010519491231002X", "1****************X"),
        ("330402199003011230", "3****************0"),
    ],
)
def test_mask_id_number(number: str, masked: str) -> None:
    assert mask_id_number(number) == masked
    assert len(masked) == 18


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("张三丰", "张**"), ("欧阳娜娜", "欧***"), ("阿依古丽·买买提", "阿*******")],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize("name", ["张三", " 李四 ", "阿依古丽·买买提", "𠮷野家"])
def test_real_names_accepted(name: str) -> None:
    assert clean_real_name(name) == name.strip()


@pytest.mark.parametrize("name", ["张", "Zhang San", "张三1", "张 三", "·张三", "张三·", "张" * 31])
def test_real_names_refused(name: str) -> None:
    with pytest.raises(AppError) as caught:
        clean_real_name(name)
    assert caught.value.code == "invalid_real_name"
