"""Rows → the wire types of schemas/eldercare.py (nothing else constructs them)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from backend.core.clock import LOCAL_TZ, to_local
from backend.core.security import decrypt
from backend.eldercare import order_rules
from backend.eldercare.models import (
    CareCheckIn,
    CareCheckInAlert,
    CareProfile,
    CareProvider,
    CareService,
)
from schemas.eldercare import (
    CareCheckInOut,
    CaregiverVisitOut,
    CareOrderOut,
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


def order(row: Any, *, now: datetime, household: bool) -> CareOrderOut:
    """A row of ``order_views.order_rows``, read by name: an asyncpg record (the hot reads) or
    a SQLAlchemy row's ``_mapping``. ``household``: the reader is the household, whose answer
    says until when it may cancel."""
    starts_at = row["starts_at"]
    return CareOrderOut(
        id=row["id"],
        status=row["status"],
        service_code=row["service_code"],
        care_profile_id=row["care_profile_id"],
        member_id=row["member_id"],
        elder_name=row["elder_name"],
        address=row["address_masked"],
        provider_id=row["provider_id"],
        provider_name=row["provider_name"],
        caregiver_id=row["caregiver_id"],
        caregiver_name=row["caregiver_name"],
        starts_at=to_local(starts_at),
        ends_at=to_local(row["ends_at"]),
        note=row["note"],
        price=row["price"],
        subsidy=row["subsidy"],
        payable=row["payable"],
        flags=list(row["flags"]),
        created_at=to_local(row["created_at"]),
        cancellable_until=(
            to_local(order_rules.cancellable_until(row["status"], starts_at, now))
            if household
            else None
        ),
        assigned_at=to_local(row["assigned_at"]),
        cancelled_at=to_local(row["cancelled_at"]),
        cancel_reason=row["cancel_reason"],
        completed_at=to_local(row["completed_at"]),
        rating=row["rating"],
        comment=row["comment"],
        dispute_reason=row["dispute_reason"],
        missed_at=to_local(row["missed_at"]),
        on_the_way_at=to_local(row["on_the_way_at"]),
    )


def visit(row: Any, *, full: bool, notes: bool, data_key: bytes) -> CaregiverVisitOut:
    """A row of ``dispatch._visits_query``, read by name, for the caregiver. ``full``: the
    address and phone decrypted; ``notes``: the health notes too."""
    sealed_notes = row["health_notes_enc"]
    return CaregiverVisitOut(
        id=row["id"],
        status=row["status"],
        service_code=row["service_code"],
        elder_name=row["elder_name"],
        starts_at=to_local(row["starts_at"]),
        ends_at=to_local(row["ends_at"]),
        address=decrypt(data_key, ADDRESS, row["address_enc"]) if full else row["address_masked"],
        location=Location(lat=row["lat"], lng=row["lng"]),
        contact_phone=row["contact_phone"] if full else None,
        note=row["note"],
        flags=list(row["flags"]),
        masked=not full,
        health_notes=(
            decrypt(data_key, HEALTH_NOTES, sealed_notes)
            if notes and sealed_notes is not None
            else None
        ),
    )
