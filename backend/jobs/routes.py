"""HTTP routes of the job queue: admins list jobs by state and retry failed ones."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import admin_only
from backend.core.clock import Clock
from backend.core.errors import problem_responses
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.jobs import admin
from schemas.common import Page
from schemas.jobs import JobOut, JobState

JobId = Annotated[int, PathParameter(name="jobId", description="a background job's id", ge=1)]


class JobsAdminController(Controller):
    """The background jobs; admins only."""

    path = "/admin/jobs"
    tags = ("admin",)
    guards = (admin_only,)

    @get("/", operation_id="listJobs", summary="Background jobs in one state")
    async def list_jobs(
        self,
        db_session: NamedDependency[AsyncSession],
        job_state: Annotated[
            JobState, QueryParameter(name="state", description="the jobs' state (default failed)")
        ] = "failed",
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[JobOut]:
        """Admin: the jobs in `state`, newest first — by default those that failed every
        attempt and wait for someone to look at them."""
        return await admin.list_jobs(db_session, state=job_state, limit=limit, cursor=cursor)

    @post(
        "/{jobId:int}/retry",
        operation_id="retryJob",
        summary="Run a failed job again",
        status_code=200,
        responses=problem_responses(
            404, 409, codes={404: ("job_not_found",), 409: ("job_not_failed", "job_already_queued")}
        ),
    )
    async def retry_job(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        job_id: JobId,
    ) -> JobOut:
        """Admin: a failed job is queued again, to run now, for one more attempt (failing again,
        it is failed again). A job in another state: 409 `job_not_failed`; a failed job whose dedupe
        key another waiting job holds: 409 `job_already_queued`."""
        return await admin.retry_job(db_session, job_id, now=clock.now())


ROUTES: list[Any] = [JobsAdminController]
