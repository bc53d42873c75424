"""Rows → the wire types of schemas/eldercare.py (nothing else constructs them)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from backend.core.clock import LOCAL_TZ, to_local
from backend.core.security import decrypt
from backend.eldercare.models import (
    CareCheckIn,
    CareCheckInAlert,
    CareProfile,
    CareProvider,
    CareService,
)
from schemas.eldercare import (
    CareCheckInOut,
    CareProfileOut,
    CareProviderOut,
    CareServiceOut,
    CareWorkerRef,
    CheckInAlertStatus,
    DailyCheckIn,
    EmergencyContact,
    Location,
    MissedCareCheckInOut,
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
        emergency_contacts=contacts(row.emergency_contacts),
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


def due_at(day: date, due_by: time) -> datetime:
    """The moment a day's check-in is due: ``dueBy`` on that day in Asia/Shanghai."""
    return datetime.combine(day, due_by, tzinfo=LOCAL_TZ)


def check_in(
    row: CareCheckIn, *, member_id: UUID | None, name: str, due_by: time
) -> CareCheckInOut:
    return CareCheckInOut(
        id=row.id,
        care_profile_id=row.care_profile_id,
        member_id=member_id,
        name=name,
        date=row.day,
        checked_in_at=to_local(row.checked_in_at),
        late=row.checked_in_at > due_at(row.day, due_by),
    )


def contacts(raw: list[dict[str, Any]]) -> list[EmergencyContact]:
    return [EmergencyContact(name=c["name"], phone=c["phone"], relation=c["relation"]) for c in raw]


def missed_check_in(
    alert: CareCheckInAlert,
    profile: CareProfile,
    *,
    name: str,
    reached_by: CareWorkerRef | None,
) -> MissedCareCheckInOut:
    """An alert as a community worker reads it: the address masked (the list needs no key)."""
    if alert.resolved_at is not None:
        status: CheckInAlertStatus = "checked_in"
    elif alert.reached_at is not None:
        status = "reached"
    else:
        status = "open"
    return MissedCareCheckInOut(
        id=alert.id,
        care_profile_id=profile.id,
        name=name,
        address=profile.address_masked,
        lives_alone=profile.lives_alone,
        emergency_contacts=contacts(profile.emergency_contacts),
        date=alert.day,
        due_at=to_local(alert.due_at),
        alerted_at=to_local(alert.created_at),
        escalated=alert.escalated_at is not None,
        status=status,
        escalated_at=to_local(alert.escalated_at),
        checked_in_at=to_local(alert.resolved_at),
        reached_at=to_local(alert.reached_at),
        reached_by=reached_by,
        reached_note=alert.reached_note,
    )
