"""``errors[].field`` names what the client sent: the wire name of a query parameter (``date``,
``scope``, ``unreadOnly``), not the handler's Python parameter (``day``, ``which``) nor ``body``.

Every query parameter of every operation in ``schemas/openapi.json`` is sent once with a value
its schema refuses, and every required one is left out once."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.config import Settings
from tests.conftest import MakeUser, problem

SPEC = json.loads((Path(__file__).parents[2] / "schemas" / "openapi.json").read_text())
ROLES = ("resident", "worker", "staff", "admin", "dispatcher", "caregiver")


def _schema(parameter: dict[str, Any]) -> dict[str, Any]:
    schema = dict(parameter["schema"])
    for member in schema.pop("oneOf", None) or schema.pop("anyOf", None) or []:
        if member.get("type") != "null":
            schema.update(member)
    return schema


def _refused_value(schema: dict[str, Any]) -> str | None:
    """A value the schema refuses, or ``None`` when it accepts any text."""
    if "enum" in schema:
        return "no-such-value"
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if "integer" in kinds:
        return "many"
    if "boolean" in kinds:
        return "perhaps"
    if schema.get("format") in ("date", "date-time", "uuid"):
        return "tomorrow-ish"
    if "pattern" in schema and not re.search(schema["pattern"], "!!"):
        return "!!"
    if "maxLength" in schema:
        return "x" * (int(schema["maxLength"]) + 1)
    return None


def _cases() -> list[tuple[str, str, str, str]]:
    """(method, path, parameter, how) for every query parameter that can be refused."""
    cases = []
    for path, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                if _refused_value(_schema(parameter)) is not None:
                    cases.append((method, path, parameter["name"], "invalid"))
                if parameter.get("required"):
                    cases.append((method, path, parameter["name"], "missing"))
    return cases


CASES = _cases()


def _valid_value(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return str(next(value for value in schema["enum"] if value is not None))
    if schema.get("format") == "date":
        return "2026-12-01"
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    return "13800000000"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The dev routes exist here, so their parameters are checked too.
    return replace(settings, env="development")


def test_the_walk_covers_the_renamed_parameters() -> None:
    names = {name for _, _, name, _ in CASES}
    assert {"date", "scope", "unreadOnly", "limit"} <= names
    assert any(how == "missing" for *_, how in CASES)


async def test_every_refused_query_parameter_is_named_as_on_the_wire(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    accounts = [await make_user(role) for role in ROLES]
    wrong: list[str] = []
    for method, path, name, how in CASES:
        operation = SPEC["paths"][path][method]
        url = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)
        params: dict[str, str] = {}
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            schema = _schema(parameter)
            if parameter["name"] == name:
                if how == "invalid":
                    params[name] = _refused_value(schema) or ""
            elif parameter.get("required"):
                params[parameter["name"]] = _valid_value(schema)
        for account in accounts:
            response = await client.request(
                method.upper(), url, params=params, headers=account.headers
            )
            if response.status_code not in (401, 403):
                break
        if response.status_code not in (400, 422):
            wrong.append(f"{method} {path} {how} {name}: {response.status_code}")
            continue
        fields = [error["field"] for error in problem(response).get("errors", [])]
        if fields != [name]:
            wrong.append(f"{method} {path} {how} {name}: {fields}")
    assert not wrong, "\n".join(wrong)
