"""Liveness and readiness, for the load balancer and the orchestrator."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, get
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.core.errors import AppError, problem_responses
from backend.jobs.monitoring import oldest_due_seconds
from schemas.common import Wire


class HealthStatus(Wire):
    status: str


class ReadyStatus(Wire):
    """``warnings``: what is wrong without this process being unfit to serve — ``jobs_behind``
    when the oldest due background job has waited longer than ``QIYOU_JOB_LAG_WARNING``
    seconds (``oldestDueJobSeconds`` says how long)."""

    status: str
    warnings: list[str]
    oldest_due_job_seconds: float | None = None


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
    summary="The database answers (and whether background jobs lag)",
    # Not derived for health checks (no 503 from an outage of their own): this one answers it.
    responses=problem_responses(codes={503: ("service_unavailable",)}),
)
async def ready(request: Request[Any, Any, Any]) -> ReadyStatus:
    """Anyone, no token. `ok` when the database answers within the connect timeout; otherwise
    503 `service_unavailable` with `Retry-After`, as any request answers during an outage.

    Workers that have fallen behind are a warning (`jobs_behind`), still 200: this instance
    serves requests as well as ever, and pulling every API instance from the load balancer
    because the workers lag would turn slow reminders into an outage."""
    engine: AsyncEngine = request.app.state.db_engine
    # A probe that hangs on a stalled database tells the orchestrator nothing in time: the
    # whole check, a pooled connection's SELECT included, gets the connect timeout.
    bound = request.app.state.settings.db_connect_timeout
    try:
        async with asyncio.timeout(bound):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                lag = await _jobs_lag(conn)
    except Exception as exc:
        # The same answer as any request during an outage: probes and clients may back off.
        raise AppError(503, "service_unavailable", headers={"Retry-After": "5"}) from exc
    behind = lag is not None and lag > request.app.state.settings.job_lag_warning_seconds
    return ReadyStatus(
        status="ok", warnings=["jobs_behind"] if behind else [], oldest_due_job_seconds=lag
    )


async def _jobs_lag(conn: AsyncConnection) -> float | None:
    """How long the oldest due job has waited; None when that cannot be told (the readiness
    of the API does not hang on it)."""
    try:
        async with conn.begin_nested():
            return await oldest_due_seconds(conn)
    except DBAPIError:
        return None


ROUTES = [live, ready]
