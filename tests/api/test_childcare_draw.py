"""The lottery through HTTP: applications stay ``applied`` until the draw, the draw runs once
after the window closes, offers and the waitlist follow the draw's order, a sibling's household
is drawn first, and the published record recomputes to the same order."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.childcare.draw import draw_order
from backend.core.clock import FrozenClock
from tests.api.childcare_support import (
    APPLICATIONS,
    MANAGE,
    MINE,
    PUBLIC,
    apply,
    born_months_before,
    guardian,
    make_complex,
    published_program,
)
from tests.conftest import problem
from tests.factories import MakeUser, add_member

SEED = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


async def test_a_lottery_is_drawn_once_reproducibly_and_offers_follow_its_order(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    where = await make_complex(client, make_user)
    # A sibling's household: its elder child holds a first-come place in another program.
    other = await published_program(
        client, where, clock, termStarts="2027-04-05", termEnds="2027-04-09"
    )
    sibling_parent, elder = await guardian(db, make_user)
    assert (await apply(client, sibling_parent, other["id"], elder)).json()["status"] == "enrolled"
    younger = str(await add_member(db, sibling_parent.id, "小红", born_months_before(80)))
    lottery = await published_program(client, where, clock, allocation="lottery", capacity=2)
    applicants = [await guardian(db, make_user) for _ in range(5)]
    ids = {}
    for parent, child in applicants:
        response = await apply(client, parent, lottery["id"], child)
        assert response.json()["status"] == "applied"
        ids[response.json()["id"]] = parent
    sibling = (await apply(client, sibling_parent, lottery["id"], younger)).json()
    assert sibling["priority"] is True
    ids[sibling["id"]] = sibling_parent
    url = f"{MANAGE}/{lottery['id']}/draw"
    early = await client.post(url, json={}, headers=where.staff.headers)
    assert early.status_code == 409
    assert problem(early)["code"] == "applications_still_open"
    assert (await client.get(f"{PUBLIC}/{lottery['id']}/draw")).status_code == 404
    clock.advance(days=3)
    drawn = await client.post(url, json={"seed": SEED}, headers=where.staff.headers)
    assert drawn.status_code == 200, drawn.text
    record = drawn.json()
    assert record["seed"] == SEED
    assert record["priority"] == [sibling["id"]]
    assert record["offered"][0] == sibling["id"]  # the priority group first
    assert len(record["offered"]) == 2
    assert len(record["waitlisted"]) == 4
    # Anyone recomputes it from what is published.
    public = (await client.get(f"{PUBLIC}/{lottery['id']}/draw")).json()
    applications = [(UUID(i), i in public["priority"]) for i in ids]
    recomputed = draw_order(public["seed"], applications)
    assert [str(i) for i in recomputed] == public["offered"] + public["waitlisted"]
    again = await client.post(url, json={}, headers=where.staff.headers)
    assert again.status_code == 409
    assert problem(again)["code"] == "already_drawn"
    # Offers and the waitlist follow the draw.
    second_offer = record["offered"][1]
    mine = (await client.get(MINE, headers=ids[second_offer].headers)).json()["items"][0]
    assert mine["status"] == "offered"
    assert mine["drawRank"] == 2
    first_waiting = record["waitlisted"][0]
    waiting = (await client.get(MINE, headers=ids[first_waiting].headers)).json()["items"][0]
    assert (waiting["status"], waiting["waitlistPosition"], waiting["drawRank"]) == (
        "waitlisted", 1, 3,
    )  # fmt: skip
    # A decline passes the place to the first on the waitlist, at once.
    declined = await client.post(
        f"{APPLICATIONS}/{second_offer}/decline", headers=ids[second_offer].headers
    )
    assert declined.json()["status"] == "declined"
    waiting = (await client.get(MINE, headers=ids[first_waiting].headers)).json()["items"][0]
    assert waiting["status"] == "offered"
    shown = (await client.get(f"{PUBLIC}/{lottery['id']}")).json()
    assert (shown["enrolled"], shown["placesLeft"], shown["drawn"]) == (2, 0, True)


async def test_only_lotteries_are_drawn(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    where = await make_complex(client, make_user)
    program = await published_program(client, where, clock)
    clock.advance(timedelta(days=3))
    response = await client.post(f"{MANAGE}/{program['id']}/draw", headers=where.staff.headers)
    assert response.status_code == 409
    assert problem(response)["code"] == "not_a_lottery"
    bad_seed = await client.post(
        f"{MANAGE}/{program['id']}/draw", json={"seed": "xyz"}, headers=where.staff.headers
    )
    assert bad_seed.status_code == 422
