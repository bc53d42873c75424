"""The eldercare domain's entry point: routes and other domains import only this."""

from __future__ import annotations

from backend.eldercare import messages as messages
from backend.eldercare.allowance import debit, left_this_month, month_of
from backend.eldercare.auto_complete import CONFIRM_WITHIN, complete_unconfirmed
from backend.eldercare.catalogue import list_services
from backend.eldercare.checkin_alerts import alert_missing, escalate, scan_check_ins
from backend.eldercare.checkins import check_in as daily_check_in
from backend.eldercare.checkins import list_my_check_ins
from backend.eldercare.confirmation import confirm, dispute, elder_code
from backend.eldercare.diners import (
    MealProfile,
    delivery_addresses,
    meal_profile,
    meal_profile_select,
)
from backend.eldercare.dispatch import assign_order, board, caregiver_visits
from backend.eldercare.elders import ElderRow, list_elders
from backend.eldercare.missed import mark_missed
from backend.eldercare.missed_check_ins import list_missed, record_reached
from backend.eldercare.on_the_way import ON_THE_WAY_OPENS_BEFORE, set_out
from backend.eldercare.order_views import get_order, manage_orders, my_orders
from backend.eldercare.orders import cancel_order, create_order
from backend.eldercare.profiles import get_profile, parse_subject, put_profile, set_subsidy
from backend.eldercare.providers import (
    CARE_STAFF_ROLES,
    create_provider,
    list_providers,
    provider_exists,
    provider_of,
    set_care_provider,
)
from backend.eldercare.reminders import (
    REMINDER_LEAD,
    due_caregiver_reminders,
    due_household_reminders,
    visit_reminder_data,
)
from backend.eldercare.statistics import statistics, statistics_csv, visits_csv
from backend.eldercare.visits import check_in as visit_check_in
from backend.eldercare.visits import check_out as visit_check_out
from backend.eldercare.visits import get_visit

__all__ = [
    "CARE_STAFF_ROLES",
    "CONFIRM_WITHIN",
    "ON_THE_WAY_OPENS_BEFORE",
    "REMINDER_LEAD",
    "ElderRow",
    "MealProfile",
    "alert_missing",
    "assign_order",
    "board",
    "cancel_order",
    "caregiver_visits",
    "complete_unconfirmed",
    "confirm",
    "create_order",
    "create_provider",
    "daily_check_in",
    "debit",
    "delivery_addresses",
    "dispute",
    "due_caregiver_reminders",
    "due_household_reminders",
    "elder_code",
    "escalate",
    "get_order",
    "get_profile",
    "get_visit",
    "left_this_month",
    "list_elders",
    "list_missed",
    "list_my_check_ins",
    "list_providers",
    "list_services",
    "manage_orders",
    "mark_missed",
    "meal_profile",
    "meal_profile_select",
    "messages",
    "month_of",
    "my_orders",
    "parse_subject",
    "provider_exists",
    "provider_of",
    "put_profile",
    "record_reached",
    "scan_check_ins",
    "set_care_provider",
    "set_out",
    "set_subsidy",
    "statistics",
    "statistics_csv",
    "visit_check_in",
    "visit_check_out",
    "visit_reminder_data",
    "visits_csv",
]
