"""The request metrics: the series Prometheus reads back match what the requests did."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from backend.core.metrics import BUCKETS, RequestMetrics


def _exposed(metrics: RequestMetrics) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(metrics)
    text = generate_latest(registry).decode()
    return {
        sample.name + _labels_text(sample.labels): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _labels_text(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{key}="{labels[key]}"' for key in sorted(labels)) + "}"


def _labels(path: str, status: int, **more: str) -> str:
    return _labels_text(
        {"app_name": "qiyou", "method": "GET", "path": path, "status_code": str(status), **more}
    )


def test_counts_sums_and_cumulative_buckets_per_route_and_status() -> None:
    metrics = RequestMetrics()
    route = "/api/v1/events/{event_id}"
    for seconds in (0.001, 0.005, 0.02, 3.0):
        metrics.started("GET", route)
        metrics.finished("GET", route, 200, seconds)
    metrics.started("GET", route)
    metrics.finished("GET", route, 404, 0.002)

    samples = _exposed(metrics)
    assert samples["qiyou_requests_total" + _labels(route, 200)] == 4
    assert samples["qiyou_requests_total" + _labels(route, 404)] == 1
    duration = "qiyou_request_duration_seconds"
    assert samples[duration + "_count" + _labels(route, 200)] == 4
    assert abs(samples[duration + "_sum" + _labels(route, 200)] - 3.026) < 1e-9
    # A bound counts the requests up to and including it (0.005 is in le="0.005").
    assert samples[duration + "_bucket" + _labels(route, 200, le="0.005")] == 2
    assert samples[duration + "_bucket" + _labels(route, 200, le="0.025")] == 3
    assert samples[duration + "_bucket" + _labels(route, 200, le="2.5")] == 3
    assert samples[duration + "_bucket" + _labels(route, 200, le="5.0")] == 4
    assert samples[duration + "_bucket" + _labels(route, 200, le="+Inf")] == 4
    assert len([name for name in samples if name.startswith(duration + "_bucket")]) == 2 * len(
        BUCKETS
    )
    # Nothing failed on the server's side.
    assert not [name for name in samples if name.startswith("qiyou_requests_error_total")]


def test_server_errors_are_counted_apart_and_in_progress_goes_back_to_zero() -> None:
    metrics = RequestMetrics()
    route = "/api/v1/home"
    metrics.started("GET", route)
    metrics.started("GET", route)
    in_progress = "qiyou_requests_in_progress" + _labels(route, 200)
    assert _exposed(metrics)[in_progress] == 2
    metrics.finished("GET", route, 500, 0.1)
    metrics.finished("GET", route, 200, 0.1)

    samples = _exposed(metrics)
    assert samples[in_progress] == 0
    assert samples["qiyou_requests_error_total" + _labels(route, 500)] == 1
    assert "qiyou_requests_error_total" + _labels(route, 200) not in samples


def test_a_duration_beyond_the_last_bound_lands_in_inf() -> None:
    metrics = RequestMetrics()
    metrics.started("GET", "/slow")
    metrics.finished("GET", "/slow", 200, 60.0)
    samples = _exposed(metrics)
    bucket = "qiyou_request_duration_seconds_bucket"
    assert samples[bucket + _labels("/slow", 200, le="10.0")] == 0
    assert samples[bucket + _labels("/slow", 200, le="+Inf")] == 1
