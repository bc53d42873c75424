"""Liveness and readiness, for the load balancer and the orchestrator."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, get
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.errors import AppError, problem_responses
from schemas.common import Wire


class HealthStatus(Wire):
    status: str


@get(
    "/health/live",
    operation_id="checkLiveness",
    tags=["health"],
    exclude_from_auth=True,
    summary="The process is up",
)
async def live() -> HealthStatus:
    """Anyone, no token. `ok` while the process serves requests; it never touches the
    database, so a failing database does not get healthy processes restarted."""
    return HealthStatus(status="ok")


@get(
    "/health/ready",
    operation_id="checkReadiness",
    tags=["health"],
    exclude_from_auth=True,
    summary="The database answers",
    # Not derived for health checks (no 503 from an outage of their own): this one answers it.
    responses=problem_responses(codes={503: ("service_unavailable",)}),
)
async def ready(request: Request[Any, Any, Any]) -> HealthStatus:
    """Anyone, no token. `ok` when the database answers within the connect timeout; otherwise
    503 `service_unavailable` with `Retry-After`, as any request answers during an outage."""
    engine: AsyncEngine = request.app.state.db_engine
    # A probe that hangs on a stalled database tells the orchestrator nothing in time: the
    # whole check, a pooled connection's SELECT included, gets the connect timeout.
    bound = request.app.state.settings.db_connect_timeout
    try:
        async with asyncio.timeout(bound):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except Exception as exc:
        # The same answer as any request during an outage: probes and clients may back off.
        raise AppError(503, "service_unavailable", headers={"Retry-After": "5"}) from exc
    return HealthStatus(status="ok")


ROUTES = [live, ready]
