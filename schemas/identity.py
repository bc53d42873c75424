"""Wire types of the identity domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from msgspec import UNSET, Meta, UnsetType

from schemas import patterns
from schemas.common import Wire

SmsPurpose = Literal["register", "login", "reset_password"]
Role = Literal["resident", "worker", "staff", "admin", "dispatcher", "caregiver"]
StaffRole = Literal["worker", "staff", "admin"]
Gender = Literal["male", "female", "unspecified"]
Relation = Literal[
    "spouse",
    "father",
    "mother",
    "son",
    "daughter",
    "grandfather",
    "grandmother",
    "grandson",
    "granddaughter",
    "brother",
    "sister",
    "father_in_law",
    "mother_in_law",
    "son_in_law",
    "daughter_in_law",
    "other",
]
AgeGroup = Literal["child", "adult", "elder"]

# Lengths here only bound the input; the rules (phone format, password strength, code format,
# names) are the service's, so they answer with their own stable codes. Those a pattern can
# state are in ``extra_json_schema``: documented, not enforced twice.
Phone = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=patterns.PHONE_MAX_LENGTH,
        description=(
            "mainland mobile number `1[3-9]xxxxxxxxx`, optionally with +86 or 86; spaces, "
            "dashes and brackets anywhere are ignored"
        ),
        examples=["13812345678"],
        extra_json_schema={"pattern": patterns.PHONE},
    ),
]
SmsCodeText = Annotated[
    str, Meta(min_length=1, max_length=16, description="the 6-digit code", examples=["123456"])
]
Password = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=128,
        description="at least 8 characters, not only digits, not the phone number",
    ),
]
_SINGLE_LINE = "one line of text; no control or format characters"


def single_line(max_length: int) -> Meta:
    """A name or short text: one line, not empty. The rule is the services' ``clean_text``,
    stated in the document as a pattern; every domain's one-line fields use it."""
    return Meta(
        min_length=1,
        max_length=max_length,
        description=_SINGLE_LINE,
        extra_json_schema={"pattern": patterns.SINGLE_LINE_TEXT},
    )


DisplayName = Annotated[str, single_line(50)]
# A member's name obeys the same rule as an account's display name.
PersonName = DisplayName
Notes = Annotated[
    str,
    Meta(
        max_length=500,
        description="free text; tabs and line breaks allowed, other control characters not",
        extra_json_schema={"pattern": patterns.NOTES},
    ),
]
RealName = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=50,
        description="as on the ID card: 2 to 30 Chinese characters, parts joined by a middle dot",
        examples=["张三", "买买提·艾力"],
        extra_json_schema={
            "pattern": patterns.REAL_NAME,
            "minLength": patterns.REAL_NAME_MIN_LENGTH,
            "maxLength": patterns.REAL_NAME_MAX_LENGTH,
        },
    ),
]


class UserOut(Wire):
    id: UUID
    # null only for an assisted resident (an elder without a phone, read with an acting token)
    phone: str | None
    display_name: str
    roles: list[str]
    verified: bool
    created_at: datetime
    real_name: str | None = None
    id_number: Annotated[
        str | None,
        Meta(
            description=(
                "the verified resident ID number, masked: its first and last characters only "
                "(18 characters, the other 16 are `*`)"
            ),
            examples=["3****************4"],
        ),
    ] = None


class TokenPair(Wire):
    access_token: str
    refresh_token: str
    expires_in: int
    user: UserOut
    token_type: str = "Bearer"


class SmsCodeRequest(Wire):
    phone: Phone
    purpose: SmsPurpose


class SmsCodeSent(Wire):
    """When the code expires and when the next one may be requested, in seconds."""

    expires_in: int
    resend_after: int


class DevSmsCode(Wire):
    code: str


class NewAccount(Wire):
    """What a new account is made of, whether the resident registers or an admin creates it."""

    phone: Phone
    password: Password
    display_name: DisplayName


class RegisterRequest(NewAccount):
    sms_code: SmsCodeText


class LoginRequest(Wire):
    phone: Phone
    password: Annotated[str, Meta(min_length=1, max_length=128)]


class SmsLoginRequest(Wire):
    phone: Phone
    sms_code: SmsCodeText


class PasswordResetRequest(Wire):
    phone: Phone
    sms_code: SmsCodeText
    new_password: Password


RefreshTokenText = Annotated[str, Meta(min_length=1, max_length=200)]


class RefreshRequest(Wire):
    refresh_token: RefreshTokenText


class LogoutRequest(Wire):
    refresh_token: RefreshTokenText


class UpdateMeRequest(Wire):
    display_name: DisplayName | UnsetType = UNSET


class SessionOut(Wire):
    """One device logged in: a login and the refresh tokens that rotated from it."""

    id: UUID
    created_at: datetime
    last_used_at: datetime
    current: bool
    device_name: str | None = None
    client_ip: str | None = None


class VerificationRequest(Wire):
    real_name: RealName
    id_number: Annotated[str, Meta(min_length=1, max_length=32)]


class MemberIn(Wire):
    name: PersonName
    relation: Relation
    birth_date: date
    gender: Gender = "unspecified"
    notes: Notes | None = None


class MemberPatch(Wire):
    name: PersonName | UnsetType = UNSET
    relation: Relation | UnsetType = UNSET
    birth_date: date | UnsetType = UNSET
    gender: Gender | UnsetType = UNSET
    notes: Notes | UnsetType | None = UNSET


class MemberOut(Wire):
    id: UUID
    name: str
    relation: str
    birth_date: date
    gender: str
    age_group: AgeGroup
    created_at: datetime
    notes: str | None = None


class AdminUserCreate(NewAccount):
    """A staff account: a new account with its role instead of an SMS code."""

    role: StaffRole


class AdminUserOut(UserOut):
    """An account as admins see it: with whether it may log in."""

    active: bool = True


class AdminUserPatch(Wire):
    """Only the fields sent change. A new role, or ``active: false``, ends the account's logins;
    a disabled account cannot log in or refresh until it is enabled again."""

    role: Role | UnsetType = UNSET
    active: bool | UnsetType = UNSET
