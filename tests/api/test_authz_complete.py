"""Every API route is in some domain's authorization matrix.

Each ``tests/api/test_authz_<domain>.py`` lists the endpoints it tests in ``ENDPOINTS`` as
``(method, path template)``, the template exactly as the app registers it (``app.routes``, e.g.
``/api/v1/me/notifications/{notificationId:uuid}/read``). A route in no list fails here, so
an endpoint cannot ship without its rows; a listed route that does not exist fails too, so a
renamed path cannot leave a matrix testing nothing.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from litestar.routes import HTTPRoute

from backend.app import API_PREFIX
from backend.openapi import offline_app

Endpoint = tuple[str, str]
HERE = Path(__file__).parent
# Operational routes outside the API: health, the OpenAPI document, metrics.
NOT_IN_MATRIX = ("/health", "/schema", "/metrics")


def _matrix_modules() -> list[str]:
    return sorted(
        path.stem for path in HERE.glob("test_authz_*.py") if path.stem != "test_authz_complete"
    )


def _declared() -> dict[Endpoint, list[str]]:
    declared: dict[Endpoint, list[str]] = {}
    for name in _matrix_modules():
        module = importlib.import_module(f"tests.api.{name}")
        endpoints = getattr(module, "ENDPOINTS", None)
        assert endpoints is not None, f"tests/api/{name}.py must define ENDPOINTS"
        for method, template in endpoints:
            declared.setdefault((method.upper(), template), []).append(name)
    return declared


def _routes() -> set[Endpoint]:
    routes: set[Endpoint] = set()
    for route in offline_app().routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(NOT_IN_MATRIX):
            continue
        assert route.path.startswith(API_PREFIX), f"{route.path} is outside {API_PREFIX}"
        for method in route.methods - {"HEAD", "OPTIONS"}:
            routes.add((method, route.path))
    return routes


def _listing(endpoints: set[Endpoint]) -> str:
    return "\n".join(
        f"  {method:6} {path}" for path, method in sorted((p, m) for m, p in endpoints)
    )


@pytest.fixture(scope="module")
def routes() -> set[Endpoint]:
    return _routes()


def test_every_api_route_is_in_an_authorization_matrix(routes: set[Endpoint]) -> None:
    missing = routes - set(_declared())
    if missing:
        pytest.fail(
            f"{len(missing)} route(s) of the app are in no tests/api/test_authz_*.py ENDPOINTS "
            f"(found: {', '.join(_matrix_modules()) or 'none'}). Add a row to the matrix of the "
            f"domain that owns each, and test it for every role in tests.authz.ROLES:\n"
            + _listing(missing),
            pytrace=False,
        )


def test_no_matrix_lists_a_route_the_app_does_not_have(routes: set[Endpoint]) -> None:
    declared = _declared()
    stale = set(declared) - routes
    if stale:
        pytest.fail(
            "these ENDPOINTS rows name no route of the app (the template must match app.routes "
            "exactly, types included, e.g. {booking_id:uuid}):\n"
            + "\n".join(
                f"  {method:6} {path}  (in {', '.join(declared[(method, path)])})"
                for method, path in sorted(stale, key=lambda e: (e[1], e[0]))
            ),
            pytrace=False,
        )
