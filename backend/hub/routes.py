"""HTTP routes of the hub domain: parse, authorize by role, call the service, shape the answer.

One Litestar ``Controller`` per audience declares its path, tags and role guard once; the
controllers live beside this module, split as the domain is:

- ``venue_routes.py``: venues, rooms and availability (anyone), the venues a worker manages and
  their closures (the venue's worker), venues and rooms (admins), worker assignments (admins)
- ``booking_routes.py``: a resident booking a room, bookings as anyone signed in sees them,
  and the venue's worker's day sheet and decisions

Which venue a worker may manage, and whose booking a resident may see, is decided in
``service.py`` (403 for a worker elsewhere, 404 for another's booking).
"""

from __future__ import annotations

from typing import Any

from backend.hub import booking_routes, venue_routes

ROUTES: list[Any] = [*venue_routes.ROUTES, *booking_routes.ROUTES]
