"""A pytest plugin: every problem the app answers during the test session is in the document.

While the suite runs, each problem answer of a documented operation is recorded (operation,
status, code). At the end of the session every one must be among the ``code`` values that the
OpenAPI document lists for that operation and status; the misses are reported together, and
fail the run. So a handler that starts answering a new code without declaring it
(``problem_responses(codes=...)``) is caught by whichever test happens to provoke it.

Under pytest-xdist each worker records its own answers and hands them to the controller
(``workeroutput``), which checks them once. ``QIYOU_PROBLEM_CODES=report`` prints the misses
without failing (to survey a branch whose domains are still declaring their codes).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from backend.core import errors

DOCUMENT = Path(__file__).resolve().parents[2] / "schemas" / "openapi.json"
_RECORDED: set[tuple[str, str, int, str]] = set()
_OUTPUT_KEY = "qiyou_problem_answers"


def _record(original: Callable[..., Any]) -> Callable[..., Any]:
    def recording(request: Any, status: int, code: str, *args: Any, **kwargs: Any) -> Any:
        handler = request.scope.get("route_handler")
        operation_id = getattr(handler, "operation_id", None)
        if isinstance(operation_id, str):
            _RECORDED.add((operation_id, request.method, status, code))
        return original(request, status, code, *args, **kwargs)

    return recording


def pytest_configure(config: pytest.Config) -> None:
    # The exception handlers look ``problem_response`` up in their module on every call.
    errors.problem_response = _record(errors.problem_response)  # type: ignore[method-assign]
    config.pluginmanager.register(_Collector(), "qiyou-problem-collector")


@cache
def documented_codes() -> dict[str, dict[int, frozenset[str]]]:
    """Operation id → status → the codes the document allows (empty: no enum stated).

    Read from the checked-in document (tests/test_openapi.py holds it equal to the app's):
    building an app for it took ~3 s at the very end of the run, with every worker done."""
    document = json.loads(DOCUMENT.read_text())
    allowed: dict[str, dict[int, frozenset[str]]] = {}
    for item in document["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            by_status: dict[int, frozenset[str]] = {}
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {}).get("application/problem+json")
                if content is None:
                    continue
                arms = content.get("schema", {}).get("allOf", [])
                codes = [
                    code
                    for arm in arms
                    for code in arm.get("properties", {}).get("code", {}).get("enum", [])
                ]
                by_status[int(status)] = frozenset(codes)
            allowed[operation["operationId"]] = by_status
    return allowed


def undeclared(recorded: set[tuple[str, str, int, str]]) -> list[str]:
    """The recorded answers the document does not state, one line per operation and status."""
    allowed = documented_codes()
    missing: dict[tuple[str, str, int], set[str]] = defaultdict(set)
    for operation_id, method, status, code in recorded:
        statuses = allowed.get(operation_id)
        if statuses is None:
            # A route of a test's own app, not of the document.
            continue
        if code not in statuses.get(status, frozenset()):
            missing[(operation_id, method, status)].add(code)
    lines = []
    for (operation_id, method, status), codes in sorted(missing.items()):
        stated = allowed[operation_id].get(status)
        where = "status not documented" if stated is None else f"documented: {sorted(stated)}"
        lines.append(f"{operation_id} ({method}) {status}: {sorted(codes)} — {where}")
    return lines


class _Collector:
    def __init__(self) -> None:
        self.from_workers: set[tuple[str, str, int, str]] = set()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        for row in json.loads(node.workeroutput.get(_OUTPUT_KEY, "[]")):
            self.from_workers.add((row[0], row[1], int(row[2]), row[3]))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        config = session.config
        workeroutput = getattr(config, "workeroutput", None)
        if workeroutput is not None:
            # An xdist worker: the controller checks what every worker saw.
            workeroutput[_OUTPUT_KEY] = json.dumps(sorted(_RECORDED))
            return
        recorded = _RECORDED | self.from_workers
        if not recorded:
            return
        lines = undeclared(recorded)
        config.stash[_REPORT] = lines
        if lines and os.environ.get("QIYOU_PROBLEM_CODES") != "report" and exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        lines = config.stash.get(_REPORT, [])
        if not lines:
            return
        terminalreporter.section("problem codes the OpenAPI document does not state", red=True)
        terminalreporter.line(
            "Declare each with problem_responses(codes={status: (...)}) on its handler:"
        )
        for line in lines:
            terminalreporter.line("  " + line)


_REPORT = pytest.StashKey[list[str]]()
