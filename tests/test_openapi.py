"""The OpenAPI document the phone team generates its client from."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from backend.openapi import offline_app, render_openapi

CHECKED_IN = Path(__file__).resolve().parents[1] / "schemas" / "openapi.json"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    schema: dict[str, Any] = offline_app().openapi_schema.to_schema()
    return schema


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_every_operation_has_a_unique_operation_id(document: dict[str, Any]) -> None:
    operations = _operations(document)
    assert operations
    unnamed = [f"{method} {path}" for method, path, op in operations if not op.get("operationId")]
    assert not unnamed, f"give these routes an operation_id: {unnamed}"
    counts = Counter(op["operationId"] for _, _, op in operations)
    assert not [name for name, n in counts.items() if n > 1], counts.most_common(5)


def test_errors_are_documented_as_problem_documents(document: dict[str, Any]) -> None:
    wrong = []
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            content = response.get("content") or {}
            if list(content) != ["application/problem+json"]:
                wrong.append(f"{method} {path} {status}: {sorted(content)}")
    assert not wrong, "error responses must be application/problem+json:\n" + "\n".join(wrong)


def test_the_checked_in_document_matches_the_app() -> None:
    current = render_openapi()
    assert CHECKED_IN.exists(), "schemas/openapi.json is missing: run `.venv/bin/qiyou openapi`"
    checked_in = CHECKED_IN.read_text()
    if checked_in != current:
        old, new = json.loads(checked_in), json.loads(current)
        changed = sorted(
            set(old.get("paths", {})) ^ set(new.get("paths", {}))
            | {
                p
                for p in set(old.get("paths", {})) & set(new.get("paths", {}))
                if old["paths"][p] != new["paths"][p]
            }
        )
        pytest.fail(
            "schemas/openapi.json is out of date with the app; run `.venv/bin/qiyou openapi` "
            "and commit the result. Paths that differ: " + (", ".join(changed) or "(components)"),
            pytrace=False,
        )
