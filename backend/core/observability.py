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
from collections.abc import Callable
from typing import Any

import msgspec
import structlog
from litestar.enums import ScopeType
from litestar.logging.config import LoggingConfig, StructLoggingConfig
from litestar.plugins.prometheus import (
    PrometheusConfig,
    PrometheusController,
    PrometheusMiddleware,
)
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.config import Settings

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

    def _timestamp(self) -> str:
        """``2026-11-25T08:00:00.123456Z``, as structlog's ``TimeStamper(fmt="iso", utc=True)``
        writes it; the part up to the second is formatted once per second."""
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{int((now - second) * 1_000_000):06d}Z"

    def write(self, request_id: str, method: str, path: str, status: int, seconds: float) -> None:
        timestamp = self._timestamp()
        milliseconds = round(seconds * 1000, 2)
        if self.as_json:
            line = _ENCODER.encode(
                {
                    "event": "request",
                    "method": method,
                    "path": path,
                    "status_code": status,
                    "duration_ms": milliseconds,
                    "request_id": request_id,
                    "level": "info",
                    "timestamp": timestamp,
                }
            ).decode()
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
# The orchestrator's and the scraper's endpoints: not logged per request, never held in the
# admission line (backend/core/admission.py).
OPERATIONAL_PATHS = ("/health", "/metrics")


def answered_status(exc: Exception) -> int:
    """The status Litestar's exception handler will answer ``exc`` with."""
    status = getattr(exc, "status_code", 500)
    return status if isinstance(status, int) else 500


async def echo_request_id(message: Message, scope: Scope) -> None:
    """``before_send`` hook: every answer carries the request id, also those the app's outermost
    exception handler sends (a refused token), which no middleware's ``send`` sees."""
    if message["type"] == "http.response.start":
        request_id = scope.get("state", {}).get("request_id")
        if request_id:
            message["headers"] = [
                *message.get("headers", ()),
                (b"x-request-id", request_id.encode()),
            ]


def request_context_middleware(settings: Settings) -> Callable[[ASGIApp], ASGIApp]:
    """Give every request an id (the proxy's, when it sent a sane one), echo it, log with it,
    and write the access log line."""
    access_log = AccessLog(as_json=settings.log_json) if settings.access_log else None

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            incoming = ""
            for name, value in scope["headers"]:
                if name == b"x-request-id":
                    incoming = value.decode("latin-1")
                    break
            # 32 hex digits like a uuid4's. An id only tells requests apart in the logs, so it
            # needs no system randomness (a uuid4 took 4 % of a read's CPU).
            request_id = (
                incoming if _SAFE_REQUEST_ID.match(incoming) else f"{random.getrandbits(128):032x}"
            )
            scope.setdefault("state", {})["request_id"] = request_id
            structlog.contextvars.clear_contextvars()
            structlog.contextvars.bind_contextvars(request_id=request_id)
            status = 500

            async def send_recording_status(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await app(scope, receive, send_recording_status)
            except Exception as exc:
                # Raised by a middleware behind this one (the JWT check's 401); the app's
                # outermost exception handler answers it.
                status = answered_status(exc)
                raise
            finally:
                path: str = scope["path"]
                if access_log is not None and not path.startswith(OPERATIONAL_PATHS):
                    access_log.write(
                        request_id, scope["method"], path, status, time.perf_counter() - started
                    )

        return middleware

    return wrap


def structlog_plugin(settings: Settings) -> StructlogPlugin:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
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


class LeanPrometheusMiddleware(PrometheusMiddleware):
    """Litestar's request metrics — the same names, labels and values — at a fraction of the cost.

    The plugin's middleware builds a ``Request``, two label dictionaries and a wrapped ``send``
    per request and asks ``prometheus_client`` for each labelled child anew: 12–18 % of the CPU
    of a read request in the benchmark. This keeps the children per (method, route, status)
    and reads what it needs from the scope.
    """

    def __init__(self, app: ASGIApp, config: PrometheusConfig) -> None:
        super().__init__(app, config)
        self._children: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}
        self._in_progress: dict[tuple[str, str], Any] = {}

    def _labels(self, method: str, path: str, status: int) -> dict[str, str | int | float]:
        return {
            "method": method,
            "path": path,
            "status_code": status,
            "app_name": self._config.app_name,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or self._config.labels or self._config.exemplars:
            await super().__call__(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope.get("path_template") or scope["path"]
        in_progress = self._in_progress.get((method, path))
        if in_progress is None:
            labels = self._labels(method, path, 200)
            in_progress = self.requests_in_progress(labels).labels(*labels.values())
            self._in_progress[(method, path)] = in_progress
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        in_progress.inc()
        try:
            await self.app(scope, receive, record_status)
        except Exception as exc:
            status = answered_status(exc)
            raise
        finally:
            in_progress.dec()
            key = (method, path, status)
            children = self._children.get(key)
            if children is None:
                labels = self._labels(method, path, status)
                values = [*labels.values()]
                children = (
                    self.request_count(labels).labels(*values),
                    self.request_time(labels).labels(*values),
                    self.requests_error_count(labels).labels(*values),
                )
                self._children[key] = children
            count, duration, errors = children
            if status >= 500:
                errors.inc()
            count.inc()
            duration.observe(time.perf_counter() - started)


def prometheus_config() -> PrometheusConfig:
    return PrometheusConfig(
        app_name="qiyou",
        prefix="qiyou",
        group_path=True,
        exclude=["^/metrics"],
        middleware_class=LeanPrometheusMiddleware,
    )


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False
