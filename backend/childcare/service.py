"""The childcare domain's entry point: routes and other domains import only this.

- ``programs.py``: programs, their sessions (from ``calendar.py``) and teachers
- ``sessions.py``: what a closure of the room does to the sessions
- ``applications.py``: applications, enrolments, offers, the waitlist
- ``draw.py``: the lottery, reproducible from its seed
- ``offers.py``: the periodic job that expires offers
"""

from __future__ import annotations

from backend.childcare import messages as messages
from backend.childcare import offers as _offers  # noqa: F401  (registers its job)
from backend.childcare.applications import (
    accept,
    age_in_months,
    apply,
    decline,
    my_applications,
    program_applications,
    withdraw,
)
from backend.childcare.draw import draw_order, get_draw, run_draw
from backend.childcare.programs import (
    create_program,
    get_program,
    is_teacher,
    list_programs,
    publish_program,
    set_teachers,
    update_program,
)
from backend.childcare.sessions import SessionHolds
from backend.hub import service as _hub

_hub.on_room_holds("childcare", SessionHolds())

__all__ = [
    "accept",
    "age_in_months",
    "apply",
    "create_program",
    "decline",
    "draw_order",
    "get_draw",
    "get_program",
    "is_teacher",
    "list_programs",
    "messages",
    "my_applications",
    "program_applications",
    "publish_program",
    "run_draw",
    "set_teachers",
    "update_program",
    "withdraw",
]
