"""Cursors: opaque, round-trip their sort keys exactly, and refuse anything we did not make."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest

from backend.core.base import new_id
from backend.core.errors import AppError
from backend.core.pagination import decode_cursor, encode_cursor, paginate


def _forge(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_round_trip_keeps_types_and_time_zones() -> None:
    moment = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    ident = new_id()
    cursor = encode_cursor([moment, ident, 42, "text"])
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_cursor(cursor, 4) == (moment, ident, 42, "text")
    assert decode_cursor(cursor, 4, types=(datetime, UUID, int, str)) == (moment, ident, 42, "text")


@pytest.mark.parametrize("empty", [None, ""])
def test_no_cursor_is_the_first_page(empty: str | None) -> None:
    assert decode_cursor(empty, 2) is None


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "@@@@",
        "é",
        "a",
        _forge({"not": "a list"}),
        _forge([1]),  # wrong arity
        _forge([1, 2, 3]),
        _forge([{"t": "not a time"}, 1]),
        _forge([{"t": "2026-01-01T00:00:00"}, 1]),  # naive: would fail against timestamptz
        _forge([{"u": "not-a-uuid"}, 1]),
        _forge([{"u": 5}, 1]),
        _forge([{"t": 5}, 1]),
        _forge(["a\u0000b", 1]),
        "A" * 600,
    ],
)
def test_anything_else_is_invalid_cursor(cursor: str) -> None:
    with pytest.raises(AppError) as caught:
        decode_cursor(cursor, 2)
    assert caught.value.status == 422
    assert caught.value.code == "invalid_cursor"


@pytest.mark.parametrize(
    "values",
    [
        ["a string", 1],
        [{"t": "2026-01-01T00:00:00+00:00"}, 1],
        [{"u": "0190f9a0-0000-7000-8000-000000000000"}, True],  # a bool is not an int
    ],
)
def test_types_refuse_a_forged_value_of_another_type(values: list[object]) -> None:
    with pytest.raises(AppError) as caught:
        decode_cursor(_forge(values), 2, types=(UUID, int))
    assert caught.value.code == "invalid_cursor"


def test_paginate_cuts_one_extra_row_into_the_next_cursor() -> None:
    rows = [(datetime(2026, 1, 1, tzinfo=UTC), i) for i in range(5)]
    page, cursor = paginate(rows, 4, key=lambda row: row)
    assert page == rows[:4]
    assert cursor is not None
    assert decode_cursor(cursor, 2) == rows[3]
    page, cursor = paginate(rows[:4], 4, key=lambda row: row)
    assert page == rows[:4]
    assert cursor is None
