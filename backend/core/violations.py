"""Which database constraint refused a statement.

A refusal reaches us in two wrappings: from a session, SQLAlchemy's ``IntegrityError`` whose
``orig`` (the asyncpg adapter's error) was raised from asyncpg's own exception; from the read
pool (``core/reads.py``), asyncpg's exception itself. asyncpg's integrity errors (SQLSTATE class
23: unique, check, exclusion, foreign key, not null — and a trigger's ``RAISE ... USING
CONSTRAINT``) carry the constraint's name. Services compare that name with the one they
expect, never the message text: the message may quote the row's values (an ID number's
fingerprint), and its wording is the server's.
"""

from __future__ import annotations

from asyncpg.exceptions import IntegrityConstraintViolationError
from sqlalchemy.exc import DBAPIError


def violated_constraint(exc: BaseException) -> str | None:
    """The name of the constraint whose violation ``exc`` reports, or ``None`` when it reports
    something else (or a violation PostgreSQL names no constraint for)."""
    error: BaseException | None = exc.orig if isinstance(exc, DBAPIError) else exc
    for candidate in (error, error.__cause__ if error is not None else None):
        if isinstance(candidate, IntegrityConstraintViolationError):
            name = getattr(candidate, "constraint_name", None)
            return str(name) if name else None
    return None


__all__ = ["violated_constraint"]
