"""The authorization matrix, shared by every domain's ``tests/api/test_authz_<domain>.py``.

Each of those modules lists the endpoints it covers in ``ENDPOINTS`` (method, path template as
the app registers it); ``tests/api/test_authz_complete.py`` fails when a route of the app is in
no module's list, so a new endpoint cannot ship without its rows.
"""

from __future__ import annotations

ROLES = ("anonymous", "resident", "worker", "staff", "admin", "dispatcher", "caregiver")
