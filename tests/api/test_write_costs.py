"""The two hot writes keep their statement budget: a registration in a ticket rush and a booking
in a booking storm (docs/performance.md). BEGIN and COMMIT are not counted here (asyncpg sends
them outside the cursor); everything between them is, and the statements run outside a
transaction too."""

from __future__ import annotations

import httpx
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock
from tests import factories
from tests.api import hub_support
from tests.api.events_support import register
from tests.conftest import problem
from tests.factories import MakeUser, published
from tests.querycount import counting


async def test_a_registration_is_one_statement_confirmed_or_waitlisted(
    app: Litestar,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
) -> None:
    staff = await make_user("staff")
    event = await published(client, staff.headers, clock, capacity=2, maxSeatsPerRegistration=2)
    first, second, third = await factories.users(db, settings, clock, 3)
    for resident, seats, status in ((first, 2, "confirmed"), (second, 1, "waitlisted")):
        with counting(app) as statements:
            answer = await register(client, event["id"], resident.headers, seats=seats)
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == status
        assert len(statements) == 1, statements
    # A refusal takes the long way, which names the reason; it may cost more.
    answer = await register(client, event["id"], first.headers)
    assert answer.status_code == 409
    assert problem(answer)["code"] == "already_registered"
    answer = await register(client, event["id"], third.headers, seats=3)
    assert problem(answer)["code"] == "too_many_seats"


async def test_a_booking_is_three_statements_and_a_taken_slot_one(
    app: Litestar, client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    hub = await hub_support.make_hub(client, make_user, clock)
    winner, loser = await make_user(), await make_user()
    starts, ends = hub_support.at(hub_support.TUESDAY, 9), hub_support.at(hub_support.TUESDAY, 10)
    # The glance without a lock; the room with its lock and everything the rules read; then
    # count-and-insert. A slot already taken is refused at the glance.
    for resident, status, cost in ((winner, 201, 3), (loser, 409, 1)):
        with counting(app) as statements:
            answer = await hub_support.book(client, resident, hub.room_id, starts, ends)
        assert answer.status_code == status, answer.text
        assert len(statements) == cost, statements
    assert problem(answer)["code"] == "booking_conflict"
