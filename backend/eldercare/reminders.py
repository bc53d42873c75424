"""Which assigned visits are due a reminder, for ``backend.notifications.reminders``: the
household (``care_visit_reminder``) and the caregiver (``care_visit_upcoming``), each once per
visit and start time, :data:`REMINDER_LEAD` before it.

As the hub's bookings: only an assigned visit is reminded (a cancelled or missed one is no
longer assigned and never found), and one assigned inside the lead gets none: the household
and the caregiver were just told. The scan reads the partial index on assigned visits by start.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select, text

from backend.core.clock import to_local
from backend.eldercare.models import CareOrder, CareService
from backend.eldercare.order_views import elder_name_of_order
from backend.identity import lookup

REMINDER_LEAD = timedelta(minutes=60)


def _due(user: Any, now: datetime, lead: timedelta) -> Select[*tuple[Any, ...]]:
    return (
        select(
            CareOrder.id.label("subject_id"),
            user.label("user_id"),
            CareOrder.starts_at,
            elder_name_of_order().label("elder_name"),
            CareService.name_zh,
            CareService.name_en,
            lookup.display_name_of(CareOrder.caregiver_id).label("caregiver_name"),
        )
        .join(CareService, CareService.code == CareOrder.service_code)
        .where(
            # Literal, so the planner matches the partial index's predicate.
            text("care_orders.status = 'assigned'"),
            CareOrder.starts_at > now,
            CareOrder.starts_at <= now + lead,
            CareOrder.assigned_at <= CareOrder.starts_at - lead,
        )
    )


def due_household_reminders(now: datetime, lead: timedelta) -> Select[*tuple[Any, ...]]:
    return _due(CareOrder.household_id, now, lead)


def due_caregiver_reminders(now: datetime, lead: timedelta) -> Select[*tuple[Any, ...]]:
    return _due(CareOrder.caregiver_id, now, lead)


def visit_reminder_data(row: Any) -> dict[str, Any]:
    """The inbox data of one due visit: the same keys as the orders' other messages."""
    order_id: UUID = row.subject_id
    return {
        "orderId": str(order_id),
        "elderName": row.elder_name,
        "serviceName": row.name_zh,
        "serviceNameEn": row.name_en,
        "startsAt": to_local(row.starts_at).isoformat(),
        "caregiverName": row.caregiver_name or "",
    }
