"""HTTP routes of the hub domain."""

from typing import Any

ROUTES: list[Any] = []
