"""Elderly care's part of the benchmark data: two providers, a dispatcher and caregivers each,
care profiles for the elders of a share of the households, and their care orders — months of
history, today's board, and the weeks ahead. Rows in the tables' column order, COPYed with the
rest (``seed.LOAD_ORDER``); a caregiver's assigned visits never overlap, as the exclusion
constraint demands.

The reads it serves: a resident's order list (``GET /me/care/orders``), a dispatcher's board
(``GET /manage/care/board?date=``) and a caregiver's day (``GET /caregiver/visits``: each
caregiver has a login session and four visits today; most elders have health notes)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol
from uuid import UUID

from backend.core.clock import LOCAL_TZ
from backend.core.security import encrypt
from backend.eldercare.wire import ADDRESS, HEALTH_NOTES, mask_address

# The catalogue as migration 0013 seeds it: code → (minutes, price, subsidy percent).
SERVICES = {
    "meal_delivery": (30, 1500, 50),
    "cleaning": (120, 8000, 50),
    "bathing": (60, 6000, 50),
    "clinic_escort": (180, 12000, 40),
    "haircut": (30, 2000, 50),
    "rehabilitation": (60, 10000, 40),
    "visit_chat": (60, 3000, 80),
}
PROVIDERS = ("安康居家养老服务中心", "仁和康复护理站")
CAREGIVERS_PER_PROVIDER = 8
# Today's visits of each caregiver, local times 150 minutes apart (the longest service that
# gets a today slot is 120 minutes): never overlapping.
TODAY_SLOTS = (time(8, 0), time(10, 30), time(13, 0), time(15, 30))
STREETS = ("东升路", "长水路", "中环南路", "由拳路", "昌盛南路", "越秀南路")
# What a caregiver reads on the day of a visit (issue 14); two elders in three have some.
HEALTH = (
    "高血压，每日服药",
    "糖尿病，注意饮食",
    "行动不便，需搀扶",
    "轻度认知障碍",
    "听力较弱，请大声说话",
)

COLUMNS = {
    "care_providers": ("id", "name", "phone", "created_at", "updated_at"),
    "care_provider_services": ("provider_id", "service_code"),
    "care_provider_staff": ("user_id", "provider_id", "created_at"),
    "care_profiles": (
        "id",
        "owner_id",
        "member_id",
        "address_enc",
        "address_masked",
        "health_notes_enc",
        "lat",
        "lng",
        "created_at",
        "updated_at",
    ),
    "care_orders": (
        "id",
        "household_id",
        "care_profile_id",
        "member_id",
        "service_code",
        "provider_id",
        "caregiver_id",
        "status",
        "starts_at",
        "ends_at",
        "note",
        "price",
        "subsidy",
        "payable",
        "flags",
        "requested_by",
        "assigned_at",
        "completed_at",
        "created_at",
        "updated_at",
    ),
}
LOAD_ORDER = tuple(COLUMNS)


class Builder(Protocol):
    """What this module needs of ``seed._Builder``."""

    rng: Any
    now: datetime
    data_key: bytes
    rows: dict[str, list[tuple[Any, ...]]]
    residents: list[UUID]
    members: dict[UUID, Any]
    sessions: dict[UUID, UUID]

    def _user(self, phone: str, name: str, role: str) -> UUID: ...
    def _name(self, surname: str | None = None) -> str: ...


@dataclass(slots=True)
class CareSeeded:
    households: list[UUID] = field(default_factory=list)
    dispatchers: list[UUID] = field(default_factory=list)
    caregivers: list[UUID] = field(default_factory=list)


def _uuid7(at: datetime) -> UUID:
    from tests.bench.seed import _uuid7 as make

    return make(at)


def _session(builder: Builder, user_id: UUID) -> None:
    created = builder.now - timedelta(days=1)
    session_id = _uuid7(created)
    builder.sessions[user_id] = session_id
    builder.rows["auth_sessions"].append(
        (
            session_id,
            user_id,
            "iPad",
            "10.9.9.9",
            builder.now,
            created + timedelta(days=30),
            created,
        )
    )


def build(builder: Builder, *, households: int, orders_each: int) -> CareSeeded:
    """Providers, staff, profiles for ``households`` households' eldest member, and
    ``orders_each`` orders for each: most in the past, some ahead; then each caregiver's visits
    of today, so each dispatcher's board holds a working day."""
    rng, now = builder.rng, builder.now
    today = now.astimezone(LOCAL_TZ).date()
    seeded = CareSeeded()
    providers: list[UUID] = []
    caregivers: dict[UUID, list[UUID]] = {}
    for index, name in enumerate(PROVIDERS):
        created = now - timedelta(days=400)
        provider = _uuid7(created)
        providers.append(provider)
        builder.rows["care_providers"].append(
            (provider, name, f"0573821000{index}", created, created)
        )
        for code in SERVICES:
            builder.rows["care_provider_services"].append((provider, code))
        dispatcher = builder._user(f"1390000{index:02d}51", f"调度{builder._name()}", "dispatcher")
        _session(builder, dispatcher)
        seeded.dispatchers.append(dispatcher)
        builder.rows["care_provider_staff"].append((dispatcher, provider, created))
        caregivers[provider] = []
        for n in range(CAREGIVERS_PER_PROVIDER):
            caregiver = builder._user(
                f"1390001{index}{n:02d}", f"护理员{builder._name()}", "caregiver"
            )
            _session(builder, caregiver)
            seeded.caregivers.append(caregiver)
            builder.rows["care_provider_staff"].append((caregiver, provider, created))
            caregivers[provider].append(caregiver)

    elders = []
    for owner in builder.residents:
        eldest = min(builder.members[owner], key=lambda m: m.birth_date, default=None)
        if eldest is not None and (today - eldest.birth_date).days >= 61 * 365:
            elders.append((owner, eldest))
        if len(elders) == households:
            break
    profiles: list[tuple[UUID, UUID, UUID]] = []
    for owner, member in elders:
        created = now - timedelta(days=rng.uniform(30, 300))
        profile = _uuid7(created)
        street, number = rng.choice(STREETS), rng.randint(1, 300)
        building, room = rng.randint(1, 20), rng.randint(101, 1802)
        address = f"浙江省嘉兴市南湖区高照街道{street}{number}号{building}幢{room}室"
        # A generator of its own: the orders below stay as they were before notes were seeded.
        chance = random.Random(profile.int)
        notes = (
            encrypt(builder.data_key, HEALTH_NOTES, chance.choice(HEALTH))
            if chance.random() < 2 / 3
            else None
        )
        builder.rows["care_profiles"].append(
            (
                profile,
                owner,
                member.id,
                encrypt(builder.data_key, ADDRESS, address),
                mask_address(address),
                notes,
                30.75 + rng.uniform(0, 0.05),
                120.75 + rng.uniform(0, 0.05),
                created,
                created,
            )
        )
        profiles.append((owner, member.id, profile))
        seeded.households.append(owner)

    def order(
        profile: tuple[UUID, UUID, UUID],
        provider: UUID,
        code: str,
        starts: datetime,
        status: str,
        caregiver: UUID | None,
    ) -> None:
        owner, member, profile_id = profile
        minutes, price, percent = SERVICES[code]
        created = min(starts, now) - timedelta(days=rng.uniform(1, 5))
        subsidy = price * percent // 100 if rng.random() < 0.4 else 0
        builder.rows["care_orders"].append(
            (
                _uuid7(created),
                owner,
                profile_id,
                member,
                code,
                provider,
                caregiver,
                status,
                starts,
                starts + timedelta(minutes=minutes),
                "",
                price,
                subsidy,
                price - subsidy,
                ["short_visit"] if status == "completed" and rng.random() < 0.05 else [],
                owner,
                created if caregiver is not None else None,
                starts + timedelta(minutes=minutes) if status == "completed" else None,
                created,
                created,
            )
        )

    codes = list(SERVICES)
    for profile in profiles:
        for _ in range(orders_each):
            provider = rng.choice(providers)
            days = rng.randint(-120, 14)
            if days >= 0:
                # Ahead (from tomorrow: today is the caregivers' slots below): not yet assigned.
                starts = datetime.combine(
                    today + timedelta(days=days + 1), time(rng.randint(8, 17)), LOCAL_TZ
                )
                order(
                    profile, provider, rng.choice(codes), starts.astimezone(UTC), "requested", None
                )
            else:
                starts = datetime.combine(
                    today + timedelta(days=days), time(rng.randint(8, 17)), LOCAL_TZ
                )
                status = rng.choice(("completed", "completed", "completed", "cancelled", "missed"))
                caregiver = None if status == "cancelled" else rng.choice(caregivers[provider])
                order(
                    profile, provider, rng.choice(codes), starts.astimezone(UTC), status, caregiver
                )
    # Today: every caregiver's four visits (assigned, some already under way or done), and a
    # few requests still unassigned, for each provider's board.
    short = [c for c in codes if SERVICES[c][0] <= 120]
    for provider in providers:
        for caregiver in caregivers[provider]:
            for slot in TODAY_SLOTS:
                starts = datetime.combine(today, slot, LOCAL_TZ).astimezone(UTC)
                status = "completed" if starts + timedelta(hours=2) < now else "assigned"
                order(rng.choice(profiles), provider, rng.choice(short), starts, status, caregiver)
        for hour in range(8, 18):
            starts = datetime.combine(today, time(hour, 15), LOCAL_TZ).astimezone(UTC)
            order(rng.choice(profiles), provider, rng.choice(codes), starts, "requested", None)
    return seeded
