"""Each route handler's exception handlers, resolved once when the app is built
(``routing.resolve_exception_handlers_once``), are the ones Litestar resolves itself, and the
router still asks for them on every request: a Litestar that changes either fails here."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from litestar import Controller, Litestar, Request, Response, Router, get
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from backend.app import build_app
from backend.config import Settings
from backend.core.routing import (
    guard_without_copying_the_handler,
    http_handlers,
    resolve_exception_handlers_once,
)


class RefusedError(Exception):
    pass


def _by(layer: str) -> Any:
    def handler(_request: Request[Any, Any, Any], _exc: Exception) -> Response[str]:
        return Response(layer, status_code=418)

    return handler


class Layered(Controller):
    path = "/controller"
    exception_handlers = {RefusedError: _by("controller")}  # noqa: RUF012

    @get("/own", exception_handlers={RefusedError: _by("handler")})
    async def own(self) -> None:
        raise RefusedError

    @get("/inherited")
    async def inherited(self) -> None:
        raise RefusedError

    @get("/value")
    async def value(self) -> None:
        raise ValueError


@get("/bare")
async def bare() -> None:
    raise RefusedError


def _app() -> Litestar:
    router = Router(
        path="/router",
        route_handlers=[Layered],
        exception_handlers={ValueError: _by("router")},
    )
    app = Litestar(route_handlers=[router, bare], exception_handlers={RefusedError: _by("app")})
    resolve_exception_handlers_once(app)
    return app


def _handlers(app: Litestar) -> list[BaseRouteHandler]:
    return [handler for _, handler in http_handlers(app)]


def _litestars_own(handler: BaseRouteHandler) -> Any:
    return type(handler).resolve_exception_handlers(handler)


def test_the_maps_resolved_once_are_litestars() -> None:
    app = _app()
    handlers = _handlers(app)
    assert len(handlers) > 4
    for handler in handlers:
        assert handler.resolve_exception_handlers() == _litestars_own(handler)


def test_every_route_handler_of_the_service_keeps_its_map() -> None:
    app = build_app(Settings(env="production", jwt_secret="s" * 64))
    resolved = 0
    for handler in _handlers(app):
        assert handler.resolve_exception_handlers() == _litestars_own(handler)
        resolved += "resolve_exception_handlers" in getattr(handler, "__dict__", {})
    # Every handler of the app's own (the generated OPTIONS ones aside) answers from its map.
    assert resolved > 100


@pytest.mark.parametrize(
    ("path", "answered_by"),
    [
        ("/router/controller/own", "handler"),
        ("/router/controller/inherited", "controller"),
        ("/router/controller/value", "router"),
        ("/bare", "app"),
    ],
)
def test_the_closest_layer_still_answers(path: str, answered_by: str) -> None:
    with TestClient(_app()) as client:
        answer = client.get(path)
    assert (answer.status_code, answer.text) == (418, answered_by)


def test_the_router_asks_the_matched_handler_on_every_request() -> None:
    app = _app()
    (handler,) = [h for h in _handlers(app) if getattr(h, "handler_name", "") == "inherited"]
    asked: list[int] = []
    resolved = handler.resolve_exception_handlers

    def counted() -> Any:
        asked.append(1)
        return resolved()

    handler.resolve_exception_handlers = counted  # type: ignore[method-assign]
    with TestClient(app) as client:
        client.get("/router/controller/inherited")
        client.get("/router/controller/inherited")
    assert len(asked) == 2


def _layers(stack: Any) -> list[type]:
    found = []
    while stack is not None:
        found.append(type(stack))
        stack = getattr(stack, "app", None)
    return found


def test_only_public_routes_go_without_the_authentication_layer() -> None:
    """``auth.skip_authentication_on_public_routes``: a public handler's stack (its HEAD too)
    has no JWT layer and keeps every other one; every other handler keeps it."""
    from backend.core.auth import BearerJWTMiddleware
    from backend.core.observability import ObservedRequests

    app = build_app(Settings(env="production", jwt_secret="s" * 64))
    public = guarded = 0
    nodes = [app.asgi_router.root_route_map_node]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.children.values())
        for method, entry in node.asgi_handlers.items():
            layers = _layers(entry.asgi_app)
            if method == "OPTIONS":
                continue
            assert layers[0] is ObservedRequests
            if entry.handler.opt.get("exclude_from_auth"):
                assert BearerJWTMiddleware not in layers, entry.handler
                public += 1
            else:
                assert BearerJWTMiddleware in layers, entry.handler
                guarded += 1
    assert public > 20
    assert guarded > 100


# --- routing.guard_without_copying_the_handler --------------------------------------------------


class _Seen:
    """Guards that note what they were given and refuse when told to."""

    def __init__(self) -> None:
        self.given: list[tuple[str, BaseRouteHandler]] = []

    def guard(self, name: str, *, refuse: bool = False) -> Any:
        async def check(_connection: Any, handler: BaseRouteHandler) -> None:
            self.given.append((name, handler))
            if refuse:
                raise NotAuthorizedException()

        return check


def _guarded_app(seen: _Seen) -> Litestar:
    class Guarded(Controller):
        path = "/guarded"
        guards = (seen.guard("controller"),)

        @get("/open", guards=[seen.guard("handler")])
        async def open_(self) -> str:
            return "in"

        @get("/shut", guards=[seen.guard("handler", refuse=True)])
        async def shut(self) -> str:
            return "in"

    app = Litestar(route_handlers=[Guarded], guards=[seen.guard("app")])
    guard_without_copying_the_handler(app)
    return app


def test_the_guards_run_in_litestars_order_and_see_the_handler_itself() -> None:
    seen = _Seen()
    app = _guarded_app(seen)
    (open_,) = [h for h in _handlers(app) if getattr(h, "handler_name", "") == "open_"]
    with TestClient(app) as client:
        assert client.get("/guarded/open").text == "in"
        assert client.get("/guarded/shut").status_code == 401
    assert [name for name, _ in seen.given[:3]] == ["app", "controller", "handler"]
    assert all(handler is open_ for _, handler in seen.given[:3])
    # The refusing guard still refuses, after the layers above it have run.
    assert [name for name, _ in seen.given[3:]] == ["app", "controller", "handler"]


def test_every_guarded_handler_of_the_service_runs_litestars_guards() -> None:
    """The guards each handler runs are Litestar's resolved list, in its order, and Litestar
    still authorizes through the handler's ``authorize_connection`` (a Litestar that stops
    asking, or asks another way, would leave our guards unrun: the matrices would show it, this
    names the cause)."""
    app = build_app(Settings(env="production", jwt_secret="s" * 64))
    replaced = 0
    for handler in _handlers(app):
        if "authorize_connection" not in getattr(handler, "__dict__", {}):
            continue
        replaced += 1
        cells = {
            name: cell.cell_contents
            for name, cell in zip(
                handler.authorize_connection.__code__.co_freevars,
                handler.authorize_connection.__closure__ or (),
                strict=True,
            )
        }
        assert cells["guards"] == tuple(handler.resolve_guards())
        assert cells["handler"] is handler
    assert replaced > 100
    source = inspect.getsource(HTTPRoute.handle)
    assert "route_handler.resolve_guards()" in source
    assert "route_handler.authorize_connection(connection=request)" in source
