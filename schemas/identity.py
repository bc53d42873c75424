"""Wire types of the identity domain."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from schemas.common import Wire


class UserOut(Wire):
    id: UUID
    phone: str
    display_name: str
    roles: list[str]
    verified: bool
    created_at: datetime
    real_name: str | None = None
    id_number: str | None = None


class TokenPair(Wire):
    access_token: str
    refresh_token: str
    expires_in: int
    user: UserOut
    token_type: str = "Bearer"
