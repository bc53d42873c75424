"""Bodies are JSON, typed as the contract says: no strings for numbers, no other content types,
no key named twice, no nesting deep enough to break the decoder."""

from __future__ import annotations

import json
from typing import Annotated

import httpx
import msgspec
import pytest
from litestar import Litestar, post
from litestar.params import JSONBody

from backend.config import Settings
from backend.core.clock import Clock
from schemas.common import Wire
from tests.apps import AppPool
from tests.conftest import problem

EN = {"Accept-Language": "en"}
JSON = {"Content-Type": "application/json"}


class Seat(Wire):
    row: int
    label: str


class Booking(Wire):
    seats: Annotated[int, msgspec.Meta(ge=1)]
    member_ids: list[str] = msgspec.field(default_factory=list)
    chosen: list[Seat] = msgspec.field(default_factory=list)


@post("/test/bookings", exclude_from_auth=True, status_code=200, sync_to_thread=False)
def echo(data: JSONBody[Booking]) -> Booking:
    return data


@pytest.fixture
def app(lent_apps: AppPool, settings: Settings, database_url: str, clock: Clock) -> Litestar:
    return lent_apps.lend(settings, database_url, clock, routes=(echo,))


async def test_a_well_formed_body_is_taken(client: httpx.AsyncClient) -> None:
    body = {"seats": 2, "memberIds": ["a"], "chosen": [{"row": 1, "label": "1A"}]}
    for content_type in ("application/json", "application/json; charset=utf-8", "Application/JSON"):
        response = await client.post(
            "/test/bookings", content=json.dumps(body), headers={"Content-Type": content_type}
        )
        assert response.status_code == 200, (content_type, response.text)
        assert response.json() == body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"seats": "1"}, "seats"),
        # 1.0 is an integer to JSON Schema (and accepted, tests/unit/test_bodies.py); 1.5 is not.
        ({"seats": 1.5}, "seats"),
        ({"seats": True}, "seats"),
        ({"seats": 1, "memberIds": [1]}, "memberIds[0]"),
        ({"seats": 1, "chosen": [{"row": "1", "label": "1A"}]}, "chosen[0].row"),
        ({"seats": 1, "chosen": [{"label": "1A"}]}, "chosen[0].row"),
        ({"memberIds": []}, "seats"),
        ({"seats": 0}, "seats"),
    ],
)
async def test_values_of_the_wrong_type_are_not_coerced(
    client: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    response = await client.post("/test/bookings", json=body, headers=EN)
    assert response.status_code == 422, response.text
    found = problem(response)
    assert found["code"] == "validation_error"
    assert [e["field"] for e in found["errors"]] == [field]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
async def test_another_content_type_is_415(client: httpx.AsyncClient, content_type: str) -> None:
    response = await client.post(
        "/test/bookings", content=b'{"seats": 1}', headers={"Content-Type": content_type, **EN}
    )
    assert response.status_code == 415
    found = problem(response)
    assert (found["code"], found["title"]) == ("unsupported_media_type", "Unsupported media type")
    zh = await client.post(
        "/test/bookings", content=b'{"seats": 1}', headers={"Content-Type": content_type}
    )
    assert problem(zh)["title"] == "不支持的内容类型"


async def test_a_key_named_twice_is_refused(client: httpx.AsyncClient) -> None:
    for raw, key in (
        (b'{"seats": 1, "seats": 9}', "seats"),
        (b'{"seats": 1, "chosen": [{"row": 1, "label": "a", "row": 2}]}', "row"),
    ):
        response = await client.post("/test/bookings", content=raw, headers=JSON)
        assert response.status_code == 422, response.text
        found = problem(response)
        assert found["code"] == "validation_error"
        assert [e["field"] for e in found["errors"]] == [key]
    # The same name in different objects, and keys inside strings, are not duplicates.
    fine = (
        b'{"seats": 1, "memberIds": ["\\"seats\\": 2"], "chosen": [{"row": 1, "label": "seats"}]}'
    )
    response = await client.post("/test/bookings", content=fine, headers=JSON)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("depth", [65, 1_000, 100_000])
async def test_deep_nesting_is_400_before_the_decoder_recurses(
    client: httpx.AsyncClient, depth: int
) -> None:
    for raw in (
        b"[" * depth + b"]" * depth,
        b'{"seats": 1, "memberIds": ' + b"[" * depth + b"]" * depth + b"}",
        b'{"a":' * depth + b"1" + b"}" * depth,
        b"[" * depth,
    ):
        response = await client.post("/test/bookings", content=raw, headers={**JSON, **EN})
        assert response.status_code == 400, response.text[:200]
        assert problem(response)["code"] == "invalid_json"


async def test_nesting_within_the_limit_is_decoded(client: httpx.AsyncClient) -> None:
    raw = b'{"seats": 1, "memberIds": ' + b"[" * 60 + b"]" * 60 + b"}"
    response = await client.post("/test/bookings", content=raw, headers=JSON)
    # Decoded, then refused by the type: nested lists are not member ids.
    assert response.status_code == 422
    assert [e["field"] for e in problem(response)["errors"]] == ["memberIds[0]"]
    brackets = json.dumps({"seats": 1, "memberIds": ["[" * 500]}).encode()
    assert (await client.post("/test/bookings", content=brackets, headers=JSON)).status_code == 200
