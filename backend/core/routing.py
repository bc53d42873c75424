"""``OPTIONS`` answers with every method of its path, and ``HEAD`` is answered wherever ``GET`` is.

Litestar gives each route an ``OPTIONS`` handler whose ``Allow`` reads the methods of the route
it was made for. When handlers of one path sit in two controllers (``/manage/events``: the list
in one, creating in another), Litestar registers the second by building a new route from both
handler lists; the old ``OPTIONS`` handler comes along and keeps reading the old route, so
``Allow`` omits the methods added later. Pointing each generated handler at the route that
serves it makes ``Allow`` list them all.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute


def answer_options_for_whole_paths(app: Litestar) -> None:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
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
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not hasattr(handler, "__dict__"):
                # Litestar's own ``HTTPRouteHandler`` (the generated ``OPTIONS`` handlers) has
                # slots only; the decorators' subclasses (``get``, ``post``…) do not.
                continue
            resolved = handler.resolve_exception_handlers()
            # An attribute of the instance, which the method's name then finds first; a fresh
            # copy per call (as Litestar's), made in C.
            handler.resolve_exception_handlers = resolved.copy  # type: ignore[method-assign,attr-defined]
