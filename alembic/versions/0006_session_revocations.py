"""session revocations: every process hears of a revoked login session

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# In the database rather than in the app, so that every way a session ends (the API, the CLI, a
# statement typed by an operator) tells the running processes, and only once it commits:
# PostgreSQL delivers a NOTIFY at commit and drops it on rollback.
NOTIFY_FUNCTION = """
CREATE FUNCTION qiyou_notify_session_revoked() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('qiyou_session_revoked', NEW.id::text);
    RETURN NULL;
END
$$
"""

NOTIFY_TRIGGER = """
CREATE TRIGGER auth_sessions_notify_revoked
    AFTER UPDATE OF revoked_at ON auth_sessions
    FOR EACH ROW
    WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION qiyou_notify_session_revoked()
"""


def upgrade() -> None:
    # Each process loads the recent revocations at start and every half minute.
    op.create_index(
        "ix_auth_sessions_revoked_at",
        "auth_sessions",
        ["revoked_at"],
        postgresql_where=sa.text("revoked_at IS NOT NULL"),
    )
    # One statement per execute: asyncpg prepares each, and a prepared statement holds one.
    op.execute(NOTIFY_FUNCTION)
    op.execute(NOTIFY_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS auth_sessions_notify_revoked ON auth_sessions")
    op.execute("DROP FUNCTION IF EXISTS qiyou_notify_session_revoked()")
    op.drop_index("ix_auth_sessions_revoked_at", table_name="auth_sessions")
