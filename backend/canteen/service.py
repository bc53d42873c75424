"""The canteen domain's entry point: routes and other domains import only this.

- ``canteens.py``: canteens, meals, last week's menu copied, a meal cancelled
- ``ordering.py``: placing and cancelling an order, the resident's orders and month
- ``counter.py``: pickup check-in, the day's deliveries, the end of service (a job)
- ``statements.py``: a canteen's month for the sub-district, and its CSV
- ``reminders.py``: the resident's cutoff reminder and its job
"""

from __future__ import annotations

from backend.canteen import messages as _messages  # noqa: F401  (registers the texts)
from backend.canteen.canteens import (
    cancel_meal,
    copy_last_week,
    create_canteen,
    create_meal,
    get_canteen,
    list_canteens,
    list_meals,
)
from backend.canteen.counter import check_in, deliveries, mark_delivered, mark_uncollected
from backend.canteen.ordering import cancel_order, get_order, my_orders, place_order
from backend.canteen.reminders import get_reminder, put_reminder, send_due
from backend.canteen.statements import canteen_statement, canteen_statement_csv

__all__ = [
    "cancel_meal",
    "cancel_order",
    "canteen_statement",
    "canteen_statement_csv",
    "check_in",
    "copy_last_week",
    "create_canteen",
    "create_meal",
    "deliveries",
    "get_canteen",
    "get_order",
    "get_reminder",
    "list_canteens",
    "list_meals",
    "mark_delivered",
    "mark_uncollected",
    "my_orders",
    "place_order",
    "put_reminder",
    "send_due",
]
