"""``Answer`` sends exactly what Litestar's ``Response`` sends: same status, headers in the same
order, body and background task, on its direct path and on the cases it hands back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
import pytest
from litestar import Response
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import Cookie
from litestar.enums import MediaType
from litestar.response.base import ASGIResponse

from backend.core.responses import Answer, Ready


class Point(msgspec.Struct, rename="camel"):
    event_id: UUID
    starts_at: datetime
    seats_left: int


class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents


def _noop() -> None:
    return None


TASK = BackgroundTask(_noop)
POINT = Point(
    event_id=UUID("0199db14-d680-765d-b9a5-5737e981e65b"),
    starts_at=datetime(2026, 12, 2, 8, 30, tzinfo=UTC),
    seats_left=3,
)

# (arguments of the response, arguments of to_asgi_response)
CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"content": POINT}, {}),
    ({"content": {"items": [POINT], "nextCursor": None}}, {}),
    ({"content": None}, {}),
    ({"content": [1, "二", 3.5, Decimal("1.10")]}, {}),
    ({"content": POINT, "status_code": 201}, {}),
    ({"content": {"code": "not_found"}, "status_code": 404}, {}),
    (
        {
            "content": {"code": "conflict"},
            "status_code": 409,
            "media_type": "application/problem+json",
            "headers": {"Content-Language": "zh-CN"},
        },
        {},
    ),
    ({"content": "plain text 文字", "media_type": MediaType.TEXT}, {}),
    ({"content": b"a,b\n1,2\n", "media_type": "text/csv"}, {}),
    ({"content": "<p>hi</p>", "media_type": MediaType.HTML, "encoding": "latin-1"}, {}),
    ({"content": POINT, "headers": {"Content-Type": "application/vnd.qiyou+json"}}, {}),
    ({"content": POINT, "headers": {"content-length": "999"}}, {}),
    ({"content": POINT, "headers": {"Location": "/x", "X-Two": "2"}}, {}),
    ({"content": POINT}, {"headers": {"Cache-Control": "no-store", "X-Two": "layer"}}),
    ({"content": POINT, "headers": {"X-Two": "mine"}}, {"headers": {"X-Two": "layer"}}),
    ({"content": POINT}, {"status_code": 202}),
    ({"content": POINT, "status_code": 200}, {"status_code": 202}),
    ({"content": POINT}, {"media_type": MediaType.TEXT}),
    ({"content": POINT, "media_type": "application/json"}, {"media_type": MediaType.TEXT}),
    ({"content": POINT, "background": TASK}, {}),
    ({"content": POINT}, {"background": TASK}),
    (
        {"content": {"price": Money(1250)}, "type_encoders": {Money: lambda m: m.cents}},
        {},
    ),
    ({"content": {"price": Money(1250)}}, {"type_encoders": {Money: lambda m: m.cents / 100}}),
    # Handed back to Litestar: cookies, HEAD, statuses without a body, headers not a dict.
    ({"content": POINT, "cookies": [Cookie(key="a", value="b")]}, {}),
    ({"content": POINT, "cookies": {"a": "b"}}, {}),
    ({"content": POINT}, {"cookies": [Cookie(key="a", value="b")]}),
    ({"content": POINT}, {"is_head_response": True}),
    ({"content": None, "status_code": 204}, {}),
    ({"content": None, "status_code": 304}, {}),
    ({"content": None, "status_code": 101}, {}),
    ({"content": POINT, "headers": [("X-List", "1")]}, {}),
]


async def _sent(response: ASGIResponse) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        messages.append(dict(message))

    await response({"type": "http"}, receive, send)  # type: ignore[arg-type]
    return messages


def _built(response_class: type[Response[Any]], made: dict[str, Any], sent: dict[str, Any]) -> Any:
    args = dict(made)
    content = args.pop("content")
    try:
        asgi = response_class(content, **args).to_asgi_response(None, None, **sent)  # type: ignore[arg-type]
    except Exception as exc:
        return ("raised", type(exc), str(exc))
    return (asgi.status_code, asgi.encode_headers(), asgi.body, asgi.background)


@pytest.mark.parametrize(("made", "sent"), CASES)
def test_an_answer_is_built_as_litestar_builds_it(
    made: dict[str, Any], sent: dict[str, Any]
) -> None:
    assert _built(Answer, made, sent) == _built(Response, made, sent)


SENDABLE = [case for case in CASES if _built(Response, *case)[0] != "raised"]


@pytest.mark.parametrize(("made", "sent"), SENDABLE)
def test_an_answer_sends_what_litestar_sends(made: dict[str, Any], sent: dict[str, Any]) -> None:
    def messages(response_class: type[Response[Any]]) -> list[dict[str, Any]]:
        args = dict(made)
        content = args.pop("content")
        asgi = response_class(content, **args).to_asgi_response(None, None, **sent)  # type: ignore[arg-type]
        return asyncio.run(_sent(asgi))

    assert messages(Answer) == messages(Response)


def test_the_direct_path_is_taken_for_a_plain_json_answer() -> None:
    answer = Answer(POINT, status_code=201).to_asgi_response(None, None)  # type: ignore[arg-type]
    assert type(answer) is Ready
    assert answer.headers.headers == [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(answer.body)).encode()),
    ]
    assert msgspec.json.decode(answer.body) == {
        "eventId": "0199db14-d680-765d-b9a5-5737e981e65b",
        "startsAt": "2026-12-02T08:30:00Z",
        "seatsLeft": 3,
    }
