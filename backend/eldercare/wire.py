"""Rows → the wire types of schemas/eldercare.py (nothing else constructs them)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from backend.core.security import decrypt
from backend.eldercare.models import CareProfile, CareProvider, CareService
from schemas.eldercare import (
    CareProfileOut,
    CareProviderOut,
    CareServiceOut,
    DailyCheckIn,
    EmergencyContact,
    Location,
)

ADDRESS = "care-address"
HEALTH_NOTES = "care-health-notes"


def provider(row: CareProvider, codes: list[Any]) -> CareProviderOut:
    return CareProviderOut(
        id=row.id, name=row.name, phone=row.phone, service_codes=codes, created_at=row.created_at
    )


def service(row: CareService, language: str) -> CareServiceOut:
    zh = language == "zh-CN"
    return CareServiceOut(
        code=row.code,
        name=row.name_zh if zh else row.name_en,
        description=row.description_zh if zh else row.description_en,
        minutes=row.minutes,
        price=row.price,
        subsidy_rate=float(Decimal(row.subsidy_percent) / 100),
    )


def mask_address(address: str) -> str:
    """The start of an address (district, street), never the building, door or room."""
    keep = min(10, len(address) // 3)
    return address[:keep] + "****"


def care_profile(
    row: CareProfile, *, name: str, allowance_left: int, data_key: bytes, full: bool
) -> CareProfileOut:
    """``full`` for the household: the address and health notes decrypted. Anyone else reads
    the masked address and no health notes."""
    if full:
        address = decrypt(data_key, ADDRESS, row.address_enc)
        notes = (
            decrypt(data_key, HEALTH_NOTES, row.health_notes_enc)
            if row.health_notes_enc is not None
            else None
        )
    else:
        address, notes = row.address_masked, None
    return CareProfileOut(
        id=row.id,
        member_id=row.member_id,
        name=name,
        address=address,
        location=Location(lat=row.lat, lng=row.lng),
        lives_alone=row.lives_alone,
        care_level=row.care_level,
        emergency_contacts=[
            EmergencyContact(name=c["name"], phone=c["phone"], relation=c["relation"])
            for c in row.emergency_contacts
        ],
        daily_check_in=DailyCheckIn(
            enabled=row.check_in_enabled, due_by=row.check_in_due_by.strftime("%H:%M")
        ),
        subsidy_tier=row.subsidy_tier,
        monthly_allowance=row.monthly_allowance,
        allowance_left=allowance_left,
        masked=not full,
        updated_at=row.updated_at,
        health_notes=notes,
    )
