"""Rows → the wire types of schemas/eldercare.py (nothing else constructs them)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from backend.core.clock import to_local
from backend.core.security import decrypt
from backend.eldercare import order_rules
from backend.eldercare.models import CareOrder, CareProfile, CareProvider, CareService
from schemas.eldercare import (
    CaregiverVisitOut,
    CareOrderOut,
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


def order(row: Any, *, now: datetime, household: bool) -> CareOrderOut:
    """A row of ``order_views.order_rows``. ``household``: the reader is the household, whose
    answer says until when it may cancel."""
    o: CareOrder = row[0]
    return CareOrderOut(
        id=o.id,
        status=o.status,
        service_code=o.service_code,
        care_profile_id=o.care_profile_id,
        member_id=o.member_id,
        elder_name=row.elder_name,
        address=row.address_masked,
        provider_id=o.provider_id,
        provider_name=row.provider_name,
        caregiver_id=o.caregiver_id,
        caregiver_name=row.caregiver_name,
        starts_at=to_local(o.starts_at),
        ends_at=to_local(o.ends_at),
        note=o.note,
        price=o.price,
        subsidy=o.subsidy,
        payable=o.payable,
        flags=list(o.flags),
        created_at=to_local(o.created_at),
        cancellable_until=(
            to_local(order_rules.cancellable_until(o.status, o.starts_at, now))
            if household
            else None
        ),
        assigned_at=to_local(o.assigned_at),
        cancelled_at=to_local(o.cancelled_at),
        cancel_reason=o.cancel_reason,
        completed_at=to_local(o.completed_at),
        rating=o.rating,
        comment=o.comment,
        dispute_reason=o.dispute_reason,
        missed_at=to_local(o.missed_at),
    )


def visit(row: Any, *, full: bool, notes: bool, data_key: bytes) -> CaregiverVisitOut:
    """A row of ``dispatch.visit_rows`` for the caregiver. ``full``: the address and phone
    decrypted; ``notes``: the health notes too (a visit under way)."""
    o: CareOrder = row[0]
    profile: CareProfile = row.CareProfile
    health = (
        decrypt(data_key, HEALTH_NOTES, profile.health_notes_enc)
        if notes and profile.health_notes_enc is not None
        else None
    )
    return CaregiverVisitOut(
        id=o.id,
        status=o.status,
        service_code=o.service_code,
        elder_name=row.elder_name,
        starts_at=to_local(o.starts_at),
        ends_at=to_local(o.ends_at),
        address=decrypt(data_key, ADDRESS, profile.address_enc) if full else profile.address_masked,
        location=Location(lat=profile.lat, lng=profile.lng),
        contact_phone=row.contact_phone if full else None,
        note=o.note,
        flags=list(o.flags),
        masked=not full,
        health_notes=health,
    )
