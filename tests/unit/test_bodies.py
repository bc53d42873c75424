"""The raw-byte checks in front of the JSON decoder: depth and keys named twice."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from backend.core.bodies import MAX_DEPTH, decode_body
from backend.core.errors import AppError


def _refusal(body: bytes) -> tuple[int, str, list[str]]:
    with pytest.raises(AppError) as refused:
        decode_body(body, Any)
    error = refused.value
    return error.status, error.code, [e.field for e in error.errors or []]


def test_nesting_up_to_the_limit_is_decoded_and_one_more_is_not() -> None:
    assert decode_body(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, Any) is not None
    deeper = MAX_DEPTH + 1
    assert _refusal(b"[" * deeper + b"]" * deeper) == (400, "invalid_json", [])
    mixed = b'{"a":[' * (deeper // 2 + 1) + b"1" + b"]}" * (deeper // 2 + 1)
    assert _refusal(mixed)[:2] == (400, "invalid_json")


def test_wide_but_shallow_bodies_are_fine() -> None:
    wide = b"[" + b",".join([b"[[1]]"] * 10_000) + b"]"
    assert len(decode_body(wide, Any)) == 10_000


def test_brackets_and_quotes_inside_strings_are_text() -> None:
    body = b'{"a": "' + b"[" * 1000 + b'", "b": "\\"[{", "c": "\\\\"}'
    assert decode_body(body, Any) == {"a": "[" * 1000, "b": '"[{', "c": "\\"}


def test_an_unterminated_string_cannot_hide_depth() -> None:
    assert _refusal(b'["' + b"[" * 5000)[:2] == (400, "invalid_json")
    assert _refusal(b'"\\"' + b"[" * 5000)[:2] == (400, "invalid_json")


@pytest.mark.parametrize(
    ("body", "keys"),
    [
        (b'{"a": 1, "a": 2}', ["a"]),
        (b'{"a": 1, "b": {"c": 1, "c": 1}}', ["c"]),
        (b'[{"x": 1}, {"y": 1, "y" : 2}]', ["y"]),
        (b'{"a": 1, "b": 2, "a": 3, "b": 4}', ["a", "b"]),
    ],
)
def test_keys_named_twice_in_one_object_are_refused(body: bytes, keys: list[str]) -> None:
    assert _refusal(body) == (422, "validation_error", keys)


def test_the_same_key_in_different_objects_is_not_a_duplicate() -> None:
    body = b'{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}], "c": "\\"a\\": 1, \\"a\\": 2"}'
    assert decode_body(body, Any)["b"] == [{"a": 1}, {"a": 2}]


class _Seats(msgspec.Struct):
    seats: int
    lat: float = 0.0


@pytest.mark.parametrize(
    ("body", "seats"),
    [(b'{"seats": 8}', 8), (b'{"seats": 8.0}', 8), (b'{"seats": 1e2}', 100)],
)
def test_an_integer_may_be_written_as_json_schema_allows(body: bytes, seats: int) -> None:
    # JSON Schema's "integer" is any number without a fraction, 8.0 included.
    decoded = decode_body(body, _Seats)
    assert decoded.seats == seats
    assert type(decoded.seats) is int


@pytest.mark.parametrize("body", [b'{"seats": "1"}', b'{"seats": 8.5}', b'{"seats": true}'])
def test_what_is_not_an_integer_is_refused(body: bytes) -> None:
    with pytest.raises(AppError) as refused:
        decode_body(body, _Seats)
    assert refused.value.status == 422
    assert [e.field for e in refused.value.errors or []] == ["seats"]


def test_a_float_field_keeps_its_fraction_and_takes_whole_numbers() -> None:
    assert decode_body(b'{"seats": 1, "lat": 30.75}', _Seats).lat == 30.75
    assert decode_body(b'{"seats": 1, "lat": 30}', _Seats).lat == 30.0
