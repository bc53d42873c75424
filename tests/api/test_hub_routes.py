"""The shape of the hub's routes: one controller per audience declaring path, tags and guards
once, Litestar 3.0's parameter markers, and an operation the phone team can generate from."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import httpx
from litestar import Controller
from litestar.handlers import HTTPRouteHandler
from litestar.params import ParameterKwarg

from backend.core.clock import FrozenClock
from backend.core.errors import ProblemSpec
from backend.hub import routes as hub_routes
from backend.openapi import offline_app
from tests.api.hub_support import API, TUESDAY, at, booked, make_hub
from tests.factories import MakeUser

HUB = Path(__file__).parents[2] / "backend" / "hub"
# Codes the OpenAPI document adds to every operation that can answer them.
GENERIC = {"not_found", "forbidden", "validation_error"}
IDEMPOTENT = {
    "createVenue",
    "createRoom",
    "createBooking",
    "createRecurringBooking",
    "createRoomClosure",
    "createVenueClosure",
}


def _handlers() -> list[tuple[type[Controller], HTTPRouteHandler]]:
    return [
        (controller, handler)
        for controller in hub_routes.ROUTES
        for handler in vars(controller).values()
        if isinstance(handler, HTTPRouteHandler)
    ]


def _operations() -> dict[str, tuple[str, dict[str, Any]]]:
    document = offline_app().openapi_schema.to_schema()
    return {
        operation["operationId"]: (path, operation)
        for path, item in document["paths"].items()
        for operation in item.values()
        if isinstance(operation, dict) and "hub" in operation.get("tags", ())
    }


def test_hub_handlers_raise_no_deprecation() -> None:
    names = {handler.fn.__name__ for _, handler in _handlers()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        offline_app()
    ours = [
        str(w.message)
        for w in caught
        if issubclass(w.category, DeprecationWarning)
        and any(f"handler={name!r}" in str(w.message) for name in names)
    ]
    assert ours == []
    # Warned when the module is imported, not when the app is built: `Parameter(query=...)`.
    legacy = [
        f"{handler.fn.__name__}.{name}"
        for _, handler in _handlers()
        for name, field in handler.parsed_fn_signature.parameters.items()
        if isinstance(field.kwarg_definition, ParameterKwarg)
        and (field.kwarg_definition.query or field.kwarg_definition.header)
    ]
    assert legacy == []


def test_controllers_declare_path_tags_and_guards_once() -> None:
    assert all(isinstance(c, type) and issubclass(c, Controller) for c in hub_routes.ROUTES)
    for controller, handler in _handlers():
        assert controller.tags == ("hub",)
        assert controller.guards or (controller.opt or {}).get("exclude_from_auth"), controller
        assert handler.tags is None, handler
        assert not handler.guards, handler
        assert "exclude_from_auth" not in (handler.opt or {}), handler


def test_every_hub_operation_is_documented_for_the_phone_team() -> None:
    operations = _operations()
    assert len(operations) == len(_handlers())
    for operation_id, (path, operation) in operations.items():
        assert re.fullmatch(r"[a-z]+[A-Za-z]*", operation_id)
        assert operation.get("summary"), operation_id
        assert operation.get("description"), operation_id
        for name in re.findall(r"\{(\w+)\}", path):
            assert re.fullmatch(r"[a-z]+[A-Za-z]*", name), (operation_id, name)
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert ("Idempotency-Key" in headers) == (operation_id in IDEMPOTENT), operation_id
    # A cancel without a body is a cancel: the document must not demand one.
    assert operations["cancelBooking"][1]["requestBody"]["required"] is False


async def test_a_cancel_needs_no_body(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    hub = await make_hub(client, make_user, clock)
    resident = await make_user()
    mine = await booked(client, resident, hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    cancelled = await client.post(f"{API}/bookings/{mine['id']}/cancel", headers=resident.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["reason"] is None


def test_every_code_the_hub_raises_is_declared_by_an_operation() -> None:
    source = "\n".join(path.read_text() for path in HUB.glob("*.py"))
    raised = set(re.findall(r"AppError\(\s*\d{3},\s*\"([a-z_]+)\"", source))
    declared = {
        code
        for _, handler in _handlers()
        for spec in (handler.responses or {}).values()
        if isinstance(spec, ProblemSpec)
        for code in spec.codes
    }
    assert "closure_conflicts_event" in raised  # the pattern spans lines
    assert raised - declared - GENERIC == set()
