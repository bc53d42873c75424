"""Every route that takes a month takes the same one (backend/core/months.py): the same pattern,
answered the same way. The attendance report let any four digits through and the care statistics
19xx; a month outside 2000–2099 is now 422 on ``month`` everywhere, with nothing read."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest

from tests.factories import MakeUser

# A fixed id: the parameters must be the same in every xdist worker.
SOMEWHERE = UUID("0193a0c4-0000-7000-8000-000000000001")
PATHS = [
    ("resident", "/api/v1/me/meal-orders"),
    ("admin", f"/api/v1/manage/canteens/{SOMEWHERE}/statement"),
    ("admin", f"/api/v1/manage/canteens/{SOMEWHERE}/statement.csv"),
    ("admin", "/api/v1/manage/care/statistics"),
    ("admin", "/api/v1/manage/care/statistics.csv"),
    ("admin", "/api/v1/manage/care/visits.csv"),
    ("admin", f"/api/v1/manage/childcare/programs/{SOMEWHERE}/attendance"),
    ("admin", f"/api/v1/manage/childcare/programs/{SOMEWHERE}/attendance.csv"),
]


@pytest.mark.parametrize(("role", "path"), PATHS)
async def test_the_same_months_are_refused_and_let_through_on_every_route(
    client: httpx.AsyncClient, make_user: MakeUser, role: str, path: str
) -> None:
    who = await make_user(role)
    for month in ("1999-12", "2100-01", "0000-01", "2027-13", "2027-3", "march"):
        answer = await client.get(path, params={"month": month}, headers=who.headers)
        assert answer.status_code == 422, (month, answer.text)
        problem = answer.json()
        assert problem["code"] == "validation_error"
        assert [error["field"] for error in problem["errors"]] == ["month"]
    answer = await client.get(path, params={"month": "2000-01"}, headers=who.headers)
    # Past the pattern: a path naming an id that does not exist is 404, the others answer.
    assert answer.status_code == (404 if str(SOMEWHERE) in path else 200), answer.text
