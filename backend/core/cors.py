"""CORS for browser clients (the admin console): Litestar's, with a refusal that is a problem
document like every other error, and the headers our clients read exposed to their scripts."""

from __future__ import annotations

from typing import Any

from litestar.config.cors import CORSConfig
from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware._internal.cors import CORSMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from backend.core.errors import ANSWERED_STATUS, problem_response

# What a script on another origin may read of our answers (the CORS-safelisted ones, such as
# Content-Type and Content-Language, it always may).
EXPOSED_HEADERS = (
    "X-Request-ID",
    "Retry-After",
    "Idempotent-Replayed",
    "ETag",
    "Content-Disposition",
    "Allow",
)


def cors_config(origins: tuple[str, ...]) -> CORSConfig:
    return CORSConfig(allow_origins=list(origins), expose_headers=list(EXPOSED_HEADERS))


class ProblemCORS(CORSMiddleware):
    """Litestar's CORS middleware, except that a refused preflight answers
    ``application/problem+json`` (``cors_refused``) instead of a line of ``text/plain``."""

    def __init__(self, app: ASGIApp, config: CORSConfig) -> None:
        super().__init__(app=app, config=config)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "OPTIONS":
            await super().__call__(scope, receive, send)
            return
        headers = Headers.from_scope(scope=scope)
        origin = headers.get("origin")
        if not origin:
            await self.app(scope, receive, send)
            return
        request: Any = scope["litestar_app"].request_class(scope=scope, receive=receive, send=send)
        preflight = self._create_preflight_response(origin=origin, request_headers=headers)
        answer = (
            problem_response(request, 400, "cors_refused")
            if preflight.status_code == 400
            else preflight
        )
        scope["state"][ANSWERED_STATUS] = answer.status_code
        await answer.to_asgi_response(app=None, request=request)(scope, receive, send)
