"""rooms.kind holds one of the room kinds the wire knows

Every other enumeration had its CHECK constraint; a room's kind was checked only by the wire
(``RoomKind`` in schemas/hub.py), so a row written another way could hold anything. Rows with a
kind the wire does not know become ``other`` first (only rows written around the API can have
one): the constraint would refuse them, and the API could not answer them either.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As RoomKind was at this revision (tests/unit/test_enumerations.py compares them).
KINDS = (
    "activity", "calligraphy", "reading", "gym", "canteen", "playroom", "meeting", "classroom",
    "other",
)  # fmt: skip
_LIST = ", ".join(f"'{kind}'" for kind in KINDS)


def upgrade() -> None:
    op.execute(
        sa.text("UPDATE rooms SET kind = 'other' WHERE kind <> ALL(:kinds)").bindparams(
            kinds=list(KINDS)
        )
    )
    op.create_check_constraint(op.f("ck_rooms_kind_known"), "rooms", f"kind IN ({_LIST})")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_rooms_kind_known"), "rooms", type_="check")
