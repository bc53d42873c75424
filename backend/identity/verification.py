"""Real-name verification with the 18-digit resident ID number (GB 11643-1999).

The number and the name are stored only encrypted (AES-GCM under the data key); a keyed
fingerprint of the number (HMAC) is unique, so one ID number binds one account without anything
being decrypted. Only masked forms ever leave this module — in answers, errors and logs.

Nothing else about the number is stored in plaintext: not the birth date, not the sex, and the
mask keeps only the first and the last character. docs/identity.md ("What is stored of an ID
number, and why") counts what that leaves to guess; tests/unit/test_id_number_candidates.py
checks the count. Who needs the birth date decrypts the number (``birth_date_of``).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.errors import AppError, FieldError
from backend.core.ratelimit import Limiter
from backend.core.security import decrypt, encrypt, keyed_hash
from backend.core.violations import violated_constraint
from backend.identity.service import current_user, user_out
from backend.identity.throttle import VERIFICATIONS_PER_ACCOUNT
from schemas.identity import UserOut

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
EARLIEST_BIRTH = date(1900, 1, 1)
# GB/T 2260 province-level codes, plus 83 which residence permits of Taiwan residents carry.
PROVINCES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)  # fmt: skip
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
# Han characters, and the middle dots that separate the parts of many minority names.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f"
_NAME = re.compile(f"[{_HAN}]+(?:[·•・][{_HAN}]+)*")

Gender = Literal["male", "female"]
log = logging.getLogger("qiyou.identity")


@dataclass(frozen=True, slots=True)
class ResidentId:
    number: str
    region: str
    birth_date: date
    gender: Gender

    @property
    def masked(self) -> str:
        return mask_id_number(self.number)


def _invalid(message: str) -> AppError:
    # The message names the rule, never the number.
    return AppError(422, "invalid_id_number", errors=[FieldError("idNumber", message)])


def check_character(first17: str) -> str:
    """The 18th character of an ID number whose first 17 digits are ``first17``."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def parse_id_number(raw: str, *, today: date) -> ResidentId:
    """Check an 18-digit resident ID number; 422 ``invalid_id_number`` names the broken rule."""
    number = unicodedata.normalize("NFKC", raw).strip().replace(" ", "").upper()
    if not _SHAPE.fullmatch(number):
        raise _invalid("must be 17 digits followed by a digit or X")
    if number[:2] not in PROVINCES:
        raise _invalid("region code is not a province of China")
    try:
        birth = birth_date_of(number)
    except ValueError:
        raise _invalid("birth date is not a real date") from None
    if birth < EARLIEST_BIRTH:
        raise _invalid("birth date is before 1900")
    if birth > today:
        raise _invalid("birth date is in the future")
    if check_character(number[:17]) != number[17]:
        raise _invalid("check digit does not match")
    return ResidentId(
        number=number,
        region=number[:6],
        birth_date=birth,
        # The 17th digit is the sequence number's last: odd for men, even for women.
        gender="male" if int(number[16]) % 2 else "female",
    )


def birth_date_of(number: str) -> date:
    """The birth date an ID number carries (digits 7 to 14); ``ValueError`` if not a date."""
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def verified_birth_date(data_key: bytes, id_number_enc: bytes) -> date:
    """The birth date of a verified account, from its encrypted ID number."""
    return birth_date_of(decrypt(data_key, "id-number", id_number_enc))


def mask_id_number(number: str) -> str:
    """``330402199001011234`` → ``3****************4``.

    The first and last characters only: four and four (the common mask) show the sequence number
    and check character in full, which with the area known leave about 4,200 numbers — below the
    10,000 the design asks for (docs/identity.md)."""
    return number[:1] + "*" * (len(number) - 2) + number[-1:]


def mask_name(name: str) -> str:
    """``张三丰`` → ``张**``: the family name stays, the rest is starred."""
    return name[:1] + "*" * (len(name) - 1) if len(name) > 1 else "*"


def clean_real_name(raw: str) -> str:
    name = unicodedata.normalize("NFC", raw).strip()
    if not 2 <= len(name) <= 30 or not _NAME.fullmatch(name):
        raise AppError(
            422,
            "invalid_real_name",
            errors=[FieldError("realName", "must be 2 to 30 Chinese characters as on the ID card")],
        )
    return name


async def verify(
    session: AsyncSession,
    settings: Settings,
    throttle: Limiter,
    *,
    user_id: UUID,
    real_name: str,
    id_number: str,
    now: datetime,
    today: date,
) -> UserOut:
    """Bind a resident ID number to the caller's account (once; the same one again is fine)."""
    name = clean_real_name(real_name)
    resident = parse_id_number(id_number, today=today)
    # Counted only for well-formed details: a typo teaches nothing, but each well-formed try
    # would otherwise be a free question about someone's ID number.
    await throttle.hit(VERIFICATIONS_PER_ACCOUNT, "account", str(user_id))
    fingerprint = keyed_hash(settings.data_key, "id-number", resident.number)
    user = await current_user(session, user_id)
    if user.id_fingerprint is not None and user.id_fingerprint != fingerprint:
        raise AppError(409, "already_verified")
    user.real_name_enc = encrypt(settings.data_key, "real-name", name)
    user.id_number_enc = encrypt(settings.data_key, "id-number", resident.number)
    user.id_fingerprint = fingerprint
    user.id_number_masked = resident.masked
    user.real_name_masked = mask_name(name)
    user.verified_at = user.verified_at or now
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        # Not re-raised with its cause: the database's message would quote the fingerprint.
        if violated_constraint(exc) == "uq_users_id_fingerprint":
            # Never "taken": that would tell anyone whether a number is registered. The answer
            # names no reason; the log (ids only) lets a worker help the number's real owner.
            log.warning(
                "verification refused: the ID number is bound to another account",
                extra={"user_id": str(user_id)},
            )
            raise AppError(409, "verification_failed") from None
        raise AppError(409, "conflict") from None
    return user_out(user)
