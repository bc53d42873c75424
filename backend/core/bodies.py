"""Request bodies: JSON only, decoded strictly, refused before anything can go wrong in them.

Litestar decodes a body into plain Python values and then converts them to the handler's
``data`` type *laxly* (``"1"`` became ``1``), because the same conversion serves query
parameters, which are strings on the wire. The phone app sends typed JSON; a string where a
number belongs is a bug on its side that a lax server hides until another client behaves
differently. So the app's request class decodes the body itself, once, and converts it to the
``data`` type with ``strict=True``; Litestar's lax conversion then receives a finished value and
passes it through. Query and path parameters stay lax.

Before decoding, two cheap passes over the raw bytes (each a regular-expression substitution,
in C) refuse what the decoder handles badly:

- nesting deeper than ``MAX_DEPTH``: the decoder recurses per level, and a 1,000-deep body
  raised ``RecursionError`` (a 500 with a traceback, unauthenticated);
- an object naming one key twice: the decoder keeps the last value silently, so
  ``{"seats": 1, "seats": 9}`` meant whatever the last one said.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
from litestar import Request
from litestar.types import Empty
from litestar.utils.empty import value_or_default

from backend.core.errors import AppError, FieldError, body_errors

JSON_MEDIA_TYPE = "application/json"
# Deeper than any body of this API (the deepest is three levels) by a wide margin, and far
# below the interpreter's recursion limit.
MAX_DEPTH = 64

# A JSON string token: outside strings a quote always opens one, so scanning from the left
# stays aligned with the decoder. Unterminated strings do not match and are left to it.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_WHITESPACE = re.compile(rb"[ \t\n\r]+")
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_OPENERS = frozenset(b"[{")
# A number written with a fraction or an exponent (strings are emptied in the skeleton first).
_NON_INTEGER_LITERAL = re.compile(rb"[0-9][.eE]")


def _skeleton(body: bytes) -> bytes:
    """The body with every string emptied and whitespace dropped: its structure only."""
    return _WHITESPACE.sub(b"", _STRING.sub(b'""', body))


def _too_deep(skeleton: bytes) -> bool:
    brackets = skeleton.translate(None, _NOT_A_BRACKET)
    if brackets.count(b"[") + brackets.count(b"{") <= MAX_DEPTH:
        return False
    depth = 0
    for bracket in brackets:
        if bracket in _OPENERS:
            depth += 1
            if depth > MAX_DEPTH:
                return True
        else:
            depth -= 1
    return False


def _decoded_keys(value: Any) -> int:
    count = 0
    pending = [value]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            count += len(current)
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    return count


def _integral_numbers_as_int(value: Any) -> Any:
    """``value`` with every float that has no fraction (``8.0``, ``1e2``) as an int.

    JSON has one number type, and JSON Schema — the language of our OpenAPI — counts ``8.0`` as
    an integer, so a client that writes it has sent a valid integer; refusing it would make the
    server stricter than its contract. A string (``"8"``) or a real fraction (``8.5``) is still
    refused by the strict conversion. Fields typed ``float`` take ints as they are.
    """
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {key: _integral_numbers_as_int(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral_numbers_as_int(item) for item in value]
    return value


def _duplicated_keys(body: bytes) -> list[str]:
    """The keys an object of ``body`` names twice (the slow way: only once one is known to)."""
    found: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                found.append(key)
            seen.add(key)
        return dict(items)

    json.loads(body, object_pairs_hook=pairs)
    return list(dict.fromkeys(found))


def _accepts_json(content_type: tuple[str, dict[str, str]], has_header: bool) -> bool:
    media_type, options = content_type
    if not has_header:
        # A client that states no type is read as JSON (the body must still be valid JSON);
        # one that states another type is refused.
        return True
    return media_type == JSON_MEDIA_TYPE and options.get("charset", "utf-8").lower() in (
        "utf-8",
        "utf8",
    )


def decode_body(body: bytes, target: Any) -> Any:
    """``body`` as ``target`` (the handler's ``data`` type), strictly; ``AppError`` otherwise."""
    skeleton = _skeleton(body)
    if _too_deep(skeleton):
        raise AppError(400, "invalid_json")
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise AppError(400, "invalid_json") from None
    # Every key of the body is a string followed by a colon; the decoded objects hold fewer
    # keys only when one was named twice.
    if skeleton.count(b'"":') != _decoded_keys(value):
        errors = [
            FieldError(field=key, message="the key appears more than once")
            for key in _duplicated_keys(body)
        ]
        raise AppError(422, "validation_error", errors=errors)
    if _NON_INTEGER_LITERAL.search(skeleton):
        value = _integral_numbers_as_int(value)
    if target is Any:
        return value
    try:
        return msgspec.convert(value, type=target, strict=True)
    except msgspec.ValidationError as exc:
        raise AppError(422, "validation_error", errors=body_errors(exc)) from None


class JsonBodyRequest(Request[Any, Any, Any]):
    """The app's request class: ``json()`` is what the ``data`` of every handler is built from."""

    async def json(self) -> Any:
        if self._json is Empty:
            cached = self._connection_state.json
            if cached is not Empty:
                self._json = cached
            else:
                if not _accepts_json(self.content_type, "content-type" in self.headers):
                    raise AppError(415, "unsupported_media_type")
                body = await self.body()
                self._json = self._connection_state.json = decode_body(
                    body or b"null", self._data_type()
                )
        return self._json

    def _data_type(self) -> Any:
        annotations = self.route_handler.signature_model.__annotations__
        return value_or_default(annotations.get("data", Empty), Any)


__all__ = ["MAX_DEPTH", "JsonBodyRequest", "decode_body"]
