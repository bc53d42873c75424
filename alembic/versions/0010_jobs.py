"""the background-job queue: procrastinate's tables, types, functions and triggers

The library's schema as shipped with procrastinate 3.10.0 (alembic/procrastinate/, copied
verbatim: a migration must build the same schema whatever version is installed later). A later
procrastinate release brings its own SQL migrations (procrastinate/sql/migrations/): apply them
in a migration of ours, copied the same way, when upgrading the library.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import op
from sqlalchemy.util import await_only

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = Path(__file__).resolve().parents[1] / "procrastinate" / "schema-3.10.0.sql"

TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
)
TYPES = (
    "procrastinate_job_to_defer_v1",
    "procrastinate_job_event_type",
    "procrastinate_job_status",
)


def _script(sql: str) -> None:
    """Run a script of many statements (with dollar-quoted bodies) in the migration's
    transaction: asyncpg's simple query protocol takes it whole, a prepared statement would
    not."""
    bind = op.get_bind()
    bind.exec_driver_sql("SELECT 1")  # the transaction has begun on this connection
    await_only(bind.connection.driver_connection.execute(sql))  # type: ignore[union-attr]


def upgrade() -> None:
    _script(SCHEMA.read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute("DROP TABLE " + ", ".join(TABLES) + " CASCADE")
    # The library's functions all carry its prefix (the triggers went with the tables).
    op.execute(
        "DO $$ DECLARE f regprocedure; BEGIN "
        "FOR f IN SELECT p.oid::regprocedure FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%' "
        "LOOP EXECUTE 'DROP FUNCTION ' || f; END LOOP; END $$"
    )
    op.execute("DROP TYPE " + ", ".join(TYPES))
