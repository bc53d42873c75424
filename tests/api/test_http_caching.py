"""HEAD, ETag and 304 on the public reads, and the choice between br and gzip (issue 12)."""

from __future__ import annotations

import gzip

import brotli
import httpx
import pytest

from backend.core.clock import FrozenClock
from backend.core.compression import PUBLIC_READS
from backend.core.openapi_schema import IF_NONE_MATCH
from tests.api.childcare_support import drawn_lottery
from tests.api.hub_support import make_hub
from tests.conftest import MakeUser
from tests.factories import published

PLAIN = {"Accept-Encoding": "identity"}


class Sent:
    """An answer as sent: httpx undoes the coding of a body read through ``.content``."""

    def __init__(self, response: httpx.Response, body: bytes) -> None:
        self.status_code = response.status_code
        self.headers = response.headers
        self.content = body


async def _raw(client: httpx.AsyncClient, method: str, url: str, **headers: str) -> Sent:
    request = client.build_request(method, url, headers=headers)
    response = await client.send(request, stream=True)
    body = b"".join([chunk async for chunk in response.aiter_raw()])
    await response.aclose()
    return Sent(response, body)


async def test_a_public_read_carries_a_strong_etag_and_answers_304_to_it(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    staff = await make_user("staff")
    event = await published(client, staff.headers, clock)
    url = f"/api/v1/events/{event['id']}"
    first = await client.get(url, headers=PLAIN)
    assert first.status_code == 200
    assert len(first.headers.get_list("etag")) == 1  # the document's example is not sent
    tag = first.headers["etag"]
    assert tag.startswith('"'), tag  # strong: no W/
    assert tag.endswith('"'), tag

    again = await client.get(url, headers={**PLAIN, "If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag
    assert "content-length" not in again.headers
    assert again.headers["x-request-id"]

    # The weak form and a list naming it match too (If-None-Match compares weakly), and so
    # does "*"; a list without it does not.
    for condition in (f"W/{tag}", f'"other", {tag}', f'W/"x",W/{tag}', "*"):
        answer = await client.get(url, headers={**PLAIN, "If-None-Match": condition})
        assert answer.status_code == 304, condition
    stale = await client.get(url, headers={**PLAIN, "If-None-Match": '"other", W/"older"'})
    assert stale.status_code == 200
    assert stale.headers["etag"] == tag
    assert stale.json() == first.json()


async def test_the_etag_follows_the_content_not_the_coding(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    staff = await make_user("staff")
    for n in range(8):
        await published(client, staff.headers, clock, title=f"运河文化之夜 第{n}期")
    plain = await client.get("/api/v1/events", headers=PLAIN)
    assert len(plain.content) >= 2048
    tags = {plain.headers["etag"]}
    for coding in ("gzip", "br"):
        packed = await _raw(client, "GET", "/api/v1/events", **{"Accept-Encoding": coding})
        assert packed.headers["content-encoding"] == coding
        tags.add(packed.headers["etag"])
        # A 304 keeps the Vary of the answer it stands for.
        not_modified = await client.get(
            "/api/v1/events",
            headers={"Accept-Encoding": coding, "If-None-Match": packed.headers["etag"]},
        )
        assert not_modified.status_code == 304
        assert "accept-encoding" in not_modified.headers["vary"].lower()
        assert "content-encoding" not in not_modified.headers
    assert len(tags) == 1

    # A change of content is a new tag.
    await published(client, staff.headers, clock, title="新的一期")
    changed = await client.get(
        "/api/v1/events", headers={**PLAIN, "If-None-Match": plain.headers["etag"]}
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] not in tags


async def test_every_public_read_is_tagged(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    hub = await make_hub(client, make_user, clock)
    staff = await make_user("staff")
    event = await published(client, staff.headers, clock)
    program = await drawn_lottery(client, make_user, clock)
    day = clock.today().isoformat()
    reads = {
        "listEvents": "/api/v1/events",
        "getEvent": f"/api/v1/events/{event['id']}",
        "listPrograms": "/api/v1/programs",
        "getProgram": "/api/v1/programs/eldercare",
        "listVenues": "/api/v1/venues",
        "getVenue": f"/api/v1/venues/{hub.venue_id}",
        "getRoom": f"/api/v1/rooms/{hub.room_id}",
        "getVenueAvailability": f"/api/v1/venues/{hub.venue_id}/availability?date={day}",
        "getRoomAvailability": f"/api/v1/rooms/{hub.room_id}/availability?date={day}",
        "listChildcarePrograms": "/api/v1/childcare/programs",
        "getChildcareProgram": f"/api/v1/childcare/programs/{program['id']}",
        "getChildcareDraw": f"/api/v1/childcare/programs/{program['id']}/draw",
    }
    assert set(reads) == PUBLIC_READS
    for operation, url in reads.items():
        answer = await client.get(url)
        assert answer.status_code == 200, (operation, answer.text)
        assert "etag" in answer.headers, operation
        repeated = await client.get(url, headers={"If-None-Match": answer.headers["etag"]})
        assert repeated.status_code == 304, operation


async def test_personal_answers_carry_no_etag(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    staff = await make_user("staff")
    resident = await make_user("resident")
    event = await published(client, staff.headers, clock)
    for url, headers in (
        ("/api/v1/home", resident.headers),
        ("/api/v1/home", {}),
        ("/api/v1/me", resident.headers),
        ("/api/v1/me/registrations", resident.headers),
        ("/api/v1/manage/events", staff.headers),
        (f"/api/v1/manage/events/{event['id']}", staff.headers),
    ):
        answer = await client.get(url, headers={**headers, "If-None-Match": "*"})
        assert answer.status_code == 200, (url, answer.text)
        assert "etag" not in answer.headers, url


async def test_errors_carry_no_etag(client: httpx.AsyncClient) -> None:
    missing = await client.get(
        "/api/v1/events/0190c6c0-0000-7000-8000-000000000000", headers={"If-None-Match": "*"}
    )
    assert missing.status_code == 404
    assert "etag" not in missing.headers


async def test_head_answers_the_headers_of_get_without_the_body(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    staff = await make_user("staff")
    for n in range(8):
        await published(client, staff.headers, clock, title=f"运河文化之夜 第{n}期")
    for coding in ("identity", "gzip", "br"):
        get = await _raw(client, "GET", "/api/v1/events", **{"Accept-Encoding": coding})
        head = await _raw(client, "HEAD", "/api/v1/events", **{"Accept-Encoding": coding})
        assert head.status_code == 200
        assert head.content == b""
        assert get.content
        for name in ("content-length", "content-type", "etag", "content-encoding", "vary"):
            assert head.headers.get(name) == get.headers.get(name), (coding, name)
        assert int(head.headers["content-length"]) == len(get.content)

    conditional = await client.head(
        "/api/v1/events", headers={"If-None-Match": get.headers["etag"]}
    )
    assert conditional.status_code == 304

    # Personal reads too, with their guards: HEAD is GET without the body.
    resident = await make_user("resident")
    me = await client.head("/api/v1/me", headers=resident.headers)
    assert me.status_code == 200
    assert me.content == b""
    assert int(me.headers["content-length"]) > 0
    assert (await client.head("/api/v1/me")).status_code == 401


async def test_head_is_allowed_wherever_get_is(client: httpx.AsyncClient) -> None:
    options = await client.options("/api/v1/events")
    assert "HEAD" in {m.strip() for m in options.headers["allow"].split(",")}
    # A path without GET does not take HEAD either.
    refused = await client.head("/api/v1/auth/login")
    assert refused.status_code == 405


async def test_the_document_declares_the_etag_and_304_of_the_public_reads(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    tagged = set()
    for item in document["paths"].values():
        for method, operation in item.items():
            responses = operation["responses"]
            if "304" in responses:
                assert method == "get"
                assert "ETag" in responses["200"]["headers"]
                assert "ETag" in responses["304"]["headers"]
                assert IF_NONE_MATCH in operation["parameters"]
                tagged.add(operation["operationId"])
            else:
                assert "ETag" not in responses.get("200", {}).get("headers", {})
                named = {p["name"] for p in operation.get("parameters", [])}
                assert "If-None-Match" not in named
    assert tagged == PUBLIC_READS


async def test_head_is_not_an_operation_of_the_document(client: httpx.AsyncClient) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    assert not [path for path, item in document["paths"].items() if "head" in item]


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("gzip", "gzip"),
        ("br", "br"),
        ("gzip, deflate, br", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=0.8, br;q=0.8", "br"),
        ("gzip;q=0, br;q=0", None),
        ("*", "br"),
        ("*;q=0.5, gzip;q=0.6", "gzip"),
        ("identity", None),
        ("deflate", None),
        ("GZIP", "gzip"),
        ("x-gzip", "gzip"),
    ],
)
async def test_the_coding_follows_accept_encoding_q_values(
    client: httpx.AsyncClient, accept: str, chosen: str | None
) -> None:
    plain = await client.get("/api/v1/programs", headers=PLAIN)
    assert len(plain.content) >= 2048
    answer = await _raw(client, "GET", "/api/v1/programs", **{"Accept-Encoding": accept})
    assert answer.status_code == 200
    assert answer.headers.get("content-encoding") == chosen
    assert int(answer.headers["content-length"]) == len(answer.content)
    assert "accept-encoding" in answer.headers["vary"].lower()
    decoded = {
        None: lambda body: body,
        "gzip": gzip.decompress,
        "br": brotli.decompress,
    }[chosen](answer.content)
    assert decoded == plain.content
