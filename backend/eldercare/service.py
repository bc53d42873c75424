"""The eldercare domain's entry point: routes and other domains import only this."""

from __future__ import annotations

from backend.eldercare import messages as messages
from backend.eldercare.allowance import debit, left_this_month, month_of
from backend.eldercare.catalogue import list_services
from backend.eldercare.diners import MealProfile, delivery_addresses, meal_profile
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
    "MealProfile",
    "create_provider",
    "debit",
    "delivery_addresses",
    "get_profile",
    "left_this_month",
    "list_providers",
    "list_services",
    "meal_profile",
    "messages",
    "month_of",
    "parse_subject",
    "provider_exists",
    "provider_of",
    "put_profile",
    "set_care_provider",
    "set_subsidy",
]
