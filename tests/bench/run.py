"""The benchmark: Qiyou in production settings against the bare asyncpg ceiling, in one run.

    .venv/bin/python -m tests.bench.run            # full: about 16 minutes on 2 cores
    .venv/bin/python -m tests.bench.run --quick    # a smaller data set, 3-second runs

1. starts the benchmark's embedded PostgreSQL (``.qiyou-bench/``), creates a fresh database,
   migrates it and seeds a sub-district (``seed.py``);
2. starts Qiyou as production does (``qiyou run --workers 1``, ``QIYOU_ENV=production``) and the
   ceiling (``ceiling.py``) under the same uvicorn flags, and checks that they answer alike;
3. drives both with wrk, alternating: the reads at fixed concurrencies, the ticket rush, the
   booking storm; checks the rush and the storm in the database afterwards;
4. counts SQL statements per request, profiles Qiyou under load with py-spy;
5. writes ``tests/bench/results/<time>-<mode>.json`` and ``.md`` and prints the table.

See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import platform
import random
import secrets
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import psutil

from backend.config import Settings, new_data_key
from backend.core.auth import issue_access_token
from backend.core.clock import LOCAL_TZ
from tests.bench import (
    canteen,
    census,
    database,
    history,
    load,
    parity,
    profiling,
    report,
    seed,
    servers,
)
from tests.bench.load import LoadResult, Request

RESULTS = Path(__file__).resolve().parent / "results"
API = "/api/v1"


@dataclass(frozen=True, slots=True)
class Config:
    name: str
    data: seed.DataScale
    read_seconds: int
    rounds: int
    warmup_seconds: int
    concurrencies: tuple[int, ...]
    rush_connections: int
    storm_connections: int
    profile_seconds: int
    census_requests: int
    wrk_threads: int = 1


FULL = Config(
    name="full",
    data=seed.FULL_DATA,
    read_seconds=10,
    rounds=2,
    warmup_seconds=3,
    concurrencies=(50, 200),
    rush_connections=200,
    storm_connections=200,
    profile_seconds=10,
    census_requests=20,
)
QUICK = Config(
    name="quick",
    data=seed.QUICK_DATA,
    read_seconds=3,
    rounds=1,
    warmup_seconds=1,
    concurrencies=(50, 200),
    rush_connections=200,
    storm_connections=200,
    profile_seconds=3,
    census_requests=5,
)

READS = {
    "events": "GET /api/v1/events (page of 20)",
    "event": "GET /api/v1/events/{id}",
    "availability": "GET /api/v1/rooms/{id}/availability?date=",
    "home": "GET /api/v1/home (authenticated)",
    "care_orders": "GET /api/v1/me/care/orders (a household's care orders)",
    "care_board": "GET /api/v1/manage/care/board?date= (a dispatcher's day)",
    "caregiver_day": "GET /api/v1/caregiver/visits (a caregiver's day)",
    "childcare_roster": "GET /api/v1/manage/childcare/programs/{id}/sessions/{date} (a roster)",
}


def say(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


class Tokens:
    """Access tokens for seeded residents, minted as the app mints them (same secret, a real
    login session each), fresh for every run so that none expires mid-benchmark."""

    def __init__(self, jwt_secret: str, sessions: dict[UUID, UUID]) -> None:
        self.settings = Settings(env="production", jwt_secret=jwt_secret)
        self.sessions = sessions

    def __call__(self, user_id: UUID, role: str = "resident") -> str:
        return issue_access_token(
            self.settings,
            user_id=user_id,
            role=role,
            session_id=self.sessions[user_id],
            now=datetime.now(UTC),
        )


class Bench:
    def __init__(self, config: Config, args: argparse.Namespace) -> None:
        self.config = config
        self.args = args
        self.wrk = load.ensure_wrk()
        self.stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        self.work = database.DATA_DIR / "run"
        self.results: dict[str, Any] = {
            "mode": config.name,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **database.git_state(),
            "notes": [],
        }
        self.ours: servers.Server | None = None
        self.ceiling: servers.Server | None = None
        self.quiet_log: list[dict[str, Any]] = []

    # --- setup ---------------------------------------------------------------------------------

    def prepare(self) -> None:
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        self.results["machine"] = machine()
        say("starting the embedded PostgreSQL under .qiyou-bench/")
        server_url = database.start_server()
        self.postmaster_pid = int(
            (database.DATA_DIR / "pg" / "postmaster.pid").read_text().split()[0]
        )
        say("creating and migrating a fresh database")
        self.url = asyncio.run(database.fresh_database(server_url))
        self.dsn = database.dsn_of(self.url)
        self.results["machine"]["postgresql"] = asyncio.run(database.server_version(self.dsn))
        self.results["machine"]["wrk"] = load.wrk_version(self.wrk)
        say(f"seeding ({self.config.name} data set)")
        # One data key for the seed, Qiyou and the ceiling: all three seal and open the same
        # codes (tickets and check-in codes are stored hashed and encrypted under it).
        self.data_key = new_data_key()
        database.DATA_KEY_FILE.write_text(self.data_key)
        self.seeded = asyncio.run(
            seed.seed(
                self.dsn,
                self.config.data,
                _key_bytes(self.data_key),
                scale_out=getattr(self.args, "workers", 1) > 1,
            )
        )
        say(seed.describe(self.seeded))
        history_scale = getattr(self.args, "scale", 1)
        if history_scale > 1:
            # Issue 17: the same live data with N times the finished history.
            seconds = asyncio.run(history.multiply(self.dsn, history_scale, self.seeded.now))
            say(f"history ×{history_scale} added in {seconds:.0f} s")
        # The meal-order rush: one lunch each, as many portions as the ticket rush has seats.
        self.rush_meals = asyncio.run(canteen.seed_meals(self.dsn, self.config.data.rush_seats))
        breaches = asyncio.run(seed.check_invariants(self.dsn))
        if any(breaches.values()):
            raise SystemExit(f"the seed broke invariants: {breaches}")
        self.results["data"] = {
            "history_scale": history_scale,
            "scale": seed.scale_summary(self.config.data),
            "rows": self.seeded.counts,
            "seed_seconds": round(self.seeded.seconds, 1),
        }
        self.jwt_secret = secrets.token_urlsafe(48)
        self.tokens = Tokens(self.jwt_secret, self.seeded.sessions)

    def start_servers(self) -> None:
        settings = servers.ProductionSettings(
            database_url=self.url,
            jwt_secret=self.jwt_secret,
            data_key=self.data_key,
            access_log=self.args.access_log != "off",
            worker=self.args.worker == "on",
        )
        logs = self.work / "logs"
        say("starting Qiyou: QIYOU_ENV=production qiyou run --workers 1")
        self.ours = servers.start_ours(settings, servers.free_port(), logs)
        if settings.access_log and not self._answers():
            say("Qiyou answers 500 with its access log on; retrying with QIYOU_ACCESS_LOG=false")
            self.ours.stop()
            settings = servers.ProductionSettings(
                database_url=settings.database_url,
                jwt_secret=settings.jwt_secret,
                data_key=settings.data_key,
                access_log=False,
                worker=settings.worker,
            )
            self.ours = servers.start_ours(settings, servers.free_port(), logs)
            if not self._answers():
                raise SystemExit(f"Qiyou answers 500 even without its access log; see {logs}")
            self.results["notes"].append(
                "Production's access log answers every logged request with 500: Litestar gives "
                "structlog a BytesLoggerFactory whenever stderr is not a terminal, and the app's "
                "JSON/console renderers produce str (TypeError: can only concatenate str (not "
                "'bytes') to str). Qiyou was measured with QIYOU_ACCESS_LOG=false."
            )
        pool = settings.connections
        say(f"starting the ceiling (uvicorn, 1 worker, asyncpg pool of {pool})")
        self.ceiling = servers.start_ceiling(
            self.dsn,
            pool,
            servers.free_port(),
            logs,
            data_key=self.data_key,
            jwt_secret=self.jwt_secret,
        )
        self.results["settings"] = {
            "QIYOU_ENV": "production",
            "workers": 1,
            "access_log": settings.access_log,
            "in_process_worker": settings.worker,
            "rate_limits": "on (none of the benchmarked routes has one)",
            "db_pool": f"{settings.pool_size} + {settings.max_overflow} overflow"
            f" + {settings.read_pool_size} for reads",
            "ceiling_pool": pool,
            "wrk_threads": self.config.wrk_threads,
        }

    def _answers(self) -> bool:
        assert self.ours is not None
        status, _ = parity.fetch(self.ours.base_url, f"{API}/events?limit=1")
        return status == 200

    # --- requests ------------------------------------------------------------------------------

    def _reads(self, endpoint: str) -> list[Request]:
        rng = random.Random(7)
        if endpoint == "events":
            return [Request("GET", f"{API}/events?limit=20")]
        if endpoint == "event":
            ids = list(self.seeded.public_event_ids)
            rng.shuffle(ids)
            return [Request("GET", f"{API}/events/{event_id}") for event_id in ids]
        if endpoint == "availability":
            today = datetime.now(LOCAL_TZ).date()
            paths = [
                f"{API}/rooms/{room}/availability?date={today + timedelta(days=d)}"
                for room in self.seeded.room_ids
                for d in range(7)
            ]
            rng.shuffle(paths)
            return [Request("GET", p) for p in paths]
        if endpoint == "home":
            return [
                Request("GET", f"{API}/home", self.tokens(u)) for u in self.seeded.home_residents
            ]
        if endpoint == "care_orders":
            households = list(self.seeded.care_households)
            rng.shuffle(households)
            return [Request("GET", f"{API}/me/care/orders", self.tokens(u)) for u in households]
        if endpoint == "care_board":
            today = datetime.now(LOCAL_TZ).date()
            return [
                Request(
                    "GET", f"{API}/manage/care/board?date={today}", self.tokens(d, "dispatcher")
                )
                for d in self.seeded.dispatchers
            ]
        if endpoint == "caregiver_day":
            # As the phone asks: no date, today's visits.
            return [
                Request("GET", f"{API}/caregiver/visits", self.tokens(c, "caregiver"))
                for c in self.seeded.caregivers
            ]
        if endpoint == "childcare_roster":
            today = datetime.now(LOCAL_TZ).date()
            return [
                Request(
                    "GET",
                    f"{API}/manage/childcare/programs/{program}/sessions/{today}",
                    self.tokens(teacher, "worker"),
                )
                for program, teacher in self.seeded.rosters
            ]
        raise ValueError(endpoint)

    def _registrations(self, event_id: UUID, residents: list[UUID]) -> list[Request]:
        # Each with an Idempotency-Key of its own, as docs/events.md tells every client to send.
        path = f"{API}/events/{event_id}/registrations"
        return [
            Request("POST", path, self.tokens(u), '{"seats":1}', idempotency_key=str(uuid4()))
            for u in residents
        ]

    def _bookings(self, slot: seed.Slot, residents: list[UUID]) -> list[Request]:
        body = json.dumps(
            {
                "roomId": str(slot.room_id),
                "startsAt": slot.starts_at.astimezone(LOCAL_TZ).isoformat(),
                "endsAt": slot.ends_at.astimezone(LOCAL_TZ).isoformat(),
                "purpose": "楼道自治小组议事",
                "attendees": 6,
            },
            ensure_ascii=False,
        )
        return [Request("POST", f"{API}/bookings", self.tokens(u), body) for u in residents]

    def _server(self, which: str) -> servers.Server:
        server = self.ours if which == "ours" else self.ceiling
        assert server is not None
        return server

    def _run(
        self,
        which: str,
        requests: list[Request],
        *,
        mode: str,
        connections: int,
        seconds: float,
        label: str,
        samples: bool = False,
        quiet: bool = True,
    ) -> LoadResult:
        server = self._server(which)
        if quiet and not label.startswith("warmup"):
            self._wait_quiet(label)
        requests_file = load.write_requests(self.work / "requests" / f"{label}.tsv", requests)
        prefix = self.work / "samples" / label if samples else None
        if prefix:
            prefix.parent.mkdir(parents=True, exist_ok=True)
        meter = load.CpuMeter(
            server.pid,
            lambda: servers.postgres_cpu_seconds(self.postmaster_pid),
            server.tree_cpu_seconds,
        )
        result = load.run(
            self.wrk,
            server=which,
            url=server.base_url,
            requests_file=requests_file,
            mode=mode,
            connections=connections,
            seconds=seconds,
            threads=self.config.wrk_threads,
            samples_prefix=prefix,
            meter=meter,
        )
        time.sleep(0.5)
        return result

    def _our_cpu_seconds(self) -> float:
        total = servers.postgres_cpu_seconds(self.postmaster_pid)
        for server in (self.ours, self.ceiling):
            if server is not None:
                total += server.tree_cpu_seconds()
        return total

    def _wait_quiet(self, label: str) -> None:
        """Other processes on the machine (test suites, builds) distort the numbers: wait a
        bounded while for them to calm down, and record what they still used."""
        waited, load_seen = load.wait_until_quiet(
            self._our_cpu_seconds,
            threshold=self.args.quiet_threshold,
            max_wait=self.args.max_quiet_wait,
        )
        self.quiet_log.append(
            {"run": label, "waited_s": round(waited, 1), "other_cores": round(load_seen, 2)}
        )
        if load_seen > self.args.quiet_threshold:
            say(f"  (other processes use {load_seen:.1f} cores; measuring anyway)")

    # --- phases --------------------------------------------------------------------------------

    def check_parity(self) -> None:
        say("checking that Qiyou and the ceiling answer alike")
        checks = []
        token = self.tokens(self.seeded.home_residents[0])
        for endpoint in READS:
            request = self._reads(endpoint)[0]
            if endpoint == "home":
                request = Request("GET", f"{API}/home", token)
            bodies = []
            for which in ("ours", "ceiling"):
                status, body = parity.fetch(
                    self._server(which).base_url, request.path, request.token
                )
                if status != 200:
                    raise SystemExit(f"{which} answered {status} to {request.path}: {body[:300]!r}")
                bodies.append(body)
            result = parity.compare(READS[endpoint], bodies[0], bodies[1])
            checks.append(result)
            state = (
                "identical bytes"
                if result.identical_bytes
                else "same JSON"
                if result.same_json
                else "DIFFERENT"
            )
            say(f"  {READS[endpoint]}: {state}")
            for line in result.differences[:5]:
                say(f"    {line}")
        self.results["parity"] = [c.as_dict() for c in checks]
        if not all(c.same_json for c in checks):
            self.results["notes"].append(
                "PARITY: the ceiling no longer answers like Qiyou (see parity); the ratios "
                "compare different work. Update tests/bench/ceiling.py."
            )

    def warm_up(self) -> None:
        say(f"warming up both servers ({self.config.warmup_seconds} s per endpoint)")
        for endpoint in READS:
            for which in ("ours", "ceiling"):
                self._run(
                    which,
                    self._reads(endpoint),
                    mode="cycle",
                    connections=50,
                    seconds=self.config.warmup_seconds,
                    label=f"warmup-{endpoint}-{which}",
                )

    def reads(self) -> None:
        rows = []
        for connections in self.config.concurrencies:
            for endpoint in READS:
                runs: dict[str, list[LoadResult]] = {"ours": [], "ceiling": []}
                for round_ in range(self.config.rounds):
                    # ours, ceiling / ceiling, ours: a drift during the run favours neither.
                    order = ("ours", "ceiling") if round_ % 2 == 0 else ("ceiling", "ours")
                    for which in order:
                        result = self._run(
                            which,
                            self._reads(endpoint),
                            mode="cycle",
                            connections=connections,
                            seconds=self.config.read_seconds,
                            label=f"{endpoint}-c{connections}-{which}-{round_}",
                        )
                        runs[which].append(result)
                        say(
                            f"  {READS[endpoint]} c={connections} {which:7}: "
                            f"{result.rps:8.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
                            f"p99 {result.p99_ms:7.1f} ms  non-2xx {result.requests - result.ok}"
                            f"  {cpu_text(result)}"
                        )
                rows.append(report.read_row(endpoint, READS[endpoint], connections, runs))
        self.results["reads"] = rows

    def rush(self) -> None:
        say(
            f"ticket rush: {len(self.seeded.rush_residents)} residents, "
            f"{self.config.data.rush_seats} seats, {self.config.rush_connections} connections"
        )
        outcome: dict[str, Any] = {}
        for which in ("ours", "ceiling"):
            event_id = self.seeded.rush_events[which]
            result = self._run(
                which,
                self._registrations(event_id, self.seeded.rush_residents),
                mode="once",
                connections=self.config.rush_connections,
                seconds=180,
                label=f"rush-{which}",
                samples=True,
            )
            check = asyncio.run(rush_check(self.dsn, event_id))
            outcome[which] = {"load": result.as_dict(), "database": check}
            say(
                f"  {which:7}: {result.rps:7.0f} req/s  p50 {result.p50_ms:7.1f} ms  "
                f"p99 {result.p99_ms:7.1f} ms  201s {result.ok}  409s {result.conflicts}  "
                f"5xx {result.server_errors}  confirmed {check['confirmed']}  "
                f"waitlisted {check['waitlisted']}  correct {check['correct']}"
            )
        outcome["parity"] = [
            parity.compare_shape(
                f"registration answer ({kind})",
                outcome["ours"]["load"]["samples"].get(kind),
                outcome["ceiling"]["load"]["samples"].get(kind),
            ).as_dict()
            for kind in ("201-confirmed", "201-waitlisted")
        ]
        outcome["replay"] = self.check_replay()
        self.results["rush"] = outcome

    def check_replay(self) -> list[dict[str, Any]]:
        """Both servers replay a repeated Idempotency-Key (on the profiler's event, by two
        residents the other phases leave alone)."""
        path = f"{API}/events/{self.seeded.rush_events['profile']}/registrations"
        checks = []
        residents = self.seeded.spare_residents[-2:]
        for which, resident in zip(("ours", "ceiling"), residents, strict=True):
            check = parity.replay(
                f"registration replayed [{which}]",
                self._server(which).base_url,
                path,
                self.tokens(resident),
                b'{"seats":1}',
                str(uuid4()),
            )
            say(f"  Idempotency-Key repeated [{which}]: {'replayed' if check.same_json else 'NO'}")
            for line in check.differences:
                say(f"    {line}")
            if not check.same_json:
                self.results["notes"].append(
                    f"REPLAY: {which} does not replay a repeated Idempotency-Key (see rush.replay)"
                )
            checks.append(check.as_dict())
        return checks

    def _meal_orders(self, meal_id: UUID, residents: list[UUID]) -> list[Request]:
        body = json.dumps({"mealId": str(meal_id), "portions": 1})
        return [Request("POST", f"{API}/meal-orders", self.tokens(u), body) for u in residents]

    def meal_rush(self) -> None:
        """The 09:29 rush at the canteen: the ticket rush's residents order one lunch of as
        many portions as the event had seats (tests/bench/canteen.py)."""
        say(
            f"meal-order rush: {len(self.seeded.rush_residents)} residents, "
            f"{self.config.data.rush_seats} portions, {self.config.rush_connections} connections"
        )
        outcome: dict[str, Any] = {}
        for which in ("ours", "ceiling"):
            meal_id = self.rush_meals[which]
            result = self._run(
                which,
                self._meal_orders(meal_id, self.seeded.rush_residents),
                mode="once",
                connections=self.config.rush_connections,
                seconds=180,
                label=f"meal-rush-{which}",
                samples=True,
            )
            check = asyncio.run(canteen.meal_check(self.dsn, meal_id))
            check["correct"] = bool(check["correct"] and result.server_errors == 0)
            outcome[which] = {"load": result.as_dict(), "database": check}
            say(
                f"  {which:7}: {result.rps:7.0f} req/s  p50 {result.p50_ms:7.1f} ms  "
                f"p99 {result.p99_ms:7.1f} ms  201s {result.ok}  409s {result.conflicts}  "
                f"5xx {result.server_errors}  portions ordered {check['held']}  "
                f"oversold {check['oversold']}  correct {check['correct']}"
            )
        outcome["parity"] = [
            parity.compare_shape(
                f"meal order answer ({kind})",
                outcome["ours"]["load"]["samples"].get(kind),
                outcome["ceiling"]["load"]["samples"].get(kind),
            ).as_dict()
            for kind in ("201-confirmed", "409-x")
        ]
        self.results["meal_rush"] = outcome

    def storm(self) -> None:
        say(
            f"booking storm: {len(self.seeded.storm_residents)} requests for one slot, "
            f"{self.config.storm_connections} connections"
        )
        outcome: dict[str, Any] = {}
        for which in ("ours", "ceiling"):
            slot = self.seeded.storm_slots[which]
            slot_must_be_free(self.dsn, slot, f"storm-{which}")
            result = self._run(
                which,
                self._bookings(slot, self.seeded.storm_residents),
                mode="once",
                connections=self.config.storm_connections,
                seconds=120,
                label=f"storm-{which}",
                samples=True,
            )
            check = asyncio.run(storm_check(self.dsn, slot))
            check["correct"] = bool(
                check["active"] == 1 and result.ok == 1 and result.server_errors == 0
            )
            outcome[which] = {"load": result.as_dict(), "database": check}
            say(
                f"  {which:7}: {result.rps:7.0f} req/s  p50 {result.p50_ms:7.1f} ms  "
                f"p99 {result.p99_ms:7.1f} ms  201s {result.ok}  409s {result.conflicts}  "
                f"5xx {result.server_errors}  active bookings {check['active']}"
            )
        outcome["parity"] = [
            parity.compare_shape(
                f"booking answer ({kind})",
                outcome["ours"]["load"]["samples"].get(kind),
                outcome["ceiling"]["load"]["samples"].get(kind),
            ).as_dict()
            for kind in ("201-confirmed", "409-x")
        ]
        self.results["storm"] = outcome

    def count_statements(self) -> None:
        say("counting SQL statements per request (log_statement = 'all')")
        log = census.StatementLog(self.dsn, database.DATA_DIR / "pg" / "log")
        n = self.config.census_requests
        spare = self.seeded.spare_residents
        plan: dict[str, dict[str, list[Request]]] = {}
        for endpoint in READS:
            requests = self._reads(endpoint)[:n]
            plan[READS[endpoint]] = {"ours": requests, "ceiling": requests}
        plan["POST /api/v1/events/{id}/registrations (waitlisted)"] = {
            which: self._registrations(self.seeded.rush_events[which], spare[i * n : (i + 1) * n])
            for i, which in enumerate(("ours", "ceiling"))
        }
        plan["POST /api/v1/bookings (409, slot taken)"] = {
            which: self._bookings(self.seeded.storm_slots[which], self.seeded.storm_residents[:n])
            for which in ("ours", "ceiling")
        }
        counted: dict[str, Any] = {}
        asyncio.run(log.enable())
        try:
            for what, per_server in plan.items():
                counted[what] = {
                    which: log.count(
                        "qiyou" if which == "ours" else "qiyou-ceiling",
                        self._server(which).base_url,
                        requests,
                    ).as_dict()
                    for which, requests in per_server.items()
                }
                say(
                    f"  {what}: ours {counted[what]['ours']['statements_per_request']}, "
                    f"ceiling {counted[what]['ceiling']['statements_per_request']}"
                )
        finally:
            asyncio.run(log.disable())
        self.results["statements"] = counted

    def profile(self) -> None:
        py_spy = profiling.ensure_py_spy()
        if py_spy is None:
            self.results["notes"].append("py-spy is not available: no profile taken")
            return
        self.py_spy = py_spy
        seconds = self.config.profile_seconds
        say(f"profiling with py-spy ({seconds} s per read at c=50; a rush and a storm)")
        profiles: dict[str, Any] = {}
        targets = [(endpoint, "ours") for endpoint in READS] + [("events", "ceiling")]
        for endpoint, which in targets:
            what = f"{READS[endpoint]} [{which}]"
            profiles[what] = self._profiled(
                which,
                self._reads(endpoint),
                mode="cycle",
                connections=50,
                seconds=seconds,
                label=f"profile-{endpoint}-{which}",
            )
        # The writes on their own event and slot, so the measured rush and storm stay unprofiled.
        profiles["ticket rush [ours]"] = self._profiled(
            "ours",
            self._registrations(self.seeded.rush_events["profile"], self.seeded.rush_residents),
            mode="once",
            connections=self.config.rush_connections,
            seconds=seconds,
            label="profile-rush-ours",
        )
        slot_must_be_free(self.dsn, self.seeded.storm_slots["profile"], "profile-storm-ours")
        profiles["booking storm [ours]"] = self._profiled(
            "ours",
            self._bookings(self.seeded.storm_slots["profile"], self.seeded.storm_residents),
            mode="once",
            connections=self.config.storm_connections,
            seconds=2,
            label="profile-storm-ours",
        )
        self.results["profile"] = profiles

    def _profiled(
        self,
        which: str,
        requests: list[Request],
        *,
        mode: str,
        connections: int,
        seconds: int,
        label: str,
    ) -> dict[str, Any]:
        server = self._server(which)
        out = self.work / "profiles" / f"{label}.txt"
        self._wait_quiet(label)
        recorder = profiling.Recorder(self.py_spy, server.pid, seconds, out)
        # A read runs a second longer on each side of the recording; a write starts with it.
        recorder.start(delay=1.0 if mode == "cycle" else 0.0)
        result = self._run(
            which,
            requests,
            mode=mode,
            connections=connections,
            seconds=seconds + 2 if mode == "cycle" else 180,
            label=label,
            quiet=False,
        )
        recorder.wait()
        analysis = profiling.analyse(out)
        analysis["rps_while_profiled"] = result.rps
        analysis["server_cpu_while_profiled"] = result.server_cpu
        say(f"  {label}: {profiling.one_line(analysis)}")
        return analysis

    def finish(self) -> None:
        rss = {}
        for which in ("ours", "ceiling"):
            server = self._server(which)
            rss[which] = {
                "peak_mb": round(server.rss_high_water() / 2**20, 1),
                "sampled_peak_mb": round(server.rss_peak_sampled / 2**20, 1),
                "now_mb": round(server.rss_now() / 2**20, 1),
            }
        self.results["rss"] = rss
        disturbed = [q for q in self.quiet_log if q["other_cores"] > self.args.quiet_threshold]
        self.results["quiet"] = {
            "threshold_cores": self.args.quiet_threshold,
            "waited_s": round(sum(q["waited_s"] for q in self.quiet_log), 1),
            "disturbed_runs": disturbed,
        }
        if disturbed:
            self.results["notes"].append(
                f"{len(disturbed)} of {len(self.quiet_log)} runs started while other processes "
                f"used more than {self.args.quiet_threshold} cores (see quiet.disturbed_runs and "
                "each run's others_cpu); their numbers are lower than this machine can do."
            )
        self.results["machine"]["load_at_end"] = [round(x, 2) for x in psutil.getloadavg()]
        self.results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        self.results["targets"] = report.targets(self.results)

    def stop(self) -> None:
        for server in (self.ours, self.ceiling):
            if server is not None:
                server.stop()

    def write(self) -> tuple[Path, Path]:
        RESULTS.mkdir(parents=True, exist_ok=True)
        base = RESULTS / f"{self.stamp}-{self.config.name}"
        json_path = base.with_suffix(".json")
        md_path = base.with_suffix(".md")
        json_path.write_text(json.dumps(self.results, indent=2, ensure_ascii=False, default=str))
        md_path.write_text(report.markdown(self.results))
        for path in (json_path, md_path):
            shutil.copyfile(path, RESULTS / f"latest-{self.config.name}{path.suffix}")
        return json_path, md_path


def _key_bytes(data_key: str) -> bytes:
    """A ``QIYOU_DATA_KEY`` value (URL-safe base64 without padding) as its 32 bytes."""
    return base64.urlsafe_b64decode(data_key + "=" * (-len(data_key) % 4))


async def rush_check(dsn: str, event_id: UUID) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            """
            SELECT e.capacity, e.confirmed_seats, e.waitlisted_count,
                   count(r.id) AS registrations,
                   count(*) FILTER (WHERE r.status = 'confirmed') AS confirmed,
                   count(*) FILTER (WHERE r.status = 'waitlisted') AS waitlisted,
                   coalesce(sum(r.seats) FILTER (WHERE r.status = 'confirmed'), 0) AS seats,
                   count(DISTINCT r.user_id) AS residents,
                   count(DISTINCT r.waitlist_seq) FILTER (WHERE r.status = 'waitlisted')
                       AS distinct_positions,
                   count(DISTINCT r.ticket_hash) FILTER (WHERE r.status = 'confirmed') AS tickets
            FROM events AS e LEFT JOIN event_registrations AS r ON r.event_id = e.id
            WHERE e.id = $1
            GROUP BY e.id
            """,
            event_id,
        )
    finally:
        await conn.close()
    check = dict(row)
    check["oversold"] = max(0, check["seats"] - check["capacity"])
    check["correct"] = bool(
        check["confirmed"] == check["capacity"] == check["seats"] == check["confirmed_seats"]
        and check["waitlisted"]
        == check["registrations"] - check["capacity"]
        == check["waitlisted_count"]
        == check["distinct_positions"]
        and check["residents"] == check["registrations"]
        and check["tickets"] == check["confirmed"]
    )
    return check


async def storm_check(dsn: str, slot: seed.Slot) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            """
            SELECT count(*) FILTER (WHERE status IN ('pending', 'confirmed', 'checked_in'))
                       AS active,
                   count(*) AS bookings
            FROM bookings
            WHERE room_id = $1 AND starts_at < $3 AND ends_at > $2
            """,
            slot.room_id,
            slot.starts_at,
            slot.ends_at,
        )
    finally:
        await conn.close()
    return dict(row)


def slot_must_be_free(dsn: str, slot: seed.Slot, label: str) -> None:
    """A storm on a slot that is already taken measures 200 refusals and proves nothing about
    the lock (the full run of 2026-12-03 did: the seed had booked Qiyou's slot). Stop there."""
    before = asyncio.run(storm_check(dsn, slot))
    if before["bookings"]:
        raise SystemExit(
            f"{label}: the storm's slot {slot} already holds {before['bookings']} booking(s) "
            f"({before['active']} active) before the storm; the seed or an earlier phase "
            "booked it"
        )


def cpu_text(result: LoadResult) -> str:
    text = (
        f"cpu: server {result.server_cpu:.0%}, postgres {result.postgres_cpu:.0%}, "
        f"wrk {result.wrk_cpu:.0%}"
    )
    if result.others_cpu > 0.15:
        text += f", OTHER PROCESSES {result.others_cpu:.0%}"
    return text


def machine() -> dict[str, Any]:
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    busy = psutil.cpu_percent(interval=1.0)
    others = sorted(
        (
            (p.info["cpu_percent"] or 0.0, p.info["name"] or "?")
            for p in psutil.process_iter(["cpu_percent", "name"])
        ),
        reverse=True,
    )
    packages = (
        "litestar",
        "advanced-alchemy",
        "sqlalchemy",
        "asyncpg",
        "uvicorn",
        "uvloop",
        "httptools",
        "msgspec",
        "structlog",
        "pyjwt",
    )
    return {
        "nproc": psutil.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in packages},
        "busy_before_start_percent": busy,
        "load_at_start": [round(x, 2) for x in psutil.getloadavg()],
        "busiest_processes_at_start": [f"{name} {cpu:.0f}%" for cpu, name in others[:3]],
    }


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small data set, 3-second runs")
    parser.add_argument(
        "--scale", type=int, default=1, help="N times the finished history (issue 17)"
    )
    parser.add_argument(
        "--access-log",
        choices=("auto", "off"),
        default="auto",
        help="auto: as production (on), off when it is broken; off: QIYOU_ACCESS_LOG=false",
    )
    parser.add_argument(
        "--worker",
        choices=("on", "off"),
        default="on",
        help="qiyou run's in-process job worker (QIYOU_WORKER), on as in production",
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profile")
    parser.add_argument(
        "--quiet-threshold",
        type=float,
        default=0.25,
        help="cores other processes may use before a run starts (default 0.25)",
    )
    parser.add_argument(
        "--max-quiet-wait",
        type=float,
        default=None,
        help="seconds to wait for a quiet machine before each run (default 45; quick 0)",
    )
    parser.add_argument(
        "--no-census", action="store_true", help="skip counting statements per request"
    )
    parser.add_argument(
        "--workers",
        type=int,
        choices=(1, 2),
        default=1,
        help="2: the scale-out run (issue 17): one and two workers, Qiyou's two on --redis",
    )
    parser.add_argument(
        "--writes-only",
        action="store_true",
        help="only the rushes and the storm (no reads, census or profile): a write path's change",
    )
    parser.add_argument(
        "--redis", default=None, help="QIYOU_REDIS_URL for Qiyou's two workers (--workers 2)"
    )
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    if args.max_quiet_wait is None:
        args.max_quiet_wait = 0.0 if args.quick else 45.0
    if args.workers > 1:
        if not args.redis:
            parser.error("--workers 2 needs --redis redis://host:6379/<db> (docs/operations.md)")
        from tests.bench import scaleout

        return scaleout.main(Bench(config, args))
    started = time.monotonic()
    bench = Bench(config, args)
    try:
        bench.prepare()
        bench.start_servers()
        bench.check_parity()
        bench.warm_up()
        if not args.writes_only:
            say("reads")
            bench.reads()
        bench.rush()
        bench.meal_rush()
        bench.storm()
        if not (args.no_census or args.writes_only):
            bench.count_statements()
        if not (args.no_profile or args.writes_only):
            bench.profile()
        bench.finish()
    finally:
        bench.stop()
    bench.results["seconds"] = round(time.monotonic() - started)
    json_path, md_path = bench.write()
    print()
    print(md_path.read_text())
    say(f"wrote {json_path.relative_to(database.ROOT)} and {md_path.relative_to(database.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
