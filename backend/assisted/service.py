"""The entry point of assisted residents: routes and other domains import only this."""

from __future__ import annotations

from backend.assisted import messages as messages
from backend.assisted.accounts import assisted_among, create, get, is_assisted, list_assisted
from backend.assisted.acting import act_for, acted_for_all, acted_for_me
from backend.assisted.elders import list_elders

__all__ = [
    "act_for",
    "acted_for_all",
    "acted_for_me",
    "assisted_among",
    "create",
    "get",
    "is_assisted",
    "list_assisted",
    "list_elders",
    "messages",
]
