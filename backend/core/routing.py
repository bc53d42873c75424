"""``OPTIONS`` answers with every method of its path, and ``HEAD`` is answered wherever ``GET`` is.

Litestar gives each route an ``OPTIONS`` handler whose ``Allow`` reads the methods of the route
it was made for. When handlers of one path sit in two controllers (``/manage/events``: the list
in one, creating in another), Litestar registers the second by building a new route from both
handler lists; the old ``OPTIONS`` handler comes along and keeps reading the old route, so
``Allow`` omits the methods added later. Pointing each generated handler at the route that
serves it makes ``Allow`` list them all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers import HTTPRouteHandler
from litestar.handlers.base import BaseRouteHandler
from litestar.routes import HTTPRoute
from litestar.types import Guard


def http_handlers(app: Litestar) -> Iterator[tuple[HTTPRoute, HTTPRouteHandler]]:
    """Every HTTP route of the built app with each of its handlers: what the build steps
    (here, ``auth``, ``compression``, ``errors``, ``openapi_schema``) walk."""
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                yield route, handler


def answer_options_for_whole_paths(app: Litestar) -> None:
    for route, handler in http_handlers(app):
        fn = handler.fn
        if "OPTIONS" not in handler.http_methods or fn.__name__ != "options_handler":
            continue
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=True):
            if name == "self" and isinstance(cell.cell_contents, HTTPRoute):
                cell.cell_contents = route


class _GetAnswersHead(dict):  # type: ignore[type-arg]
    """A route's handler map that hands ``HEAD`` to the ``GET`` handler without listing it, so
    the OpenAPI document (built from the map's items) does not grow a second operation per
    read. ``LazyCompression`` drops the body of a ``HEAD``."""

    def __missing__(self, method: str) -> Any:
        if method == "HEAD":
            return self["GET"]
        raise KeyError(method)


def answer_head_like_get(app: Litestar) -> None:
    """``HEAD`` on every path that answers ``GET`` (RFC 9110 §9.3.2): the same status and
    headers, no body. Litestar serves ``HEAD`` only through a separate ``@head`` handler whose
    function returns nothing, and documents it as an operation of its own."""
    for route in app.routes:
        if isinstance(route, HTTPRoute) and "GET" in route.methods and "HEAD" not in route.methods:
            route.methods.add("HEAD")
            route.route_handler_map = _GetAnswersHead(route.route_handler_map)
    nodes = [app.asgi_router.root_route_map_node]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.children.values())
        if "GET" in node.asgi_handlers and "HEAD" not in node.asgi_handlers:
            # The GET's middleware stack too: authentication, guards, the compression layer.
            node.asgi_handlers["HEAD"] = node.asgi_handlers["GET"]
            node.path_parameters["HEAD"] = node.path_parameters["GET"]


def resolve_exception_handlers_once(app: Litestar) -> None:
    """Resolve each route handler's exception handlers once, when the app is built.

    Litestar's router asks the matched handler for them on every request
    (``route_handler.resolve_exception_handlers()``, whose docstring says it is memoized; in
    2.25 it is not): it walks the handler's layers up to the app and merges their maps, 9k
    instructions of an event read (docs/performance.md). The layers' maps are fixed once the
    app is built, so the merged map is the same every time: each handler answers with the map
    it resolved here. ``tests/unit/test_routing.py`` holds the map to Litestar's own result
    and checks that the router still asks for it per request, so a Litestar that changes
    either shows up there.
    """
    for _, handler in http_handlers(app):
        if not hasattr(handler, "__dict__"):
            # Litestar's own ``HTTPRouteHandler`` (the generated ``OPTIONS`` handlers) has
            # slots only; the decorators' subclasses (``get``, ``post``…) do not.
            continue
        resolved = handler.resolve_exception_handlers()
        # An attribute of the instance, which the method's name then finds first; a fresh
        # copy per call (as Litestar's), made in C.
        handler.resolve_exception_handlers = resolved.copy  # type: ignore[method-assign,attr-defined]


def guard_without_copying_the_handler(app: Litestar) -> None:
    """Run each route's guards with its handler itself rather than a copy of it.

    Litestar's ``authorize_connection`` passes every guard ``copy(route_handler)`` on every
    request, so that a guard cannot change the handler it is given. A handler has some sixty
    attributes: the copy was ~98k instructions of each guarded request (a caregiver's day
    1,261k -> 1,163k, a household's care orders 2,433k -> 2,335k; docs/performance.md). Our guards
    (``auth.RoleGuard``, ``ratelimit.per_account``) never read the handler they are given, so
    the handler itself is safe to hand them; each guarded handler gets, as an attribute of the
    instance, an ``authorize_connection`` that runs the same guards in the same order.
    ``tests/unit/test_routing.py`` holds the guards to Litestar's list and checks that Litestar
    still asks the handler for them, so an upgrade that changes either shows up there.
    """
    for _, handler in http_handlers(app):
        guards = tuple(handler.resolve_guards())
        if guards and hasattr(handler, "__dict__"):
            handler.authorize_connection = _authorizer(handler, guards)  # type: ignore[method-assign,assignment]


def _authorizer(
    handler: BaseRouteHandler, guards: tuple[Guard, ...]
) -> Callable[..., Awaitable[None]]:
    async def authorize_connection(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        for guard in guards:
            # Resolved guards are coroutine functions: Litestar wraps a synchronous one.
            await guard(connection, handler)  # type: ignore[misc]

    return authorize_connection
