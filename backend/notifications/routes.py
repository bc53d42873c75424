"""HTTP routes of the notifications domain."""

from typing import Any

ROUTES: list[Any] = []
