"""HTTP routes of the events domain."""

from typing import Any

ROUTES: list[Any] = []
