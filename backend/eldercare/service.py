"""The eldercare domain's entry point: routes and other domains import only this."""

from __future__ import annotations

from backend.eldercare import messages as messages
from backend.eldercare.allowance import debit, left_this_month, month_of
from backend.eldercare.catalogue import list_services
from backend.eldercare.checkin_alerts import alert_missing, escalate, scan_check_ins
from backend.eldercare.checkins import check_in, list_my_check_ins
from backend.eldercare.elders import ElderRow, list_elders
from backend.eldercare.missed_check_ins import list_missed, record_reached
from backend.eldercare.profiles import get_profile, parse_subject, put_profile, set_subsidy
from backend.eldercare.providers import (
    CARE_STAFF_ROLES,
    create_provider,
    list_providers,
    provider_exists,
    provider_of,
    set_care_provider,
)

__all__ = [
    "CARE_STAFF_ROLES",
    "ElderRow",
    "alert_missing",
    "check_in",
    "create_provider",
    "debit",
    "escalate",
    "get_profile",
    "left_this_month",
    "list_elders",
    "list_missed",
    "list_my_check_ins",
    "list_providers",
    "list_services",
    "messages",
    "month_of",
    "parse_subject",
    "provider_exists",
    "provider_of",
    "put_profile",
    "record_reached",
    "scan_check_ins",
    "set_care_provider",
    "set_subsidy",
]
