"""Wire types of the background jobs' admin view."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from schemas.common import Wire

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class JobOut(Wire):
    """One background job. ``attempts``: runs so far that did not succeed (a retry counts one).
    ``runAt``: when it may run next (null: as soon as a worker is free). ``queuedAt``: when it
    was first queued."""

    id: int
    task: str
    state: JobState
    attempts: int
    payload: dict[str, Any]
    queued_at: datetime | None
    run_at: datetime | None
