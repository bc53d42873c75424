"""Request metrics for Prometheus: counted per request in plain numbers, turned into metric
families only when ``/metrics`` is scraped.

The names, labels and meaning are those of Litestar's Prometheus plugin (``qiyou_requests_total``,
``qiyou_request_duration_seconds``, ``qiyou_requests_in_progress``,
``qiyou_requests_error_total``; labels ``app_name``, ``method``, ``path`` — the route's template
— and ``status_code``), so dashboards written for the plugin keep working. Updating
``prometheus_client``'s objects per request (a lock and a method call per counter, a Python loop
over the histogram's buckets) cost 7 % of the instructions of an event read; adding to a list
costs a tenth of that. The numbers live in this worker's memory, as ``prometheus_client``'s did.
"""

from __future__ import annotations

import hmac
import ipaddress
from bisect import bisect_left
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusController
from prometheus_client import REGISTRY, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from backend.core.errors import AppError
from backend.jobs.monitoring import QUEUE_METRICS

if TYPE_CHECKING:
    from backend.config import Settings

PREFIX = "qiyou"
APP_NAME = "qiyou"
LABELS = ("app_name", "method", "path", "status_code")
BUCKETS: tuple[float, ...] = Histogram.DEFAULT_BUCKETS
_BOUNDS = tuple(floatToGoString(bound) for bound in BUCKETS)  # type: ignore[no-untyped-call]
# A series per (method, route, status): [count, sum of seconds, count per bucket…].
_COUNT, _SECONDS, _FIRST_BUCKET = 0, 1, 2


class RequestMetrics(Collector):
    """What the requests of this worker did, per method, route and status."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, str, int], list[float]] = {}
        self._in_progress: dict[tuple[str, str], int] = {}

    def started(self, method: str, path: str) -> None:
        key = (method, path)
        self._in_progress[key] = self._in_progress.get(key, 0) + 1

    def finished(self, method: str, path: str, status: int, seconds: float) -> None:
        self._in_progress[(method, path)] -= 1
        key = (method, path, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = [0.0] * (_FIRST_BUCKET + len(BUCKETS))
        series[_COUNT] += 1
        series[_SECONDS] += seconds
        # A bucket counts the requests up to and including its bound.
        series[_FIRST_BUCKET + bisect_left(BUCKETS, seconds)] += 1

    def collect(self) -> Iterator[Metric]:
        in_progress = GaugeMetricFamily(
            f"{PREFIX}_requests_in_progress",
            "Total requests currently in progress",
            labels=LABELS,
        )
        for (method, path), count in list(self._in_progress.items()):
            # The plugin labels the gauge with status 200, whatever the answer will be.
            in_progress.add_metric([APP_NAME, method, path, "200"], count)
        total = CounterMetricFamily(f"{PREFIX}_requests", "Total requests", labels=LABELS)
        errors = CounterMetricFamily(
            f"{PREFIX}_requests_error", "Total errors in requests", labels=LABELS
        )
        durations = HistogramMetricFamily(
            f"{PREFIX}_request_duration_seconds", "Request duration, in seconds", labels=LABELS
        )
        for (method, path, status), series in list(self._series.items()):
            labels = [APP_NAME, method, path, str(status)]
            total.add_metric(labels, series[_COUNT])
            if status >= 500:
                errors.add_metric(labels, series[_COUNT])
            cumulative, buckets = 0.0, []
            for bound, in_bucket in zip(_BOUNDS, series[_FIRST_BUCKET:], strict=True):
                cumulative += in_bucket
                buckets.append((bound, cumulative))
            durations.add_metric(labels, buckets, series[_SECONDS])
        yield from (in_progress, total, errors, durations)


# One per process, as the registry it is exposed through.
REQUEST_METRICS = RequestMetrics()
REGISTRY.register(REQUEST_METRICS)


# The job queue's figures, read from the database when /metrics is scraped.
REGISTRY.register(QUEUE_METRICS)


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False

    @get(include_in_schema=False)
    async def get(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The plugin's answer, with the job queue's figures read first (bounded by the
        connect timeout; missing, not failing, when the database does not answer)."""
        await QUEUE_METRICS.refresh(
            request.app.state.db_engine, request.app.state.settings.db_connect_timeout
        )
        return await PrometheusController.get.fn(self)


Guard = Any


def metrics_guard(settings: Settings) -> Guard:
    """Who may scrape: with ``QIYOU_METRICS_ALLOW``, clients from those networks (the peer
    itself, never ``X-Forwarded-For``: a scraper talks to the worker directly); with
    ``QIYOU_METRICS_TOKEN``, requests bearing it. Both set: both are required."""
    allowed = settings.metrics_allow
    token = settings.metrics_token.encode()

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if allowed and not _client_in(connection, allowed):
            # As if there were no such page: a stranger learns nothing.
            raise AppError(404, "not_found")
        if token:
            header = connection.headers.get("authorization", "")
            scheme, _space, presented = header.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                presented.strip().encode(), token
            ):
                raise AppError(401, "unauthorized")

    return guard


def _client_in(
    connection: ASGIConnection[Any, Any, Any, Any],
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...],
) -> bool:
    host = connection.client.host if connection.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def metrics_controller(settings: Settings) -> type[MetricsController]:
    """``/metrics`` as the settings allow it (``create_app`` leaves it out when metrics are off)."""
    if not (settings.metrics_allow or settings.metrics_token):
        return MetricsController
    return type(
        "GuardedMetricsController", (MetricsController,), {"guards": [metrics_guard(settings)]}
    )


__all__ = [
    "BUCKETS",
    "REQUEST_METRICS",
    "MetricsController",
    "RequestMetrics",
    "metrics_controller",
]
