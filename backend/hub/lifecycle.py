"""A booking's lifecycle after it is made: approve, reject, cancel, check in, no-show.

Each change locks the room (shared) before the booking, the lock order of ``service.py``, and
every decision the owner did not make reaches their inbox in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, Role
from backend.core.errors import AppError, invalid_field
from backend.hub import rules
from backend.hub.common import check_in_digest, load_room, manages_venue, require_manager
from backend.hub.models import Booking, Room, Venue
from backend.hub.wire import booking_out, label
from backend.notifications.service import notify
from schemas.hub import BookingOut

CHECK_IN_OPENS_BEFORE = timedelta(minutes=15)


async def _for_change(session: AsyncSession, booking_id: UUID) -> tuple[Booking, Room, Venue]:
    """The booking locked for a status change, its room share-locked first (the lock order)."""
    room_id = await session.scalar(select(Booking.room_id).where(Booking.id == booking_id))
    if room_id is None:
        raise AppError(404, "not_found")
    room, venue = await load_room(session, room_id, lock="share")
    booking = (
        await session.execute(
            select(Booking)
            .where(Booking.id == booking_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    return booking, room, venue


def _require_status(booking: Booking, *allowed: str) -> None:
    # A hold is released by its event or childcare program, never booking by booking: the
    # holder would go on believing it has the room.
    if booking.kind in ("event", "childcare"):
        raise AppError(409, "booking_held_by_event")
    if booking.status not in allowed:
        raise AppError(409, "invalid_status_transition", {"status": booking.status})


async def _tell_owner(
    session: AsyncSession,
    actor: AuthUser,
    booking: Booking,
    room: Room,
    venue: Venue,
    kind: str,
) -> None:
    """Every decision the owner did not make reaches their inbox in this transaction."""
    if booking.user_id == actor.id:
        return
    await notify(
        session,
        user_id=booking.user_id,
        kind=kind,
        data={
            "bookingId": str(booking.id),
            "room": label(venue.name, room.name),
            "when": rules.when_text(booking.starts_at, booking.ends_at),
            "reason": booking.reason or "",
        },
    )


async def _managed_change(
    session: AsyncSession, actor: AuthUser, booking_id: UUID
) -> tuple[Booking, Room, Venue]:
    booking, room, venue = await _for_change(session, booking_id)
    await require_manager(session, actor, venue.id)
    return booking, room, venue


async def approve(
    session: AsyncSession, actor: AuthUser, booking_id: UUID, now: datetime
) -> BookingOut:
    booking, room, venue = await _managed_change(session, actor, booking_id)
    _require_status(booking, "pending")
    if booking.ends_at <= now:
        raise AppError(422, "booking_ended")
    booking.status = "confirmed"
    booking.decided_by, booking.decided_at, booking.updated_at = actor.id, now, now
    await session.flush()
    await _tell_owner(session, actor, booking, room, venue, "booking_approved")
    return booking_out(booking, room, venue.name, owner_view=False)


async def reject(
    session: AsyncSession, actor: AuthUser, booking_id: UUID, reason: str, now: datetime
) -> BookingOut:
    booking, room, venue = await _managed_change(session, actor, booking_id)
    _require_status(booking, "pending")
    booking.status, booking.reason = "rejected", reason
    booking.decided_by, booking.decided_at, booking.updated_at = actor.id, now, now
    await session.flush()
    await _tell_owner(session, actor, booking, room, venue, "booking_rejected")
    return booking_out(booking, room, venue.name, owner_view=False)


async def cancel(
    session: AsyncSession,
    actor: AuthUser,
    booking_id: UUID,
    reason: str | None,
    now: datetime,
    *,
    data_key: bytes,
) -> BookingOut:
    """The owner cancels before the room's cutoff; the venue's worker or an admin at any time,
    giving the reason the owner will read."""
    booking, room, venue = await _for_change(session, booking_id)
    is_owner = booking.user_id == actor.id
    is_manager = await manages_venue(session, actor, venue.id)
    if not is_owner and not is_manager:
        if actor.role == Role.WORKER:
            raise AppError(403, "forbidden")
        raise AppError(404, "not_found")
    _require_status(booking, "pending", "confirmed")
    if not is_manager:
        cutoff = booking.starts_at - timedelta(minutes=room.cancel_cutoff_minutes)
        if now > cutoff:
            raise AppError(422, "cancel_cutoff_passed", {"minutes": room.cancel_cutoff_minutes})
    elif not is_owner and not reason:
        # The same answer as a reject without its reason: one code for one mistake.
        raise invalid_field("reason", "required")
    booking.status, booking.cancelled_at, booking.updated_at = "cancelled", now, now
    if reason:
        booking.reason = reason
    if not is_owner:
        booking.decided_by, booking.decided_at = actor.id, now
    await session.flush()
    await _tell_owner(session, actor, booking, room, venue, "booking_cancelled")
    return booking_out(booking, room, venue.name, owner_view=is_owner, data_key=data_key, now=now)


async def check_in(
    session: AsyncSession, actor: AuthUser, booking_id: UUID, now: datetime
) -> BookingOut:
    booking, room, venue = await _managed_change(session, actor, booking_id)
    if booking.status == "checked_in":
        raise AppError(409, "booking_already_checked_in")
    _require_status(booking, "confirmed")
    if not booking.starts_at - CHECK_IN_OPENS_BEFORE <= now < booking.ends_at:
        raise AppError(422, "outside_check_in_window")
    booking.status, booking.checked_in_at, booking.updated_at = "checked_in", now, now
    await session.flush()
    return booking_out(booking, room, venue.name, owner_view=False)


async def check_in_by_code(
    session: AsyncSession, actor: AuthUser, code: str, now: datetime, *, data_key: bytes
) -> BookingOut:
    """The worker scans the resident's QR code; an unknown code is 404. Codes are stored as
    keyed hashes only: the scanned one is looked up by its hash."""
    booking_id = await session.scalar(
        select(Booking.id).where(Booking.check_in_hash == check_in_digest(data_key, code))
    )
    if booking_id is None:
        raise AppError(404, "not_found")
    return await check_in(session, actor, booking_id, now)


async def no_show(
    session: AsyncSession, actor: AuthUser, booking_id: UUID, now: datetime
) -> BookingOut:
    booking, room, venue = await _managed_change(session, actor, booking_id)
    _require_status(booking, "confirmed")
    if now < booking.starts_at:
        raise AppError(422, "no_show_too_early")
    booking.status, booking.updated_at = "no_show", now
    booking.decided_by, booking.decided_at = actor.id, now
    await session.flush()
    await _tell_owner(session, actor, booking, room, venue, "booking_no_show")
    return booking_out(booking, room, venue.name, owner_view=False)
