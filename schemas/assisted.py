"""Wire types of assisted residents: elders without a phone, whose accounts community workers
create and act for, and the record of every action taken for them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from msgspec import Meta

from schemas.common import Wire
from schemas.eldercare import Address, Relation, SubsidyTier
from schemas.identity import DisplayName, RealName

ContactPhone = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=20,
        # Enforced as written: a mobile number (+86 allowed) or a landline with its area code.
        pattern=r"^(?:(?:\+?86)?1[3-9][0-9]{9}|0[1-9][0-9]{1,2}-?[0-9]{7,8})$",
        description=(
            "a relative's mainland mobile number, or a landline with its area code "
            "(`0573-82345678`)"
        ),
        examples=["13812345678", "0573-82345678"],
    ),
]
IdNumberText = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=40,
        description="the 18-digit resident ID number (GB 11643 check digit)",
        examples=["110101194001011234"],
    ),
]


class AssistedResidentIn(Wire):
    name: RealName
    id_number: IdNumberText
    address: Address
    contact_phone: ContactPhone
    contact_name: DisplayName | None = None
    relation: Relation | None = None


class AssistedResidentOut(Wire):
    """An assisted resident as a community worker sees them: name, ID number and address
    masked; the contact in full (the worker calls them)."""

    id: UUID
    name: str
    real_name: str
    id_number: str
    age: int
    address: str
    contact_phone: str
    contact_name: str | None
    relation: str | None
    created_by: UUID
    created_at: datetime


class ActingToken(Wire):
    """A short-lived access token whose subject is the assisted resident and whose `act`
    claim names the worker (RFC 8693). No refresh token: ask again."""

    access_token: str
    expires_at: datetime
    expires_in: int
    subject_id: UUID
    token_type: str = "Bearer"


class ActedForOut(Wire):
    """One request a worker made for an assisted resident, as recorded when it was answered."""

    id: UUID
    actor_id: UUID
    actor_name: str
    subject_id: UUID
    subject_name: str
    operation: str
    method: str
    path: str
    status: int
    request_id: str | None
    at: datetime


class ElderOut(Wire):
    """An elder with a care profile, as a community worker finds them: no door number, no
    health notes."""

    care_profile_id: UUID
    name: str
    address: str
    subsidy_tier: SubsidyTier | None
    lives_alone: bool
    assisted: bool
    owner_id: UUID
    member_id: UUID | None
