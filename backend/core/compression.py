"""What every answer passes through on its way out: its encoding (br or gzip), its ``ETag`` and
the 304 of a public read, and the body dropped for ``HEAD``.

Litestar's ``CompressionMiddleware`` sets up its compressor (zlib's deflate state, ~70 µs) for
every request whose ``Accept-Encoding`` names gzip, before it knows the answer's size, so
switching it on made every small read slower (docs/performance.md, "Compressing answers"). It
also picks the encoding by substring, ignoring q-values (``br;q=0`` chose br). This one reads
``Accept-Encoding`` properly and looks at the body first: an answer sent whole below
``minimum_size`` goes out untouched, a bigger one is compressed in one call; only a streamed
answer takes Litestar's path.

The body is whole here, before it is encoded, which is what a strong ``ETag`` must be computed
over: so the public reads (``PUBLIC_READS``) get theirs here, and ``If-None-Match`` is answered
here with 304 — after the route ran, which saves the bytes on the wire, not the query.
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, cast

import brotli
from litestar.config.compression import CompressionConfig
from litestar.enums import ScopeType
from litestar.middleware.compression import CompressionMiddleware
from xxhash import xxh3_128_hexdigest

from backend.core.routing import http_handlers

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

# Below 2 kB an answer fits in two TCP segments either way; above it home (9.5 kB → 3.4 kB) and
# the event lists save 1–8 kB (docs/performance.md, "Compressing answers").
MINIMUM_SIZE = 2048
# gzip 6: level 9 (Litestar's default) is 3 % smaller on our JSON and 20 % slower.
GZIP_LEVEL = 6
# brotli 5 with a 64 kB window (our answers are smaller): 6–30 % fewer bytes than gzip 6 for
# ~20–40 µs more; quality 4 was no smaller than gzip 6 on home (docs/performance.md).
BROTLI_QUALITY = 5
BROTLI_LGWIN = 16

# The handler opt that asks for an ETag. Only answers that are the same for everyone may carry
# one: a personal answer's tag would be computed, checked and revalidated per user for nothing.
ETAG_OPT = "etag"
# The public reads, by operation id: they are cached by phones and proxies and read far more
# often than they change. ``mark_public_reads`` sets ``ETAG_OPT`` on them and refuses an id that
# names no route, or names one that needs a login.
PUBLIC_READS = frozenset(
    {
        "listEvents",
        "getEvent",
        "listPrograms",
        "getProgram",
        "listVenues",
        "getVenue",
        "getRoom",
        "getVenueAvailability",
        "getRoomAvailability",
        "listChildcarePrograms",
        "getChildcareProgram",
        "getChildcareDraw",
    }
)

Encoding = Literal["br", "gzip"]
# Headers a 304 must not carry: it has no content (RFC 9110 §15.4.5).
_NOT_FOR_304 = frozenset({b"content-length", b"content-type"})
_TAG = re.compile(rb'(?:W/)?"([^"]*)"')
_EMPTY_END: Message = {"type": "http.response.body", "body": b"", "more_body": False}


@lru_cache(maxsize=64)
def negotiate(accept_encoding: bytes) -> Encoding | None:
    """The coding to answer in by ``Accept-Encoding``'s q-values (RFC 9110 §12.5.3): the highest
    q above zero, br before gzip when equal, ``*`` standing for a coding not named; none when
    neither is acceptable. Cached: clients send a handful of distinct values."""
    weights: dict[bytes, float] = {}
    for part in accept_encoding.lower().split(b","):
        coding, _, params = part.partition(b";")
        coding = coding.strip()
        q = 1.0
        for param in params.split(b";"):
            name, _, value = param.partition(b"=")
            if name.strip() == b"q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if coding == b"x-gzip":
            coding = b"gzip"
        if coding:
            weights[coding] = q
    star = weights.get(b"*", 0.0)
    br = weights.get(b"br", star)
    gz = weights.get(b"gzip", star)
    if br <= 0 and gz <= 0:
        return None
    return "br" if br >= gz else "gzip"


def compress(encoding: Encoding, body: bytes) -> bytes:
    if encoding == "br":
        return brotli.compress(
            body, mode=brotli.MODE_TEXT, quality=BROTLI_QUALITY, lgwin=BROTLI_LGWIN
        )
    # mtime 0: the same body gives the same bytes.
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


def entity_tag(body: bytes) -> bytes:
    """A strong validator of the body as the route rendered it (before any coding): its 128-bit
    XXH3. A validator is not a secret and nobody gains by forging one (a client only fools its
    own cache), so it needs no cryptographic hash, only one whose 128 bits make two bodies of
    one URL practically never collide; XXH3 reads a 20 kB page in well under a microsecond,
    ~50 times faster than SHA-256 (docs/performance.md, "Issue 12"). In hex: one C call, where
    base64 took twice the hash's time."""
    return b'"%s"' % xxh3_128_hexdigest(body).encode()


def none_match(condition: bytes, tag: bytes) -> bool:
    """Whether ``If-None-Match`` names ``tag``: ``*``, or one tag of the list by the weak
    comparison the header calls for (a ``W/`` prefix is ignored)."""
    if condition.strip() == b"*":
        return True
    opaque = tag[1:-1]
    return any(found == opaque for found in _TAG.findall(condition))


