"""Background work: jobs queued in the transaction that causes them, run by ``qiyou worker``
(or in-process by ``qiyou run`` unless ``QIYOU_WORKER=off``).

The domains see only this module:

- :func:`task` registers a handler under a stable name;
- :func:`periodic` registers a handler run once per cron period across all workers;
- :func:`enqueue` queues a job inside the caller's SQLAlchemy transaction (a rolled-back change
  queues nothing; a committed one is never lost);
- a handler gets a :class:`JobContext` and the payload, opens its own transaction from
  ``ctx.sessions`` and must be safe to run twice (a worker killed mid-job leaves the job to be
  retried): record what was done in the same transaction as doing it.
"""

from backend.jobs.service import JobContext, JobHandler, PeriodicHandler, enqueue, periodic, task

__all__ = ["JobContext", "JobHandler", "PeriodicHandler", "enqueue", "periodic", "task"]
