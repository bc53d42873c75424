"""The caller's account and its real-name verification."""

from __future__ import annotations

import logging
from datetime import date

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.core.security import decrypt
from backend.identity.models import User
from backend.identity.verification import PROVINCES, verified_birth_date
from tests.conftest import problem
from tests.factories import MakeUser, id_number
from tests.id_candidates import THRESHOLD, count_candidates, days, known_characters

ME = "/api/v1/me"
VERIFY = "/api/v1/me/verification"
# Jiaxing Nanhu district, born 1 March 1990, sequence 12 and an odd digit: a man.
ID_NUMBER = id_number("33040219900301123")
WOMAN = id_number("33040219851120124")


async def test_get_me(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    account = await make_user(display_name="张伟")
    response = await client.get(ME, headers=account.headers)
    assert response.status_code == 200
    me = response.json()
    assert me == {
        "id": str(account.id),
        "phone": account.phone,
        "displayName": "张伟",
        "roles": ["resident"],
        "verified": False,
        "createdAt": me["createdAt"],
        "realName": None,
        "idNumber": None,
    }


async def test_me_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get(ME)
    assert response.status_code == 401
    assert response.headers.get("www-authenticate", "").startswith("Bearer")
    assert problem(response)["code"] == "unauthorized"


async def test_token_of_a_deleted_account_is_401(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    account = await make_user()
    async with db() as session, session.begin():
        await session.delete(await session.get(User, account.id))
    assert (await client.get(ME, headers=account.headers)).status_code == 401


async def test_patch_me_changes_the_display_name(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    account = await make_user()
    response = await client.patch(ME, json={"displayName": "  王芳  "}, headers=account.headers)
    assert response.status_code == 200
    assert response.json()["displayName"] == "王芳"
    assert (await client.get(ME, headers=account.headers)).json()["displayName"] == "王芳"
    # An empty patch changes nothing.
    same = await client.patch(ME, json={}, headers=account.headers)
    assert same.status_code == 200
    assert same.json()["displayName"] == "王芳"


@pytest.mark.parametrize(
    "body",
    [
        {"displayName": ""},
        {"displayName": "   "},
        {"displayName": "x" * 51},
        {"displayName": "bell\u0007"},
        {"displayName": 42},
        {"displayName": None},
    ],
)
async def test_patch_me_refuses_bad_names_and_changes_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, body: dict[str, object]
) -> None:
    account = await make_user(display_name="原名")
    response = await client.patch(ME, json=body, headers=account.headers)
    assert response.status_code == 422
    document = problem(response)
    assert any("displayName" in e["field"] for e in document["errors"]), document["errors"]
    assert (await client.get(ME, headers=account.headers)).json()["displayName"] == "原名"


async def test_patch_me_cannot_change_role_or_phone(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    account = await make_user()
    response = await client.patch(
        ME, json={"roles": ["admin"], "phone": "13911112222"}, headers=account.headers
    )
    assert response.status_code == 200
    me = (await client.get(ME, headers=account.headers)).json()
    assert me["roles"] == ["resident"]
    assert me["phone"] == account.phone


async def test_verification_stores_encrypted_and_answers_masked(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    account = await make_user()
    caplog.set_level(logging.DEBUG)
    response = await client.post(
        VERIFY, json={"realName": "张三丰", "idNumber": ID_NUMBER}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["verified"] is True
    assert me["realName"] == "张**"
    assert me["idNumber"] == ID_NUMBER[:1] + "*" * 16 + ID_NUMBER[-1:]
    again = (await client.get(ME, headers=account.headers)).json()
    assert again["idNumber"] == me["idNumber"]
    assert ID_NUMBER not in response.text
    assert "三丰" not in response.text
    async with db() as session:
        user = await session.get(User, account.id)
    assert user is not None
    assert user.id_number_enc is not None
    assert user.real_name_enc is not None
    assert ID_NUMBER.encode() not in user.id_number_enc
    assert decrypt(settings.data_key, "id-number", user.id_number_enc) == ID_NUMBER
    assert decrypt(settings.data_key, "real-name", user.real_name_enc) == "张三丰"
    assert user.id_fingerprint is not None
    assert ID_NUMBER not in user.id_fingerprint
    assert user.id_number_masked == me["idNumber"]
    assert verified_birth_date(settings.data_key, user.id_number_enc) == date(1990, 3, 1)
    # Neither the number nor the name was logged.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert ID_NUMBER not in logged
    assert "张三丰" not in logged


async def test_neither_birth_date_nor_sex_is_stored_in_plaintext(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    account = await make_user()
    response = await client.post(
        VERIFY, json={"realName": "陈静", "idNumber": WOMAN}, headers=account.headers
    )
    assert response.status_code == 200
    assert response.json()["realName"] == "陈*"
    async with db() as session:
        row = (
            await session.execute(
                text("SELECT to_jsonb(u) AS r FROM users AS u WHERE id = :id"), {"id": account.id}
            )
        ).scalar_one()
    assert "birth_date" not in row
    assert "gender" not in row
    assert not any("19851120" in str(value) for value in row.values())
    async with db() as session:
        user = await session.get(User, account.id)
    assert user is not None
    assert user.id_number_enc is not None
    assert verified_birth_date(settings.data_key, user.id_number_enc) == date(1985, 11, 20)


async def test_lowercase_x_and_spaces_are_accepted(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    number = "11010519491231002X"
    account = await make_user()
    spaced = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    response = await client.post(
        VERIFY, json={"realName": "阿依古丽·买买提", "idNumber": spaced}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["idNumber"] == "1****************X"


async def test_one_id_number_binds_one_account(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    first, second = await make_user(), await make_user()
    body = {"realName": "张三丰", "idNumber": ID_NUMBER}
    assert (await client.post(VERIFY, json=body, headers=first.headers)).status_code == 200
    # The same person again is fine.
    assert (await client.post(VERIFY, json=body, headers=first.headers)).status_code == 200
    taken = await client.post(VERIFY, json=body, headers=second.headers)
    assert taken.status_code == 409
    document = problem(taken)
    assert document["code"] == "verification_failed"
    assert ID_NUMBER not in taken.text
    me = (await client.get(ME, headers=second.headers)).json()
    assert me["verified"] is False


async def test_a_verified_account_keeps_its_id_number(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    account = await make_user()
    await client.post(
        VERIFY, json={"realName": "张三丰", "idNumber": ID_NUMBER}, headers=account.headers
    )
    other = await client.post(
        VERIFY, json={"realName": "陈静", "idNumber": WOMAN}, headers=account.headers
    )
    assert other.status_code == 409
    assert problem(other)["code"] == "already_verified"
    assert (await client.get(ME, headers=account.headers)).json()["realName"] == "张**"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (ID_NUMBER[:17] + str((int(ID_NUMBER[17]) + 1) % 10), "invalid_id_number"),
        (ID_NUMBER[:17], "invalid_id_number"),
        ("3304021990030112", "invalid_id_number"),
        ("abcdefghijklmnopqr", "invalid_id_number"),
        (id_number("99040219900301123"), "invalid_id_number"),
        (id_number("33040219900230123"), "invalid_id_number"),
        (id_number("33040218990301123"), "invalid_id_number"),
        (id_number("33040230000101123"), "invalid_id_number"),
        ("", "validation_error"),
        ("1" * 40, "validation_error"),
    ],
)
async def test_invalid_id_numbers_are_422_and_change_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, number: str, code: str
) -> None:
    account = await make_user()
    response = await client.post(
        VERIFY, json={"realName": "张三丰", "idNumber": number}, headers=account.headers
    )
    assert response.status_code == 422
    document = problem(response)
    assert document["code"] == code
    assert [e["field"] for e in document["errors"]] == ["idNumber"]
    if number:
        # The number is never echoed back, not even when it is wrong.
        assert number not in response.text
    assert (await client.get(ME, headers=account.headers)).json()["verified"] is False


@pytest.mark.parametrize("name", ["张", "John Smith", "张三3", "  ", "张" * 31, "张\u0000三"])
async def test_invalid_names_are_422(
    client: httpx.AsyncClient, make_user: MakeUser, name: str
) -> None:
    account = await make_user()
    response = await client.post(
        VERIFY, json={"realName": name, "idNumber": ID_NUMBER}, headers=account.headers
    )
    assert response.status_code == 422
    document = problem(response)
    assert document["code"] in ("invalid_real_name", "validation_error")
    assert [e["field"] for e in document["errors"]] == ["realName"]


@pytest.mark.parametrize("role", ["worker", "staff", "admin"])
async def test_verification_is_for_residents(
    client: httpx.AsyncClient, make_user: MakeUser, role: str
) -> None:
    account = await make_user(role)
    response = await client.post(
        VERIFY, json={"realName": "张三丰", "idNumber": ID_NUMBER}, headers=account.headers
    )
    assert response.status_code == 403
    assert problem(response)["code"] == "forbidden"


async def test_parallel_verifications_of_one_number_bind_one_account(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    import asyncio

    accounts = [await make_user() for _ in range(5)]
    answers = await asyncio.gather(
        *(
            client.post(
                VERIFY, json={"realName": "张三丰", "idNumber": ID_NUMBER}, headers=a.headers
            )
            for a in accounts
        )
    )
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] + [409] * 4
    async with db() as session:
        verified = (
            (await session.execute(select(User.id).where(User.verified_at.is_not(None))))
            .scalars()
            .all()
        )
    assert len(verified) == 1


# The columns of ``users`` and what each says about the ID number of a verified account. A new
# column fails the test below until it is classified here (and, if it says anything about the
# number, counted).
ABOUT_THE_NUMBER = {"id_number_masked", "birth_date", "birth_year", "gender"}
OPAQUE = {"id_number_enc", "real_name_enc", "id_fingerprint"}  # keyed: worthless without the key
UNRELATED = {
    "id",
    "phone",
    "password_hash",
    "display_name",
    "role",
    "is_active",
    "real_name_masked",  # the family name: not a part of the number
    "verified_at",
    "last_login_at",
    "created_at",
    "updated_at",
}


async def test_stored_plaintext_leaves_at_least_10000_candidates(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    account = await make_user()
    verified = await client.post(
        VERIFY, json={"realName": "张三丰", "idNumber": ID_NUMBER}, headers=account.headers
    )
    assert verified.status_code == 200, verified.text
    async with db() as session:
        row = (
            await session.execute(
                text("SELECT to_jsonb(u) AS r FROM users AS u WHERE id = :id"), {"id": account.id}
            )
        ).scalar_one()
    unclassified = set(row) - ABOUT_THE_NUMBER - OPAQUE - UNRELATED
    assert not unclassified, f"say what {unclassified} tells of an ID number"
    known = known_characters(row.get("id_number_masked") or "")
    if row.get("birth_date"):
        births: tuple[date, ...] = (date.fromisoformat(row["birth_date"]),)
    elif row.get("birth_year"):
        births = days(date(row["birth_year"], 1, 1), date(row["birth_year"], 12, 31))
    else:
        births = days(date(1900, 1, 1), clock.today())
    # Every area code the service accepts (any province, any four digits) that the mask allows.
    areas = [
        f"{p}{n:04d}"
        for p in sorted(PROVINCES)
        if known.get(0, p[0]) == p[0]
        for n in range(10_000)
    ]
    candidates = count_candidates(areas=areas, births=births, known=known, sex=row.get("gender"))
    assert candidates >= THRESHOLD
