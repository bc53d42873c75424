"""The OpenAPI document, rendered from the app itself (no database needed)."""

from __future__ import annotations

import json

from backend.app import create_app
from backend.config import Settings

# The engine is created lazily, so this URL is never connected to.
_NO_DATABASE = "postgresql+asyncpg://openapi@127.0.0.1:1/openapi"


def render_openapi() -> str:
    settings = Settings(env="test", jwt_secret="openapi-" + "x" * 40, data_key=b"\0" * 32)
    app = create_app(settings, database_url=_NO_DATABASE)
    document = app.openapi_schema.to_schema()
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
