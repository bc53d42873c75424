"""EXPLAIN (ANALYZE, BUFFERS) of every hot read's SQL at 1× and at N× the history (issue 17).

    .venv/bin/python -m tests.bench.explain --scale 10            # full data set, ~5+ minutes
    .venv/bin/python -m tests.bench.explain --scale 10 --quick    # small data set

Seeds a fresh database (``qiyou_bench_scale`` on ``--server``, dropped at the end), calls the
hot reads' own functions (the events page, an event, a room's day, the signed-in home screen)
through a reader that records the exact statements and arguments they send, and explains each
statement several times: once with the seeded history, then again after ``--scale N`` copies
of it were added (tests/bench/history.py) — same live data, same ``now``. Writes the medians of
execution time and shared buffers per statement to ``docs/bench-runs/<date>-issue17-history-
<mode>.json``. Buffers do not depend on the machine's load; times do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import asyncpg

from backend.catalog import service as catalog
from backend.core.clock import LOCAL_TZ
from backend.core.reads import Query, Reader, Record
from backend.events import listing
from backend.hub import availability
from tests.bench import database, history, seed

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "qiyou_bench_scale"
SAMPLES = 15


class _OneConnection:
    """A read pool of one connection (the recorder needs nothing more)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def acquire(self) -> asyncpg.Connection:
        return self.conn

    def release(self, connection: asyncpg.Connection, *, broken: bool = False) -> None:
        pass


class _Recorder(Reader):
    """The app's reader, remembering every statement and its arguments as sent."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(cast(Any, _OneConnection(conn)))
        self.sent: list[tuple[str, list[Any]]] = []

    async def fetch(self, query: Query, **params: Any) -> list[Record]:
        self.sent.append((query.sql, query.arguments(params)))
        return await super().fetch(query, **params)

    async def fetchrow(self, query: Query, **params: Any) -> Record | None:
        self.sent.append((query.sql, query.arguments(params)))
        return await super().fetchrow(query, **params)


async def _statements(conn: asyncpg.Connection, seeded: seed.Seeded, key: bytes) -> dict[str, Any]:
    """Each hot read's statements, for several inputs: {read: [[(sql, args), ...], ...]}."""
    now = seeded.now
    rng = random.Random(17)
    reads: dict[str, list[list[tuple[str, list[Any]]]]] = {}

    async def record(name: str, call: Any) -> None:
        recorder = _Recorder(conn)
        await call(recorder)
        reads.setdefault(name, []).append(recorder.sent)

    for _ in range(SAMPLES):
        await record(
            "events",
            lambda r: listing.list_events(
                r,
                now=now,
                starts_from=None,
                until=None,
                category=None,
                audience=None,
                q=None,
                limit=20,
                cursor=None,
            ),
        )
    for event_id in rng.sample(seeded.public_event_ids, SAMPLES):
        await record("event", lambda r, e=event_id: listing.get_event(r, e, now=now))
    today = now.astimezone(LOCAL_TZ).date()
    for _ in range(SAMPLES):
        room, day = rng.choice(seeded.room_ids), today + timedelta(days=rng.randrange(7))
        await record(
            "availability",
            lambda r, room=room, day=day: availability.room_availability(r, room, day, now),
        )
    for user in rng.sample(seeded.home_residents, SAMPLES):
        await record("home", lambda r, u=user: catalog.home(r, "zh-CN", u, now, key))
    return reads


