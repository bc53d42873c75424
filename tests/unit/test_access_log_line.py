"""The access log line: valid JSON whatever the path holds, and the fields every line has."""

from __future__ import annotations

import json

from backend.core.observability import AccessLog


def _line(log: AccessLog, path: str, seconds: float) -> str:
    # A line already pending: write() only queues, nothing schedules a flush.
    log._pending = ["earlier\n"]
    log.write("a1b2c3d4e5f6a7b8", "GET", path, 404, seconds)
    return log._pending[-1]


def test_a_json_line_parses_with_every_field_whatever_the_path_holds() -> None:
    path = '/api/v1/events/"quoted"\\back\u00e9\n'
    record = json.loads(_line(AccessLog(as_json=True), path, 0.0012345))
    assert record == {
        "event": "request",
        "method": "GET",
        "path": path,
        "status_code": 404,
        "duration_ms": 1.23,
        "request_id": "a1b2c3d4e5f6a7b8",
        "level": "info",
        "timestamp": record["timestamp"],
    }
    assert record["timestamp"].endswith("Z")
    assert len(record["timestamp"]) == len("2026-11-25T08:00:00.123456Z")


def test_durations_are_milliseconds_to_two_places() -> None:
    for seconds, shown in ((0.0, 0.0), (0.000004, 0.0), (0.000005, 0.01), (2.5, 2500.0)):
        assert json.loads(_line(AccessLog(as_json=True), "/p", seconds))["duration_ms"] == shown


def test_the_console_line_names_the_same_fields() -> None:
    line = _line(AccessLog(as_json=False), "/api/v1/home", 0.25)
    assert "request  method=GET path=/api/v1/home status_code=404 duration_ms=250.00" in line
    assert line.endswith("request_id=a1b2c3d4e5f6a7b8\n")
