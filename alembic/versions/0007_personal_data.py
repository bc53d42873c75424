"""personal data: ID numbers that cannot be rebuilt, door codes stored as keyed hashes

Verified accounts kept the ID number's birth date and sex in plaintext beside a mask of the first
four and last four characters; together they left one candidate number (docs/identity.md, "What
is stored of an ID number, and why"). The birth date and sex go (the encrypted number carries
both), and the mask keeps the first and last character only.

Ticket codes (events) and booking check-in codes (hub) were stored in plaintext and looked up
by value at the door. Each is now stored as its keyed hash (HMAC-SHA256, unique, looked up when
scanned) and encrypted (AES-GCM, to show it to its owner again), both under keys derived from
QIYOU_DATA_KEY: existing codes keep working. Converting them needs the data key, which
``backend.core.migrations.upgrade`` hands over (``qiyou run``, ``qiyou db upgrade`` and the other
commands pass the settings' key); without it, a database that holds codes is refused with a
clear message. The downgrade decrypts them back the same way.

The downgrade of the ID number part is lossy: it brings the birth date and sex columns back
empty and the masks stay short. Refilling them would mean decrypting every number.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from backend.core.security import open_code, seal_code

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The purposes the codes' hashes and encryption are bound to: fixed for good, like the key.
TICKET = "ticket-code"  # backend.events.common.TICKET_PURPOSE
CHECK_IN = "check-in-code"  # backend.hub.common.CHECK_IN_PURPOSE


def _data_key(table: str, count: int) -> bytes:
    key = context.config.attributes.get("data_key")
    if not key:
        raise RuntimeError(
            f"migration 0007 encrypts the {count} codes in {table} and needs the data key: "
            "run it through `qiyou db upgrade` with QIYOU_DATA_KEY (or the data folder) set"
        )
    return bytes(key)


def _seal_codes(table: str, plain: str, digest: str, sealed: str, purpose: str) -> None:
    connection = op.get_bind()
    t = sa.table(table, sa.column("id"), sa.column(plain), sa.column(digest), sa.column(sealed))
    rows = connection.execute(sa.select(t.c.id, t.c[plain]).where(t.c[plain].is_not(None))).all()
    if not rows:
        return
    key = _data_key(table, len(rows))
    update = (
        sa.update(t)
        .where(t.c.id == sa.bindparam("row_id"))
        .values({digest: sa.bindparam("row_digest"), sealed: sa.bindparam("row_sealed")})
    )
    for row_id, plaintext in rows:
        code = seal_code(key, purpose, plaintext)
        connection.execute(
            update, {"row_id": row_id, "row_digest": code.digest, "row_sealed": code.sealed}
        )


def _open_codes(table: str, plain: str, sealed: str, purpose: str) -> None:
    connection = op.get_bind()
    t = sa.table(table, sa.column("id"), sa.column(plain), sa.column(sealed))
    rows = connection.execute(sa.select(t.c.id, t.c[sealed]).where(t.c[sealed].is_not(None))).all()
    if not rows:
        return
    key = _data_key(table, len(rows))
    update = (
        sa.update(t)
        .where(t.c.id == sa.bindparam("row_id"))
        .values({plain: sa.bindparam("row_code")})
    )
    for row_id, blob in rows:
        connection.execute(update, {"row_id": row_id, "row_code": open_code(key, purpose, blob)})


def upgrade() -> None:
    _upgrade_codes()
    # The old mask's first and last characters are the number's: no decryption needed.
    op.execute(
        "UPDATE users SET id_number_masked = left(id_number_masked, 1) || repeat('*', 16)"
        " || right(id_number_masked, 1) WHERE id_number_masked IS NOT NULL"
    )
    op.drop_constraint(op.f("ck_users_gender_known"), "users", type_="check")
    op.drop_column("users", "gender")
    op.drop_column("users", "birth_date")


def _upgrade_codes() -> None:
    op.add_column("bookings", sa.Column("check_in_hash", sa.String(length=64), nullable=True))
    op.add_column("bookings", sa.Column("check_in_code_enc", sa.LargeBinary(), nullable=True))
    _seal_codes("bookings", "check_in_code", "check_in_hash", "check_in_code_enc", CHECK_IN)
    op.alter_column("bookings", "check_in_hash", nullable=False)
    op.alter_column("bookings", "check_in_code_enc", nullable=False)
    op.create_unique_constraint(op.f("uq_bookings_check_in_hash"), "bookings", ["check_in_hash"])
    op.drop_constraint(op.f("uq_bookings_check_in_code"), "bookings", type_="unique")
    op.drop_column("bookings", "check_in_code")

    op.add_column(
        "event_registrations", sa.Column("ticket_hash", sa.String(length=64), nullable=True)
    )
    op.add_column(
        "event_registrations", sa.Column("ticket_code_enc", sa.LargeBinary(), nullable=True)
    )
    _seal_codes("event_registrations", "ticket_code", "ticket_hash", "ticket_code_enc", TICKET)
    op.drop_constraint(
        op.f("ck_event_registrations_confirmed_has_ticket"), "event_registrations", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_event_registrations_confirmed_has_ticket"),
        "event_registrations",
        "status <> 'confirmed' OR (ticket_hash IS NOT NULL AND ticket_code_enc IS NOT NULL)",
    )
    op.create_index(
        "uq_event_registrations_ticket_hash", "event_registrations", ["ticket_hash"], unique=True
    )
    op.drop_index("uq_event_registrations_ticket_code", table_name="event_registrations")
    op.drop_column("event_registrations", "ticket_code")


def _downgrade_codes() -> None:
    op.add_column(
        "event_registrations", sa.Column("ticket_code", sa.String(length=32), nullable=True)
    )
    _open_codes("event_registrations", "ticket_code", "ticket_code_enc", TICKET)
    op.create_index(
        "uq_event_registrations_ticket_code", "event_registrations", ["ticket_code"], unique=True
    )
    op.drop_index("uq_event_registrations_ticket_hash", table_name="event_registrations")
    op.drop_constraint(
        op.f("ck_event_registrations_confirmed_has_ticket"), "event_registrations", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_event_registrations_confirmed_has_ticket"),
        "event_registrations",
        "status <> 'confirmed' OR ticket_code IS NOT NULL",
    )
    op.drop_column("event_registrations", "ticket_code_enc")
    op.drop_column("event_registrations", "ticket_hash")

    op.add_column("bookings", sa.Column("check_in_code", sa.String(length=32), nullable=True))
    _open_codes("bookings", "check_in_code", "check_in_code_enc", CHECK_IN)
    op.alter_column("bookings", "check_in_code", nullable=False)
    op.create_unique_constraint(op.f("uq_bookings_check_in_code"), "bookings", ["check_in_code"])
    op.drop_constraint(op.f("uq_bookings_check_in_hash"), "bookings", type_="unique")
    op.drop_column("bookings", "check_in_code_enc")
    op.drop_column("bookings", "check_in_hash")


def downgrade() -> None:
    _downgrade_codes()
    op.add_column("users", sa.Column("birth_date", sa.Date(), nullable=True))
    op.add_column("users", sa.Column("gender", sa.String(length=12), nullable=True))
    op.create_check_constraint(
        op.f("ck_users_gender_known"), "users", "gender IN ('male', 'female')"
    )
