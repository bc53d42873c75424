"""The OpenAPI document, rendered from the app itself (no database needed)."""

from __future__ import annotations

import json

from litestar import Litestar

from backend.app import create_app
from backend.config import Settings

# The engine is created lazily, so this URL is never connected to.
_NO_DATABASE = "postgresql+asyncpg://openapi@127.0.0.1:1/openapi"


def offline_app() -> Litestar:
    """The app with every route, wired to no database: for documents and route listings.

    Built as outside production (``env="test"``), so the development routes are included.
    """
    settings = Settings(env="test", jwt_secret="openapi-" + "x" * 40, data_key=b"\0" * 32)
    return create_app(settings, database_url=_NO_DATABASE)


def render_openapi() -> str:
    document = offline_app().openapi_schema.to_schema()
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
