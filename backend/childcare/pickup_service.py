"""Safe drop-off and pickup's entry point (routes import only this; childcare's ``service``
re-exports it): the guardians' lists and notes, the roster, check-in and check-out, absences,
attendance and the late-pickup scan."""

from __future__ import annotations

from backend.childcare import late_pickup as late_pickup
from backend.childcare import messages_pickup as messages_pickup
from backend.childcare.absences import report_absence
from backend.childcare.attendance import check_in, check_out, roster
from backend.childcare.attendance_report import month_attendance, month_attendance_csv
from backend.childcare.pickups import add_pickup, list_pickups, remove_pickup
from backend.childcare.pickups import get_profile as get_child_profile
from backend.childcare.pickups import put_profile as put_child_profile

__all__ = [
    "add_pickup",
    "check_in",
    "check_out",
    "get_child_profile",
    "late_pickup",
    "list_pickups",
    "messages_pickup",
    "month_attendance",
    "month_attendance_csv",
    "put_child_profile",
    "remove_pickup",
    "report_absence",
    "roster",
]
