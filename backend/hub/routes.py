"""HTTP routes of the hub domain: parse, authorize by role, call the service, shape the answer.

The routes live beside this module, split as the domain is: ``venue_routes.py`` (venues, rooms,
availability, closures and worker assignments) and ``booking_routes.py`` (bookings, a resident's
own and the venue staff's).

Role guards sit on each route; which venue a worker may manage, and whose booking a resident
may see, is decided in ``service.py`` (403 for a worker elsewhere, 404 for another's booking).
"""

from __future__ import annotations

from typing import Any

from backend.hub import booking_routes, venue_routes

ROUTES: list[Any] = [*venue_routes.ROUTES, *booking_routes.ROUTES]
