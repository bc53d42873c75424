"""What more than one part of the events domain needs: which events the public may see, the
years a time may fall in, the (start, id) cursor, text search, a room's
name and an inbox notice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.clock import to_local
from backend.core.security import SealedCode, code_digest, new_token, open_code, seal_code
from backend.events.models import SEARCH_TEXT, Event
from backend.hub import service as hub

# 15 random bytes = 120 bits: far beyond guessing, and short enough for a crisp QR code.
TICKET_BYTES = 15
# What a ticket's hash and encryption are bound to (docs/events.md, "Tickets").
TICKET_PURPOSE = "ticket-code"


def new_ticket(data_key: bytes) -> SealedCode:
    return seal_code(data_key, TICKET_PURPOSE, new_token(TICKET_BYTES))


def ticket_digest(data_key: bytes, code: str) -> str:
    return code_digest(data_key, TICKET_PURPOSE, code)


def ticket_of(data_key: bytes, sealed: bytes | None) -> str | None:
    """The ticket code to show its owner (``None``: the registration holds no ticket)."""
    return open_code(data_key, TICKET_PURPOSE, sealed) if sealed is not None else None


# What the public may see: published events, and those cancelled after publication (their
# registrants must be able to read that and why). Drafts, and drafts that were dropped, never.
PUBLIC = or_(
    Event.status == "published",
    and_(Event.status == "cancelled", Event.published_at.is_not(None)),
)


# Times outside these years are typing errors, and far enough out they would not even convert
# to UTC: refuse them before anything computes with them.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def in_range(moment: datetime) -> bool:
    return EARLIEST <= moment < LATEST


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_filter(q: str) -> Any:
    return text_match(like_pattern(q))


def text_match(pattern: Any) -> Any:
    """Title or summary containing ``pattern`` (a ``like_pattern``, or a parameter for one)."""
    # The trigram GIN indexes serve patterns of 3+ characters; shorter ones (a Chinese word is
    # often two characters) still match, by scanning — correct, and rare enough to afford.
    return SEARCH_TEXT.ilike(pattern, escape="\\")


async def room_name(session: AsyncSession, room_id: UUID | None) -> str | None:
    if room_id is None:
        return None
    return await hub.room_label(session, room_id)


def notice(event: Any) -> dict[str, Any]:
    """The data an inbox message about ``event`` carries (ids to deep-link, text to render)."""
    return {
        "eventId": str(event.id),
        "title": event.title,
        "startsAt": to_local(event.starts_at).isoformat(),
        "location": event.location,
    }
