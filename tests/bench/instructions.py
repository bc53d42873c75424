"""Instructions per request, counted by callgrind, for Qiyou and the ceiling in one process.

wrk's requests/s move by a few per cent between runs on a shared two-core machine, which hides
a change worth 2 %. Callgrind counts the instructions a process executes: the same count for the
same code and data, whatever else the machine is doing. So one change to the request path can be
measured on its own, to the thousand instructions, in about five minutes.

    .venv/bin/python -m tests.bench.instructions [--requests 400]

It needs valgrind (``apt-get install valgrind``) and the benchmark's database: run
``python -m tests.bench.run --quick`` once before. It runs itself again under
``valgrind --tool=callgrind --dump-before=getppid``. Inside, it builds Qiyou's app with
production settings (access log on, written to a file) and the ceiling app, and for each of
the benchmark's reads answers it 200 times to warm up, then ``--requests`` times between two
calls of ``os.getppid()``, each of which makes callgrind write out its count so far.
``--reads meal-order,meal-sold-out`` counts the meal-order rush's POST instead (issue 15):
an order taken and an order refused as sold out, each on a lunch seeded for the count. Requests go
to the ASGI apps directly, one after another: no server and no sockets, so a count is the app's
own work, the client side of its database round trip and the event loop's share. Divided by
the requests, it is the cost of one; the ratio ceiling / ours is the benchmark's ratio without
the server's share, which both pay alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import uvloop

from backend.core.clock import LOCAL_TZ
from backend.core.database import with_database
from tests.bench.database import DATA_KEY_FILE, DATABASE, dsn_of, start_server

API = "/api/v1"
WARM_UP = 200
READS = (
    "events",
    "event",
    "availability",
    "home",
    "care-orders",
    "care-board",
    "caregiver-day",
    "childcare-roster",
)
# The meal-order rush's two answers (issue 15), each on a meal of its own per app: an order
# taken (201: a portion for each warm-up and measured request, one resident each) and an
# order refused because the meal is sold out (409, the rush's ~85 %).
MEAL_ORDERS = ("meal-order", "meal-sold-out")
EXPECTED = {"meal-order": 201, "meal-sold-out": 409}

Message = MutableMapping[str, Any]
# path, query, bearer token, and the body of a POST (a GET has none)
Call = tuple[str, bytes, str | None] | tuple[str, bytes, str | None, bytes]
ASGIApp = Callable[
    [Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


# --- outside valgrind ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="measured requests per read")
    parser.add_argument(
        "--reads",
        default=",".join(READS),
        help=(
            "which requests to count, comma-separated (default: all of "
            f"{','.join(READS)}; also {','.join(MEAL_ORDERS)})"
        ),
    )
    parser.add_argument(
        "--ours-only", action="store_true", help="count Qiyou alone (the ceiling does not change)"
    )
    parser.add_argument(
        "--redis",
        default="",
        help="QIYOU_REDIS_URL for Qiyou (the stores and limits of several workers; issue 17)",
    )
    parser.add_argument(
        "--parity",
        action="store_true",
        help="no counting: answer every path of the reads once in each app, compare the bytes",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help=(
            "requests in flight at once, each in a task of its own as uvicorn runs it (default 1:"
            " one after another); 50 is wrk's load, which adds the waits in the admission line"
            " and the pools and the event loop's turns they cost"
        ),
    )
    parser.add_argument("--inside", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    reads = tuple(read for read in args.reads.split(",") if read)
    if unknown := set(reads) - {*READS, *MEAL_ORDERS}:
        parser.error(f"unknown reads: {', '.join(sorted(unknown))}")
    apps = ("ours",) if args.ours_only else ("ours", "ceiling")
    if args.parity:
        return uvloop.run(_parity(_benchmark_database(), reads))
    if args.inside:
        # The server's event loop (uvicorn runs on uvloop in production).
        uvloop.run(_inside(args.inside, args.requests, reads, apps, args.redis, args.concurrency))
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    url = _benchmark_database()
    with tempfile.TemporaryDirectory(prefix="qiyou-callgrind-") as work:
        out = Path(work) / "cg.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--dump-before=getppid",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "tests.bench.instructions",
            "--inside",
            url,
            "--requests",
            str(args.requests),
            "--reads",
            ",".join(reads),
            *(["--ours-only"] if args.ours_only else []),
            *(["--redis", args.redis] if args.redis else []),
            "--concurrency",
            str(args.concurrency),
        ]
        minutes = max(1, round(5 * len(reads) * len(apps) / 8))
        print(
            f"counting {args.requests} requests per read under callgrind (about {minutes} min)"
            + (f", {args.concurrency} at once" if args.concurrency > 1 else "")
        )
        log = Path(work) / "log"
        with log.open("w") as sink:
            done = subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0:
            raise SystemExit(f"the counted run failed:\n{log.read_text()[-3000:]}")
        # Dumps come in pairs per read (after the warm-up, after the measured requests).
        counts = [
            _total(Path(f"{out}.{2 * n}")) / args.requests
            for n in range(1, len(reads) * len(apps) + 1)
        ]
    ours = counts[: len(reads)]
    if args.ours_only:
        print("\n| read | ours |\n| --- | ---: |")
        for read, mine in zip(reads, ours, strict=True):
            print(f"| {read} | {mine / 1000:,.1f}k |")
        return 0
    ceiling = counts[len(reads) :]
    print("\n| read | ours | ceiling | ceiling / ours |\n| --- | ---: | ---: | ---: |")
    for read, mine, theirs in zip(reads, ours, ceiling, strict=True):
        print(f"| {read} | {mine / 1000:,.0f}k | {theirs / 1000:,.0f}k | {theirs / mine:.2f} |")
    return 0


def _benchmark_database() -> str:
    url = with_database(start_server(), DATABASE)

    async def has_events() -> bool:
        try:
            connection = await asyncpg.connect(dsn_of(url))
        except asyncpg.InvalidCatalogNameError:
            return False
        try:
            return bool(await connection.fetchval("SELECT count(*) FROM events"))
        finally:
            await connection.close()

    if not asyncio.run(has_events()):
        raise SystemExit("no benchmark data: run `python -m tests.bench.run --quick` once")
    return url


def _total(dump: Path) -> int:
    for line in dump.read_text().splitlines():
        if line.startswith("totals:") or line.startswith("summary:"):
            return int(line.split()[1])
    raise SystemExit(f"{dump} has no totals")


# --- inside valgrind ----------------------------------------------------------------------------


async def _inside(
    url: str,
    requests: int,
    reads: tuple[str, ...],
    apps: tuple[str, ...],
    redis_url: str = "",
    concurrency: int = 1,
) -> None:
    jwt_secret = secrets.token_urlsafe(48)
    # The key the benchmark's seed sealed the codes with (home opens the next booking's code).
    data_key = DATA_KEY_FILE.read_text().strip()
    os.environ.update(
        {
            "QIYOU_ENV": "production",
            "QIYOU_DATABASE_URL": url,
            "QIYOU_JWT_SECRET": jwt_secret,
            "QIYOU_DATA_KEY": data_key,
            # The ceiling stores and reads the same sealed codes as Qiyou, so it needs the key.
            "QIYOU_BENCH_DATA_KEY": data_key,
            "QIYOU_RATE_LIMIT_ENABLED": "true",
            "QIYOU_ACCESS_LOG": "true",
            # No in-process job worker: its periodic scans run on the wall clock, which callgrind
            # stretches fifty-fold, so they would land in the counted requests by the dozen (the
            # benchmarked reads queue no jobs).
            "QIYOU_WORKER": "off",
            "QIYOU_BENCH_DSN": dsn_of(url),
        }
        | ({"QIYOU_REDIS_URL": redis_url} if redis_url else {})
    )
    paths = await _paths(dsn_of(url), jwt_secret)
    if meal_orders := [read for read in reads if read in MEAL_ORDERS]:
        paths.update(await _meal_orders(dsn_of(url), jwt_secret, meal_orders, WARM_UP + requests))

    from backend.app import create_app
    from backend.asgi import tune_garbage_collector
    from tests.bench.ceiling import create as create_ceiling

    built = {name: create_app() if name == "ours" else create_ceiling() for name in apps}
    tune_garbage_collector()
    for name in apps:
        app = built[name]
        async with _lifespan(app):
            for read in reads:
                expected = EXPECTED.get(read, 200)
                warm = measured = paths.get(read, [])
                if read in MEAL_ORDERS:
                    # A resident orders once: the measured requests are other residents'.
                    calls = paths[f"{read}/{name}"]
                    warm, measured = calls[:WARM_UP], calls[WARM_UP:]
                await _drive(app, warm, WARM_UP, expected, concurrency)
                os.getppid()  # callgrind: the count so far is written out here
                await _drive(app, measured, requests, expected, concurrency)
                os.getppid()


async def _parity(url: str, reads: tuple[str, ...]) -> int:
    """Every path of each read answered once by Qiyou and once by the ceiling, in-process: the
    bodies must be the same bytes (a run checks one path per read; this checks them all). For
    a caregiver's day and a roster, also the guarantees: the same refusals (401, 403, 404) and
    the same answers to another day and to an admin."""
    jwt_secret = secrets.token_urlsafe(48)
    data_key = DATA_KEY_FILE.read_text().strip()
    os.environ.update(
        {
            "QIYOU_ENV": "production",
            "QIYOU_DATABASE_URL": url,
            "QIYOU_JWT_SECRET": jwt_secret,
            "QIYOU_DATA_KEY": data_key,
            "QIYOU_BENCH_DATA_KEY": data_key,
            "QIYOU_RATE_LIMIT_ENABLED": "true",
            "QIYOU_ACCESS_LOG": "false",
            "QIYOU_WORKER": "off",
            "QIYOU_BENCH_DSN": dsn_of(url),
        }
    )
    paths = await _paths(dsn_of(url), jwt_secret)
    cases = {read: paths[read] for read in reads}
    cases.update(await _guarantees(dsn_of(url), jwt_secret, reads))

    from backend.app import create_app
    from tests.bench.ceiling import create as create_ceiling

    answers: dict[str, list[list[tuple[int, bytes]]]] = {name: [] for name in cases}
    for app in (create_app(), create_ceiling()):
        async with _lifespan(app):
            for name, requests in cases.items():
                answers[name].append([await _answer(app, path) for path in requests])
    failed = 0
    for name, (ours, theirs) in answers.items():
        # A refusal's body carries its request id: the status is what must agree.
        different = [
            n
            for n, (a, b) in enumerate(zip(ours, theirs, strict=True))
            if a[0] != b[0] or (a[0] == 200 and a[1] != b[1])
        ]
        statuses = sorted({status for status, _ in ours})
        print(f"{name}: {len(ours) - len(different)} of {len(ours)} alike (ours: {statuses})")
        for n in different[:3]:
            print(f"  {cases[name][n][0]}?{cases[name][n][1].decode()}")
            print(f"    ours:    {ours[n][0]} {ours[n][1][:600]!r}")
            print(f"    ceiling: {theirs[n][0]} {theirs[n][1][:600]!r}")
        failed += len(different)
    return 1 if failed else 0


async def _guarantees(
    dsn: str, jwt_secret: str, reads: tuple[str, ...]
) -> dict[str, list[tuple[str, bytes, str | None]]]:
    from tests.bench.run import Tokens

    connection = await asyncpg.connect(dsn)
    try:
        caregiver = await connection.fetchval("SELECT id FROM users WHERE role = 'caregiver'")
        dispatcher = await connection.fetchval("SELECT id FROM users WHERE role = 'dispatcher'")
        admin = await connection.fetchval("SELECT id FROM users WHERE role = 'admin'")
        programs = await connection.fetch(
            "SELECT t.program_id, min(t.user_id::text)::uuid AS teacher"
            " FROM childcare_program_teachers AS t GROUP BY t.program_id ORDER BY t.program_id"
            " LIMIT 2"
        )
    finally:
        await connection.close()
    people = [caregiver, dispatcher, admin, *(row["teacher"] for row in programs)]
    # A session id of their own each: Qiyou checks the session against its revocations only.
    tokens = Tokens(jwt_secret, {UUID(str(u)): uuid4() for u in people if u is not None})
    stranger = Tokens(secrets.token_urlsafe(48), tokens.sessions)
    today = datetime.now(LOCAL_TZ).date()
    cases: dict[str, list[tuple[str, bytes, str | None]]] = {}
    if "caregiver-day" in reads and caregiver is not None:
        visits = f"{API}/caregiver/visits"
        mine = tokens(caregiver, "caregiver")
        cases["caregiver-day: refusals and other days"] = [
            (visits, b"", None),
            (visits, b"", stranger(caregiver, "caregiver")),
            (visits, b"", tokens(dispatcher, "dispatcher")),
            (visits, f"date={today + timedelta(days=1)}".encode(), mine),
            (visits, f"date={today - timedelta(days=1)}".encode(), mine),
            (visits, b"limit=2", mine),
        ]
    if "childcare-roster" in reads and len(programs) == 2:
        (one, teacher), (other, _) = programs[0], programs[1]
        day = f"{API}/manage/childcare/programs/{{}}/sessions/{{}}"
        cases["childcare-roster: refusals, another day, an admin"] = [
            (day.format(one, today), b"", None),
            (day.format(one, today), b"", stranger(teacher, "worker")),
            (day.format(one, today), b"", tokens(caregiver, "caregiver")),
            (day.format(other, today), b"", tokens(teacher, "worker")),
            (day.format(uuid4(), today), b"", tokens(teacher, "worker")),
            (day.format(one, today + timedelta(days=400)), b"", tokens(teacher, "worker")),
            (day.format(one, today - timedelta(days=1)), b"", tokens(teacher, "worker")),
            (day.format(one, today), b"", tokens(admin, "admin")),
            (day.format(other, today), b"", tokens(admin, "admin")),
        ]
    return cases


async def _paths(dsn: str, jwt_secret: str) -> dict[str, list[Call]]:
    # The benchmark's own tokens: minted as the app mints them, for a real login session each.
    from tests.bench.run import Tokens

    connection = await asyncpg.connect(dsn)
    try:
        events = await connection.fetch(
            "SELECT id FROM events WHERE status = 'published' ORDER BY starts_at LIMIT 50"
        )
        rooms = await connection.fetch("SELECT id FROM rooms ORDER BY id LIMIT 8")
        sessions = await connection.fetch(
            "SELECT s.id, s.user_id FROM auth_sessions AS s JOIN users AS u ON u.id = s.user_id"
            " WHERE u.role = 'resident' AND s.revoked_at IS NULL LIMIT 50"
        )
        # Households with care orders, and the dispatchers (tests/bench/care.py).
        in_care = await connection.fetch(
            "SELECT s.id, s.user_id FROM auth_sessions AS s"
            " WHERE s.revoked_at IS NULL AND s.user_id IN (SELECT owner_id FROM care_profiles)"
            " ORDER BY s.user_id LIMIT 50"
        )
        dispatchers = await connection.fetch(
            "SELECT s.id, s.user_id FROM auth_sessions AS s JOIN users AS u ON u.id = s.user_id"
            " WHERE u.role = 'dispatcher' AND s.revoked_at IS NULL ORDER BY s.user_id"
        )
        # Caregivers with visits today, and a teacher of each program with a session today
        # (tests/bench/care.py, tests/bench/childcare.py).
        caregivers = await connection.fetch(
            "SELECT s.id, s.user_id FROM auth_sessions AS s JOIN users AS u ON u.id = s.user_id"
            " WHERE u.role = 'caregiver' AND s.revoked_at IS NULL ORDER BY s.user_id"
        )
        today = datetime.now(LOCAL_TZ).date()
        teachers = await connection.fetch(
            "SELECT DISTINCT ON (t.program_id) t.program_id, s.id, s.user_id"
            " FROM childcare_program_teachers AS t"
            " JOIN auth_sessions AS s ON s.user_id = t.user_id AND s.revoked_at IS NULL"
            " WHERE t.program_id IN (SELECT program_id FROM childcare_sessions WHERE date = $1)"
            " ORDER BY t.program_id, s.user_id",
            today,
        )
    finally:
        await connection.close()
    residents = [UUID(str(row["user_id"])) for row in sessions]
    tokens = Tokens(
        jwt_secret,
        {
            UUID(str(row["user_id"])): UUID(str(row["id"]))
            for row in (*sessions, *in_care, *dispatchers, *caregivers, *teachers)
        },
    )
    return {
        "events": [(f"{API}/events", b"limit=20", None)],
        "event": [(f"{API}/events/{row['id']}", b"", None) for row in events],
        "availability": [
            (
                f"{API}/rooms/{row['id']}/availability",
                f"date={today + timedelta(days=d)}".encode(),
                None,
            )
            for row in rooms
            for d in range(7)
        ],
        "home": [(f"{API}/home", b"", tokens(resident)) for resident in residents],
        "care-orders": [
            (f"{API}/me/care/orders", b"", tokens(UUID(str(row["user_id"])))) for row in in_care
        ],
        "care-board": [
            (
                f"{API}/manage/care/board",
                f"date={today}".encode(),
                tokens(UUID(str(row["user_id"])), "dispatcher"),
            )
            for row in dispatchers
        ],
        "caregiver-day": [
            (f"{API}/caregiver/visits", b"", tokens(UUID(str(row["user_id"])), "caregiver"))
            for row in caregivers
        ],
        "childcare-roster": [
            (
                f"{API}/manage/childcare/programs/{row['program_id']}/sessions/{today}",
                b"",
                tokens(UUID(str(row["user_id"])), "worker"),
            )
            for row in teachers
        ],
    }


async def _meal_orders(
    dsn: str, jwt_secret: str, which: list[str], residents: int
) -> dict[str, list[Call]]:
    """A lunch per app and mode (tests/bench/canteen.py's seed), and a POST per resident: for
    ``meal-order`` as many portions as requests, for ``meal-sold-out`` none left."""
    from tests.bench import canteen
    from tests.bench.run import Tokens

    connection = await asyncpg.connect(dsn)
    try:
        sessions = await connection.fetch(
            "SELECT DISTINCT ON (s.user_id) s.id, s.user_id FROM auth_sessions AS s"
            " JOIN users AS u ON u.id = s.user_id"
            " WHERE u.role = 'resident' AND s.revoked_at IS NULL ORDER BY s.user_id LIMIT $1",
            residents,
        )
    finally:
        await connection.close()
    if len(sessions) < residents:
        raise SystemExit(f"{len(sessions)} residents with a session, {residents} needed")
    tokens = Tokens(jwt_secret, {UUID(str(r["user_id"])): UUID(str(r["id"])) for r in sessions})
    bearers = [tokens(UUID(str(row["user_id"]))) for row in sessions]
    calls: dict[str, list[Call]] = {}
    for read in which:
        meals = await canteen.seed_meals(dsn, residents)
        if read == "meal-sold-out":
            connection = await asyncpg.connect(dsn)
            try:
                await connection.execute(
                    "UPDATE canteen_meals SET ordered = portions WHERE id = ANY($1)",
                    list(meals.values()),
                )
            finally:
                await connection.close()
        for app, meal_id in meals.items():
            body = f'{{"mealId":"{meal_id}","portions":1}}'.encode()
            calls[f"{read}/{app}"] = [(f"{API}/meal-orders", b"", t, body) for t in bearers]
    return calls


def _lifespan(app: Any) -> AbstractAsyncContextManager[None]:
    if hasattr(app, "lifespan"):  # Litestar
        return app.lifespan()  # type: ignore[no-any-return]
    return _asgi_lifespan(app)


class _asgi_lifespan:  # noqa: N801 - used as a context manager, like Litestar's
    """The ASGI lifespan protocol, for the ceiling."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.messages: asyncio.Queue[Message] = asyncio.Queue()
        self.sent: asyncio.Queue[Message] = asyncio.Queue()

    async def __aenter__(self) -> None:
        async def send(message: Message) -> None:
            await self.sent.put(message)

        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self.task = asyncio.create_task(self.app(scope, self.messages.get, send))
        await self.messages.put({"type": "lifespan.startup"})
        await self.sent.get()

    async def __aexit__(self, *exc: object) -> None:
        await self.messages.put({"type": "lifespan.shutdown"})
        await self.task


def _request(call: Call) -> tuple[Message, bytes]:
    """The ASGI scope of one call, as wrk's request arrives, and its body."""
    path, query, token, *posted = call
    body = posted[0] if posted else b""
    headers = [(b"host", b"127.0.0.1"), (b"user-agent", b"wrk"), (b"accept", b"*/*")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    if posted:
        headers.append((b"content-type", b"application/json"))
        headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST" if posted else "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    return scope, body


async def _answer(app: ASGIApp, call: Call) -> tuple[int, bytes]:
    """One request: its status and body."""
    answers: list[Message] = []
    scope, body = _request(call)

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        answers.append(message)

    await app(scope, receive, send)
    sent = b"".join(m.get("body", b"") for m in answers if m["type"] == "http.response.body")
    return answers[0]["status"], sent


async def _drive(
    app: ASGIApp, paths: list[Call], count: int, expected: int = 200, concurrency: int = 1
) -> None:
    if concurrency > 1:
        await _drive_at_once(app, paths, count, expected, concurrency)
        return
    answers: list[Message] = []
    body = b""

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        answers.append(message)

    for n in range(count):
        call = paths[n % len(paths)]
        scope, body = _request(call)
        answers.clear()
        await app(scope, receive, send)
        if answers[0]["status"] != expected:
            raise SystemExit(f"{call[0]}?{call[1].decode()} answered {answers[0]['status']}")


async def _drive_at_once(
    app: ASGIApp, paths: list[Call], count: int, expected: int, concurrency: int
) -> None:
    """``count`` requests, ``concurrency`` of them in flight at once, each in a task of its own
    (as uvicorn runs each request): as one finishes the next starts, as wrk's connections do."""
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[None] = loop.create_future()
    started = done = 0
    failures: list[str] = []

    async def one(call: Call) -> None:
        answers: list[Message] = []
        scope, body = _request(call)

        async def receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            answers.append(message)

        await app(scope, receive, send)
        if answers[0]["status"] != expected:
            failures.append(f"{call[0]}?{call[1].decode()} answered {answers[0]['status']}")

    def start() -> None:
        nonlocal started
        call = paths[started % len(paths)]
        started += 1
        loop.create_task(one(call)).add_done_callback(end)

    def end(task: asyncio.Task[None]) -> None:
        nonlocal done
        done += 1
        if task.exception() is not None:
            failures.append(repr(task.exception()))
        if started < count:
            start()
        elif done == count and not finished.done():
            finished.set_result(None)

    for _ in range(min(concurrency, count)):
        start()
    await finished
    if failures:
        raise SystemExit(failures[0])


if __name__ == "__main__":
    raise SystemExit(main())
