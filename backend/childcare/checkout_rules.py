"""The rules of a safe pickup, as pure functions (tests/unit/test_childcare_pickup_rules.py):
the security code, who may take a child at check-out, and when a pickup is late."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import Enum

from schemas.childcare_pickup import AlertStage

# No look-alikes (0/O/D/Q, 1/I/L, 2/Z, 5/S, 6/G, 8/B are left out), so a code read aloud or
# off a phone across the desk is not mistaken. 21 symbols, 4 of them: 194,481 codes; the code
# is one factor at a desk, beside a teacher who knows the family.
CODE_ALPHABET = "ACEFHJKMNPRTUVWXY3479"
CODE_LENGTH = 4

# Wrong codes or ID digits for one check-in before the guardians are alerted (once): a typo
# or two is normal at a busy desk, a run of them is someone guessing.
ALERT_AFTER_FAILURES = 3

GUARDIANS_AFTER = timedelta(minutes=15)
TEACHERS_AFTER = timedelta(minutes=30)


def new_security_code() -> str:
    """A fresh code for each check-in (never derived from the child or the day)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str:
    """What the teacher typed, as the code was issued: case and separators do not count."""
    return "".join(ch for ch in raw.upper() if not ch.isspace() and ch != "-")


def normalize_id_last4(raw: str) -> str:
    # The check character of a resident ID is a digit or X, written either case.
    return raw.strip().upper()


class Verdict(Enum):
    BY_CODE = "security_code"
    BY_TRUSTED_ID = "trusted_id"
    BLOCKED = "pickup_not_authorized"  # 403, and the guardians are alerted at once
    WRONG_CODE = "security_code_mismatch"  # 403
    WRONG_ID = "pickup_id_mismatch"  # 403
    UNKNOWN_PICKUP = "unknown_pickup"  # 422: not one of this child's people
    NO_PROOF = "pickup_proof_required"  # 422

    @property
    def allowed(self) -> bool:
        return self in (Verdict.BY_CODE, Verdict.BY_TRUSTED_ID)


def decide_checkout(
    *,
    code_given: bool,
    code_matches: bool,
    pickup_named: bool,
    pickup_found: bool,
    pickup_blocked: bool,
    id_given: bool,
    id_matches: bool,
) -> Verdict:
    """Who may take the child. A blocked person is refused whatever else they bring (the code
    may have been passed on, or taken); the code must be that check-in's; without a code, a
    trusted person of this child proves the last four of their ID."""
    if pickup_named and not pickup_found:
        return Verdict.UNKNOWN_PICKUP
    if pickup_named and pickup_blocked:
        return Verdict.BLOCKED
    if code_given:
        return Verdict.BY_CODE if code_matches else Verdict.WRONG_CODE
    if pickup_named:
        return Verdict.BY_TRUSTED_ID if id_given and id_matches else Verdict.WRONG_ID
    return Verdict.NO_PROOF


def due_stages(ends_at: datetime, now: datetime) -> tuple[AlertStage, ...]:
    """The late-pickup alerts due for a child still in care: the guardians 15 minutes after
    the session ended, the program's teachers 30 minutes after."""
    stages: list[AlertStage] = []
    if now >= ends_at + GUARDIANS_AFTER:
        stages.append("guardians")
    if now >= ends_at + TEACHERS_AFTER:
        stages.append("teachers")
    return tuple(stages)


def is_late(ends_at: datetime, checked_out_at: datetime | None, now: datetime) -> bool:
    """A late pickup for the records: taken, or still not taken, after the guardians' alert
    time."""
    taken_or_now = checked_out_at if checked_out_at is not None else now
    return taken_or_now > ends_at + GUARDIANS_AFTER
