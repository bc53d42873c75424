"""Our checks of an access token — the JWT middleware's ``authenticate_token`` and the home
screen's ``decode_access_token``, both on ``decode_claims`` — refuse and admit exactly the
tokens that Litestar's ``Token.decode`` (the check Litestar's JWT middleware makes) refuses and
admits."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import jwt
import pytest
from litestar.exceptions import NotAuthorizedException
from litestar.security.jwt import Token

from backend.config import Settings
from backend.core.auth import (
    ALGORITHM,
    REQUIRED_CLAIMS,
    AuthUser,
    build_jwt_auth,
    decode_access_token,
)

SETTINGS = Settings(env="production", jwt_secret="s" * 64)
NOW = int(datetime.now(UTC).timestamp())
# The tokens are made when the module is imported, which may be many minutes before a test of a
# long run reads them: "valid" and "not yet valid" must stay so for longer than any run.
DAY = 86_400


def _claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": str(uuid4()),
        "iss": SETTINGS.jwt_issuer,
        "aud": SETTINGS.jwt_audience,
        "iat": NOW,
        "exp": NOW + DAY,
        "jti": uuid4().hex,
        "sid": str(uuid4()),
        "role": "resident",
    }
    for name, value in changes.items():
        if value is _MISSING:
            del claims[name]
        else:
            claims[name] = value
    return claims


_MISSING = object()

TOKENS: dict[str, str] = {
    "valid": jwt.encode(_claims(), SETTINGS.jwt_secret, algorithm=ALGORITHM),
    "expired": jwt.encode(_claims(exp=NOW - 10), SETTINGS.jwt_secret, algorithm=ALGORITHM),
    "not yet valid": jwt.encode(_claims(nbf=NOW + DAY), SETTINGS.jwt_secret, algorithm=ALGORITHM),
    "other issuer": jwt.encode(_claims(iss="else"), SETTINGS.jwt_secret, algorithm=ALGORITHM),
    "other audience": jwt.encode(_claims(aud="else"), SETTINGS.jwt_secret, algorithm=ALGORITHM),
    "audience list": jwt.encode(
        _claims(aud=[SETTINGS.jwt_audience]), SETTINGS.jwt_secret, algorithm=ALGORITHM
    ),
    "other secret": jwt.encode(_claims(), "t" * 64, algorithm=ALGORITHM),
    "HS512": jwt.encode(_claims(), SETTINGS.jwt_secret, algorithm="HS512"),
    "unsigned": jwt.encode(_claims(), None, algorithm="none"),
    "sub a number": jwt.encode(_claims(sub=42), SETTINGS.jwt_secret, algorithm=ALGORITHM),
    "jti a number": jwt.encode(_claims(jti=42), SETTINGS.jwt_secret, algorithm=ALGORITHM),
    "jti a list": jwt.encode(_claims(jti=["a", "b"]), SETTINGS.jwt_secret, algorithm=ALGORITHM),
    "iat a string": jwt.encode(_claims(iat="soon"), SETTINGS.jwt_secret, algorithm=ALGORITHM),
    "exp beyond datetime": jwt.encode(
        _claims(exp=10**20), SETTINGS.jwt_secret, algorithm=ALGORITHM
    ),
    "exp a float": jwt.encode(
        _claims(exp=NOW + DAY + 0.5), SETTINGS.jwt_secret, algorithm=ALGORITHM
    ),
    "garbage": "not.a.token",
    "padded": jwt.encode(_claims(), SETTINGS.jwt_secret, algorithm=ALGORITHM) + "=",
    **{
        f"no {claim}": jwt.encode(
            _claims(**{claim: _MISSING}), SETTINGS.jwt_secret, algorithm=ALGORITHM
        )
        for claim in REQUIRED_CLAIMS
    },
}


def _litestar_verdict(token: str) -> dict[str, Any] | None:
    try:
        decoded = Token.decode(
            token,
            secret=SETTINGS.jwt_secret,
            algorithm=ALGORITHM,
            audience=[SETTINGS.jwt_audience],
            issuer=[SETTINGS.jwt_issuer],
            require_claims=list(REQUIRED_CLAIMS),
            strict_audience=True,
        )
    except NotAuthorizedException:
        return None
    return {"sub": decoded.sub, **decoded.extras}


def _home_verdict(token: str) -> dict[str, Any] | None:
    try:
        claims = decode_access_token(SETTINGS, token)
    except NotAuthorizedException:
        return None
    return {"sub": claims["sub"], "sid": claims["sid"], "role": claims["role"]}


class _NothingRevoked:
    def is_revoked(self, session_id: str) -> bool:
        return False


_CONNECTION: Any = SimpleNamespace(
    app=SimpleNamespace(state=SimpleNamespace(revocations=_NothingRevoked()))
)
_MIDDLEWARE: Any = build_jwt_auth(SETTINGS).middleware(app=None)


async def _middleware_verdict(token: str) -> dict[str, Any] | None:
    try:
        result = await _MIDDLEWARE.authenticate_token(token, _CONNECTION)
    except NotAuthorizedException:
        return None
    user: AuthUser = result.user
    return {"sub": str(user.id), "sid": str(user.session_id), "role": user.role.value}


@pytest.mark.parametrize("name", sorted(TOKENS))
async def test_same_verdict_as_litestar(name: str) -> None:
    expected = _litestar_verdict(TOKENS[name])
    assert _home_verdict(TOKENS[name]) == expected
    assert await _middleware_verdict(TOKENS[name]) == expected
    if name == "valid":
        assert expected is not None


def test_the_valid_token_is_admitted_and_the_expired_one_refused() -> None:
    # The comparison above must not pass by both refusing everything.
    assert _home_verdict(TOKENS["valid"]) is not None
    assert _home_verdict(TOKENS["expired"]) is None