async def _explain(conn: asyncpg.Connection, reads: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, samples in reads.items():
        # By statement: a read may skip one it has cached (the home screen's programs).
        per_statement: dict[str, dict[str, list[float]]] = {}
        for sent in samples:
            for sql, args in sent:
                figures = per_statement.setdefault(sql, {"ms": [], "buffers": []})
                plan = json.loads(
                    await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", *args)
                )[0]
                top = plan["Plan"]
                figures["ms"].append(plan["Execution Time"])
                figures["buffers"].append(
                    top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
                )
        summary[name] = [
            {
                "sql": sql,
                "samples": len(s["ms"]),
                "ms": round(statistics.median(s["ms"]), 3),
                "buffers": statistics.median(s["buffers"]),
                "max_buffers": max(s["buffers"]),
            }
            for sql, s in per_statement.items()
        ]
    return summary


async def _connect(dsn: str) -> asyncpg.Connection:
    # The session settings of the app's connections (backend.core.database.connect_args).
    return await asyncpg.connect(dsn, server_settings={"timezone": "UTC"})


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    url = await database.fresh_database(args.server, args.database)
    dsn = database.dsn_of(url)
    key = bytes(range(32))
    data = seed.QUICK_DATA if args.quick else seed.FULL_DATA
    seeded = await seed.seed(dsn, data, key)
    result: dict[str, Any] = {"rows": {"1": seeded.counts}}
    conn = await _connect(dsn)
    reading = await _connect(dsn)
    for json_type in ("json", "jsonb"):
        # JSON as the app's read pool decodes it (backend.core.database.build_read_pool).
        await reading.set_type_codec(
            json_type, encoder=str, decoder=json.loads, schema="pg_catalog"
        )
    try:
        # The same inputs at both scales: the history added never changes what they read.
        reads = await _statements(reading, seeded, key)
        await _explain(conn, reads)  # warm the cache as a running server's would be
        result["1"] = await _explain(conn, reads)
        result["seconds_to_multiply"] = round(
            await history.multiply(dsn, args.scale, seeded.now), 1
        )
        result["rows"][str(args.scale)] = {
            table: int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
            for table in ("events", "event_registrations", "bookings", "notifications")
        }
        again = await _statements(reading, seeded, key)
        assert [[s for s, _ in x] for x in again["events"]] == [
            [s for s, _ in x] for x in reads["events"]
        ]
        await _explain(conn, reads)
        result[str(args.scale)] = await _explain(conn, reads)
    finally:
        await conn.close()
        await reading.close()
        if not args.keep:
            admin = await asyncpg.connect(database.dsn_of(args.server))
            try:
                await admin.execute(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
            finally:
                await admin.close()
    return result


def _ratios(result: dict[str, Any], scale: int) -> dict[str, Any]:
    ratios = {}
    for name, statements in result["1"].items():
        for index, (one, big) in enumerate(zip(statements, result[str(scale)][name], strict=True)):
            ratios[f"{name}#{index}"] = {
                "buffers": f"{one['buffers']} → {big['buffers']}",
                "ms": f"{one['ms']} → {big['ms']}",
                "buffers_ratio": round(big["buffers"] / max(one["buffers"], 1), 2),
                "ms_ratio": round(big["ms"] / max(one["ms"], 0.001), 2),
            }
    return ratios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.explain", description=__doc__)
    parser.add_argument("--scale", type=int, default=10, help="times the history (default 10)")
    parser.add_argument("--quick", action="store_true", help="the small data set")
    parser.add_argument(
        "--server", default="postgresql://postgres@localhost/postgres", help="a PostgreSQL URL"
    )
    parser.add_argument("--label", default="", help="added to the output's name")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--database", default=DATABASE, help=f"the database's name (default {DATABASE})"
    )
    args = parser.parse_args(argv)
    result = asyncio.run(_run(args))
    mode = "quick" if args.quick else "full"
    out = {
        "issue": 17,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": mode,
        "scale": args.scale,
        **database.git_state(),
        "summary": _ratios(result, args.scale),
        **result,
    }
    day = datetime.now(UTC).date().isoformat()
    suffix = f"-{args.label}" if args.label else ""
    path = ROOT / "docs" / "bench-runs" / f"{day}-issue17-history-{mode}{suffix}.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str) + "\n")
    for name, line in out["summary"].items():
        ratio = line["buffers_ratio"]
        print(f"{name:16} buffers {line['buffers']:>14} ({ratio}×)  ms {line['ms']}")
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
