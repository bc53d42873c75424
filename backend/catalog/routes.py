"""HTTP routes of the catalog domain."""

from typing import Any

ROUTES: list[Any] = []
