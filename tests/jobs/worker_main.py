"""A worker process for the queue's tests: ``python -m tests.jobs.worker_main DATABASE_URL``.

Like ``qiyou worker`` (backend.jobs.queue.run_worker) with the tests' jobs registered and short
heartbeat and stall times, so a killed worker is noticed within seconds.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

import tests.jobs.support
from backend.config import Settings
from backend.core.clock import Clock
from backend.jobs.queue import JobRuntime, run_worker

STALLED_SECONDS = 3.0


async def main(url: str) -> None:
    settings = Settings(
        env="test",
        data_dir=Path("/nonexistent"),
        jwt_secret="x" * 40,
        data_key=bytes(32),
        job_heartbeat_seconds=0.5,
        job_stalled_seconds=STALLED_SECONDS,
        job_retry_base_seconds=0.5,
    )
    engine = create_async_engine(url, pool_size=6)
    runtime = JobRuntime(settings, Clock(), async_sessionmaker(engine, expire_on_commit=False))
    try:
        await run_worker(runtime, url, concurrency=4, install_signal_handlers=True)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    if "--minutely" in sys.argv:
        tests.jobs.support.register_minutely()
    asyncio.run(main(sys.argv[1]))