def _with_vary(headers: list[tuple[bytes, bytes]]) -> None:
    for index, (name, value) in enumerate(headers):
        if name == b"vary":
            if b"accept-encoding" not in value.lower():
                headers[index] = (name, value + b", Accept-Encoding")
            return
    headers.append((b"vary", b"Accept-Encoding"))


def _headers_only(send: Send) -> Send:
    """``send`` for a ``HEAD``: the status and headers of the ``GET`` (its ``Content-Length``
    too), no body."""

    async def send_headers(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body"):
                return
            message = _EMPTY_END
        await send(message)

    return send_headers


class LazyCompression:
    """The route's compression middleware (``CompressionConfig.middleware_class``, which Litestar
    only calls as ``middleware_class(app=..., config=...)``).

    Not a subclass of Litestar's ``CompressionMiddleware``: every subclass of its base wraps its
    ``__call__`` in a check of the middleware's exclusions (``should_bypass_middleware``), a
    coroutine and a function call more on every request. The config has no exclusions (refused
    here if one is set), so only a non-HTTP scope passes through untouched, as Litestar's would.
    Litestar's middleware is kept for a streamed answer, which it compresses chunk by chunk.
    """

    def __init__(self, app: ASGIApp, config: CompressionConfig) -> None:
        if config.exclude is not None or config.exclude_opt_key is not None:
            raise ValueError("LazyCompression takes no exclusions: it would not honour them")
        self.app = app
        self.config = config
        self._streamed = CompressionMiddleware(app, config)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        accept = b""
        condition: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accept = value
            elif name == b"if-none-match":
                condition = value
        encoding = negotiate(accept) if accept else None
        tagged = bool(scope["route_handler"].opt.get(ETAG_OPT))
        head = scope["method"] == "HEAD"
        if encoding is None and not tagged and not head:
            await self.app(scope, receive, send)
            return
        if head:
            send = _headers_only(send)
        await self.app(scope, receive, self._finishing(send, scope, encoding, tagged, condition))

    def _finishing(
        self,
        send: Send,
        scope: Scope,
        encoding: Encoding | None,
        tagged: bool,
        condition: bytes | None,
    ) -> Send:
        start: HTTPResponseStartEvent | None = None
        streaming: Send | None = None
        minimum = self.config.minimum_size

        async def finish(message: Message) -> None:
            nonlocal start, streaming
            if streaming is not None:
                await streaming(message)
                return
            if message["type"] == "http.response.start":
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body: bytes = message.get("body", b"")
            if message.get("more_body"):
                # A streamed answer: Litestar's compression, chunk by chunk; no tag.
                streaming = (
                    self._streamed.create_compression_send_wrapper(send, encoding, scope)
                    if encoding is not None
                    else send
                )
                await streaming(start)
                await streaming(message)
                return
            headers: list[tuple[bytes, bytes]] = list(start["headers"])
            big = len(body) >= minimum
            if big:
                # Whoever asks, the answer depends on Accept-Encoding: say so to every cache.
                _with_vary(headers)
            if tagged and start["status"] == 200:
                tag = entity_tag(body)
                headers.append((b"etag", tag))
                if condition is not None and none_match(condition, tag):
                    kept = [(n, v) for n, v in headers if n not in _NOT_FOR_304]
                    await send({"type": "http.response.start", "status": 304, "headers": kept})
                    await send(_EMPTY_END)
                    return
            if encoding is not None and big:
                body = compress(encoding, body)
                headers = [(n, v) for n, v in headers if n != b"content-length"]
                headers.append((b"content-encoding", encoding.encode()))
                headers.append((b"content-length", str(len(body)).encode()))
                message = {"type": "http.response.body", "body": body, "more_body": False}
            await send(
                {"type": "http.response.start", "status": start["status"], "headers": headers}
            )
            await send(message)

        return finish


def compression_config() -> CompressionConfig:
    return CompressionConfig(
        backend="brotli",
        minimum_size=MINIMUM_SIZE,
        gzip_compress_level=GZIP_LEVEL,
        brotli_quality=BROTLI_QUALITY,
        brotli_lgwin=BROTLI_LGWIN,
        brotli_gzip_fallback=True,
        # Litestar calls it as it would call its own (``LazyCompression``'s docstring).
        middleware_class=cast("type[CompressionMiddleware]", LazyCompression),
    )


def mark_public_reads(app: Litestar, operation_ids: frozenset[str] = PUBLIC_READS) -> None:
    """Set ``ETAG_OPT`` on the ``GET`` handlers of ``operation_ids`` (the document declares
    their ``If-None-Match``, ``ETag`` and 304 from it: ``openapi_schema``). An id that names
    no route (renamed?) or a route that needs a login is a mistake to catch at start, not in
    production."""
    found: set[str] = set()
    for _, handler in http_handlers(app):
        if handler.operation_id not in operation_ids or "GET" not in handler.http_methods:
            continue
        if not handler.opt.get("exclude_from_auth"):
            raise RuntimeError(f"{handler.operation_id} needs a login: no ETag on it")
        handler.opt[ETAG_OPT] = True
        found.add(str(handler.operation_id))
    if missing := operation_ids - found:
        raise RuntimeError(f"public reads without a route: {sorted(missing)}")


__all__ = [
    "ETAG_OPT",
    "PUBLIC_READS",
    "LazyCompression",
    "compress",
    "compression_config",
    "entity_tag",
    "mark_public_reads",
    "negotiate",
    "none_match",
]
