"""The job-queue libraries side by side (issue 13): ``python -m tests.bench.queues DSN``.

Not part of the suite. Needs ``pip install pgqueuer 'saq[postgres]'`` beside the project's own
procrastinate. DSN names a server where this may create and drop the databases
``qiyou_bench_q_*`` (e.g. ``postgresql://postgres@localhost/postgres``).

For each library, in a fresh database, with the worker in this process:

- ``in_txn``: can a job be queued by the caller's SQLAlchemy/asyncpg transaction (and vanish
  with its rollback)? Checked by queueing one and rolling back, one and committing.
- latency: 100 jobs, each committed alone 20 ms apart, the worker idle and listening: the time
  from the commit to the handler's start (median and 95th percentile).
- throughput: 2,000 no-op jobs queued in one transaction, then a worker (concurrency 10) started:
  jobs per second until the last one ran.

The results and the choice are in docs/architecture.md, "Background work".
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from backend.core.database import asyncpg_url, plain_url, with_database

LATENCY_JOBS = 100
THROUGHPUT_JOBS = 2000
CONCURRENCY = 10

Enqueue = Callable[[AsyncSession, int], Awaitable[None]]


class Probe:
    """What the handlers report: start times by job number, and how many ran."""

    def __init__(self) -> None:
        self.started: dict[int, float] = {}
        self.done = 0
        self.all_done = asyncio.Event()
        self.expect = 0

    def start(self, n: int) -> None:
        self.started.setdefault(n, time.time())
        if n < 0:  # the job of the transaction check
            return
        self.done += 1
        if self.done >= self.expect:
            self.all_done.set()


async def _fresh(server: str, name: str) -> str:
    conn = await asyncpg.connect(plain_url(with_database(server, "postgres")))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return with_database(server, name)


async def _measure(
    name: str,
    url: str,
    enqueue: Enqueue,
    start_worker: Callable[[Probe], Awaitable[Callable[[], Awaitable[None]]]],
    count: Callable[[], Awaitable[int]],
) -> dict[str, Any]:
    engine = create_async_engine(asyncpg_url(url))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    result: dict[str, Any] = {"library": name}
    # in the caller's transaction?
    try:
        async with sessions() as session:
            await session.begin()
            await enqueue(session, -1)
            await session.rollback()
        rolled_back = await count()
        async with sessions() as session, session.begin():
            await enqueue(session, -2)
        result["in_txn"] = rolled_back == 0 and await count() == 1
    except NotImplementedError:
        result["in_txn"] = False
    # latency
    probe = Probe()
    probe.expect = LATENCY_JOBS
    stop = await start_worker(probe)
    await asyncio.sleep(1.0)
    committed: dict[int, float] = {}
    for n in range(LATENCY_JOBS):
        async with sessions() as session, session.begin():
            await enqueue(session, n)
        committed[n] = time.time()
        await asyncio.sleep(0.02)
    await asyncio.wait_for(probe.all_done.wait(), 60)
    await stop()
    waits = sorted((probe.started[n] - committed[n]) * 1000 for n in range(LATENCY_JOBS))
    result["latency_ms_p50"] = round(statistics.median(waits), 1)
    result["latency_ms_p95"] = round(waits[int(len(waits) * 0.95) - 1], 1)
    # throughput
    async with sessions() as session, session.begin():
        for n in range(THROUGHPUT_JOBS):
            await enqueue(session, 10_000 + n)
    probe = Probe()
    probe.expect = THROUGHPUT_JOBS
    began = time.perf_counter()
    stop = await start_worker(probe)
    await asyncio.wait_for(probe.all_done.wait(), 300)
    result["jobs_per_s"] = round(THROUGHPUT_JOBS / (time.perf_counter() - began))
    await stop()
    await engine.dispose()
    return result


# --- procrastinate ----------------------------------------------------------------------------


async def bench_procrastinate(server: str) -> dict[str, Any]:
    import procrastinate

    url = await _fresh(server, "qiyou_bench_q_procrastinate")
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=plain_url(url)))
    probe_box: list[Probe] = []

    @app.task(name="bench")
    async def bench(n: int) -> None:
        probe_box[-1].start(n)

    async with app.open_async():
        await app.schema_manager.apply_schema_async()

    sql = text(
        "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('default', 'bench', 0, NULL, NULL, "
        "CAST(:args AS jsonb), NULL)]::procrastinate_job_to_defer_v1[])"
    )

    async def enqueue(session: AsyncSession, n: int) -> None:
        await session.execute(sql, {"args": f'{{"n": {n}}}'})

    async def start(probe: Probe) -> Callable[[], Awaitable[None]]:
        probe_box.append(probe)
        await app.open_async()
        task = asyncio.create_task(
            app.run_worker_async(concurrency=CONCURRENCY, install_signal_handlers=False)
        )

        async def stop() -> None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await app.close_async()

        return stop

    async def count() -> int:
        conn = await asyncpg.connect(plain_url(url))
        try:
            return int(await conn.fetchval("SELECT count(*) FROM procrastinate_jobs"))
        finally:
            await conn.close()

    return await _measure("procrastinate", url, enqueue, start, count)


# --- pgqueuer ---------------------------------------------------------------------------------


async def bench_pgqueuer(server: str) -> dict[str, Any]:
    from pgqueuer import QueueManager
    from pgqueuer.db import AsyncpgDriver
    from pgqueuer.models import Job
    from pgqueuer.queries import Queries

    url = await _fresh(server, "qiyou_bench_q_pgqueuer")
    conn = await asyncpg.connect(plain_url(url))
    await Queries(AsyncpgDriver(conn)).install()
    await conn.close()

    async def enqueue(session: AsyncSession, n: int) -> None:
        # pgqueuer's own enqueue on the session's asyncpg connection: inside its transaction.
        # SQLAlchemy begins its transaction lazily: a statement through the session first, or
        # pgqueuer's INSERT would run before BEGIN, in autocommit.
        await session.execute(text("SELECT 1"))
        raw = await (await session.connection()).get_raw_connection()
        driver = AsyncpgDriver(raw.driver_connection)  # type: ignore[arg-type]
        await Queries(driver).enqueue("bench", str(n).encode())

    async def start(probe: Probe) -> Callable[[], Awaitable[None]]:
        worker_conn = await asyncpg.connect(plain_url(url))
        qm = QueueManager(Queries(AsyncpgDriver(worker_conn)))

        @qm.entrypoint("bench")
        async def bench(job: Job) -> None:
            probe.start(int((job.payload or b"0").decode()))

        task = asyncio.create_task(
            qm.run(max_concurrent_tasks=2 * CONCURRENCY, batch_size=CONCURRENCY)
        )

        async def stop() -> None:
            qm.shutdown.set()
            await asyncio.gather(task, return_exceptions=True)
            await worker_conn.close()

        return stop

    async def count() -> int:
        c = await asyncpg.connect(plain_url(url))
        try:
            return int(await c.fetchval("SELECT count(*) FROM pgqueuer"))
        finally:
            await c.close()

    return await _measure("pgqueuer", url, enqueue, start, count)


# --- SAQ --------------------------------------------------------------------------------------


async def bench_saq(server: str) -> dict[str, Any]:
    from saq import Queue, Worker

    url = await _fresh(server, "qiyou_bench_q_saq")
    queue = Queue.from_url(plain_url(url))
    await queue.connect()
    probe_box: list[Probe] = []

    async def bench(ctx: Any, *, n: int) -> None:
        probe_box[-1].start(n)

    async def enqueue(session: AsyncSession, n: int) -> None:
        if n < 0:
            # SAQ queues through its own psycopg pool: it cannot join the caller's transaction
            # (an outbox would have to carry the job across).
            raise NotImplementedError
        await queue.enqueue("bench", n=n)

    async def start(probe: Probe) -> Callable[[], Awaitable[None]]:
        probe_box.append(probe)
        worker = Worker(queue, functions=[("bench", bench)], concurrency=CONCURRENCY)
        task = asyncio.create_task(worker.start())

        async def stop() -> None:
            await worker.stop()
            await asyncio.gather(task, return_exceptions=True)

        return stop

    async def count() -> int:
        return 0

    try:
        return await _measure("saq", url, enqueue, start, count)
    finally:
        await queue.disconnect()


async def main(server: str) -> None:
    chosen = sys.argv[2:] or ["procrastinate", "pgqueuer", "saq"]
    for bench in [
        b for b in (bench_procrastinate, bench_pgqueuer, bench_saq) if b.__name__[6:] in chosen
    ]:
        try:
            print(await bench(server), flush=True)
        except Exception as exc:  # one library's failure is a result too
            print({"library": bench.__name__, "error": repr(exc)}, flush=True)


if __name__ == "__main__":
    asyncio.run(
        main(
            asyncpg_url(
                sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@localhost/postgres"
            )
        )
    )
