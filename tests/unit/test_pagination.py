"""Cursors: opaque, round-trip their sort keys exactly, and refuse anything we did not make."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest

from backend.core.base import new_id
from backend.core.errors import AppError
from backend.core.pagination import Keyset

KEYS = Keyset("things", (datetime, UUID, int, str))
PAIR = Keyset("pairs", (UUID, int))


def _forge(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _refused(keyset: Keyset, cursor: str) -> AppError:
    with pytest.raises(AppError) as caught:
        keyset.decode(cursor)
    assert caught.value.status == 422
    assert caught.value.code == "invalid_cursor"
    assert caught.value.errors is not None
    assert [e.field for e in caught.value.errors] == ["cursor"]
    return caught.value


def test_round_trip_keeps_types_and_time_zones() -> None:
    moment = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    ident = new_id()
    cursor = KEYS.encode([moment, ident, 42, "text"])
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert KEYS.decode(cursor) == (moment, ident, 42, "text")


@pytest.mark.parametrize("empty", [None, ""])
def test_no_cursor_is_the_first_page(empty: str | None) -> None:
    assert KEYS.decode(empty) is None


GOOD = {"u": "0190f9a0-0000-7000-8000-000000000000"}


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "@@@@",
        "é",
        "a",
        "A" * 600,
        _forge({"not": "a list"}),
        _forge([GOOD, 1]),  # no list name
        _forge(["pairs", GOOD]),  # wrong arity
        _forge(["pairs", GOOD, 1, 2]),
        _forge(["other", GOOD, 1]),  # made for another list
        _forge(["pairs", {"u": "not-a-uuid"}, 1]),
        _forge(["pairs", {"u": 5}, 1]),
        _forge(["pairs", {"t": 5}, 1]),
        _forge(["pairs", {"x": "y"}, 1]),
        _forge(["pairs", {"u": "a", "t": "b"}, 1]),
        _forge(["pairs", [1], 1]),
        _forge(["pairs", "a string", 1]),
        _forge(["pairs", {"t": "2026-01-01T00:00:00+00:00"}, 1]),  # a time where an id goes
        _forge(["pairs", GOOD, True]),  # a bool is not an int
        _forge(["pairs", GOOD, "a\u0000b"]),
    ],
)
def test_anything_else_is_invalid_cursor(cursor: str) -> None:
    _refused(PAIR, cursor)


TIMES = Keyset("times", (datetime,))


@pytest.mark.parametrize(
    "text",
    [
        "not a time",
        "2026-01-01T00:00:00",  # naive: would fail against timestamptz
        "0001-01-01T00:00:00+08:00",  # before year 1 in UTC: the driver overflows
        "9999-12-31T23:59:59-08:00",  # after 9999 in UTC
        "1999-12-31T23:59:59+00:00",
        "2200-01-01T00:00:00+00:00",
    ],
)
def test_times_no_row_can_hold_are_refused(text: str) -> None:
    _refused(TIMES, _forge(["times", {"t": text}]))


def test_times_within_the_years_of_our_rows_pass() -> None:
    for text in ("2000-01-01T00:00:00+00:00", "2199-12-31T23:59:59+00:00"):
        assert TIMES.decode(_forge(["times", {"t": text}])) == (datetime.fromisoformat(text),)


def test_a_cursor_of_another_list_with_the_same_types_is_refused() -> None:
    other = Keyset("other-things", KEYS.types)
    cursor = other.encode([datetime(2026, 1, 1, tzinfo=UTC), new_id(), 1, "x"])
    _refused(KEYS, cursor)


def test_paginate_cuts_one_extra_row_into_the_next_cursor() -> None:
    keyset = Keyset("rows", (datetime, int))
    rows = [(datetime(2026, 1, 1, tzinfo=UTC), i) for i in range(5)]
    page, cursor = keyset.paginate(rows, 4, key=lambda row: row)
    assert page == rows[:4]
    assert cursor is not None
    assert keyset.decode(cursor) == rows[3]
    page, cursor = keyset.paginate(rows[:4], 4, key=lambda row: row)
    assert page == rows[:4]
    assert cursor is None


def test_a_key_of_the_wrong_length_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        PAIR.encode([new_id()])
