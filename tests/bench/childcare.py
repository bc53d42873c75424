"""Childcare's part of the benchmark data: after-school programs in the hub's rooms, two teachers
each (workers with a login session), children of the seeded households enrolled, the guardians'
trusted and blocked people, allergies and health notes, and four weeks of sessions with their
attendance — today's half under way (present, picked up, excused, absent). Rows in the tables'
column order, COPYed with the rest (``seed.LOAD_ORDER``).

The read it serves: a session's roster (``GET /manage/childcare/programs/{id}/sessions/{date}``)
as the program's teachers read it at the door."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from uuid import UUID

from backend.childcare.pickups import id_digest
from backend.childcare.wire_pickup import ABSENCE_REASON, ALLERGIES, HEALTH_NOTES, SECURITY_CODE
from backend.core.clock import LOCAL_TZ
from backend.core.security import encrypt, seal_code

CHILDREN_PER_PROGRAM = 20
TEACHERS_PER_PROGRAM = 2
# Every weekday of the week: today (whatever day the benchmark runs) has a session.
STARTS, ENDS = time(15, 30), time(17, 30)
PAST_DAYS, AHEAD_DAYS = 28, 14
ALLERGY_TEXTS = ("花生过敏", "牛奶蛋白过敏", "海鲜过敏", "青霉素过敏", "鸡蛋过敏")
HEALTH_TEXTS = ("哮喘，书包里有喷雾", "先天性心脏病术后，避免剧烈运动", "近视，需戴眼镜", "癫痫史")
REASONS = ("发烧，在家休息", "去外婆家", "牙科复诊", "感冒咳嗽")
RELATIONS = ("奶奶", "爷爷", "外婆", "外公", "姑姑", "阿姨", "舅舅")
# Code characters as backend.childcare.attendance draws them (no look-alikes).
CODE_ALPHABET = "ACEFHJKMNPRTUVWXY3479"

COLUMNS = {
    "childcare_programs": (
        "id",
        "name",
        "kind",
        "venue_id",
        "room_id",
        "description",
        "min_age_months",
        "max_age_months",
        "age_on",
        "schedule",
        "term_starts",
        "term_ends",
        "capacity",
        "fee",
        "application_opens_at",
        "application_closes_at",
        "allocation",
        "status",
        "enrolled",
        "queue_seq",
        "offer_hours",
        "created_by",
        "published_at",
        "drawn_at",
        "created_at",
        "updated_at",
    ),
    "childcare_program_teachers": ("program_id", "user_id"),
    "childcare_sessions": (
        "id", "program_id", "date", "starts_at", "ends_at", "status", "created_at",
    ),
    "childcare_applications": (
        "id",
        "program_id",
        "child_id",
        "household_id",
        "status",
        "decided_at",
        "created_at",
        "updated_at",
    ),
    "childcare_child_profiles": (
        "child_id",
        "household_id",
        "allergies_enc",
        "health_notes_enc",
        "updated_at",
    ),
    "childcare_pickups": (
        "id",
        "child_id",
        "household_id",
        "name",
        "phone",
        "relation",
        "id_last4_digest",
        "blocked",
        "created_at",
        "updated_at",
    ),
    "childcare_attendance": (
        "id",
        "session_id",
        "child_id",
        "enrollment_id",
        "checked_in_at",
        "checked_in_by",
        "brought_by",
        "code_digest",
        "code_sealed",
        "checked_out_at",
        "checked_out_by",
        "pickup_method",
        "pickup_id",
        "picked_up_by",
        "created_at",
    ),
    "childcare_absences": (
        "id", "enrollment_id", "session_id", "reason_enc", "reported_by", "created_at",
    ),
}  # fmt: skip
LOAD_ORDER = tuple(COLUMNS)


class Room(Protocol):
    id: UUID
    venue_id: UUID


class Builder(Protocol):
    """What this module needs of ``seed._Builder``."""

    now: datetime
    data_key: bytes
    rows: dict[str, list[tuple[Any, ...]]]
    residents: list[UUID]
    members: dict[UUID, Any]
    sessions: dict[UUID, UUID]
    staff: list[UUID]
    rooms: list[Any]

    def _user(self, phone: str, name: str, role: str) -> UUID: ...
    def _name(self, surname: str | None = None) -> str: ...


@dataclass(slots=True)
class ChildcareSeeded:
    # (program id, one of its teachers), for the rosters of today.
    rosters: list[tuple[UUID, UUID]] = field(default_factory=list)


def _uuid7(at: datetime) -> UUID:
    from tests.bench.seed import _uuid7 as make

    return make(at)


def _session(builder: Builder, user_id: UUID) -> None:
    created = builder.now - timedelta(days=2)
    session_id = _uuid7(created)
    builder.sessions[user_id] = session_id
    builder.rows["auth_sessions"].append(
        (
            session_id,
            user_id,
            "iPad",
            "10.9.8.8",
            builder.now,
            created + timedelta(days=30),
            created,
        )
    )


def _months(birth: date, day: date) -> int:
    return (day.year - birth.year) * 12 + day.month - birth.month - (day.day < birth.day)


def build(builder: Builder, *, programs: int) -> ChildcareSeeded:
    """``programs`` after-school programs (children of 4 to 12), each with
    ``CHILDREN_PER_PROGRAM`` children enrolled and a session every day from four weeks ago to
    two weeks ahead."""
    # A generator of its own: the rest of the seed stays as it was before childcare joined.
    rng = random.Random(20261203)
    now = builder.now
    today = now.astimezone(LOCAL_TZ).date()
    seeded = ChildcareSeeded()
    children: list[tuple[UUID, Any]] = []
    for owner in builder.residents:
        for member in builder.members[owner]:
            if 48 <= _months(member.birth_date, today) <= 150:
                children.append((owner, member))
    rng.shuffle(children)
    schedule = json.dumps([{"weekday": d, "starts": "15:30", "ends": "17:30"} for d in range(1, 8)])
    days = [today + timedelta(days=n) for n in range(-PAST_DAYS, AHEAD_DAYS + 1)]
    phone = 0
    for index in range(programs):
        group = children[index * CHILDREN_PER_PROGRAM : (index + 1) * CHILDREN_PER_PROGRAM]
        if len(group) < CHILDREN_PER_PROGRAM:
            break
        room = builder.rooms[index % len(builder.rooms)]
        created = now - timedelta(days=60)
        program = _uuid7(created + timedelta(seconds=index))
        builder.rows["childcare_programs"].append(
            (
                program,
                f"四点半课堂·{index + 1}班",
                "after_school",
                room.venue_id,
                room.id,
                "放学后作业辅导和兴趣活动。",
                48,
                150,
                days[0],
                schedule,
                days[0],
                days[-1],
                CHILDREN_PER_PROGRAM + 4,
                0,
                created,
                created + timedelta(days=14),
                "first_come",
                "published",
                CHILDREN_PER_PROGRAM,
                0,
                48,
                builder.staff[0],
                created,
                None,
                created,
                created,
            )
        )
        teachers = []
        for _ in range(TEACHERS_PER_PROGRAM):
            phone += 1
            teacher = builder._user(f"1390003{phone:04d}", f"老师{builder._name()}", "worker")
            _session(builder, teacher)
            builder.rows["childcare_program_teachers"].append((program, teacher))
            teachers.append(teacher)
        seeded.rosters.append((program, teachers[0]))
        sessions = []
        for day in days:
            session = _uuid7(created)
            starts = datetime.combine(day, STARTS, LOCAL_TZ).astimezone(UTC)
            ends = datetime.combine(day, ENDS, LOCAL_TZ).astimezone(UTC)
            builder.rows["childcare_sessions"].append(
                (session, program, day, starts, ends, "scheduled", created)
            )
            sessions.append((day, session, starts, ends))
        for owner, child in group:
            decided = created + timedelta(days=rng.uniform(14, 20))
            enrollment = _uuid7(decided)
            builder.rows["childcare_applications"].append(
                (enrollment, program, child.id, owner, "enrolled", decided, decided, decided)
            )
            if rng.random() < 0.5:
                builder.rows["childcare_child_profiles"].append(
                    (
                        child.id,
                        owner,
                        encrypt(builder.data_key, ALLERGIES, rng.choice(ALLERGY_TEXTS)),
                        encrypt(builder.data_key, HEALTH_NOTES, rng.choice(HEALTH_TEXTS))
                        if rng.random() < 0.5
                        else None,
                        decided,
                    )
                )
            trusted = []
            for n in range(rng.choice((1, 2, 3))):
                pickup = _uuid7(decided + timedelta(seconds=n + 1))
                blocked = n > 0 and rng.random() < 0.15
                name = builder._name()
                phone += 1
                builder.rows["childcare_pickups"].append(
                    (
                        pickup,
                        child.id,
                        owner,
                        name,
                        f"1370003{phone:04d}",
                        rng.choice(RELATIONS),
                        None if blocked else id_digest(builder.data_key, pickup, f"{n}23{n}"),
                        blocked,
                        decided,
                        decided,
                    )
                )
                if not blocked:
                    trusted.append((pickup, name))
            for day, session, starts, ends in sessions:
                if day > today:
                    break
                draw = rng.random()
                if draw < 0.08:
                    builder.rows["childcare_absences"].append(
                        (
                            _uuid7(starts - timedelta(hours=6)),
                            enrollment,
                            session,
                            encrypt(builder.data_key, ABSENCE_REASON, rng.choice(REASONS)),
                            owner,
                            starts - timedelta(hours=6),
                        )
                    )
                    continue
                if draw < 0.12:
                    continue  # absent without a word
                arrived = starts + timedelta(minutes=rng.uniform(-10, 15))
                # Today: half are still in the room, half already gone home.
                left = day < today or rng.random() < 0.5
                out = ends + timedelta(minutes=rng.uniform(-5, 20))
                by_code = rng.random() < 0.7
                code = seal_code(
                    builder.data_key,
                    SECURITY_CODE,
                    "".join(rng.choice(CODE_ALPHABET) for _ in range(4)),
                )
                builder.rows["childcare_attendance"].append(
                    (
                        _uuid7(arrived),
                        session,
                        child.id,
                        enrollment,
                        arrived,
                        teachers[0],
                        builder._name(),
                        code.digest,
                        code.sealed,
                        out if left else None,
                        teachers[1] if left else None,
                        ("security_code" if by_code else "trusted_id") if left else None,
                        None if by_code or not left else trusted[0][0],
                        (builder._name() if by_code else trusted[0][1]) if left else None,
                        arrived,
                    )
                )
    return seeded
