"""The ceiling's token check, for the reads that show personal data (a caregiver's day, a
childcare roster; issue 17): the same guarantees as Qiyou's (``backend.core.auth``), without the
framework. The ``Bearer`` scheme only, HS256 pinned, the issuer, the audience (strictly), the
expiry and every claim Qiyou requires checked by PyJWT as Litestar's ``Token.decode`` has it
checked, the login session not revoked, the role read from the token.

Revoked sessions are read once at start-up into a set (Qiyou's revocation list also follows
LISTEN/NOTIFY and re-reads every 30 s; nothing is revoked while the benchmark runs, and the
lookup per request — a set membership — is the same). Self-contained like the ceiling: nothing
from ``backend``."""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any
from uuid import UUID

import asyncpg
import jwt

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "iss", "aud"]
# Settings.jwt_issuer and Settings.jwt_audience: the defaults, which the benchmark keeps.
ISSUER = "qiyou"
AUDIENCE = "qiyou-app"
_OPTIONS: Any = {
    "verify_aud": True,
    "verify_iss": True,
    "require": REQUIRED_CLAIMS,
    "strict_aud": True,
}


class Verifier:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.revoked: set[str] | None = None

    @classmethod
    def from_env(cls) -> Verifier:
        # QIYOU_JWT_SECRET when counted in-process (tests/bench/instructions.py). Without a
        # secret no token passes (these reads then answer 401 and the parity check says so).
        secret = os.environ.get("QIYOU_BENCH_JWT_SECRET") or os.environ.get("QIYOU_JWT_SECRET")
        return cls(secret or "")

    async def _load(self, pool: asyncpg.Pool) -> set[str]:
        rows = await pool.fetch("SELECT id FROM auth_sessions WHERE revoked_at IS NOT NULL")
        self.revoked = {str(row["id"]) for row in rows}
        return self.revoked

    async def user(
        self, pool: asyncpg.Pool, scope: MutableMapping[str, Any]
    ) -> tuple[UUID, str] | None:
        """The caller's id and role, or ``None`` for a 401."""
        header = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value
                break
        if header is None:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        try:
            claims = jwt.decode(
                parts[1],
                self.secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=[ISSUER],
                options=_OPTIONS,
            )
            sid = claims.get("sid")
            revoked = self.revoked if self.revoked is not None else await self._load(pool)
            if not isinstance(sid, str) or not sid or sid in revoked:
                return None
            UUID(sid)
            return UUID(claims["sub"]), str(claims["role"])
        except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
            return None
