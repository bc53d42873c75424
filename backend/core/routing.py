"""``OPTIONS`` answers with every method of its path.

Litestar gives each route an ``OPTIONS`` handler whose ``Allow`` reads the methods of the route
it was made for. When handlers of one path sit in two controllers (``/manage/events``: the list
in one, creating in another), Litestar registers the second by building a new route from both
handler lists; the old ``OPTIONS`` handler comes along and keeps reading the old route, so
``Allow`` omits the methods added later. Pointing each generated handler at the route that
serves it makes ``Allow`` list them all.
"""

from __future__ import annotations

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
