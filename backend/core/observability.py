"""Logs with a request id, and Prometheus metrics.

Request bodies and headers are never logged: they carry passwords, SMS codes and resident ID
numbers.
"""

from __future__ import annotations

import asyncio
import random
import re
import sys
import time
from contextvars import ContextVar
from typing import Any

import msgspec
import structlog
from litestar.enums import ScopeType
from litestar.logging.config import LoggingConfig, StructLoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from backend.config import Settings
from backend.core.errors import ANSWERED_STATUS
from backend.core.metrics import REQUEST_METRICS

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class AccessLog:
    """One line per request, written when the answer has been sent.

    Litestar's logging middleware wrote two lines per request (one before, one after), taking
    the request's query and path parameters apart and running each line through the structlog
    processor chain: 14–38 % of the CPU of a read request in the benchmark. This writes the same
    kind of line — the fields every log line has (``timestamp``, ``level``, ``request_id``) plus
    method, path, status and duration — straight to stderr, in JSON or in the console format.
    Query strings are left out: they can carry search words and phone numbers.
    """

    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json
        self._pending: list[str] = []
        self._second = -1
        self._second_text = ""

    def _timestamp(self, microseconds: int) -> str:
        """``2026-11-25T08:00:00.123456Z``, as structlog's ``TimeStamper(fmt="iso", utc=True)``
        writes it; the part up to the second is formatted once per second."""
        second, fraction = divmod(microseconds, 1_000_000)
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{fraction:06d}Z"

    def write(self, request_id: str, method: str, path: str, status: int, seconds: float) -> None:
        # Integers throughout: formatting floats (and rounding them) was half of this line's
        # cost, and an encoder's dict the other half.
        timestamp = self._timestamp(time.time_ns() // 1000)
        hundredths = int(seconds * 100_000 + 0.5)
        milliseconds = f"{hundredths // 100}.{hundredths % 100:02d}"
        if self.as_json:
            # Only the path can hold characters JSON must escape: the method is an HTTP token,
            # the request id hex or checked against _SAFE_REQUEST_ID.
            line = (
                f'{{"event":"request","method":"{method}","path":{_json_string(path)},'
                f'"status_code":{status},"duration_ms":{milliseconds},'
                f'"request_id":"{request_id}","level":"info","timestamp":"{timestamp}"}}'
            )
        else:
            line = (
                f"{timestamp} [info     ] request  method={method} path={path} "
                f"status_code={status} duration_ms={milliseconds} request_id={request_id}"
            )
        # Lines finished in the same turn of the event loop go out in one write: a write per
        # line was a system call per request (5 % of a read's CPU under load).
        if not self._pending:
            asyncio.get_running_loop().call_soon(self.flush)
        self._pending.append(line + "\n")

    def flush(self) -> None:
        lines, self._pending = self._pending, []
        sys.stderr.write("".join(lines))


_ENCODER = msgspec.json.Encoder()


def _json_string(text: str) -> str:
    return _ENCODER.encode(text).decode()


# The orchestrator's and the scraper's endpoints: not logged per request, never held in the
# admission line (backend/core/admission.py).
METRICS_PATH = "/metrics"
OPERATIONAL_PATHS = ("/health", METRICS_PATH)


def answered_status(exc: Exception) -> int:
    """The status Litestar's exception handler will answer ``exc`` with."""
    status = getattr(exc, "status_code", 500)
    return status if isinstance(status, int) else 500


# Set in a request's state by ``echo_request_id``: the status of the answer sent.
SENT_STATUS = "qiyou_sent_status"


def echo_request_id(message: Message, scope: Scope) -> None:
    """Called by the app's ``before_send`` hook (``resources.request_sessions``, ``on_send``):
    every answer carries the request id, also those the app's outermost exception handler sends
    (a refused token), which no middleware's ``send`` sees. It also notes the answer's status
    for ``ObservedRequests``, which so wraps no ``send`` of its own."""
    if message["type"] == "http.response.start":
        state = scope.get("state", {})
        state[SENT_STATUS] = message["status"]
        request_id = state.get("request_id")
        if request_id:
            message["headers"] = [
                *message.get("headers", ()),
                (b"x-request-id", request_id.encode()),
            ]


_REQUEST_ID: ContextVar[str | None] = ContextVar("qiyou_request_id", default=None)


def add_request_id(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: every line logged while a request is answered carries its id."""
    request_id = _REQUEST_ID.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


class _Observer:
    """What both observers share: they pass anything but HTTP through, and begin every request
    the same way, with its start time and its id (given by whichever sees it first). The
    beginning is a plain function (``_begin``) each one's ``__call__`` calls, not a coroutine
    around theirs: a coroutine in the chain is paid again each time the request resumes."""

    def __init__(self, app: ASGIApp, *, access_log: AccessLog | None) -> None:
        self.app = app
        self.access_log = access_log


def _begin(scope: Scope) -> tuple[dict[str, Any], str]:
    """The request's state and id: the one it was given, or a new one."""
    state = scope.setdefault("state", {})
    request_id = state.get("request_id")
    if request_id is None:
        request_id = state["request_id"] = _new_request_id(scope)
        # Each request runs in a task of its own, so the id set here leaves with it.
        _REQUEST_ID.set(request_id)
    return state, request_id


class ObservedRequests(_Observer):
    """Count and time every request that reached a route for Prometheus, and write its access
    log line (``BeforeRouting`` gave it its id). The status is the one the app's ``before_send``
    hook noted (``echo_request_id``): every answer's start passes it.

    One middleware for the three, placed in front of the JWT check: a refused token must still be
    logged, counted and carry its id. As two middlewares (Litestar's Prometheus one, slimmed,
    and one for the id and the log) they were 15 % of the instructions of an event read; most
    of it went to wrapping ``send`` twice and to structlog's context variables, which are
    copied and scanned on every clear.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state, request_id = _begin(scope)
        # The id was given before routing (``BeforeRouting``) when the app runs whole; only a
        # bare route in a unit test is given one here.
        state[OBSERVED] = True
        method: str = scope["method"]
        path: str = scope["path"]
        # The route, not the path: /events/{event_id}, not one series per event.
        route: str = scope.get("path_template") or path
        counted = not path.startswith(METRICS_PATH)
        if counted:
            REQUEST_METRICS.started(method, route)
        status = 500
        try:
            await self.app(scope, receive, send)
            # Noted by the app's ``before_send`` hook as the answer went out (``echo_request_id``).
            status = state.get(SENT_STATUS, 500)
        except Exception as exc:
            # Raised by a middleware behind this one (the JWT check's 401); the app's
            # outermost exception handler answers it.
            status = answered_status(exc)
            raise
        finally:
            seconds = time.perf_counter() - started
            if counted:
                REQUEST_METRICS.finished(method, route, status, seconds)
            if self.access_log is not None and not path.startswith(OPERATIONAL_PATHS):
                self.access_log.write(request_id, method, path, status, seconds)


def _new_request_id(scope: Scope) -> str:
    """The proxy's id when it sent a sane one, else 32 hex digits like a uuid4's. An id only
    tells requests apart in the logs, so it needs no system randomness (a uuid4 took 4 % of a
    read's CPU)."""
    incoming = ""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            incoming = value.decode("latin-1")
            break
    if _SAFE_REQUEST_ID.match(incoming):
        return incoming
    return f"{random.getrandbits(128):032x}"


# Set in a request's state by ``ObservedRequests``: the request reached a route, which counted
# and logged it.
OBSERVED = "qiyou_observed"
# The route label of what matched no route: one series, whatever paths scanners try.
UNROUTED = "unrouted"


class BeforeRouting(_Observer):
    """Give every request its id before routing, and log and count what never reaches a route.

    Routing's 404 and 405 and the CORS preflights are answered before any route's middleware
    runs, so ``ObservedRequests`` never sees them: they had no request id, no log line and no
    metric. This wraps the whole app (CORS, the exception handler, the router), so the id is
    in every answer and its log lines. What reached a route is left to ``ObservedRequests``,
    which knows the route's template when the request starts (the in-progress gauge is per
    route); what did not is counted under one route label, ``unrouted``, whatever paths the
    scanners try. The status of such an answer is the one the answer itself noted in the
    request's state (``ANSWERED_STATUS``): only problem answers and preflights are sent there,
    and this way the answers of the routes pay for no wrapped ``send``.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state, request_id = _begin(scope)
        status = 500
        try:
            await self.app(scope, receive, send)
            status = state.get(ANSWERED_STATUS, 500)
        except Exception as exc:
            status = answered_status(exc)
            raise
        finally:
            if OBSERVED not in state:
                self._record(scope, request_id, status, started)

    def _record(self, scope: HTTPScope, request_id: str, status: int, started: float) -> None:
        method: str = scope["method"]
        seconds = time.perf_counter() - started
        REQUEST_METRICS.started(method, UNROUTED)
        REQUEST_METRICS.finished(method, UNROUTED, status, seconds)
        if self.access_log is not None:
            self.access_log.write(request_id, method, scope["path"], status, seconds)


def access_log(settings: Settings) -> AccessLog | None:
    return AccessLog(as_json=settings.log_json) if settings.access_log else None


def observed_requests(log: AccessLog | None) -> DefineMiddleware:
    return DefineMiddleware(ObservedRequests, access_log=log)


def structlog_plugin(settings: Settings) -> StructlogPlugin:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_request_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        renderer,
    ]
    # Records from the standard library (ours in core.errors, SQLAlchemy's, uvicorn's) take this
    # chain. Litestar's default one has no ``format_exc_info``, so a record carrying a traceback
    # failed to serialise and the 500 it reported was never logged.
    stdlib_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_request_id,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        structlog.processors.format_exc_info,
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        renderer,
    ]
    return StructlogPlugin(
        config=StructlogConfig(
            structlog_logging_config=StructLoggingConfig(
                processors=processors,
                standard_lib_logging_config=LoggingConfig(
                    formatters={
                        "standard": {
                            "()": structlog.stdlib.ProcessorFormatter,
                            "processors": stdlib_processors,
                        }
                    }
                ),
                log_exceptions="never",
                # Our renderers produce text. Left to itself, Litestar picks a bytes logger
                # whenever stderr is not a terminal (systemd, containers, redirects), and the
                # first access-log line then failed every request with a 500.
                logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
            ),
            # The access log is ours (``AccessLog``): one cheap line per request.
            enable_middleware_logging=False,
        )
    )
