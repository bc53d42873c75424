"""The admin's view of the queue: list jobs by state, put a failed one back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core import i18n
from backend.core.clock import to_local
from backend.core.errors import AppError
from backend.core.pagination import Keyset
from schemas.common import Page
from schemas.jobs import JobOut, JobState

JOBS = Keyset("jobs", (int,))
# The wire's words for procrastinate's statuses ('aborting' and 'aborted' are not used here).
_STATUS: dict[JobState, str] = {
    "queued": "todo",
    "running": "doing",
    "succeeded": "succeeded",
    "failed": "failed",
    "cancelled": "cancelled",
}
_STATE = {status: state for state, status in _STATUS.items()}

_COLUMNS = (
    "j.id, j.task_name, j.status::text, j.attempts, j.args, j.scheduled_at, "
    "(SELECT min(e.at) FROM procrastinate_events e WHERE e.job_id = j.id) AS queued_at"
)


def _out(row: Any) -> JobOut:
    job_id, task, status, attempts, args, scheduled_at, queued_at = row
    payload = msgspec.json.decode(args) if isinstance(args, str | bytes) else dict(args or {})
    return JobOut(
        id=job_id,
        task=task,
        state=_STATE.get(status, "cancelled"),
        attempts=attempts,
        payload=payload,
        queued_at=to_local(queued_at),
        run_at=to_local(scheduled_at),
    )


async def list_jobs(
    session: AsyncSession, *, state: JobState, limit: int, cursor: str | None
) -> Page[JobOut]:
    """Newest first."""
    after = JOBS.decode(cursor)
    rows = (
        await session.execute(
            text(  # _COLUMNS is a constant: nothing from the request is spliced in
                f"SELECT {_COLUMNS} FROM procrastinate_jobs j "  # noqa: S608
                "WHERE j.status = CAST(:status AS procrastinate_job_status) "
                "AND (CAST(:after AS bigint) IS NULL OR j.id < :after) "
                "ORDER BY j.id DESC LIMIT :limit"
            ),
            {"status": _STATUS[state], "after": after[0] if after else None, "limit": limit + 1},
        )
    ).all()
    page, next_cursor = JOBS.paginate(rows, limit, key=lambda row: (row[0],))
    return Page(items=[_out(row) for row in page], next_cursor=next_cursor)


async def retry_job(session: AsyncSession, job_id: int, *, now: datetime) -> JobOut:
    """A failed job back to queued, to run now (one more attempt; it fails again to failed)."""
    status = (
        await session.execute(
            text("SELECT status::text FROM procrastinate_jobs WHERE id = :id FOR UPDATE"),
            {"id": job_id},
        )
    ).scalar_one_or_none()
    if status is None:
        raise AppError(404, "job_not_found")
    if status != "failed":
        raise AppError(409, "job_not_failed", {"state": _STATE.get(status, status)})
    # Not procrastinate_retry_job_v2, which counts the admin's retry as an attempt: the next
    # run is attempt attempts + 1, and failing it is failed again (the library's trigger
    # records the 'retried' event).
    try:
        async with session.begin_nested():
            await session.execute(
                text(
                    "UPDATE procrastinate_jobs SET status = 'todo', scheduled_at = :at "
                    "WHERE id = :id"
                ),
                {"id": job_id, "at": now},
            )
    except IntegrityError as exc:
        # Its dedupe key is held by a job of the same key already waiting: that one will do.
        if "queueing_lock" not in str(exc.orig):
            raise
        raise AppError(409, "job_already_queued") from None
    row = (
        await session.execute(
            text(f"SELECT {_COLUMNS} FROM procrastinate_jobs j WHERE j.id = :id"),  # noqa: S608
            {"id": job_id},
        )
    ).one()
    return _out(row)


i18n.register(
    {
        "job_not_found": {
            "zh-CN": ("未找到该任务", "没有这个后台任务。"),
            "en": ("Job not found", "There is no such background job."),
        },
        "job_already_queued": {
            "zh-CN": ("已有相同任务在排队", "同一去重键的任务已在等待执行，无需重试。"),
            "en": (
                "The same job is already queued",
                "A job with the same dedupe key is already waiting to run.",
            ),
        },
        "job_not_failed": {
            "zh-CN": ("任务未失败", "只有失败的任务可以重试，该任务当前状态为 {state}。"),
            "en": ("Job has not failed", "Only a failed job can be retried; this one is {state}."),
        },
    }
)
