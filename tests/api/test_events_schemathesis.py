"""Schemathesis over the events operations on a real event and registration: generated
requests, valid and invalid, never get a 5xx, and every answer matches the OpenAPI document
(status, media type, headers, body). Every operation with generated ids, and the operations
that take no id, are tests/test_schemathesis.py's."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from litestar import Litestar
from schemathesis import Case, GenerationMode
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi import checks as openapi_checks
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings as AppSettings
from backend.core.clock import FrozenClock
from tests import factories
from tests.api.events_support import register
from tests.factories import published

pytestmark = pytest.mark.schemathesis

DOCUMENT = Path(__file__).resolve().parents[2] / "schemas" / "openapi.json"
EXAMPLES = 20
CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
]


def _operations() -> dict[str, APIOperation]:
    # The checked-in document, which tests/test_openapi.py holds equal to the app's: building an
    # app here took ~2 s of every worker's collection.
    schema = schemathesis.openapi.from_dict(json.loads(DOCUMENT.read_text()))
    found = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        has_ids = "{eventId}" in operation.path or "{registrationId}" in operation.path
        if "events" in (operation.definition.raw.get("tags") or []) and has_ids:
            found[operation.label] = operation
    return found


OPERATIONS = _operations()


def _cases(operation: APIOperation, mode: GenerationMode, **fixed: Any) -> list[Case]:
    drawn: list[Case] = []

    @settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(mode, **fixed))
    def collect(case: Case) -> None:
        drawn.append(case)

    # Nothing may be left to make invalid (say, only a fixed path parameter): no negative cases.
    with contextlib.suppress(Unsatisfiable):
        collect()
    return drawn


@pytest.mark.parametrize("label", sorted(OPERATIONS))
async def test_generated_requests(
    label: str,
    app: Litestar,
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    settings: AppSettings,
    clock: FrozenClock,
) -> None:
    operation = OPERATIONS[label]
    (staff,) = await factories.users(db, settings, clock, 1, role="staff")
    (resident,) = await factories.users(db, settings, clock, 1)
    event = await published(client, staff.headers, clock)
    made = (await register(client, event["id"], resident.headers)).json()
    caller = staff if "/manage/" in label else resident
    real = {
        name: value
        for name, value in (("eventId", event["id"]), ("registrationId", made["id"]))
        if "{" + name + "}" in operation.path
    }
    # Generated ids (which lead to 404s) are tests/test_schemathesis.py's part, for every
    # operation and both audiences; here the generated requests reach a real event and a real
    # registration.
    batches = [
        (GenerationMode.POSITIVE, {"path_parameters": real}),
        (GenerationMode.NEGATIVE, {"path_parameters": real}),
    ]
    for mode, fixed in batches:
        for case in _cases(operation, mode, **fixed):
            kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=caller.headers)
            kwargs.pop("cookies", None)
            response = await client.request(**kwargs)
            assert response.status_code < 500, (case.as_curl_command(), response.text)
            # Negative cases are held to the same contract. (Not to ``negative_data_rejection``:
            # the "invalid" request it imagines may differ only by an unknown query parameter,
            # which we ignore on purpose, or by the token this test always sends.)
            case.validate_response(response, checks=CHECKS, headers=caller.headers)
