"""Headers of answers that are not JSON: each says what it is once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from backend.core import compression
from backend.core.clock import FrozenClock
from tests.conftest import MakeUser
from tests.factories import published


async def test_the_registrations_export_names_its_charset_once(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    staff = await make_user("staff")
    event = await published(client, staff.headers, clock)
    download = await client.get(
        f"/api/v1/manage/events/{event['id']}/registrations.csv", headers=staff.headers
    )
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "text/csv; charset=utf-8"


async def test_big_answers_are_gzipped_and_small_ones_left_alone(
    client: httpx.AsyncClient,
) -> None:
    gzip = {"Accept-Encoding": "gzip"}
    plain = await client.get("/api/v1/programs", headers={"Accept-Encoding": "identity"})
    assert len(plain.content) >= 2048, len(plain.content)
    assert "content-encoding" not in plain.headers
    packed = await client.get("/api/v1/programs", headers=gzip)
    assert packed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in packed.headers["vary"].lower()
    assert int(packed.headers["content-length"]) < len(plain.content) / 2
    assert packed.json() == plain.json()  # httpx decodes it

    small = await client.get("/health/live", headers=gzip)
    assert small.status_code == 200
    assert len(small.content) < 2048
    assert "content-encoding" not in small.headers


async def test_a_small_answer_sets_up_no_compressor(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Setting one up costs ~70 µs, more than a cached read (docs/performance.md).
    made: list[str] = []

    def counting(encoding: Any, body: bytes) -> bytes:
        made.append(encoding)
        return original(encoding, body)

    original = compression.compress
    monkeypatch.setattr(compression, "compress", counting)
    gzip = {"Accept-Encoding": "gzip"}
    assert (await client.get("/health/live", headers=gzip)).status_code == 200
    assert made == []
    assert (await client.get("/api/v1/programs", headers=gzip)).status_code == 200
    assert made == ["gzip"]
