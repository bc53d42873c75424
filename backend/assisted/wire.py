"""Rows → the Structs of ``schemas/assisted.py``."""

from __future__ import annotations

from backend.assisted.models import AssistedResident
from backend.core.clock import to_local
from backend.identity.models import User
from schemas.assisted import AssistedResidentOut

ADDRESS = "assisted-address"


def mask_address(address: str) -> str:
    """As care profiles mask theirs: the district and street, never building, door or room."""
    keep = min(10, len(address) // 3)
    return address[:keep] + "****"


def assisted(row: AssistedResident, user: User, *, age: int) -> AssistedResidentOut:
    return AssistedResidentOut(
        id=row.user_id,
        name=user.display_name,
        real_name=user.real_name_masked or "",
        id_number=user.id_number_masked or "",
        age=age,
        address=row.address_masked,
        contact_phone=row.contact_phone,
        contact_name=row.contact_name,
        relation=row.relation,
        created_by=row.created_by,
        created_at=to_local(row.created_at),
    )
