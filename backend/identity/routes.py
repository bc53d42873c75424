"""HTTP routes of the identity domain."""

from typing import Any

ROUTES: list[Any] = []
