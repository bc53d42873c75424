"""Logs with a request id, and Prometheus metrics.

Request bodies and headers are never logged: they carry passwords, SMS codes and resident ID
numbers.
"""

from __future__ import annotations

import re
import sys
from typing import Any
from uuid import uuid4

import structlog
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.logging.config import LoggingConfig, StructLoggingConfig
from litestar.middleware.logging import LoggingMiddlewareConfig
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.config import Settings

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Give every request an id (the proxy's, when it sent a sane one), echo it, log with it."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)["X-Request-ID"] = request_id
            await send(message)

        await app(scope, receive, send_with_id)

    return middleware


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
            middleware_logging_config=LoggingMiddlewareConfig(
                request_log_fields=("method", "path", "path_params", "query"),
                response_log_fields=["status_code"],
                exclude=["^/health", "^/metrics"],
            ),
            enable_middleware_logging=settings.access_log,
        )
    )


def prometheus_config() -> PrometheusConfig:
    return PrometheusConfig(
        app_name="qiyou",
        prefix="qiyou",
        group_path=True,
        exclude=["^/metrics"],
    )


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False
