"""The events routes have the one shape a new domain copies: Controllers per audience that
declare path, tag and guards once; Litestar 3.0 markers (no deprecation from our handlers);
camelCase path parameters; a summary, a description and the declared codes on every operation.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from backend.core.errors import ProblemSpec
from backend.core.routing import http_handlers
from backend.events import routes
from backend.openapi import offline_app

_OWN = ("backend.events.",)


def _events_handlers(app: Litestar) -> list[tuple[HTTPRoute, HTTPRouteHandler]]:
    return [
        (route, handler)
        for route, handler in http_handlers(app)
        if getattr(handler.fn, "__module__", "").startswith(_OWN)
    ]


@pytest.fixture(scope="module")
def built() -> tuple[Litestar, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = offline_app()
    return app, [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]


def test_building_the_app_raises_no_deprecation_from_the_events_handlers(
    built: tuple[Litestar, list[str]],
) -> None:
    app, messages = built
    handlers = _events_handlers(app)
    assert len(handlers) == 16
    # Litestar names the handler and its own paths in the message: "[paths='/x', handler='f'".
    ours = {
        f"[paths={','.join(sorted(handler.paths))!r}, handler={handler.handler_name!r}"
        for _, handler in handlers
    }
    found = [m for m in messages if any(m.startswith(prefix) for prefix in ours)]
    assert not found, "\n".join(found)


def test_each_controller_declares_path_tag_and_guards_once() -> None:
    controllers = routes.ROUTES
    assert [c.__name__ for c in controllers] == [
        "PublicEventsController",
        "ResidentController",
        "ManageEventsController",
    ]
    for controller in controllers:
        assert controller.tags == (routes.TAG,)
        for value in vars(controller).values():
            if isinstance(value, HTTPRouteHandler):
                # Declared by the controller, never again by a handler.
                assert value.tags is None, value
                assert not value.guards, value
                assert "exclude_from_auth" not in value.opt, value


def test_every_events_operation_is_documented(built: tuple[Litestar, list[str]]) -> None:
    app, _ = built
    document: dict[str, Any] = app.openapi_schema.to_schema()
    operations = [
        (path, operation)
        for path, item in document["paths"].items()
        for operation in item.values()
        if isinstance(operation, dict) and "events" in operation.get("tags", [])
    ]
    assert len(operations) == 16
    for path, operation in operations:
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)+", operation["operationId"]), path
        assert operation.get("summary"), path
        assert operation.get("description"), path
        for name in re.findall(r"\{([^}]+)\}", path):
            assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", name), (path, name)


# Codes every operation may answer, stated by the document itself (core/errors.py).
_GENERIC = {"not_found", "validation_error", "unauthorized", "forbidden"}


def test_every_code_the_domain_raises_is_declared(built: tuple[Litestar, list[str]]) -> None:
    """A code raised in backend/events (``AppError(status, "code"``) is declared by at least one
    events operation (``problem_responses(codes=...)``), so the phone team's client knows it."""
    app, _ = built
    source = "\n".join(
        path.read_text(encoding="utf-8") for path in Path(routes.__file__).parent.glob("*.py")
    )
    raised = set(re.findall(r"AppError\(\s*\d{3},\s*\"([a-z_]+)\"", source)) - _GENERIC
    declared = {
        code
        for _, handler in _events_handlers(app)
        for spec in (handler.responses or {}).values()
        if isinstance(spec, ProblemSpec)
        for code in spec.codes
    }
    assert raised, "found no AppError in backend/events"
    assert raised <= declared, sorted(raised - declared)
