"""The catalog: read from the database once per process, then served from memory.

The programs and services change only through migrations, and a migration ships with a new
release (new processes), so a per-process copy can never go stale while the process lives. Every
worker holds the same copy; nothing here depends on which worker answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast
from uuid import UUID

from sqlalchemy import BindParameter, literal, select, true

from backend.catalog.models import Program, ProgramService
from backend.core import i18n
from backend.core.errors import AppError
from backend.core.i18n import Language
from backend.core.reads import Query, Reader, Record, param
from backend.events import service as events
from backend.hub import service as hub
from backend.notifications import service as notifications
from schemas.catalog import Audience, HomeOut, ProgramOut, ServiceKind, ServiceOut

i18n.register(
    {
        "program_not_found": {
            "zh-CN": ("未找到该项目", "没有这个编码的服务项目。"),
            "en": ("Program not found", "There is no program with this code."),
        },
    }
)

# language -> the programs in order, filled on first use. The wire types are frozen, so the
# instances can be shared by every request.
_cache: dict[Language, tuple[ProgramOut, ...]] = {}


def clear_cache() -> None:
    """Forget the loaded catalog (tests that change catalog rows)."""
    _cache.clear()


def _text(zh: str, en: str, language: Language) -> str:
    return zh if language == "zh-CN" else en


def _render(
    programs: Sequence[Record], services: Sequence[Record], language: Language
) -> tuple[ProgramOut, ...]:
    by_program: dict[str, list[ServiceOut]] = {p["code"]: [] for p in programs}
    for service in services:
        by_program[service["program_code"]].append(
            ServiceOut(
                code=service["code"],
                name=_text(service["name_zh"], service["name_en"], language),
                description=_text(service["description_zh"], service["description_en"], language),
                kind=cast(ServiceKind, service["kind"]),
                audience=cast(Audience, service["audience"]),
            )
        )
    return tuple(
        ProgramOut(
            code=program["code"],
            name=_text(program["name_zh"], program["name_en"], language),
            description=_text(program["description_zh"], program["description_en"], language),
            services=tuple(by_program[program["code"]]),
        )
        for program in programs
    )


_PROGRAMS = Query.compile(select(*Program.__table__.columns).order_by(Program.position))
_SERVICES = Query.compile(
    select(*ProgramService.__table__.columns).order_by(
        ProgramService.program_code, ProgramService.position
    )
)


async def _load(reader: Reader) -> None:
    programs = await reader.fetch(_PROGRAMS)
    services = await reader.fetch(_SERVICES)
    if not programs:
        # An unseeded database is a deployment error; do not remember it as the truth.
        return
    for language in i18n.LANGUAGES:
        _cache[language] = _render(programs, services, language)


async def list_programs(reader: Reader, language: Language) -> list[ProgramOut]:
    """The seven programs in the order of the design, with their services."""
    if language not in _cache:
        await _load(reader)
    return list(_cache.get(language, ()))


async def get_program(reader: Reader, code: str, language: Language) -> ProgramOut:
    for program in await list_programs(reader, language):
        if program.code == code:
            return program
    raise AppError(404, "program_not_found")


# --- the home screen ---------------------------------------------------------------------------

UPCOMING_ON_HOME = 5

_now: BindParameter[datetime] = param("now")
_user_id: BindParameter[UUID] = param("user_id")
_next_booking = hub.next_booking_lateral(_user_id, _now)
_one_row = select(literal(1).label("one")).subquery("one")
# The home screen's parts in one statement: each comes from the domain it belongs to.
_HOME_ANONYMOUS = Query.compile(
    select(events.upcoming_column(_now, UPCOMING_ON_HOME).label("upcoming"))
)
_HOME = Query.compile(
    select(
        events.upcoming_column(_now, UPCOMING_ON_HOME).label("upcoming"),
        notifications.unread_count_column(_user_id).label("unread"),
        *_next_booking.c,
    ).select_from(_one_row.outerjoin(_next_booking, true()))
)


async def home(
    reader: Reader, language: Language, viewer_id: UUID | None, now: datetime, data_key: bytes
) -> HomeOut:
    """The home screen: the programs, the next events and, for a signed-in caller, the unread
    count and the next booking."""
    programs = await list_programs(reader, language)
    if viewer_id is None:
        row = await reader.fetchrow(_HOME_ANONYMOUS, now=now)
        assert row is not None
        return HomeOut(
            programs=programs,
            unread_count=None,
            upcoming_events=events.upcoming_from(row["upcoming"], now),
        )
    row = await reader.fetchrow(_HOME, now=now, user_id=viewer_id)
    assert row is not None
    return HomeOut(
        programs=programs,
        unread_count=row["unread"],
        next_booking=hub.next_booking_from(row, data_key, now),
        upcoming_events=events.upcoming_from(row["upcoming"], now),
    )
