"""Identity rules without a database: phones, passwords, age groups, devices."""

from __future__ import annotations

from datetime import date

import pytest

from backend.core.errors import AppError
from backend.identity.members import age_group, age_on
from backend.identity.passwords import check_strength
from backend.identity.routes import _device_name
from backend.identity.service import normalize_phone
from backend.identity.sms import mask_phone


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("13812345678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("(+86) 199 0000 0000", "19900000000"),
    ],
)
def test_phones_are_normalised(raw: str, normalised: str) -> None:
    assert normalize_phone(raw) == normalised


@pytest.mark.parametrize(
    "raw",
    ["", "1381234567", "138123456789", "12812345678", "23812345678", "+1 13812345678",
     "１３８１２３４５６７８", "13８12345678", "+8613812345678x"],
)  # fmt: skip
def test_bad_phones_are_refused(raw: str) -> None:
    with pytest.raises(AppError) as caught:
        normalize_phone(raw)
    assert caught.value.status == 422
    assert caught.value.code == "invalid_phone"
    assert caught.value.errors is not None
    assert caught.value.errors[0].field == "phone"


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        ("Canal-walk-2026", 0),
        ("十个汉字也是好密码吗", 0),
        ("abcdefgh", 0),
        ("abcdefg", 1),
        ("12345678", 1),
        ("1234567", 2),
        ("x13812345678", 1),
        ("138-1234-5678ab", 1),
        (" leading-space", 1),
        ("tab\tinside-it", 1),
    ],
)
def test_password_strength(password: str, problems: int) -> None:
    if problems == 0:
        check_strength(password, phone="13812345678")
        return
    with pytest.raises(AppError) as caught:
        check_strength(password, phone="13812345678")
    assert caught.value.code == "weak_password"
    assert caught.value.errors is not None
    assert len(caught.value.errors) == problems
    assert {e.field for e in caught.value.errors} == {"password"}


@pytest.mark.parametrize(
    ("birth", "today", "age", "group"),
    [
        (date(2008, 11, 25), date(2026, 11, 25), 18, "adult"),
        (date(2008, 11, 26), date(2026, 11, 25), 17, "child"),
        (date(1966, 11, 25), date(2026, 11, 25), 60, "elder"),
        (date(1966, 11, 26), date(2026, 11, 25), 59, "adult"),
        (date(2008, 2, 29), date(2026, 2, 28), 17, "child"),
        (date(2008, 2, 29), date(2026, 3, 1), 18, "adult"),
        (date(2008, 2, 29), date(2028, 2, 29), 20, "adult"),
        (date(2026, 11, 25), date(2026, 11, 25), 0, "child"),
        (date(1920, 1, 1), date(2026, 11, 25), 106, "elder"),
    ],
)
def test_age_groups(birth: date, today: date, age: int, group: str) -> None:
    assert age_on(birth, today) == age
    assert age_group(birth, today) == group


@pytest.mark.parametrize(
    ("agent", "name"),
    [
        (None, None),
        ("", None),
        ("Qiyou/2.1 (iPhone; iOS 17.1)", "Qiyou/2.1 (iPhone; iOS 17.1)"),
        ("evil\r\nSet-Cookie: x", "evil Set-Cookie: x"),
        ("a\x00b\x7fc", "a b c"),
        ("   ", None),
        ("x" * 500, "x" * 200),
    ],
)
def test_device_names_come_from_the_user_agent(agent: str | None, name: str | None) -> None:
    assert _device_name(agent) == name


def test_masked_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"


def test_the_service_hashes_passwords_with_argon2id_at_rfc_9106_low_memory_cost() -> None:
    # The suite hashes at a lower cost (conftest.argon2_at_test_cost); the service must not.
    from tests.conftest import SERVICE_PASSWORD_HASHER

    assert (
        SERVICE_PASSWORD_HASHER.time_cost,
        SERVICE_PASSWORD_HASHER.memory_cost,
        SERVICE_PASSWORD_HASHER.parallelism,
    ) == (3, 65536, 4)
    assert SERVICE_PASSWORD_HASHER.hash("Gaozhao-2026").startswith(
        "$argon2id$v=19$m=65536,t=3,p=4$"
    )
