"""The ceiling's childcare roster (see ``ceiling.py``; issue 17): one SQL statement, answered with
the same JSON as Qiyou's ``getSessionRoster``, with the same guarantees — the token verified
(``ceiling.Tokens``), a worker who does not teach the program refused (403), a program or a
session that does not exist 404, and the absence reasons, allergies and health notes only to the
program's teachers (for an admin they never leave the database). The answer is built from the
same ``schemas`` Structs and times as Qiyou's. Self-contained like the ceiling: nothing from
``backend``."""

from __future__ import annotations

from datetime import date
from typing import Protocol
from uuid import UUID

import asyncpg
import msgspec

from schemas.childcare_pickup import RosterChild, RosterOut, RosterPickup, RosterStatus
from tests.bench.shaping import local as _local

_encode = msgspec.json.Encoder().encode
# The purposes Qiyou encrypts them under (backend.childcare.wire_pickup).
ALLERGIES = "childcare-allergies"
HEALTH_NOTES = "childcare-health-notes"
ABSENCE_REASON = "childcare-absence-reason"

# One row per enrolled child (or one row of NULLs when there is none), each with the day's
# attendance, absence and profile and the people the guardians named; the program, whether the
# caller teaches it and the session on every row. No row: no such program. $4: a teacher.
ROSTER = """
SELECT s.id AS session_id, s.status AS session_status, s.starts_at, s.ends_at,
       EXISTS (SELECT 1 FROM childcare_program_teachers t
               WHERE t.program_id = pr.id AND t.user_id = $3) AS teaches,
       c.*
FROM childcare_programs pr
LEFT JOIN childcare_sessions s ON s.program_id = pr.id AND s.date = $2
LEFT JOIN LATERAL (
    SELECT a.id AS enrollment_id, a.child_id, m.name, at.checked_in_at, at.brought_by,
           at.checked_out_at, at.picked_up_by, ab.id IS NOT NULL AS excused,
           CASE WHEN $4 THEN ab.reason_enc END AS reason_enc,
           CASE WHEN $4 THEN cp.allergies_enc END AS allergies_enc,
           CASE WHEN $4 THEN cp.health_notes_enc END AS health_notes_enc,
           ARRAY(SELECT ROW(p.id, p.name, p.relation, p.blocked) FROM childcare_pickups p
                 WHERE p.child_id = a.child_id ORDER BY p.id) AS pickups
    FROM childcare_applications a
    LEFT JOIN household_members m ON m.id = a.child_id
    LEFT JOIN childcare_attendance at ON at.session_id = s.id AND at.child_id = a.child_id
    LEFT JOIN childcare_absences ab ON ab.session_id = s.id AND ab.enrollment_id = a.id
    LEFT JOIN childcare_child_profiles cp ON cp.child_id = a.child_id
    WHERE a.program_id = pr.id AND a.status = 'enrolled' AND s.id IS NOT NULL
) c ON true
WHERE pr.id = $1
"""


class Opener(Protocol):
    def open(self, purpose: str, sealed: bytes) -> str: ...


def _opened(codes: Opener, purpose: str, sealed: bytes | None) -> str | None:
    return codes.open(purpose, sealed) if sealed is not None else None


async def roster(
    pool: asyncpg.Pool, codes: Opener, user_id: UUID, role: str, program_id: UUID, day: date
) -> tuple[int, bytes | str]:
    """(200, the answer) or (status, a problem's code)."""
    if role not in ("worker", "admin"):
        return 403, "forbidden"
    teacher = role == "worker"
    rows = await pool.fetch(ROSTER, program_id, day, user_id, teacher)
    if not rows:
        return 404, "not_found"
    first = rows[0]
    if teacher and not first["teaches"]:
        return 403, "forbidden"
    if first["session_id"] is None:
        return 404, "not_found"
    children: list[RosterChild] = []
    for row in rows:
        if row["enrollment_id"] is None:
            continue
        status: RosterStatus
        if row["checked_in_at"] is not None:
            status = "picked_up" if row["checked_out_at"] is not None else "present"
        else:
            status = "excused" if row["excused"] else "absent"
        children.append(
            RosterChild(
                child_id=row["child_id"],
                enrollment_id=row["enrollment_id"],
                name=row["name"] or "",
                status=status,
                pickups=[
                    RosterPickup(id=p[0], name=p[1], relation=p[2], blocked=p[3])
                    for p in row["pickups"]
                ],
                checked_in_at=_local(row["checked_in_at"]),
                brought_by=row["brought_by"],
                checked_out_at=_local(row["checked_out_at"]),
                picked_up_by=row["picked_up_by"],
                absence_reason=_opened(codes, ABSENCE_REASON, row["reason_enc"]),
                allergies=_opened(codes, ALLERGIES, row["allergies_enc"]),
                health_notes=_opened(codes, HEALTH_NOTES, row["health_notes_enc"]),
            )
        )
    children.sort(key=lambda c: (c.name, str(c.child_id)))
    answer = RosterOut(
        program_id=program_id,
        date=day,
        session_status=first["session_status"],
        starts_at=_local(first["starts_at"]),
        ends_at=_local(first["ends_at"]),
        children=children,
    )
    return 200, _encode(answer)
