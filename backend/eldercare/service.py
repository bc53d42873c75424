"""The eldercare domain's entry point: routes and other domains import only this."""

from __future__ import annotations

from backend.eldercare import messages as messages
from backend.eldercare.allowance import debit, left_this_month, month_of
from backend.eldercare.catalogue import list_services
from backend.eldercare.elders import ElderRow, list_elders
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
    "create_provider",
    "debit",
    "get_profile",
    "left_this_month",
    "list_elders",
    "list_providers",
    "list_services",
    "messages",
    "month_of",
    "parse_subject",
    "provider_exists",
    "provider_of",
    "put_profile",
    "set_care_provider",
    "set_subsidy",
]
