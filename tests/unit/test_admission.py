"""The admission line: at most ``limit`` requests inside, the others let in by arrival order."""

from __future__ import annotations

import asyncio
from typing import Any

from backend.config import Settings
from backend.core.admission import AdmissionLine, admission_gate


def _scope(path: str) -> dict[str, Any]:
    return {"type": "http", "path": path, "method": "GET", "headers": []}


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Any) -> None:
    return None


async def test_at_most_limit_requests_inside_and_the_rest_in_arrival_order() -> None:
    inside = 0
    most_inside = 0
    entered: list[int] = []
    release = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal inside, most_inside
        inside += 1
        most_inside = max(most_inside, inside)
        entered.append(scope["n"])
        await release.wait()
        inside -= 1

    gated = admission_gate(3)(app)

    async def request(n: int) -> None:
        await gated({**_scope("/api/v1/events"), "n": n}, _receive, _send)

    tasks = []
    for n in range(20):
        tasks.append(asyncio.create_task(request(n)))
        await asyncio.sleep(0)  # arrive one after the other
    await asyncio.sleep(0.01)
    assert entered == [0, 1, 2]
    release.set()
    await asyncio.gather(*tasks)
    assert most_inside == 3
    assert entered == list(range(20))


async def test_health_and_metrics_never_wait_in_line() -> None:
    blocked = asyncio.Event()
    served: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        served.append(scope["path"])
        if scope["path"].startswith("/api"):
            await blocked.wait()

    gated = admission_gate(1)(app)
    busy = asyncio.create_task(gated(_scope("/api/v1/events"), _receive, _send))
    await asyncio.sleep(0)
    await asyncio.wait_for(gated(_scope("/health/ready"), _receive, _send), 1)
    await asyncio.wait_for(gated(_scope("/metrics"), _receive, _send), 1)
    assert served == ["/api/v1/events", "/health/ready", "/metrics"]
    blocked.set()
    await busy


async def test_a_limit_of_zero_means_no_line() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    assert admission_gate(0)(app) is app


def test_the_line_is_one_narrower_than_the_pool_unless_configured(tmp_path: Any) -> None:
    base = {"QIYOU_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(base).in_flight_limit == 19
    wider = {**base, "QIYOU_DB_POOL_SIZE": "30", "QIYOU_DB_MAX_OVERFLOW": "5"}
    assert Settings.from_env(wider).in_flight_limit == 34
    assert Settings.from_env({**base, "QIYOU_MAX_IN_FLIGHT": "0"}).in_flight_limit == 0
    assert Settings.from_env({**base, "QIYOU_MAX_IN_FLIGHT": "8"}).in_flight_limit == 8
    # The reads' own pool neither widens nor narrows the line (backend/config.py says why).
    more_reads = {**base, "QIYOU_DB_READ_POOL_SIZE": "40"}
    assert Settings.from_env(more_reads).in_flight_limit == 19


async def test_a_request_cancelled_in_line_keeps_no_place() -> None:
    release = asyncio.Event()
    entered: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        entered.append(scope["name"])
        await release.wait()

    gated = admission_gate(1)(app)

    def request(name: str) -> asyncio.Task[None]:
        return asyncio.create_task(gated({**_scope("/api/v1/home"), "name": name}, _receive, _send))

    first = request("first")
    await asyncio.sleep(0)
    gone = request("gone")
    last = request("last")
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.sleep(0)
    release.set()
    await asyncio.wait_for(asyncio.gather(first, last), 1)
    assert entered == ["first", "last"]
    assert gone.cancelled()
    assert isinstance(gated, AdmissionLine)
    assert gated.inside == 0


async def test_a_place_given_to_a_request_cancelled_at_the_door_goes_to_the_next() -> None:
    entered: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        entered.append(scope["name"])

    line = AdmissionLine(app, 1)
    line.inside = 1  # someone is inside

    def request(name: str) -> asyncio.Task[None]:
        return asyncio.create_task(line({**_scope("/api/v1/home"), "name": name}, _receive, _send))

    at_the_door, last = request("at the door"), request("last")
    await asyncio.sleep(0)
    # The one inside leaves, handing its place to the first in line, who is cancelled in the
    # same moment, before it could step in.
    line._leave()
    at_the_door.cancel()
    await asyncio.wait_for(last, 1)
    assert entered == ["last"]
    assert at_the_door.cancelled()
    assert line.inside == 0


async def test_a_request_cancelled_in_the_turn_its_place_comes_free_loses_no_place() -> None:
    entered: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        entered.append(scope["name"])

    line = AdmissionLine(app, 1)
    line.inside = 1  # someone is inside

    def request(name: str) -> asyncio.Task[None]:
        return asyncio.create_task(line({**_scope("/api/v1/home"), "name": name}, _receive, _send))

    # The other order than the test above: the waiter is cancelled first (its future is
    # cancelled at once, its task learns of it only in the next turn) and the one inside leaves
    # in the same turn. The place must neither be handed to the cancelled waiter nor vanish.
    at_the_door, last = request("at the door"), request("last")
    await asyncio.sleep(0)
    at_the_door.cancel()
    line._leave()
    await asyncio.wait_for(last, 1)
    await asyncio.gather(at_the_door, return_exceptions=True)
    assert entered == ["last"]
    assert at_the_door.cancelled()
    assert line.inside == 0
    assert not line._waiting


async def test_the_line_keeps_its_width_after_many_such_races() -> None:
    limit = 2
    entered: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        entered.append(scope["name"])
        await scope["done"].wait()

    line = AdmissionLine(app, limit)

    def request(name: str, done: asyncio.Event) -> asyncio.Task[None]:
        scope = {**_scope("/api/v1/home"), "name": name, "done": done}
        return asyncio.create_task(line(scope, _receive, _send))

    for race in range(limit * 2):
        done = asyncio.Event()
        inside = [request(f"inside {race}.{n}", done) for n in range(limit)]
        await asyncio.sleep(0)
        waiter = request(f"waiter {race}", asyncio.Event())
        await asyncio.sleep(0)
        # The requests inside finish and the waiter's client goes away in the same turn; the
        # finishing requests run first (they were woken first).
        done.set()
        waiter.cancel()
        await asyncio.gather(*inside, waiter, return_exceptions=True)
        assert [t.exception() for t in inside] == [None] * limit
        assert waiter.cancelled()
    assert line.inside == 0
    done = asyncio.Event()
    done.set()
    await asyncio.wait_for(request("after the races", done), 1)
    assert entered[-1] == "after the races"
