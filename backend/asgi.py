"""The ASGI entry point servers import (``backend.asgi:create``, a factory)."""

from __future__ import annotations

from litestar import Litestar

from backend.app import create_app


def create() -> Litestar:
    return create_app()
