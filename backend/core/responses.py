"""The app's response class: Litestar's ``Response``, with less work per answer and the same bytes.

Every answer Litestar sends is built twice, as a ``Response`` and then as an ``ASGIResponse``,
and both constructors are general: ``Response`` asks whether its headers and cookies are a
``typing.Mapping`` (an ABC check through ``typing``, twice per answer), and ``ASGIResponse``
keeps its headers in ``MutableScopeHeaders`` and fills ``content-type`` and ``content-length``
through ``MutableMapping.setdefault``, which looks each one up by raising and catching
``KeyError``. Taking them out cut an event read from 494k instructions to 449k
(docs/performance.md). ``Answer`` takes a direct path for the answers the app sends — headers a
dict or none, no cookies, a status that carries a body — and gives the same status, the same
headers in the same order and the same body; anything else goes through Litestar's own code.
Litestar builds ``Answer`` for what a route returns; where the app builds an answer itself (the
problem answers, the idempotent writes, the CSV) it builds an ``Answer`` too.
``tests/unit/test_responses.py`` holds the two paths to the same output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from litestar import Response
from litestar.datastructures.headers import MutableScopeHeaders
from litestar.enums import MediaType
from litestar.response.base import ASGIResponse
from litestar.serialization import get_serializer
from litestar.utils.helpers import get_enum_string_value

if TYPE_CHECKING:
    from collections.abc import Iterable

    from litestar import Litestar, Request
    from litestar.background_tasks import BackgroundTask, BackgroundTasks
    from litestar.datastructures import Cookie
    from litestar.types import (
        Receive,
        ResponseCookies,
        ResponseHeaders,
        Scope,
        Send,
        TypeEncodersMap,
    )

T = TypeVar("T")

# The statuses whose answer has no body (Litestar's rule: 1xx, 204, 304); they take Litestar's path.
_BODYLESS = frozenset({204, 304})
_NONE_GIVEN: frozenset[bytes] = frozenset()


class Answer(Response[T]):
    __slots__ = ()

    def __init__(
        self,
        content: T,
        *,
        background: BackgroundTask | BackgroundTasks | None = None,
        cookies: ResponseCookies | None = None,
        encoding: str = "utf-8",
        headers: ResponseHeaders | None = None,
        media_type: MediaType | str | None = None,
        status_code: int | None = None,
        type_encoders: TypeEncodersMap | None = None,
    ) -> None:
        if cookies or not (headers is None or type(headers) is dict):
            super().__init__(
                content,
                background=background,
                cookies=cookies,
                encoding=encoding,
                headers=headers,
                media_type=media_type,
                status_code=status_code,
                type_encoders=type_encoders,
            )
            return
        self.content = content
        self.background = background
        self.cookies = []
        self.encoding = encoding
        self.headers = dict(headers) if headers else {}
        self.media_type = media_type
        self.status_code = status_code
        self.response_type_encoders = {**(self.type_encoders or {}), **(type_encoders or {})}

    def to_asgi_response(
        self,
        app: Litestar | None,
        request: Request[Any, Any, Any],
        *,
        background: BackgroundTask | BackgroundTasks | None = None,
        cookies: Iterable[Cookie] | None = None,
        encoded_headers: Iterable[tuple[bytes, bytes]] | None = None,
        headers: dict[str, str] | None = None,
        is_head_response: bool = False,
        media_type: MediaType | str | None = None,
        status_code: int | None = None,
        type_encoders: TypeEncodersMap | None = None,
    ) -> ASGIResponse:
        status = self.status_code or status_code or 200
        if (
            app is not None
            or encoded_headers is not None
            or self.cookies
            or cookies
            or is_head_response
            or status < 200
            or status in _BODYLESS
        ):
            return super().to_asgi_response(
                app,
                request,
                background=background,
                cookies=cookies,
                encoded_headers=encoded_headers,
                headers=headers,
                is_head_response=is_head_response,
                media_type=media_type,
                status_code=status_code,
                type_encoders=type_encoders,
            )
        merged = {**headers, **self.headers} if headers else self.headers
        encoders = (
            {**type_encoders, **(self.response_type_encoders or {})}
            if type_encoders
            else self.response_type_encoders
        )
        media = get_enum_string_value(self.media_type or media_type or MediaType.JSON)
        body = self.render(self.content, media, get_serializer(encoders))
        return _ready(body, merged, media, self.encoding, status, self.background or background)


class Ready(ASGIResponse):
    """The ``ASGIResponse`` of the direct path: it sends the same two messages as Litestar's
    (``__call__`` with ``start_response``, ``send_body`` and ``after_response``, three coroutines
    more per answer), for what this path builds: no cookies, not a HEAD, a status with a body."""

    __slots__ = ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": [*self.headers.headers],
            }
        )
        await send({"type": "http.response.body", "body": self.body, "more_body": False})
        if self.background is not None:
            await self.background()


def _ready(
    body: bytes,
    headers: dict[str, Any],
    media_type: str,
    encoding: str,
    status_code: int,
    background: BackgroundTask | BackgroundTasks | None,
) -> ASGIResponse:
    """An ``ASGIResponse`` as its constructor would build it from these arguments, without cookies,
    for a status with a body: the given headers in order, then ``content-type`` and
    ``content-length`` unless given."""
    length = len(body)
    given: set[bytes] | frozenset[bytes]
    if headers:
        raw = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in headers.items()
        ]
        given = {name for name, _ in raw}
    else:
        # Most answers: a route's value with no headers of its own.
        raw, given = [], _NONE_GIVEN
    if b"content-type" not in given:
        if media_type.startswith("text/"):
            media_type = f"{media_type}; charset={encoding}"
        raw.append((b"content-type", media_type.encode("latin-1")))
    if b"content-length" not in given:
        raw.append((b"content-length", str(length).encode("latin-1")))
    answer = Ready.__new__(Ready)
    answer.headers = MutableScopeHeaders()
    answer.headers.headers = raw
    answer.background = background
    answer.body = body
    answer.content_length = length
    answer._encoded_cookies = ()
    answer.encoding = encoding
    answer.is_head_response = False
    answer.status_code = status_code
    return answer


__all__ = ["Answer", "Ready"]
