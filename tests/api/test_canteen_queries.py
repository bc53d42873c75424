"""What ordering a meal costs in statements and transactions (the 09:29 rush, docs/performance.md
"The meal-order rush"): without an ``Idempotency-Key`` a refusal of a closed or sold-out meal
is one read on the reads' pool and no transaction at all; an accepted order reads once before
it writes. With a key everything stays in the request's transaction, and a retry answers as
the first attempt did."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.canteen.models import HOLDING, Meal, MealOrder
from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.core.models import IdempotencyKey
from tests import factories
from tests.api.canteen_support import canteen, elder, local, meal, order
from tests.conftest import problem
from tests.factories import MakeUser

Sessions = async_sessionmaker[AsyncSession]
ORDERS = "/api/v1/meal-orders"


@dataclass
class Traffic:
    session: list[str] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    transactions: int = 0


@contextmanager
def traffic(app: Litestar) -> Iterator[Traffic]:
    """The statements sent through the sessions' engine and through the reads' pool, and the
    transactions the engine began, inside the block."""
    seen = Traffic()

    def statement(*args: Any) -> None:
        seen.session.append(args[2])

    def began(*args: Any) -> None:
        seen.transactions += 1

    engine = app.state.db_engine.sync_engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", began)
    app.state.reader.observers.append(seen.reads.append)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", began)
        app.state.reader.observers.remove(seen.reads.append)


async def _standing(db: Sessions, meal_id: str) -> tuple[int, int]:
    """The meal's counter and the portions its standing orders hold."""
    async with db() as session, session.begin():
        ordered = await session.scalar(select(Meal.ordered).where(Meal.id == meal_id))
        held = await session.scalar(
            select(func.coalesce(func.sum(MealOrder.portions), 0)).where(
                MealOrder.meal_id == meal_id, MealOrder.status.in_(HOLDING)
            )
        )
    return int(ordered or 0), int(held or 0)


async def test_a_refusal_is_one_read_outside_any_transaction(
    app: Litestar, client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place, portions=1)
    first, second = await make_user("resident"), await make_user("resident")
    with traffic(app) as accepted:
        taken = await order(client, first, lunch["id"])
    assert taken.status_code == 201, taken.text
    # One read (meal, name, care profile, subsidy) on the pool; in the transaction only the
    # writes: the order, the inbox message and its push job, the deciding UPDATE.
    assert len(accepted.reads) == 1
    assert (len(accepted.session), accepted.transactions) == (4, 1), accepted.session
    assert not any(
        s.lstrip().upper().startswith("SELECT") and "defer" not in s for s in accepted.session
    ), accepted.session
    with traffic(app) as refused:
        sold_out = await order(client, second, lunch["id"])
    assert problem(sold_out)["code"] == "sold_out"
    assert (len(refused.reads), refused.session, refused.transactions) == (1, [], 0)
    clock.set(local(9, 31))
    with traffic(app) as late:
        closed = await order(client, second, lunch["id"])
    assert problem(closed)["code"] == "order_closed"
    assert (len(late.reads), late.session, late.transactions) == (1, [], 0)


async def test_with_a_key_a_retry_answers_as_the_first_attempt(
    app: Litestar,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: Sessions,
) -> None:
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place, portions=1)
    first, second = await make_user("resident"), await make_user("resident")
    body = {"mealId": lunch["id"]}
    kept = {**first.headers, "Idempotency-Key": "lunch-1"}
    placed = await client.post(ORDERS, json=body, headers=kept)
    assert placed.status_code == 201, placed.text
    # The meal is sold out now: the retry still gets the order it made, not a refusal.
    again = await client.post(ORDERS, json=body, headers=kept)
    assert again.status_code == 201
    assert again.json() == placed.json()
    assert again.headers.get("idempotent-replayed") == "true"
    # A refused attempt stores nothing: its retry is refused alike, and nothing was taken.
    tried = {**second.headers, "Idempotency-Key": "lunch-2"}
    with traffic(app) as refused:
        no = await client.post(ORDERS, json=body, headers=tried)
    assert problem(no)["code"] == "sold_out"
    # The key's lock and lookup come first, in the request's transaction (then rolled back).
    assert (refused.reads, refused.transactions) == ([], 1)
    retry = await client.post(ORDERS, json=body, headers=tried)
    assert problem(retry)["code"] == "sold_out"
    async with db() as session:
        stored = await session.scalar(
            select(func.count()).select_from(IdempotencyKey).where(IdempotencyKey.key == "lunch-2")
        )
    assert stored == 0
    assert await _standing(db, lunch["id"]) == (1, 1)


async def test_orders_for_household_members_are_read_in_the_same_statement(
    app: Litestar,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: Sessions,
) -> None:
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place)
    son = await make_user("resident")
    grandpa = await elder(client, db, son, place.worker, tier="low_income")
    with traffic(app) as seen:
        placed = await order(client, son, lunch["id"], memberId=str(grandpa), delivery=True)
    assert placed.status_code == 201, placed.text
    assert (placed.json()["dinerName"], placed.json()["subsidy"]) == ("张建国", 800)
    assert len(seen.reads) == 1
    stranger = await make_user("resident")
    with traffic(app) as refused:
        theirs = await order(client, stranger, lunch["id"], memberId=str(grandpa))
    assert problem(theirs)["code"] == "unknown_member"
    assert (len(refused.reads), refused.transactions) == (1, 0)


@pytest.mark.storm
async def test_refusals_racing_cancellations_leave_the_counter_exact(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: Sessions,
    settings: Settings,
) -> None:
    """A sold-out meal, 20 of its orders cancelled while 80 more residents order: whoever read
    the meal before a portion came back is refused from that read, the others race for the
    freed portions at the deciding UPDATE; never more than the freed portions are taken."""
    first = await factories.users(db, settings, clock, 30, prefix="早")
    later = await factories.users(db, settings, clock, 80, prefix="晚")
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place, portions=30)
    placed = await asyncio.gather(*(order(client, p, lunch["id"]) for p in first))
    assert [p.status_code for p in placed] == [201] * 30
    cancels = [
        client.post(f"{ORDERS}/{p.json()['id']}/cancel", headers=who.headers)
        for p, who in zip(placed[:20], first[:20], strict=True)
    ]
    orders = [order(client, who, lunch["id"]) for who in later]
    answers = await asyncio.gather(*cancels, *orders)
    assert all(a.status_code < 500 for a in answers), {a.text for a in answers}
    assert [a.status_code for a in answers[:20]] == [200] * 20
    won = [a for a in answers[20:] if a.status_code == 201]
    assert {problem(a)["code"] for a in answers[20:] if a.status_code != 201} <= {"sold_out"}
    assert len(won) <= 20
    assert await _standing(db, lunch["id"]) == (10 + len(won), 10 + len(won))
