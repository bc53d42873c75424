"""Rows of safe drop-off and pickup → the wire types of schemas/childcare_pickup.py."""

from __future__ import annotations

from uuid import UUID

from backend.childcare.models_pickup import ChildProfile, Pickup
from backend.core.clock import to_local
from backend.core.security import decrypt
from schemas.childcare_pickup import ChildcareProfileOut, PickupOut, RosterPickup

ALLERGIES = "childcare-allergies"
HEALTH_NOTES = "childcare-health-notes"
ABSENCE_REASON = "childcare-absence-reason"
SECURITY_CODE = "childcare-security-code"


def pickup(row: Pickup) -> PickupOut:
    return PickupOut(
        id=row.id,
        child_id=row.child_id,
        name=row.name,
        phone=row.phone,
        relation=row.relation,
        blocked=row.blocked,
        has_id_last4=row.id_last4_digest is not None,
        created_at=to_local(row.created_at),
    )


def roster_pickup(row: Pickup) -> RosterPickup:
    return RosterPickup(id=row.id, name=row.name, relation=row.relation, blocked=row.blocked)


def opened(data_key: bytes, purpose: str, blob: bytes | None) -> str | None:
    return decrypt(data_key, purpose, blob) if blob is not None else None


def profile(child_id: UUID, row: ChildProfile | None, *, data_key: bytes) -> ChildcareProfileOut:
    if row is None:
        return ChildcareProfileOut(child_id=child_id, updated_at=None)
    return ChildcareProfileOut(
        child_id=child_id,
        updated_at=to_local(row.updated_at),
        allergies=opened(data_key, ALLERGIES, row.allergies_enc),
        health_notes=opened(data_key, HEALTH_NOTES, row.health_notes_enc),
    )
