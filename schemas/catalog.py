"""Wire types of the catalog: the seven programs, their services, and the home screen."""

from __future__ import annotations

from typing import Literal

import msgspec

from schemas.common import Wire
from schemas.events import Audience as Audience
from schemas.events import EventSummary
from schemas.hub import BookingOut

ServiceKind = Literal["hub_booking", "event", "care_order", "childcare", "info"]


# Frozen: the catalog service hands the same cached instances to every request. (msgspec allows
# a frozen subclass of a plain Struct; mypy's dataclass rules do not know that.)
class ServiceOut(Wire, frozen=True):  # type: ignore[misc]
    """One service of a program. ``kind`` says which part of the app serves it: ``hub_booking``
    (book a room of the community hub), ``event`` (register for events), ``care_order``
    (request elderly care), ``childcare`` (enrol a child) or ``info`` (an information page)."""

    code: str
    name: str
    description: str
    kind: ServiceKind
    audience: Audience


class ProgramOut(Wire, frozen=True):  # type: ignore[misc]
    """One of the seven programs (七优), named in the caller's language."""

    code: str
    name: str
    description: str
    services: tuple[ServiceOut, ...]


class HomeOut(Wire):
    """The phone's home screen in one call. The personal parts are null or empty for an
    anonymous caller."""

    programs: list[ProgramOut]
    unread_count: int | None
    # Filled in by the hub (the caller's next booking) and events (the next published ones).
    next_booking: BookingOut | None = None
    upcoming_events: list[EventSummary] = msgspec.field(default_factory=list)
