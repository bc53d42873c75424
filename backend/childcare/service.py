"""The childcare domain's entry point: routes and other domains import only this.

- ``programs.py``: programs, their sessions (from ``calendar.py``) and teachers
- ``sessions.py``: what a closure of the room does to the sessions
- ``applications.py``: applications, enrolments, offers, the waitlist
- ``draw.py``: the lottery, reproducible from its seed
- ``offers.py``: the periodic job that expires offers
- ``pickup_service.py``: safe drop-off and pickup (trusted people, children's notes, the
  roster, check-in and check-out, absences, attendance, the late-pickup scan)
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
from backend.childcare.pickup_service import (
    add_pickup,
    check_in,
    check_out,
    get_child_profile,
    list_pickups,
    month_attendance,
    month_attendance_csv,
    put_child_profile,
    remove_pickup,
    report_absence,
    roster,
)
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
    "add_pickup",
    "age_in_months",
    "apply",
    "check_in",
    "check_out",
    "create_program",
    "decline",
    "draw_order",
    "get_child_profile",
    "get_draw",
    "get_program",
    "is_teacher",
    "list_pickups",
    "list_programs",
    "messages",
    "month_attendance",
    "month_attendance_csv",
    "my_applications",
    "program_applications",
    "publish_program",
    "put_child_profile",
    "remove_pickup",
    "report_absence",
    "roster",
    "run_draw",
    "set_teachers",
    "update_program",
    "withdraw",
]
