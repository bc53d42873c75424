"""How the queue is doing, read from the database (the same answer on every process, whether
or not it runs a worker): for ``/metrics`` and ``/health/ready``.

- depth: jobs per state, and how many queued jobs are due now;
- lag: how long the oldest due job has waited (the workers are behind when this grows);
- latency: enqueue (or due time) → start, median and 95th percentile over the last 5 minutes;
- failures: runs that failed in the last 5 minutes (retried or not), and jobs in ``failed``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger("qiyou.jobs")

_STATES = {"todo": "queued", "doing": "running", "succeeded": "succeeded", "failed": "failed"}

# The oldest due job: a job queued to run now has no scheduled_at, its queueing time is the
# library's 'deferred' event.
OLDEST_DUE = text(
    "SELECT extract(epoch FROM now() - min(coalesce(j.scheduled_at, e.at))) "
    "FROM procrastinate_jobs j "
    "LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred' "
    "WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())"
)
_BY_STATE = text(
    "SELECT status::text, count(*), "
    "count(*) FILTER (WHERE scheduled_at IS NULL OR scheduled_at <= now()) "
    "FROM procrastinate_jobs GROUP BY status"
)
_LATENCY = text(
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY wait), "
    "percentile_cont(0.95) WITHIN GROUP (ORDER BY wait), count(*) FROM ("
    "  SELECT greatest(0, extract(epoch FROM"
    "    s.at - greatest(q.at, coalesce(j.scheduled_at, q.at)))) AS wait"
    "  FROM procrastinate_events s JOIN procrastinate_jobs j ON j.id = s.job_id"
    "  CROSS JOIN LATERAL (SELECT max(d.at) AS at FROM procrastinate_events d"
    "    WHERE d.job_id = s.job_id AND d.at <= s.at"
    "      AND d.type IN ('deferred', 'deferred_for_retry', 'retried')) q"
    "  WHERE s.type = 'started' AND s.at > now() - interval '5 minutes') w"
)
_RECENT_FAILURES = text(
    "SELECT count(*) FROM procrastinate_events "
    "WHERE type IN ('failed', 'deferred_for_retry') AND at > now() - interval '5 minutes'"
)


async def oldest_due_seconds(conn: AsyncConnection) -> float:
    value = (await conn.execute(OLDEST_DUE)).scalar_one()
    return max(0.0, float(value)) if value is not None else 0.0


@dataclass
class QueueStats:
    jobs: dict[str, int] = field(default_factory=dict)
    due: int = 0
    oldest_due_seconds: float = 0.0
    latency_p50: float | None = None
    latency_p95: float | None = None
    recent_failures: int = 0


async def read_stats(conn: AsyncConnection) -> QueueStats:
    stats = QueueStats(jobs=dict.fromkeys(_STATES.values(), 0))
    for status, count, due in (await conn.execute(_BY_STATE)).all():
        if status in _STATES:
            stats.jobs[_STATES[status]] = count
        if status == "todo":
            stats.due = due
    stats.oldest_due_seconds = await oldest_due_seconds(conn)
    p50, p95, started = (await conn.execute(_LATENCY)).one()
    if started:
        stats.latency_p50, stats.latency_p95 = float(p50), float(p95)
    stats.recent_failures = int((await conn.execute(_RECENT_FAILURES)).scalar_one())
    return stats


class QueueMetrics(Collector):
    """The last figures read by :meth:`refresh` (``/metrics`` refreshes before it answers)."""

    def __init__(self) -> None:
        self.stats: QueueStats | None = None

    async def refresh(self, engine: AsyncEngine, bound: float) -> None:
        try:
            async with asyncio.timeout(bound), engine.connect() as conn:
                self.stats = await read_stats(conn)
        except Exception:  # metrics must answer during an outage; the figures go missing
            log.warning("queue figures unavailable", exc_info=True)
            self.stats = None

    def collect(self) -> Iterator[Metric]:
        stats = self.stats
        if stats is None:
            return
        jobs = GaugeMetricFamily("qiyou_jobs", "Background jobs per state", labels=["state"])
        for state, count in stats.jobs.items():
            jobs.add_metric([state], count)
        yield jobs
        yield GaugeMetricFamily(
            "qiyou_jobs_due", "Queued jobs whose time has come (queue depth)", value=stats.due
        )
        yield GaugeMetricFamily(
            "qiyou_jobs_oldest_due_seconds",
            "How long the oldest due job has waited for a worker",
            value=stats.oldest_due_seconds,
        )
        latency = GaugeMetricFamily(
            "qiyou_job_start_latency_seconds",
            "Enqueue (or due time) to start, jobs started in the last 5 minutes",
            labels=["quantile"],
        )
        if stats.latency_p50 is not None and stats.latency_p95 is not None:
            latency.add_metric(["0.5"], stats.latency_p50)
            latency.add_metric(["0.95"], stats.latency_p95)
        yield latency
        yield GaugeMetricFamily(
            "qiyou_job_failures_recent",
            "Job runs that failed in the last 5 minutes (retried or not)",
            value=stats.recent_failures,
        )


QUEUE_METRICS = QueueMetrics()
