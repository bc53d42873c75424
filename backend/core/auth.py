"""Access tokens and role guards.

Access tokens are short JWTs (HS256 pinned, ``iss``/``aud``/``exp``/``iat``/``jti``/``sub``)
checked by Litestar's JWT middleware without a database round trip: the token carries the
user's role and login session (``sid``). A token whose session was revoked is refused by an
in-memory lookup in this process's revocation list (``core.revocations``), which follows the
database across workers, hosts and restarts.

Only the ``Bearer`` scheme authenticates (RFC 6750; the scheme name is case-insensitive, RFC
7235). Litestar's middleware takes whatever follows the first space, whatever the scheme.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

import jwt
import msgspec
from litestar import Litestar, Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token
from litestar.types import Receive, Scope, Send

from backend.config import Settings
from backend.core.errors import AppError
from backend.core.revocations import RevocationList, RevocationsUnavailableError
from backend.core.routing import http_handlers

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("exp", "iat", "sub", "jti", "iss", "aud")
# The name under which the OpenAPI document declares the bearer token (JWTAuth's default).
BEARER_SCHEME = "BearerToken"


class Role(StrEnum):
    RESIDENT = "resident"
    WORKER = "worker"
    STAFF = "staff"
    ADMIN = "admin"
    # Elderly care: scoped to one care provider (backend/eldercare, care_provider_staff).
    DISPATCHER = "dispatcher"
    CAREGIVER = "caregiver"


ALL_ROLES = tuple(Role)


class AuthUser(msgspec.Struct, frozen=True):
    """Who is calling, as the access token says."""

    id: UUID
    role: Role
    session_id: UUID
    # Who is acting for this account: the community worker named by an acting token's ``act``
    # claim (RFC 8693; backend/assisted). ``None`` for every ordinary token.
    actor: UUID | None = None

    def has(self, *roles: Role) -> bool:
        return self.role in roles


def issue_access_token(
    settings: Settings, *, user_id: UUID, role: str, session_id: UUID, now: datetime
) -> str:
    claims = {
        "sub": str(user_id),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=settings.access_token_ttl_seconds)).timestamp()),
        "jti": uuid4().hex,
        "sid": str(session_id),
        "role": role,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def issue_acting_token(
    settings: Settings,
    *,
    subject_id: UUID,
    actor_id: UUID,
    actor_session_id: UUID,
    now: datetime,
    ttl_seconds: int,
) -> str:
    """An access token for ``subject_id`` (a resident) used by ``actor_id`` (RFC 8693's ``act``
    claim). Its ``sid`` is the actor's own login session: revoking the worker's sessions (logout,
    a role change, an admin's revocation) refuses their acting tokens at once, with no list of
    its own. Never longer-lived than an access token, so the revocation window covers it."""
    claims = {
        "sub": str(subject_id),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
        "jti": uuid4().hex,
        "sid": str(actor_session_id),
        "role": Role.RESIDENT.value,
        "act": {"sub": str(actor_id)},
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def _user_from_token(token: Token) -> AuthUser:
    return _user_from_claims(token.sub, token.extras)


def _user_from_claims(sub: Any, extras: dict[str, Any]) -> AuthUser:
    try:
        act = extras.get("act")
        return AuthUser(
            id=UUID(sub),
            role=Role(extras["role"]),
            session_id=UUID(extras["sid"]),
            # Only residents are acted for: an ``act`` on any other role is no token of ours.
            actor=None if act is None else _actor(act, extras["role"]),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise NotAuthorizedException() from exc


def _actor(act: object, role: str) -> UUID:
    if not isinstance(act, dict) or role != Role.RESIDENT.value:
        raise ValueError("act")
    return UUID(act["sub"])


async def _retrieve_user(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthUser:
    return _user_from_token(token)


def bearer_token(header: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; any other shape is a 401.

    The scheme is matched without regard to case and must be followed by white space and one
    token68 (no inner spaces): ``Basic <jwt>``, ``Token <jwt>``, ``bearer<jwt>`` are refused.
    """
    # str.split in C: a generator over the token's characters cost 16 µs a request.
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise NotAuthorizedException()
    return parts[1]


class BearerJWTMiddleware(JWTAuthenticationMiddleware):
    """Litestar's JWT middleware, reading the token only from a ``Bearer`` credential."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # strict_audience (build_jwt_auth) takes exactly one.
        (self._audience,) = self.token_audience or ()
        self._issuers = list(self.token_issuer or ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A public route (``exclude_from_auth``) goes straight on, as Litestar's own check
        # (``should_bypass_middleware``) would decide, without its call on every public read.
        handler = scope.get("route_handler")
        if handler is not None and handler.opt.get(self.exclude_opt_key):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get(self.auth_header)
        if not header:
            raise NotAuthorizedException()
        return await self.authenticate_token(
            encoded_token=bearer_token(header), connection=connection
        )

    async def authenticate_token(
        self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """Litestar's check without its ``Token``: ``decode_claims`` admits and refuses exactly
        the tokens ``Token.decode`` does (tests/unit/test_access_tokens.py), then the user is
        read from the claims and the session looked up in the revocation list, in Litestar's
        order. Building the ``Token`` (a dataclass, ``msgspec.convert``, the extras split) cost
        ~110k instructions of every signed-in request (a caregiver's day 1,371k -> 1,260k)."""
        claims = decode_claims(encoded_token, self.token_secret, self._audience, self._issuers)
        user = _user_from_claims(claims["sub"], claims)
        if _session_revoked(connection.app, claims.get("sid")):
            raise NotAuthorizedException()
        return AuthenticationResult(user=user, auth=claims)


def _without_authentication(stack: Any) -> Any:
    """``stack`` without its ``BearerJWTMiddleware`` layer: the layer above it is rewired, or,
    when it is the top, what it wraps is the new top."""
    if isinstance(stack, BearerJWTMiddleware):
        return stack.app
    layer = stack
    while layer is not None:
        below = getattr(layer, "app", None)
        if isinstance(below, BearerJWTMiddleware):
            layer.app = below.app
            break
        layer = below
    return stack


def skip_authentication_on_public_routes(app: Litestar) -> None:
    """Take the JWT middleware out of the middleware stack of every public route handler
    (``exclude_from_auth``), once, when the app is built.

    Litestar builds one stack per route handler and puts the authentication middleware in all
    of them; on a public route it then decides per request to pass the request on (our
    ``BearerJWTMiddleware.__call__`` on one ``opt`` lookup, after Litestar's wrapper of every
    middleware's ``__call__``). The decision is fixed by the handler, so it is taken here: the
    layer above the middleware calls what the middleware would have called. That is a
    coroutine less per public request, and a frame less each time such a request resumes after
    a wait (the admission line, the read pool, the database). Every other route keeps the
    middleware (``tests/unit/test_routing.py``)."""
    nodes = [app.asgi_router.root_route_map_node]
    # A stack seen before (HEAD shares its GET's: routing.answer_head_like_get) -> what it is now.
    done: dict[int, Any] = {}
    while nodes:
        node = nodes.pop()
        nodes.extend(node.children.values())
        for method, entry in list(node.asgi_handlers.items()):
            if not getattr(entry.handler, "opt", {}).get("exclude_from_auth"):
                continue
            stack = entry.asgi_app
            if id(stack) not in done:
                done[id(stack)] = _without_authentication(stack)
            if done[id(stack)] is not stack:
                node.asgi_handlers[method] = entry._replace(asgi_app=done[id(stack)])


def revocation_list(app: Litestar) -> RevocationList:
    revocations: RevocationList = app.state.revocations
    return revocations


def _session_revoked(app: Litestar, sid: object) -> bool:
    if not isinstance(sid, str) or not sid:
        return True
    try:
        return revocation_list(app).is_revoked(sid)
    except RevocationsUnavailableError:
        # Not knowing the revocations must not let a revoked token in: refuse, and say that
        # the refusal is temporary.
        raise AppError(503, "service_unavailable", headers={"Retry-After": "5"}) from None


def revoke_sessions(app: Litestar, session_ids: list[UUID]) -> None:
    """Refuse these sessions' access tokens in this process now (others learn it from the
    database's notification); for revocations already committed."""
    revocation_list(app).add(session_ids)


def build_jwt_auth(settings: Settings) -> JWTAuth[AuthUser, Token]:
    return JWTAuth[AuthUser, Token](
        authentication_middleware_class=BearerJWTMiddleware,
        # Required by JWTAuth, not called: BearerJWTMiddleware.authenticate_token reads the
        # user from the claims and checks the revocation list itself.
        retrieve_user_handler=_retrieve_user,
        token_secret=settings.jwt_secret,
        algorithm=ALGORITHM,
        accepted_audiences=[settings.jwt_audience],
        accepted_issuers=[settings.jwt_issuer],
        require_claims=list(REQUIRED_CLAIMS),
        strict_audience=True,
        exclude_opt_key="exclude_from_auth",
        exclude=["^/health", "^/schema", "^/metrics"],
        # Litestar skips HEAD by default; here HEAD is GET without the body, guards and all.
        exclude_http_methods=["OPTIONS"],
        description="The accessToken from login, register or refresh.",
    )


async def optional_user(request: Request[Any, Any, Any], settings: Settings) -> AuthUser | None:
    """For public routes that say more to a signed-in caller (home screen).

    Use it as a dependency of a route with ``exclude_from_auth=True``:
    ``dependencies={"viewer": Provide(optional_user)}``, or call it from such a route (then
    declare ``security=[{}, {BEARER_SCHEME: []}]`` on it). (Its first parameter is named
    ``request`` because Litestar injects only reserved names; a parameter called
    ``connection`` would be read as a query parameter.)

    A token that is present but invalid is still a 401: the app should refresh, not silently
    see the anonymous view.
    """
    header = request.headers.get("authorization")
    if not header:
        return None
    claims = decode_access_token(settings, bearer_token(header))
    if _session_revoked(request.app, claims.get("sid")):
        raise NotAuthorizedException()
    return _user_from_claims(claims["sub"], claims)


# PyJWT's options as Litestar's ``Token.decode`` builds them for ``build_jwt_auth``'s settings.
_DECODE_OPTIONS: Any = {
    "verify_aud": True,
    "verify_iss": True,
    "require": list(REQUIRED_CLAIMS),
    "strict_aud": True,
}


def decode_access_token(settings: Settings, encoded: str) -> dict[str, Any]:
    """The claims of an access token signed with ``settings``' secret (``decode_claims``)."""
    return decode_claims(encoded, settings.jwt_secret, settings.jwt_audience, [settings.jwt_issuer])


def decode_claims(encoded: str, secret: str, audience: str, issuers: list[str]) -> dict[str, Any]:
    """The claims of an access token, checked exactly as Litestar's ``Token.decode`` checks
    them for ``build_jwt_auth``'s settings (PyJWT: HS256, issuer, strict audience, expiry, the
    required claims; then ``exp`` and ``iat`` as moments and the types ``Token`` holds),
    without building the ``Token``: that object, its ``msgspec.convert`` and the extras split
    cost more than the checks they add (docs/performance.md, "The honest ceiling").
    tests/unit/test_access_tokens.py holds the two to the same verdicts."""
    try:
        claims: dict[str, Any] = jwt.decode(
            encoded,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuers,
            options=_DECODE_OPTIONS,
        )
        datetime.fromtimestamp(claims["exp"], tz=UTC)
        datetime.fromtimestamp(claims["iat"], tz=UTC)
    except (jwt.InvalidTokenError, KeyError, OSError, OverflowError, TypeError, ValueError):
        raise NotAuthorizedException("Invalid token") from None
    jti = claims["jti"]
    if not isinstance(claims["sub"], str) or not (
        isinstance(jti, str) or (isinstance(jti, list) and all(isinstance(j, str) for j in jti))
    ):
        raise NotAuthorizedException("Invalid token")
    return claims


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


class RoleGuard:
    """A guard admitting only the given roles (403 for the others).

    A class rather than a closure so that tools (the authorization and contract tests) can read
    which roles a route admits.
    """

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)
        self.__name__ = "requires_" + "_".join(sorted(r.value for r in self.roles))

    # Async on purpose: Litestar runs a synchronous guard in a worker thread, a thread hop on
    # every authenticated request for what is a dictionary lookup.
    async def __call__(
        self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
    ) -> None:
        # The OPTIONS answer Litestar adds to each route only lists its methods (as the OpenAPI
        # document does): a controller's guard covers it too, and authentication skips OPTIONS.
        if connection.scope.get("method") == "OPTIONS":
            return
        user = connection.scope.get("user")
        if not isinstance(user, AuthUser):
            raise NotAuthorizedException()
        if user.role not in self.roles:
            raise AppError(403, "forbidden")

    def __repr__(self) -> str:
        return self.__name__


def requires(*roles: Role) -> RoleGuard:
    """A guard admitting only the given roles (403 for the others)."""
    return RoleGuard(*roles)


def document_security(app: Litestar) -> None:
    """Say in the OpenAPI document which operations need no token.

    The JWT plugin declares the bearer token for the whole API; a public operation overrides
    that with the empty requirement (``security: [{}]``), and one that reads an optional token
    (``optional_user``) accepts either. Clients and contract tests then know not to send, or
    not to demand, a token there.
    """
    for _, handler in http_handlers(app):
        if not handler.opt.get("exclude_from_auth") or handler.security:
            # Not public, or the route says itself which tokens it reads.
            continue
        optional = any(
            provider.dependency is optional_user
            for provider in handler.resolve_dependencies().values()
        )
        handler.security = [{}, {BEARER_SCHEME: []}] if optional else [{}]


resident_only = requires(Role.RESIDENT)
staff_or_admin = requires(Role.STAFF, Role.ADMIN)
worker_or_admin = requires(Role.WORKER, Role.ADMIN)
admin_only = requires(Role.ADMIN)
any_user = requires(*ALL_ROLES)
